#include "validate/real_trace.h"

#include <algorithm>
#include <unordered_map>

namespace scx {
namespace {

class Replayer {
 public:
  Replayer(const FtraceText& trace, int rtapp_pid, const Topology& topo)
      : trace_(trace), rtapp_pid_(rtapp_pid), topo_(topo), cpu_curr_(topo.nr_cpus(), 0), cpu_seen_(topo.nr_cpus(), 0),
        cpu_known_(topo.nr_cpus(), 0) {}

  Result<RealRun> run(Ns duration);

 private:
  Status find_window(Ns duration);
  void learn_comms();
  void track_current(const FtraceRecord& r, bool after);
  void start();
  void missed_switch(int cpu, int next);
  void vacate(int real_pid, int cpu);
  void replay(const FtraceRecord& r);
  void on_switch(const FtraceRecord& r, TraceEvent& e);
  void on_task_event(const FtraceRecord& r, TraceEvent& e);
  void on_fork(const FtraceRecord& r);
  bool running(int real_pid) const;
  bool wake(int real, const TraceEvent& e);
  int announce(int real_pid, int prio, bool workload);
  int task(int real_pid, int prio);
  void emit(TraceEvent e) { collector_->on_event(e); }

  const FtraceText& trace_;
  const int rtapp_pid_;
  const Topology& topo_;
  std::unique_ptr<MetricsCollector> collector_;
  Ns t0_ = 0, end_ = 0;
  Ns now_ = 0;  // replay time of the current record
  std::vector<int> cpu_curr_;                      // real pid current on each CPU
  std::vector<Ns> cpu_seen_;                       // replay time of each CPU's last record
  std::vector<char> cpu_known_;                    // a record of the CPU was seen
  bool started_ = false;
  uint64_t missed_switches_ = 0;
  std::unordered_map<int, int> dense_;             // real pid -> replay pid
  std::unordered_map<int, std::string> comm_;      // real pid -> last comm in the window
  std::unordered_map<int, Ns> held_waking_;        // real pid -> sched_waking while it was current
  std::vector<char> workload_{0}, foreign_{0};     // by replay pid
  int workload_tasks_ = 0;
};

Status Replayer::find_window(Ns duration) {
  bool found = false;
  for (const FtraceRecord& r : trace_.records) {
    if (r.event != "sched_process_fork" || ftrace_int(r.fields, "pid") != rtapp_pid_) continue;
    t0_ = r.time;
    found = true;
    break;
  }
  if (!found) return Status::Errorf("trace", "no thread forked by rt-app (pid {}) was recorded", rtapp_pid_);
  end_ = duration > 0 ? t0_ + duration : trace_.records.back().time;
  return {};
}

// The last comm each pid had up to the window's end (rt-app threads rename themselves after
// the fork).
void Replayer::learn_comms() {
  for (const FtraceRecord& r : trace_.records) {
    if (r.time > end_) break;
    const std::string_view f = r.fields;
    if (r.event == "sched_switch") {
      if (auto c = ftrace_field(f, "prev_comm", "prev_pid")) comm_[static_cast<int>(ftrace_int(f, "prev_pid").value_or(0))] = *c;
      if (auto c = ftrace_field(f, "next_comm", "next_pid")) comm_[static_cast<int>(ftrace_int(f, "next_pid").value_or(0))] = *c;
    } else if (r.event.rfind("sched_wak", 0) == 0 || r.event == "sched_process_exit" ||
               r.event == "sched_migrate_task") {
      if (auto c = ftrace_field(f, "comm", "pid")) comm_[static_cast<int>(ftrace_int(f, "pid").value_or(0))] = *c;
    }
  }
}

// The task current on the record's CPU: the TASK-PID column before the event, the next task
// after a switch. When the column names another task than the last switch did, a switch went
// unrecorded (some tasks' switches never show up in the trace); once the replay has started,
// it is replayed at the CPU's previous record, the last moment the old task was seen current.
void Replayer::track_current(const FtraceRecord& r, bool after) {
  int& curr = cpu_curr_[r.cpu];
  if (after) {
    if (r.event == "sched_switch") curr = static_cast<int>(ftrace_int(r.fields, "next_pid").value_or(0));
    cpu_seen_[r.cpu] = std::max<Ns>(r.time - t0_, 0);
    cpu_known_[r.cpu] = 1;
    return;
  }
  if (r.cur_pid != curr && r.time >= t0_ && started_) {
    vacate(r.cur_pid, r.cpu);
    missed_switch(r.cpu, r.cur_pid);
  }
  curr = r.cur_pid;
}

// Replays an unrecorded switch on `cpu` to `next` at the CPU's previous record (a CPU without
// one yet was running `next` since the window began: that is no missed switch).
void Replayer::missed_switch(int cpu, int next) {
  missed_switches_ += cpu_known_[cpu];
  TraceEvent e;
  e.time = now_ = cpu_seen_[cpu];
  e.type = TraceType::SchedSwitch;
  e.cpu = cpu;
  e.pid = task(cpu_curr_[cpu], 120);
  e.pid2 = task(next, 120);
  e.prio = e.prio2 = 120;
  e.arg = static_cast<int32_t>(SwitchState::Sleeping);
  emit(e);
  cpu_curr_[cpu] = next;
}

// `real_pid` is about to run on `cpu`: wherever else it is still current (its switch out was not
// recorded), that CPU switches to idle until its next record says what ran there.
void Replayer::vacate(int real_pid, int cpu) {
  if (real_pid == 0) return;
  const Ns now = now_;
  for (int c = 0; c < static_cast<int>(cpu_curr_.size()); ++c)
    if (c != cpu && cpu_curr_[c] == real_pid) missed_switch(c, 0);
  now_ = now;
}

bool Replayer::running(int real_pid) const {
  for (int p : cpu_curr_)
    if (p == real_pid) return true;
  return false;
}

// Announces a task (TaskNew) under a new replay pid.
int Replayer::announce(int real_pid, int prio, bool workload) {
  const int id = static_cast<int>(workload_.size());
  dense_[real_pid] = id;
  workload_.push_back(workload);
  foreign_.push_back(!workload && real_pid != rtapp_pid_);
  workload_tasks_ += workload;
  auto c = comm_.find(real_pid);
  const std::string comm = c != comm_.end() ? c->second : "<...>";
  TraceEvent e;
  e.time = now_;
  e.type = TraceType::TaskNew;
  e.pid = e.pid2 = id;
  e.comm = comm.c_str();
  e.prio = prio;
  e.arg = prio < 100 ? 1 : 0;  // SCHED_FIFO for RT priorities (RR looks the same), else NORMAL
  e.arg2 = workload ? 0 : 1;   // everything but the workload counts as a kernel thread
  emit(e);
  return id;
}

// The replay pid of `real_pid` (0 for the idle task), announced on first use.
int Replayer::task(int real_pid, int prio) {
  if (real_pid == 0) return 0;
  auto it = dense_.find(real_pid);
  return it != dense_.end() ? it->second : announce(real_pid, prio, false);
}

// Time 0: the task current on each CPU starts running there.
void Replayer::start() {
  for (int cpu = 0; cpu < static_cast<int>(cpu_curr_.size()); ++cpu) {
    if (cpu_curr_[cpu] == 0) continue;
    TraceEvent e;
    e.time = 0;
    e.type = TraceType::SchedSwitch;
    e.cpu = cpu;
    e.pid2 = task(cpu_curr_[cpu], 120);
    e.prio2 = 120;
    emit(e);
  }
}

void Replayer::on_switch(const FtraceRecord& r, TraceEvent& e) {
  const std::string_view f = r.fields;
  const std::string_view state = ftrace_field(f, "prev_state").value_or("S");
  e.type = TraceType::SchedSwitch;
  e.prio = static_cast<int32_t>(ftrace_int(f, "prev_prio").value_or(120));
  e.prio2 = static_cast<int32_t>(ftrace_int(f, "next_prio").value_or(120));
  const int next = static_cast<int>(ftrace_int(f, "next_pid").value_or(0));
  vacate(next, r.cpu);
  e.pid = task(static_cast<int>(ftrace_int(f, "prev_pid").value_or(0)), e.prio);
  e.pid2 = task(next, e.prio2);
  // "R" and "R+" (preempted) are involuntary; "X"/"Z" an exit; any other state a block.
  const SwitchState s = state.front() == 'R'                       ? SwitchState::Running
                        : state.front() == 'X' || state.front() == 'Z' ? SwitchState::Dead
                                                                       : SwitchState::Sleeping;
  e.arg = static_cast<int32_t>(s);
  emit(e);
}

// sched_waking / sched_wakeup / sched_wakeup_new / sched_migrate_task / sched_process_exit.
void Replayer::on_task_event(const FtraceRecord& r, TraceEvent& e) {
  const std::string_view f = r.fields;
  const int real = static_cast<int>(ftrace_int(f, "pid").value_or(0));
  if (real == 0) return;
  e.prio = static_cast<int32_t>(ftrace_int(f, "prio").value_or(120));
  e.pid = task(real, e.prio);
  if (r.event == "sched_migrate_task") {
    e.type = TraceType::SchedMigrateTask;
    e.arg = static_cast<int32_t>(ftrace_int(f, "dest_cpu").value_or(0));
    e.arg2 = static_cast<int32_t>(ftrace_int(f, "orig_cpu").value_or(0));
  } else if (r.event == "sched_process_exit") {
    e.type = TraceType::SchedProcessExit;
  } else {
    e.type = r.event == "sched_waking"   ? TraceType::SchedWaking
             : r.event == "sched_wakeup" ? TraceType::SchedWakeup
                                         : TraceType::SchedWakeupNew;
    e.arg = static_cast<int32_t>(ftrace_int(f, "target_cpu").value_or(r.cpu));
    if (!wake(real, e)) return;
  }
  emit(e);
}

// Wake-ups of a task still current somewhere. Its waking may precede its own switch out (the
// waker then waits for it to leave the CPU): held back, and replayed just before the wakeup
// that follows. A wakeup while it is still current found it runnable (it never slept): neither
// starts a wait. Returns whether to emit `e`.
bool Replayer::wake(int real, const TraceEvent& e) {
  if (e.type == TraceType::SchedWakeupNew) return true;
  if (e.type == TraceType::SchedWaking) {
    if (!running(real)) return true;
    held_waking_[real] = e.time;
    return false;
  }
  auto held = held_waking_.find(real);
  if (running(real)) {
    if (held != held_waking_.end()) held_waking_.erase(held);
    return false;
  }
  if (held != held_waking_.end()) {
    TraceEvent waking = e;
    waking.type = TraceType::SchedWaking;
    waking.time = held->second;
    emit(waking);
    held_waking_.erase(held);
  }
  return true;
}

// A thread rt-app forks is a workload task; any other fork starts a fresh task (pids are reused).
void Replayer::on_fork(const FtraceRecord& r) {
  const int parent = static_cast<int>(ftrace_int(r.fields, "pid").value_or(-1));
  const int child = static_cast<int>(ftrace_int(r.fields, "child_pid").value_or(0));
  if (child <= 0) return;
  if (parent == rtapp_pid_) announce(child, 120, true);
  else dense_.erase(child);
}

void Replayer::replay(const FtraceRecord& r) {
  TraceEvent e;
  e.time = now_ = r.time - t0_;
  e.cpu = r.cpu;
  if (r.event == "sched_switch") on_switch(r, e);
  else if (r.event == "sched_process_fork") on_fork(r);
  else if (r.event.rfind("sched_wak", 0) == 0 || r.event == "sched_migrate_task" || r.event == "sched_process_exit")
    on_task_event(r, e);
}

Result<RealRun> Replayer::run(Ns duration) {
  if (trace_.records.empty()) return Status::Error("trace", "no events were recorded");
  SCX_RETURN_IF_ERROR(find_window(duration));
  learn_comms();
  collector_ = std::make_unique<MetricsCollector>(topo_);
  for (const FtraceRecord& r : trace_.records) {
    if (r.cpu >= topo_.nr_cpus())
      return Status::Errorf("trace", "CPU {} is not in the topology ({} CPUs)", r.cpu, topo_.nr_cpus());
    if (r.time > end_) break;
    if (r.time >= t0_ && !started_) {
      start();
      started_ = true;
    }
    track_current(r, false);
    if (started_) replay(r);
    track_current(r, true);
  }
  collector_->on_finish(end_ - t0_);
  RealRun out;
  out.duration = end_ - t0_;
  out.workload_tasks = workload_tasks_;
  out.missed_switches = missed_switches_;
  Ns foreign = 0, top = 0;
  for (const TaskMetrics& t : collector_->tasks()) {
    if (!foreign_[t.pid]) continue;
    foreign += t.cpu_time;
    if (t.cpu_time > top) top = t.cpu_time, out.top_foreign = t.comm;
  }
  auto pct = [&](Ns ns) { return out.duration ? 100.0 * static_cast<double>(ns) / static_cast<double>(out.duration) : 0.0; };
  out.foreign_cpu_pct = pct(foreign);
  out.top_foreign_cpu_pct = pct(top);
  out.metrics = std::move(collector_);
  return out;
}

}  // namespace

Result<RealRun> replay_host_trace(const FtraceText& trace, int rtapp_pid, Ns duration, const Topology& topo) {
  return Replayer(trace, rtapp_pid, topo).run(duration);
}

}  // namespace scx
