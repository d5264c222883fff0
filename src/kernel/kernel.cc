#include "kernel/kernel.h"

#include <algorithm>
#include <fmt/format.h>

#include "base/check.h"
#include "kernel/core_classes.h"
#include "kernel/rt/rt_class.h"

namespace scx {
namespace {

std::string kernel_context(const void* arg) {
  return static_cast<const Kernel*>(arg)->context_string();
}

}  // namespace

Kernel::Kernel(const Topology& topo, KernelConfig config)
    : topo_(topo), config_(std::move(config)), rng_(config_.seed) {
  const int n = topo_.nr_cpus();
  cgroups_ = std::make_unique<CgroupTree>(topo_.all_cpus());
  classes_[0] = std::make_unique<StopClass>();
  classes_[1] = std::make_unique<RtClass>(*this);
  classes_[4] = std::make_unique<IdleClass>();
  rqs_.resize(n);
  stopper_work_.resize(n);
  distribute_prev_.assign(static_cast<size_t>(n), 0);
  first_user_pid_ = next_pid_ = 1000 * ((n + 1 + 999) / 1000);
  for (int cpu = 0; cpu < n; ++cpu) {
    Rq& rq = rqs_[cpu];
    rq.cpu = cpu;
    rq.capacity = topo_.cpu(cpu).capacity;
    rq.idle = create_kthread(fmt::format("swapper/{}", cpu), 0, cpu, kDefaultPrio);
    rq.idle->sched_class = &idle_class();
    rq.idle->state = TaskState::Running;
    rq.idle->on_cpu = true;
    rq.curr = rq.idle;
    refresh_idle_rq(rq);
    rq.stop = create_kthread(fmt::format("migration/{}", cpu), cpu + 1, cpu, 0, Policy::Fifo, 99);
    rq.stop->sched_class = &stop_class();
    rq.stop->state = TaskState::Blocked;
  }
  set_check_context(&kernel_context, this);
}

Kernel::~Kernel() {
  // The classes go first (last to first, as the array would), while the callbacks and events
  // they own handles to still exist: a class may cancel its timers (fair bandwidth control).
  for (auto it = classes_.rbegin(); it != classes_.rend(); ++it) it->reset();
  set_check_context(nullptr, nullptr);
}

void Kernel::set_fair_class(std::unique_ptr<SchedClass> fair) { classes_[2] = std::move(fair); }
void Kernel::set_ext_class(std::unique_ptr<SchedClass> ext) { classes_[3] = std::move(ext); }

Task* Kernel::create_kthread(const std::string& comm, int pid, int cpu, int prio, Policy policy, int rt_priority) {
  auto t = std::make_unique<Task>();
  t->pid = t->tgid = pid;
  t->comm = comm;
  t->kthread = true;
  t->prio = prio;
  t->policy = policy;
  t->rt_priority = rt_priority;
  t->cpu = cpu;
  t->cpus_allowed = t->task_affinity = CpuMask::single(cpu);
  t->nr_cpus_allowed = 1;
  t->cgroup = &cgroups_->root();
  t->sync_kernel_view();
  kthreads_.push_back(std::move(t));
  return kthreads_.back().get();
}

std::string Kernel::context_string() const {
  const Task* curr = rqs_.empty() ? nullptr : rqs_[this_cpu_].curr;
  return fmt::format("t={} cpu={} curr={}:{}", format_seconds(events_.now()), this_cpu_,
                     curr ? curr->comm : "-", curr ? curr->pid : -1);
}

Task* Kernel::find_task(int pid) {
  int idx = pid - first_user_pid_;
  if (idx < 0 || idx >= static_cast<int>(pid_table_.size())) return nullptr;
  return pid_table_[idx];
}

SchedClass* Kernel::class_for_policy(Policy p) const {
  if (is_rt_policy(p)) return classes_[1].get();
  // sched_ext decides which of the remaining policies it takes (switch_all, partial, state);
  // SCHED_EXT without a loaded scheduler runs in fair.
  if (classes_[3] && classes_[3]->takes_policy(p)) return classes_[3].get();
  return classes_[2].get();
}

void Kernel::set_policy_fields(Task& p, Policy policy, int prio_value) {
  p.policy = policy;
  if (is_rt_policy(policy)) {
    p.rt_priority = prio_value;
    p.prio = rt_priority_to_prio(prio_value);
  } else {
    p.rt_priority = 0;
    p.nice = prio_value;
    p.prio = nice_to_prio(prio_value);
  }
  p.sched_class = class_for_policy(policy);
  p.sync_kernel_view();
}

TraceEvent Kernel::task_event(TraceType type, int cpu, const Task& p) const {
  TraceEvent e;
  e.time = now();
  e.type = type;
  e.cpu = cpu;
  e.pid = p.pid;
  e.prio = p.prio;
  return e;
}

// ---- Tracepoints (tracepoints.h) ----

uint64_t Kernel::task_ptr(const Task& p) { return reinterpret_cast<uint64_t>(&p.kt()); }

// copy_process() ends with task_newtask, then kernel_clone() fires sched_process_fork, both
// after scx_fork() (ops.init_task). The workload's own tasks have no parent task here.
void Kernel::trace_fork(Task& child) {
  Task* parent = child.parent_pid ? find_task(child.parent_pid) : nullptr;
  if (!parent) return;
  const bool thread = child.tgid == parent->tgid;
  tracepoint(Tracepoint::TaskNewtask, *parent, child, thread ? kCloneThreadFlags : kCloneForkFlags);
  tracepoint(Tracepoint::SchedProcessFork, *parent, *parent, child);
}

// __schedule() fires sched_switch with rq->curr already next but `current` still prev.
// preempt: prev stays runnable (a sched_yield counts as one here).
void Kernel::trace_switch(Task& prev, Task& next, SwitchState state) {
  const uint64_t prev_state = state == SwitchState::Dead       ? kTaskDead
                              : state == SwitchState::Sleeping ? kTaskInterruptible
                                                               : kTaskRunning;
  const uint64_t preempt = state == SwitchState::Running ? 1 : 0;
  tracepoint(Tracepoint::SchedSwitch, prev, preempt, prev, next, prev_state);
}

// sched_process_exit's group_dead: no other live task shares p's thread group.
bool Kernel::last_of_thread_group(const Task& p) const {
  for (const auto& t : tasks_)
    if (t.get() != &p && t->tgid == p.tgid && t->state != TaskState::Dead) return false;
  return true;
}

void Kernel::trace_task_new(const Task& p, int cpu) {
  TraceEvent e;
  e.time = now();
  e.type = TraceType::TaskNew;
  e.cpu = cpu;
  e.pid = p.pid;
  e.pid2 = p.tgid;
  e.prio = p.prio;
  e.arg = static_cast<int32_t>(p.policy);
  e.arg2 = p.kthread || p.background ? 1 : 0;  // reports keep both apart from the workload
  e.comm = p.comm.c_str();
  const std::string cpus = p.cpus_allowed.to_list();  // for reports (idle-while-waiting)
  e.cpus = cpus.c_str();
  if (p.spec_index >= 0) e.group = workload_->tasks[p.spec_index].group.c_str();
  trace_.emit(e);
  if (p.cgroup && !p.cgroup->is_root()) trace_cgroup_attach(p, 0);
}

// ---------------------------------------------------------------------------------------------
// Loading a workload.

Status Kernel::load(std::shared_ptr<const Workload> workload) {
  workload_ = std::move(workload);
  const Workload& w = *workload_;
  auto bad = [&](const std::string& where, const std::string& why) {
    return Status::Error(w.name.empty() ? where : w.name + ": " + where, why);
  };
  // Validate every object reference once, so the interpreter can trust them.
  for (size_t pi = 0; pi < w.programs.size(); ++pi) {
    const auto& ops = w.programs[pi].ops;
    for (size_t i = 0; i < ops.size(); ++i) {
      const Op& op = ops[i];
      auto where = fmt::format("program {} op {} ({})", pi, i, op_name(op.kind));
      auto need = [&](size_t n, const char* what) -> Status {
        if (op.obj >= n) return bad(where, fmt::format("refers to unknown {} {}", what, op.obj));
        return {};
      };
      switch (op.kind) {
        case OpKind::Lock: case OpKind::Unlock: SCX_RETURN_IF_ERROR(need(w.mutexes.size(), "mutex")); break;
        case OpKind::CondWait: case OpKind::CondSync:
          if (op.b != static_cast<int64_t>(kNoObject) &&
              (op.b < 0 || static_cast<size_t>(op.b) >= w.mutexes.size()))
            return bad(where, fmt::format("refers to unknown mutex {}", op.b));
          [[fallthrough]];
        case OpKind::CondSignal: case OpKind::CondBroadcast:
          SCX_RETURN_IF_ERROR(need(w.condvars.size(), "condition variable")); break;
        case OpKind::Barrier: SCX_RETURN_IF_ERROR(need(w.barriers.size(), "barrier")); break;
        case OpKind::SemPost: case OpKind::SemWait: SCX_RETURN_IF_ERROR(need(w.semaphores.size(), "semaphore")); break;
        case OpKind::PipeSend: case OpKind::PipeRecv:
          SCX_RETURN_IF_ERROR(need(w.pipes.size(), "pipe"));
          if (op.a <= 0 || op.a > w.pipes[op.obj].capacity_bytes)
            return bad(where, fmt::format("message of {} bytes does not fit pipe '{}' ({} bytes)", op.a,
                                          w.pipes[op.obj].name, w.pipes[op.obj].capacity_bytes));
          break;
        case OpKind::TimerWait:
          SCX_RETURN_IF_ERROR(need(w.timers.size(), "timer"));
          if (op.a <= 0) return bad(where, "timer period must be positive");
          break;
        case OpKind::SetAffinity: SCX_RETURN_IF_ERROR(need(w.masks.size(), "cpu mask")); break;
        case OpKind::Fork: SCX_RETURN_IF_ERROR(need(w.tasks.size(), "task template")); break;
        case OpKind::Mark: SCX_RETURN_IF_ERROR(need(w.counters.size(), "counter")); break;
        case OpKind::Host: SCX_RETURN_IF_ERROR(need(host_fns_.size(), "host function")); break;
        case OpKind::LoopBegin:
          if (op.b <= static_cast<int64_t>(i) || static_cast<size_t>(op.b) >= ops.size() ||
              ops[op.b].kind != OpKind::LoopEnd || ops[op.b].b != static_cast<int64_t>(i))
            return bad(where, "loop begin without a matching loop end");
          break;
        case OpKind::LoopEnd:
          if (op.b < 0 || op.b >= static_cast<int64_t>(i) || ops[op.b].kind != OpKind::LoopBegin)
            return bad(where, "loop end without a matching loop begin");
          break;
        case OpKind::SetSched: {
          auto pol = static_cast<Policy>(op.a);
          if (pol == Policy::Deadline) return bad(where, "SCHED_DEADLINE is not supported");
          if (is_rt_policy(pol) && (op.b < 1 || op.b > 99))
            return bad(where, fmt::format("rt priority {} is outside 1..99", op.b));
          if (is_fair_policy(pol) && (op.b < -20 || op.b > 19))
            return bad(where, fmt::format("nice {} is outside -20..19", op.b));
          break;
        }
        default: break;
      }
    }
  }
  for (size_t ti = 0; ti < w.tasks.size(); ++ti) {
    const TaskSpec& s = w.tasks[ti];
    auto where = fmt::format("task '{}'", s.name);
    if (s.program >= w.programs.size()) return bad(where, "refers to a missing program");
    if (s.instances < 0) return bad(where, "negative instance count");
    if (s.policy == Policy::Deadline) return bad(where, "SCHED_DEADLINE is not supported");
    if (is_rt_policy(s.policy) && (s.rt_priority < 1 || s.rt_priority > 99))
      return bad(where, fmt::format("rt priority {} is outside 1..99", s.rt_priority));
    if (is_fair_policy(s.policy) && (s.nice < -20 || s.nice > 19))
      return bad(where, fmt::format("nice {} is outside -20..19", s.nice));
    if (!s.affinity.empty() && !s.affinity.subset_of(topo_.all_cpus()))
      return bad(where, fmt::format("cpus {} include CPUs this {}-CPU machine does not have",
                                    s.affinity.to_list(), topo_.nr_cpus()));
    if (!class_for_policy(s.policy)) return bad(where, "no scheduling class for its policy");
  }
  for (size_t i = 0; i < w.masks.size(); ++i)
    if (!w.masks[i].empty() && !(w.masks[i] & topo_.all_cpus()).weight())
      return bad(fmt::format("cpu mask {}", w.masks[i].to_list()), "has no CPU of this machine");
  if (Status st = load_cgroups(w); !st.ok()) return w.name.empty() ? st : st.within(w.name);
  mutexes_.assign(w.mutexes.size(), {});
  condvars_.assign(w.condvars.size(), {});
  barriers_.assign(w.barriers.size(), {});
  for (size_t i = 0; i < w.barriers.size(); ++i) barriers_[i].participants = w.barriers[i].participants;
  sems_.assign(w.semaphores.size(), {});
  pipes_.assign(w.pipes.size(), {});
  for (size_t i = 0; i < w.pipes.size(); ++i) {
    pipes_[i].capacity = w.pipes[i].capacity_bytes;
    pipes_[i].wake_all_writers_at = w.pipes[i].wake_all_writers_at;
  }
  timers_.assign(w.timers.size(), {});

  for (int cpu = 0; cpu < nr_cpus(); ++cpu) {
    trace_task_new(*rqs_[cpu].idle, cpu);
    trace_task_new(*rqs_[cpu].stop, cpu);
  }
  // Tasks are forked at t=0 by a launcher on CPU 0, in file order.
  this_cpu_ = 0;
  for (size_t ti = 0; ti < w.tasks.size(); ++ti) {
    const TaskSpec& s = w.tasks[ti];
    for (int i = 0; i < s.instances; ++i) {
      Task& p = create_task(s, s.instances > 1 ? i : -1, 0);
      p.spec_index = static_cast<int>(ti);
      if (config_.noise.timer_phase_ns)
        p.timeline_start += static_cast<Ns>(p.noise_rng.below(config_.noise.timer_phase_ns + 1));
      trace_task_new(p, 0);
      wake_up_new_task(p, 0);
    }
  }
  start_noise();
  return error_;
}

Task& Kernel::create_task(const TaskSpec& spec, int instance, int parent_pid, const Program* program) {
  auto t = std::make_unique<Task>();
  Task& p = *t;
  p.pid = p.tgid = next_pid_++;
  p.parent_pid = parent_pid;
  p.comm = instance >= 0 ? fmt::format("{}-{}", spec.name, instance) : spec.name;
  if (p.comm.size() > 15) p.comm.resize(15);  // TASK_COMM_LEN - 1, as Linux truncates
  set_policy_fields(p, spec.policy, is_rt_policy(spec.policy) ? spec.rt_priority : spec.nice);
  p.custom_slice = spec.custom_slice;
  p.task_affinity = spec.affinity.empty() ? topo_.all_cpus() : (spec.affinity & topo_.all_cpus());
  Task* creator = parent_pid > 0 ? find_task(parent_pid) : nullptr;
  attach_new_task(p, !spec.cgroup.empty() ? *cgroups_->find(spec.cgroup)
                     : creator && creator->cgroup ? *creator->cgroup : cgroups_->root());
  p.cpus_allowed = cpuset_confined(p, p.task_affinity);
  p.nr_cpus_allowed = p.cpus_allowed.weight();
  p.program = program ? program : &workload_->programs[spec.program];
  p.start_at = p.timeline_start = now() + spec.start_delay;
  p.cpu = p.cpus_allowed.test(this_cpu_) ? this_cpu_ : p.cpus_allowed.first();
  if (config_.noise.any()) p.noise_rng = Rng(config_.seed).fork(0x6e6f697365ULL + static_cast<uint64_t>(p.pid));
  // Linux never leaves these NULL: a new process leads its own thread group (a new thread
  // takes its group's leader below); its parent is the forking task (itself without one).
  Task* parent = parent_pid > 0 ? find_task(parent_pid) : nullptr;
  p.real_parent = parent ? parent : &p;
  p.group_leader = &p;
  p.sync_kernel_view();
  tasks_.push_back(std::move(t));
  pid_table_.push_back(&p);
  ++live_user_tasks_;
  return p;
}

uint32_t Kernel::add_host_function(HostFn fn) {
  host_fns_.push_back(std::move(fn));
  return static_cast<uint32_t>(host_fns_.size() - 1);
}

Task& Kernel::spawn_daemon(const TaskSpec& spec, Program program, const Task* thread_of, bool kthread,
                           bool background) {
  daemon_programs_.push_back(std::make_unique<Program>(std::move(program)));
  Task& p = create_task(spec, -1, thread_of ? thread_of->pid : 0, daemon_programs_.back().get());
  p.daemon = true;
  p.kthread = kthread;
  p.background = background;
  p.sync_kernel_view();
  if (thread_of) p.join_thread_group(*thread_of);
  --live_user_tasks_;  // not part of the workload
  trace_task_new(p, this_cpu_);
  wake_up_new_task(p, this_cpu_);
  return p;
}

// ---------------------------------------------------------------------------------------------
// Event loop.

Status Kernel::advance_to(Ns end) {
  while (error_.ok()) {
    Ns t = events_.peek_time();
    if (t == kNever || t > end) break;
    handle(events_.pop());
  }
  return error_;
}

Status Kernel::advance_while_alive(Ns end) {
  while (error_.ok() && live_user_tasks_ > 0) {
    Ns t = events_.peek_time();
    if (t == kNever || t > end) break;
    handle(events_.pop());
  }
  return error_;
}

Status Kernel::run_until(Ns end) {
  SCX_RETURN_IF_ERROR(advance_to(end));
  // Close the books at `end`: charge running tasks so accounting is exact.
  for (Rq& rq : rqs_) {
    if (rq.curr && !rq.curr->is_idle_task()) {
      this_cpu_ = rq.cpu;
      if (rq.curr->sched_class) rq.curr->sched_class->update_curr(rq);
    }
  }
  stats_.events = events_.events_processed();
  trace_.finish(std::max(end, now()));
  return {};
}

Status Kernel::run_until_idle(Ns limit) {
  while (error_.ok() && live_user_tasks_ > 0) {
    Ns t = events_.peek_time();
    if (t == kNever) break;
    if (t > limit)
      return Status::Errorf("", "{} task(s) still alive at the time limit {}", live_user_tasks_,
                            format_duration(limit));
    handle(events_.pop());
  }
  if (!error_.ok()) return error_;
  if (live_user_tasks_ > 0 && any_held_) {
    std::string cpus;
    for (const Rq& rq : rqs_)
      if (rq.held) cpus += (cpus.empty() ? "" : ",") + std::to_string(rq.cpu);
    return Status::Errorf("", "deadlock: CPU(s) {} busy-wait forever (SCX_KICK_WAIT)", cpus);
  }
  if (live_user_tasks_ > 0) {
    std::string who;
    for (const auto& t : tasks_)
      if (t->state != TaskState::Dead) who += (who.empty() ? "" : ", ") + t->comm;
    return Status::Errorf("", "deadlock: every remaining task is blocked forever ({})", who);
  }
  stats_.events = events_.events_processed();
  trace_.finish(now());
  return {};
}

int Kernel::event_cpu(const Event& e) {
  if (e.kind == kTimerWake) {
    Task* p = find_task(e.target);
    return p ? p->cpu : -1;
  }
  return e.target;
}

void Kernel::watch_livelock(const Event& e) {
  if (e.time != same_time_) {
    same_time_ = e.time;
    same_time_events_ = 0;
  }
  if (++same_time_events_ <= config_.livelock_events) return;
  same_time_events_ = 0;
  const std::string why = fmt::format("simulated time stopped advancing at {}: {} events at the same nanosecond",
                                      format_duration(e.time), config_.livelock_events);
  for (auto& c : classes_)
    if (c && c->stop_livelock(why)) return;
  if (error_.ok()) error_ = Status::Error("", why);
}

void Kernel::handle(const Event& e) {
  watch_livelock(e);
  if (any_held_) {
    const int cpu = event_cpu(e);
    if (cpu >= 0 && rqs_[cpu].held) {
      if (e.kind == kCallback) callbacks_[e.arg].deferred = true;
      rqs_[cpu].deferred.push_back(e);
      return;
    }
  }
  switch (e.kind) {
    case kOpDone: {
      Rq& rq = rqs_[e.target];
      this_cpu_ = rq.cpu;
      rq.op_event_armed = false;
      Task& p = *rq.curr;
      stop_running(rq, p);
      if (&p == rq.stop) {
        run_stopper(rq, p);
        break;
      }
      const Op& op = p.program->ops[p.pc];
      const bool done = p.penalty_left == 0 && (op.kind == OpKind::Runtime
                                                    ? now() >= p.runtime_deadline
                                                    : p.work_left == 0);
      if (done) {
        ++p.pc;
        p.op_started = false;
      }
      rq.exec_begin = now();
      continue_task(rq, p);
      break;
    }
    case kTick: {
      Rq& rq = rqs_[e.target];
      this_cpu_ = rq.cpu;
      rq.tick_armed = false;
      if (rq.curr->is_idle_task()) break;  // NO_HZ idle: the tick stops
      scheduler_tick(rq);
      arm_tick(rq);
      break;
    }
    case kTimerWake: {
      Task* p = find_task(e.target);
      if (!p || p->timer_gen != e.arg || p->state != TaskState::Blocked) break;
      this_cpu_ = p->cpu;  // hrtimers fire on the CPU that armed them
      try_to_wake_up(*p, 0);
      break;
    }
    case kWakeArrive: {
      Rq& rq = rqs_[e.target];
      this_cpu_ = rq.cpu;
      Task* p = find_task(static_cast<int>(e.arg & 0xffffffff));
      SCX_CHECK(p && p->state == TaskState::Waking);
      --rq.ttwu_pending;
      refresh_idle_rq(rq);
      ttwu_do_activate(rq, *p, static_cast<int>(e.arg >> 32));
      break;
    }
    case kCallback: {
      this_cpu_ = e.target;
      if (e.target == kUnboundCpu) {
        this_cpu_ = 0;
        while (this_cpu_ + 1 < nr_cpus() && rqs_[this_cpu_].held) ++this_cpu_;
      }
      CallbackSlot& slot = callbacks_[e.arg];
      slot.deferred = false;
      if (!slot.fn) {  // cancelled while deferred
        free_callback_slots_.push_back(e.arg);
        break;
      }
      auto fn = std::move(slot.fn);
      slot.fn = nullptr;
      free_callback_slots_.push_back(e.arg);
      fn();
      break;
    }
    case kResched: {
      Rq& rq = rqs_[e.target];
      this_cpu_ = rq.cpu;
      if (rq.need_resched) schedule(rq);
      break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Core scheduler operations.

void Kernel::resched_curr(Rq& rq) {
  if (rq.need_resched) return;
  rq.need_resched = true;
  // The target reaches __schedule() after the rest of the wake-up or tick path and the irq
  // exit (wakeup_local, varying by the noise's wakeup_jitter); another CPU first has to take
  // the resched IPI.
  Ns delay = config_.cost.wakeup_local_ns + noisy_resched(rq.cpu) + (rq.cpu == this_cpu_ ? 0 : config_.cost.wakeup_ipi_ns);
  if (rq.cpu != this_cpu_) charge_ipi_send();
  events_.push(now() + delay, kResched, rq.cpu, 0);
}

void Kernel::charge_ipi_send() {
  // The task whose operation (write(), sem_post, ...) sends the IPI pays for it on its CPU.
  Task* waker = op_task_;
  if (waker && waker == rqs_[this_cpu_].curr && config_.cost.ipi_send_ns)
    waker->penalty_left += config_.cost.ipi_send_ns;
}

void Kernel::activate_task(Rq& rq, Task& p, int flags) {
  SCX_CHECK(!p.on_rq);
  if (p.migrating) flags |= ENQUEUE_MIGRATED;
  SCX_CHECK_MSG(p.cpu == rq.cpu, fmt::format("{} enqueued on cpu {} but task_cpu is {}", p.comm, rq.cpu, p.cpu));
  p.sched_class->enqueue_task(rq, p, flags);
  p.on_rq = true;
  ++rq.nr_running;
  refresh_idle_rq(rq);
}

bool Kernel::deactivate_task(Rq& rq, Task& p, int flags) {
  SCX_CHECK(p.on_rq);
  if (!p.sched_class->dequeue_task(rq, p, flags)) return false;
  p.on_rq = false;
  --rq.nr_running;
  refresh_idle_rq(rq);
  return true;
}

void Kernel::finish_delayed_dequeue(Rq& rq, Task& p) {
  SCX_CHECK(p.on_rq);
  p.on_rq = false;
  --rq.nr_running;
  refresh_idle_rq(rq);
}

void Kernel::refresh_idle_rq(const Rq& rq) {
  if (rq.nr_running == 0 && rq.ttwu_pending == 0 && rq.curr == rq.idle) idle_rqs_.set(rq.cpu);
  else idle_rqs_.clear(rq.cpu);
}

Ns migration_penalty(const Topology& topo, const CostModel& cost, int from, int to) {
  if (from == to) return 0;
  if (topo.share_core(from, to)) return cost.migration_smt_ns;
  if (topo.share_llc(from, to)) return cost.migration_llc_ns;
  if (topo.share_node(from, to)) return cost.migration_cross_llc_ns;
  return cost.migration_cross_node_ns;
}

void Kernel::set_task_cpu(Task& p, int new_cpu) {
  if (p.cpu == new_cpu) return;
  SCX_CHECK_MSG(p.cpus_allowed.test(new_cpu),
                fmt::format("{} moved to cpu {} outside its affinity {}", p.comm, new_cpu,
                            p.cpus_allowed.to_list()));
  TraceEvent e = task_event(TraceType::SchedMigrateTask, this_cpu_, p);
  e.arg = new_cpu;
  e.arg2 = p.cpu;
  trace_.emit(e);
  tracepoint(Tracepoint::SchedMigrateTask, current(), p, static_cast<uint64_t>(new_cpu));
  p.sched_class->migrate_task_rq(p, new_cpu);
  p.penalty_left += migration_penalty(topo_, config_.cost, p.cpu, new_cpu);
  p.cpu = new_cpu;
  ++stats_.migrations;
}

void Kernel::move_task_locked(Task& p, int dest_cpu, int enqueue_flags) {
  SCX_CHECK(p.on_rq && !p.on_cpu);
  Rq& src = rqs_[p.cpu];
  p.migrating = true;
  deactivate_task(src, p, DEQUEUE_NOCLOCK);
  set_task_cpu(p, dest_cpu);
  activate_task(rqs_[dest_cpu], p, enqueue_flags);
  p.migrating = false;
}

void Kernel::move_queued_task(Task& p, int dest_cpu) {
  move_task_locked(p, dest_cpu, 0);  // activate_task(rq, p, 0) in the kernel's move_queued_task
  wakeup_preempt(rqs_[dest_cpu], p, 0);
}

void Kernel::update_curr_common(Rq& rq) {
  Task& curr = *rq.curr;
  if (now() > curr.exec_start) {
    curr.add_exec_runtime(now() - curr.exec_start);
    curr.exec_start = now();
  }
}

void Kernel::wakeup_preempt(Rq& rq, Task& p, int wake_flags) {
  Task& curr = *rq.curr;
  if (p.sched_class == curr.sched_class)
    curr.sched_class->wakeup_preempt(rq, p, wake_flags);
  else if (p.sched_class->above(*curr.sched_class))
    resched_curr(rq);
}

int Kernel::select_fallback_rq(int cpu, const Task& p) const {
  // Same node first, then anything allowed (the kernel's order, without hotplug states).
  CpuMask node_allowed = p.cpus_allowed & topo_.node_cpus(topo_.cpu(cpu).node);
  if (!node_allowed.empty()) return node_allowed.first();
  return p.cpus_allowed.first();
}

int Kernel::any_and_distribute(const CpuMask& a, const CpuMask& b) {
  CpuMask both = a & b;
  int& prev = distribute_prev_[static_cast<size_t>(this_cpu_)];
  int next = both.next(prev + 1);
  if (next < 0) next = both.first();
  if (next >= 0) prev = next;
  return next;
}

Kernel::CallbackHandle Kernel::schedule_callback(Ns when, int cpu, std::function<void()> fn) {
  uint64_t slot;
  if (!free_callback_slots_.empty()) {
    slot = free_callback_slots_.back();
    free_callback_slots_.pop_back();
  } else {
    slot = callbacks_.size();
    callbacks_.emplace_back();
  }
  callbacks_[slot].fn = std::move(fn);
  callbacks_[slot].event = events_.push(std::max(when, now()), kCallback, cpu, slot);
  return slot;
}

void Kernel::cancel_callback(CallbackHandle h) {
  if (h >= callbacks_.size() || !callbacks_[h].fn) return;
  if (callbacks_[h].deferred) {
    callbacks_[h].fn = nullptr;  // the slot is freed when the deferred event comes back
    return;
  }
  events_.cancel(callbacks_[h].event);
  callbacks_[h].fn = nullptr;
  free_callback_slots_.push_back(h);
}

void Kernel::hold_cpu(int cpu) {
  Rq& rq = rqs_[cpu];
  SCX_CHECK(!rq.held);
  rq.held_op_armed = rq.op_event_armed;
  stop_running(rq, *rq.curr);  // charge the progress so far; no op event while spinning
  rq.held = true;
  any_held_ = true;
}

void Kernel::release_cpu(int cpu) {
  Rq& rq = rqs_[cpu];
  SCX_CHECK(rq.held);
  rq.held = false;
  any_held_ = std::any_of(rqs_.begin(), rqs_.end(), [](const Rq& r) { return r.held; });
  rq.exec_begin = now();
  if (rq.held_op_armed) {
    rq.held_op_armed = false;
    if (rq.curr == rq.stop) {
      rq.op_event = events_.push(now() + config_.cost.stopper_work_ns, kOpDone, rq.cpu, 0);
      rq.op_event_armed = true;
    } else {
      arm_op_event(rq, *rq.curr);
    }
  }
  // The interrupts that waited are taken now, oldest first.
  std::vector<Event> deferred = std::move(rq.deferred);
  rq.deferred.clear();
  for (const Event& e : deferred) {
    EventQueue::Handle h = events_.push(now(), e.kind, e.target, e.arg);
    if (e.kind == kCallback) callbacks_[e.arg].event = h;
  }
}

void Kernel::stop_one_cpu(int cpu, std::function<void()> work) {
  stopper_work_[cpu].push_back(std::move(work));
  Rq& rq = rqs_[cpu];
  Task& stop = *rq.stop;
  if (stop.state == TaskState::Blocked) {
    stop.set_state(TaskState::Waking);
    stop.set_state(TaskState::Runnable);
    activate_task(rq, stop, ENQUEUE_WAKEUP);
    wakeup_preempt(rq, stop, 0);
  }
}

void Kernel::wake_up_new_task(Task& p, int parent_cpu) {
  p.sched_class->task_fork(p);  // sched_fork()
  for (auto& cls : classes_)
    if (cls) cls->task_new(p);  // e.g. scx_fork(): ops.init_task for every task
  trace_fork(p);
  p.set_state(TaskState::Runnable);
  int cpu = p.nr_cpus_allowed > 1 ? p.sched_class->select_task_rq(p, parent_cpu, WF_FORK)
                                  : p.cpus_allowed.first();
  if (!p.cpus_allowed.test(cpu)) cpu = select_fallback_rq(cpu, p);
  p.cpu = cpu;  // a new task is not "migrated": no trace event, no cache penalty
  Rq& rq = rqs_[cpu];
  activate_task(rq, p, ENQUEUE_NOCLOCK | ENQUEUE_INITIAL);
  TraceEvent e = task_event(TraceType::SchedWakeupNew, this_cpu_, p);
  e.arg = cpu;
  trace_.emit(e);
  tracepoint(Tracepoint::SchedWakeupNew, current(), p);
  wakeup_preempt(rq, p, WF_FORK);
  p.sched_class->task_woken(rq, p);
}

bool Kernel::try_to_wake_up(Task& p, int wake_flags) {
  if (p.state != TaskState::Blocked) return false;
  ++stats_.wakeups;
  TraceEvent e = task_event(TraceType::SchedWaking, this_cpu_, p);
  e.arg = p.cpu;
  trace_.emit(e);
  tracepoint(Tracepoint::SchedWaking, current(), p);
  p.set_state(TaskState::Waking);
  wake_flags |= WF_TTWU;
  if (p.on_rq) {
    // ttwu_runnable(): still queued (delayed dequeue) — requeue on its CPU, no selection.
    Rq& rq = rqs_[p.cpu];
    p.sched_class->enqueue_task(rq, p, ENQUEUE_WAKEUP | ENQUEUE_DELAYED | ENQUEUE_NOCLOCK);
    p.set_state(TaskState::Runnable);
    TraceEvent w = e;
    w.type = TraceType::SchedWakeup;
    w.arg = p.cpu;
    trace_.emit(w);
    tracepoint(Tracepoint::SchedWakeup, current(), p);
    if (!p.on_cpu) wakeup_preempt(rq, p, wake_flags);
    return true;
  }
  int cpu = p.nr_cpus_allowed > 1 ? p.sched_class->select_task_rq(p, p.cpu, wake_flags)
                                  : p.cpus_allowed.first();
  if (!p.cpus_allowed.test(cpu)) cpu = select_fallback_rq(cpu, p);
  if (cpu != p.cpu) {
    wake_flags |= WF_MIGRATED;
    set_task_cpu(p, cpu);
  }
  // ttwu_queue_cond(): a wakeup for another LLC, or for an idle CPU, goes through the target's
  // wake list and an IPI; otherwise the waker enqueues directly.
  Rq& rq = rqs_[cpu];
  bool queue_remote = cpu != this_cpu_ &&
                      (!topo_.share_llc(cpu, this_cpu_) || rq.nr_running == 0);
  if (queue_remote) {
    ++stats_.remote_wakeups;
    charge_ipi_send();
    ++rq.ttwu_pending;
    refresh_idle_rq(rq);
    Ns latency = config_.cost.wakeup_ipi_ns + (rq.curr->is_idle_task() ? config_.cost.idle_exit_ns : 0);
    events_.push(now() + latency, kWakeArrive, cpu,
                 (static_cast<uint64_t>(static_cast<uint32_t>(wake_flags)) << 32) |
                     static_cast<uint32_t>(p.pid));
  } else {
    ttwu_do_activate(rq, p, wake_flags);
  }
  return true;
}

void Kernel::ttwu_do_activate(Rq& rq, Task& p, int wake_flags) {
  int flags = ENQUEUE_WAKEUP | ENQUEUE_NOCLOCK;
  if (wake_flags & WF_MIGRATED) flags |= ENQUEUE_MIGRATED;
  activate_task(rq, p, flags);
  p.set_state(TaskState::Runnable);
  TraceEvent e = task_event(TraceType::SchedWakeup, this_cpu_, p);
  e.arg = rq.cpu;
  trace_.emit(e);
  tracepoint(Tracepoint::SchedWakeup, current(), p);
  wakeup_preempt(rq, p, wake_flags);
  p.sched_class->task_woken(rq, p);
  if (rq.idle_stamp) {
    // The CPU was idle since newidle balance stamped it: fold that into avg_idle (update_avg(),
    // gain 1/8, capped at twice the balance cost).
    int64_t diff = static_cast<int64_t>(now() - rq.idle_stamp) - static_cast<int64_t>(rq.avg_idle);
    rq.avg_idle = static_cast<Ns>(static_cast<int64_t>(rq.avg_idle) + diff / 8);
    rq.avg_idle = std::min(rq.avg_idle, 2 * rq.max_idle_balance_cost);
    rq.idle_stamp = 0;
  }
}

Task* Kernel::pick_next_task(Rq& rq, Task* prev) {
  // put_prev_task_balance(): let classes from prev's down pull work before picking.
  // With sched_ext loaded, balance starts at ext at the latest (prev_balance(): ext needs a
  // balance before every pick, even when waking from idle).
  for (auto& cls : classes_)
    if (cls) cls->pick_start(rq);
  int start = static_cast<int>(prev->sched_class->rank());
  if (classes_[3] && start > static_cast<int>(ClassRank::Ext)) start = static_cast<int>(ClassRank::Ext);
  for (int i = start; i < static_cast<int>(ClassRank::Idle); ++i) {
    if (classes_[i] && classes_[i]->balance(rq, prev)) break;
  }
  Task* next = nullptr;
  for (auto& cls : classes_) {
    if (!cls) continue;
    next = cls->pick_task(rq);
    if (next) break;
  }
  SCX_CHECK(next);
  if (next != prev) {
    prev->sched_class->put_prev_task(rq, *prev, next);
    next->sched_class->set_next_task(rq, *next, true);
  }
  return next;
}

void Kernel::schedule(Rq& rq) {
  SCX_CHECK(rq.cpu == this_cpu_);
  Task* prev = rq.curr;
  stop_running(rq, *prev);
  prev->sched_class->update_curr(rq);
  SwitchState prev_state = SwitchState::Running;
  if (prev->state == TaskState::Blocked || prev->state == TaskState::Dead) {
    prev_state = prev->state == TaskState::Dead ? SwitchState::Dead : SwitchState::Sleeping;
    if (prev->on_rq) deactivate_task(rq, *prev, DEQUEUE_SLEEP | DEQUEUE_NOCLOCK);
  }
  // Cleared before the pick, so that a reschedule requested while picking (e.g. a task put
  // back on this CPU's local DSQ by put_prev) is not lost.
  rq.need_resched = false;
  Task* next = pick_next_task(rq, prev);
  if (next == prev) {
    if (prev->is_idle_task()) {
      for (auto& cls : classes_)
        if (cls) cls->idle_transition(rq, true, false);
    }
    start_running(rq, *prev, false);
    return;
  }
  for (auto& cls : classes_)
    if (cls) cls->switching(rq, *prev, *next);
  ++rq.nr_switches;
  ++stats_.context_switches;
  prev->on_cpu = false;
  if (prev->state == TaskState::Running) prev->set_state(TaskState::Runnable);
  next->on_cpu = true;
  rq.curr = next;
  refresh_idle_rq(rq);
  TraceEvent e;
  e.time = now();
  e.type = TraceType::SchedSwitch;
  e.cpu = rq.cpu;
  e.pid = prev->pid;
  e.prio = prev->prio;
  e.arg = static_cast<int32_t>(prev_state);
  e.pid2 = next->pid;
  e.prio2 = next->prio;
  trace_.emit(e);
  trace_switch(*prev, *next, prev_state);
  if (!next->is_idle_task()) next->set_state(TaskState::Running);
  next->exec_start = now();
  if (prev->state == TaskState::Dead) {
    // The last reference goes (delayed_put_task_struct): sched_process_free, then
    // sched_ext_free() (task_gone) as the task_struct is released.
    tracepoint(Tracepoint::SchedProcessFree, *next, *prev);
    prev->sched_class->task_dead(*prev);
    for (auto& cls : classes_)
      if (cls) cls->task_gone(*prev);
  }
  if (prev->is_idle_task() || next->is_idle_task()) {
    for (auto& cls : classes_)
      if (cls) cls->idle_transition(rq, next->is_idle_task(), true);
  }
  next->sched_class->balance_callback(rq);
  if (next->is_idle_task())
    for (auto& cls : classes_)
      if (cls) cls->rq_idle_enter(rq);
  start_running(rq, *next, true);
  arm_tick(rq);
}

void Kernel::arm_tick(Rq& rq) {
  if (rq.tick_armed || rq.curr->is_idle_task()) return;
  // Ticks of all CPUs fall on the same jiffy grid (no skew_tick).
  const Ns tick = config_.cost.tick_ns();
  rq.tick_armed = true;
  // The first point of the grid (tick_offset_ + k * tick) after now.
  const Ns past_grid = (now() + tick - tick_offset_) % tick;
  events_.push(now() - past_grid + tick, kTick, rq.cpu, 0);
}

void Kernel::scheduler_tick(Rq& rq) {
  Task& curr = *rq.curr;
  TraceEvent e;
  e.time = now();
  e.type = TraceType::Tick;
  e.cpu = rq.cpu;
  e.pid = curr.pid;
  trace_.emit(e);
  curr.account_tick(cost().tick_ns());
  curr.sched_class->update_curr(rq);
  curr.sched_class->task_tick(rq, curr, false);
  // sched_balance_trigger(): every class may have periodic work on a ticking CPU.
  for (auto& cls : classes_)
    if (cls) cls->tick_balance(rq);
}

// ---------------------------------------------------------------------------------------------
// Policy and affinity changes.

void Kernel::change_task(Task& p, const std::function<void()>& change, int queue_flags) {
  Rq& rq = rqs_[p.cpu];
  // A delayed-dequeue (sleeping) fair task is fully dequeued first, as the kernel does before
  // changing its class or parameters.
  if (p.on_rq && p.state == TaskState::Blocked) deactivate_task(rq, p, DEQUEUE_SLEEP | DEQUEUE_DELAYED | DEQUEUE_NOCLOCK);
  const bool queued = p.on_rq, running = p.on_cpu;
  const int old_prio = p.prio;
  SchedClass* old_class = p.sched_class;
  if (queued) deactivate_task(rq, p, queue_flags);
  if (running) p.sched_class->put_prev_task(rq, p, nullptr);
  change();
  if (old_class != p.sched_class) p.sched_class->switching_to(rq, p);
  if (queued) {
    int flags = queue_flags;  // ENQUEUE_RESTORE/MOVE/NOCLOCK share the DEQUEUE_* values
    if (old_prio < p.prio && is_rt_policy(p.policy)) flags |= ENQUEUE_HEAD;  // keep its place when deboosted
    activate_task(rq, p, flags);
  }
  if (running) p.sched_class->set_next_task(rq, p, false);
  if (old_class != p.sched_class) {
    old_class->switched_from(rq, p);
    p.sched_class->switched_to(rq, p);
  } else if (old_prio != p.prio) {
    p.sched_class->prio_changed(rq, p, old_prio);
  }
}

void Kernel::reclassify_task(Task& p) {
  if (p.state == TaskState::Dead || p.sched_class == &stop_class() || p.sched_class == &idle_class()) return;
  SchedClass* want = class_for_policy(p.policy);
  if (want == p.sched_class) return;
  change_task(p, [&] { p.sched_class = want; });
}

Status Kernel::sched_setscheduler(Task& p, Policy policy, int prio_value) {
  if (!class_for_policy(policy)) return fail(p, fmt::format("no scheduling class for {}", policy_name(policy)));
  change_task(p, [&] {
    SchedClass* old_class = p.sched_class;
    set_policy_fields(p, policy, prio_value);
    old_class->reweight_task(rqs_[p.cpu], p);  // __setscheduler_params() → set_load_weight()
  });
  return {};
}

void Kernel::set_cpus_allowed(Task& p, const CpuMask& mask) {
  CpuMask m = mask & topo_.all_cpus();
  // __do_set_cpus_allowed(): the class sees the new mask inside a save/restore of the task.
  change_task(
      p,
      [&] {
        p.cpus_allowed = m;
        p.nr_cpus_allowed = m.weight();
        p.sync_kernel_view();
        p.sched_class->set_cpus_allowed(p, m);
      },
      DEQUEUE_SAVE | DEQUEUE_NOCLOCK);
  if (m.test(p.cpu)) return;
  int dest = any_and_distribute(m, topo_.all_cpus());
  if (p.on_cpu) {
    // affine_move_task(): the stopper preempts the task and migrates it (migration_cpu_stop).
    Task* tp = &p;
    stop_one_cpu(p.cpu, [this, tp, dest] {
      if (tp->on_rq && !tp->on_cpu && !tp->cpus_allowed.test(tp->cpu)) move_queued_task(*tp, dest);
    });
  } else if (p.on_rq) {
    move_queued_task(p, dest);
  } else {
    p.cpu = dest;  // sleeping: the next wakeup places it
  }
}

// ---------------------------------------------------------------------------------------------
// Program interpreter.

Ns Kernel::wall_for_work(Ns work, uint32_t capacity) const {
  if (capacity == kCapacityScale) return work;
  return (work * kCapacityScale + capacity - 1) / capacity;
}

void Kernel::consume_work(Task& p, Ns work) {
  Ns pen = std::min(p.penalty_left, work);
  p.penalty_left -= pen;
  work -= pen;
  if (work == 0) return;
  const bool runtime_op = p.op_started && p.pc < p.program->ops.size() &&
                          p.program->ops[p.pc].kind == OpKind::Runtime;
  if (runtime_op && work >= p.work_left) {
    // Crossing chunk boundaries before the deadline: keep the position within a chunk.
    const Ns chunk = config_.cost.runtime_chunk_ns;
    work -= p.work_left;
    p.work_left = chunk - work % chunk;
  } else {
    p.work_left -= std::min(p.work_left, work);
  }
}

void Kernel::stop_running(Rq& rq, Task& p) {
  if (rq.op_event_armed) {
    events_.cancel(rq.op_event);
    rq.op_event_armed = false;
  }
  if (!p.program || now() <= rq.exec_begin) return;  // idle and stopper have no program
  Ns elapsed = now() - rq.exec_begin;
  Ns work = rq.capacity == kCapacityScale ? elapsed : elapsed * rq.capacity / kCapacityScale;
  if (p.op_started || p.penalty_left) consume_work(p, work);
  rq.exec_begin = now();
}

void Kernel::start_running(Rq& rq, Task& p, bool switched) {
  rq.exec_begin = now() + (switched ? config_.cost.context_switch_ns : 0);
  if (p.is_idle_task()) return;
  if (&p == rq.stop) {
    // The stopper holds the CPU for its callback's cost, then runs it (kOpDone).
    rq.op_event = events_.push(rq.exec_begin + config_.cost.stopper_work_ns, kOpDone, rq.cpu, 0);
    rq.op_event_armed = true;
    return;
  }
  continue_task(rq, p);
}

void Kernel::arm_op_event(Rq& rq, Task& p) {
  Ns begin = std::max(rq.exec_begin, now());
  Ns first = begin + wall_for_work(p.penalty_left + p.work_left, rq.capacity);
  const Op& op = p.program->ops[p.pc];
  Ns when = first;
  if (op.kind == OpKind::Runtime && first < p.runtime_deadline) {
    // Skip whole chunks: the op ends at the first chunk boundary at or after the deadline.
    Ns chunk_wall = wall_for_work(config_.cost.runtime_chunk_ns, rq.capacity);
    Ns k = (p.runtime_deadline - first + chunk_wall - 1) / chunk_wall;
    when = first + k * chunk_wall;
  }
  rq.op_event = events_.push(when, kOpDone, rq.cpu, 0);
  rq.op_event_armed = true;
}

void Kernel::block_current(Rq& rq, Task& p) {
  p.set_state(TaskState::Blocked);
  schedule(rq);
}

void Kernel::sleep_until(Rq& rq, Task& p, Ns when) {
  ++p.timer_gen;
  events_.push(noisy_timer(p, when), kTimerWake, p.pid, p.timer_gen);
  block_current(rq, p);
}

Status Kernel::fail(const Task& p, const std::string& reason) {
  if (error_.ok())
    error_ = Status::Errorf(fmt::format("task '{}' (pid {})", p.comm, p.pid), "{} at t={}", reason,
                            format_seconds(now()));
  return error_;
}

void Kernel::do_exit(Rq& rq, Task& p) {
  TraceEvent e = task_event(TraceType::SchedProcessExit, rq.cpu, p);
  trace_.emit(e);
  if (tracing(Tracepoint::SchedProcessExit))
    tracepoint(Tracepoint::SchedProcessExit, p, p, uint64_t{last_of_thread_group(p) ? 1u : 0u});
  ++stats_.exits;
  if (!p.daemon) --live_user_tasks_;
  for (auto& m : mutexes_)
    if (m.owner == &p) fail(p, "exits while holding a mutex");
  p.set_state(TaskState::Dead);
  if (p.has_kernel_view()) p.kt().flags |= PF_EXITING;  // else kt() derives it from the state
  schedule(rq);
}

void Kernel::run_stopper(Rq& rq, Task& stop) {
  // The stopper runs its queued callbacks back to back, then sleeps again.
  auto& work = stopper_work_[rq.cpu];
  while (!work.empty()) {
    auto fn = std::move(work.front());
    work.erase(work.begin());
    fn();
  }
  stop.set_state(TaskState::Blocked);
  schedule(rq);
}

void Kernel::wake_one(WaitQueue& q, int wake_flags) {
  if (Task* w = q.pop()) try_to_wake_up(*w, wake_flags);
}

void Kernel::WaitQueue::add(Task* p) {
  // futex plist order: RT waiters by priority, everyone else FIFO behind them.
  auto key = [](const Task* t) { return std::min(t->prio, kMaxRtPrio); };
  auto it = std::find_if(q.begin(), q.end(), [&](const Task* t) { return key(t) > key(p); });
  q.insert(it, p);
}

Task* Kernel::WaitQueue::pop() {
  if (q.empty()) return nullptr;
  Task* p = q.front();
  q.erase(q.begin());
  return p;
}

bool Kernel::preempt_point(Rq& rq) {
  // Returning to user space with TIF_NEED_RESCHED set: the task goes no further and schedule()
  // runs once the exit path gets there (an event, so that the interpreter does not recurse).
  if (!rq.need_resched) return false;
  events_.push(now() + config_.cost.resched_syscall_ns, kResched, rq.cpu, 0);
  return true;
}

bool Kernel::mutex_lock(Task& p, uint32_t m) {
  MutexState& mx = mutexes_[m];
  if (!mx.owner) {
    mx.owner = &p;
    return true;
  }
  if (mx.owner == &p) {
    fail(p, fmt::format("locks mutex '{}' it already holds (self-deadlock)", workload_->mutexes[m]));
    return false;
  }
  mx.waiters.add(&p);
  p.wait_obj = m;
  return false;
}

Status Kernel::mutex_unlock(Task& p, uint32_t m) {
  MutexState& mx = mutexes_[m];
  if (mx.owner != &p)
    return fail(p, fmt::format("unlocks mutex '{}' it does not hold", workload_->mutexes[m]));
  // glibc semantics: the lock is released and the first waiter woken; it competes for the lock
  // again when it runs (no ownership hand-over).
  mx.owner = nullptr;
  wake_one(mx.waiters, 0);
  return {};
}

// ---------------------------------------------------------------------------------------------
// Invariants.

Status Kernel::check_invariants() const {
  std::vector<int> queued(rqs_.size(), 0);
  for (const auto& tp : tasks_) {
    const Task& p = *tp;
    auto where = fmt::format("task {} ({})", p.comm, p.pid);
    if (p.state == TaskState::Dead) {
      if (p.on_rq || p.on_cpu) return Status::Error(where, "dead but still on a runqueue");
      continue;
    }
    // Outside its affinity is allowed while the stopper queued on its CPU has yet to move it
    // (migration_cpu_stop): a check between two events at the same time can see that.
    const bool move_due = rqs_[p.cpu].stop->on_rq;
    if (!p.cpus_allowed.test(p.cpu) && !move_due) return Status::Error(where, "task_cpu outside its affinity");
    if (p.on_cpu && rqs_[p.cpu].curr != &p) return Status::Error(where, "on_cpu but not its rq's curr");
    if (p.state == TaskState::Running && !p.on_cpu) return Status::Error(where, "Running but not on a CPU");
    if ((p.state == TaskState::Runnable || p.state == TaskState::Running) && !p.on_rq)
      return Status::Error(where, "runnable but not enqueued");
    if (p.on_rq) ++queued[p.cpu];
  }
  for (const Rq& rq : rqs_) {
    auto where = fmt::format("cpu {}", rq.cpu);
    int stop_queued = rq.stop->on_rq ? 1 : 0;
    if (queued[rq.cpu] + stop_queued != rq.nr_running)
      return Status::Errorf(where, "nr_running {} but {} tasks are queued there", rq.nr_running,
                            queued[rq.cpu] + stop_queued);
    int by_class = 0, must = 0;  // must: queued tasks an idle CPU may not ignore
    for (const auto& cls : classes_)
      if (cls) by_class += cls->nr_queued(rq), must += cls->nr_runnable_here(rq);
    if (by_class != rq.nr_running)
      return Status::Errorf(where, "classes hold {} tasks, nr_running is {}", by_class, rq.nr_running);
    if (!rq.curr->on_cpu) return Status::Error(where, "curr is not marked on_cpu");
    const bool idle = rq.nr_running == 0 && rq.ttwu_pending == 0 && rq.curr == rq.idle;
    if (idle_rqs_.test(rq.cpu) != idle)
      return Status::Errorf(where, "idle_rqs says {} but the runqueue is {}", idle_rqs_.test(rq.cpu) ? "idle" : "busy",
                            idle ? "idle" : "busy");
    if (rq.curr->is_idle_task() && must > 0 && !rq.need_resched) {
      // Allowed only while a wakeup IPI to this idle CPU is in flight (need_resched set).
      return Status::Errorf(where, "idle with {} runnable task(s) and no reschedule pending", must);
    }
  }
  return {};
}

}  // namespace scx
