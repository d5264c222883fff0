// A fluent way to write behaviour programs in C++: generators (hackbench, schbench, hogs...) and
// tests use it. Objects are named; the same name is the same object.
//
//   WorkloadBuilder wb("demo");
//   wb.task("hog").fifo(10).program().run(ms(5)).sleep(ms(5)).loop(100);
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "kernel/program.h"

namespace scx {

class WorkloadBuilder;

class ProgramBuilder {
 public:
  ProgramBuilder(WorkloadBuilder& wb, size_t program) : wb_(wb), program_(program) {}

  ProgramBuilder& run(Ns work) { return op(OpKind::Run, kNoObject, static_cast<int64_t>(work)); }
  ProgramBuilder& runtime(Ns wall) { return op(OpKind::Runtime, kNoObject, static_cast<int64_t>(wall)); }
  ProgramBuilder& sleep(Ns d) { return op(OpKind::Sleep, kNoObject, static_cast<int64_t>(d)); }
  ProgramBuilder& timer(const std::string& name, Ns period, TimerMode mode = TimerMode::Relative);
  ProgramBuilder& yield() { return op(OpKind::Yield); }
  ProgramBuilder& lock(const std::string& m);
  ProgramBuilder& unlock(const std::string& m);
  ProgramBuilder& wait(const std::string& cond, const std::string& mutex);
  ProgramBuilder& signal(const std::string& cond);
  ProgramBuilder& broadcast(const std::string& cond);
  ProgramBuilder& barrier(const std::string& name);  // participants counted by WorkloadBuilder
  ProgramBuilder& sem_post(const std::string& name);
  ProgramBuilder& sem_wait(const std::string& name);
  ProgramBuilder& send(const std::string& pipe, int64_t bytes);
  ProgramBuilder& recv(const std::string& pipe, int64_t bytes);
  ProgramBuilder& fork(const std::string& template_task, int64_t children = 1);
  ProgramBuilder& set_affinity(const CpuMask& mask);
  ProgramBuilder& set_sched(Policy policy, int prio_value) {
    return op(OpKind::SetSched, kNoObject, static_cast<int64_t>(policy), prio_value);
  }
  ProgramBuilder& mark(const std::string& counter, int64_t amount = 1);
  ProgramBuilder& exit() { return op(OpKind::Exit); }
  // Opens a loop; close it with end_loop(). count < 0 loops forever.
  ProgramBuilder& begin_loop(int64_t count);
  ProgramBuilder& end_loop();
  ProgramBuilder& op(OpKind kind, uint32_t obj = kNoObject, int64_t a = 0, int64_t b = 0);

 private:
  std::vector<Op>& ops();
  WorkloadBuilder& wb_;
  size_t program_;  // index, not a reference: adding tasks reallocates the program table
  std::vector<size_t> open_loops_;
};

class TaskBuilder {
 public:
  TaskBuilder(WorkloadBuilder& wb, size_t index) : wb_(wb), index_(index) {}
  TaskBuilder& instances(int n);
  TaskBuilder& nice(int n);
  TaskBuilder& policy(Policy p);
  TaskBuilder& fifo(int rt_priority);
  TaskBuilder& rr(int rt_priority);
  TaskBuilder& cpus(const CpuMask& m);
  TaskBuilder& delay(Ns d);
  TaskBuilder& slice(Ns s);
  // Starts the task in cgroup `path` (one of WorkloadBuilder::cgroup()'s) and groups it there
  // in reports, as an rt-app taskgroup does.
  TaskBuilder& cgroup(const std::string& path);
  // The task's program (created on first call).
  ProgramBuilder program();

 private:
  TaskSpec& spec();
  WorkloadBuilder& wb_;
  size_t index_;
};

class WorkloadBuilder {
 public:
  explicit WorkloadBuilder(std::string name) { w_.name = std::move(name); }
  TaskBuilder task(const std::string& name);
  WorkloadBuilder& duration(Ns d) {
    w_.duration = d;
    return *this;
  }
  // A cgroup created before the tasks, with controller files written in order
  // ({"cpu.weight", "200"}).
  WorkloadBuilder& cgroup(const std::string& path, std::vector<std::pair<std::string, std::string>> files = {}) {
    w_.cgroups.push_back(CgroupSpec{path, std::move(files)});
    return *this;
  }
  // Room for `tasks` more tasks and `pipes` more pipes, when a generator knows how many it
  // makes: its tables are then sized once instead of growing by doubling.
  WorkloadBuilder& reserve(size_t tasks, size_t pipes = 0);
  WorkloadBuilder& pipe_capacity(const std::string& pipe, int64_t bytes);
  // Blocked writers are all woken once the buffered bytes drop to `bytes` (PipeSpec).
  WorkloadBuilder& pipe_wake_all_writers_at(const std::string& pipe, int64_t bytes);
  // Finalises barrier participant counts (sum of instances of tasks that use each barrier).
  Workload build() &;
  // The same for a builder that is done: the workload is moved out, not copied.
  Workload build() &&;

  uint32_t object(std::vector<std::string>& table, std::map<std::string, uint32_t>& index,
                  const std::string& name);
  uint32_t mutex(const std::string& n) { return object(w_.mutexes, mutex_ix_, n); }
  uint32_t condvar(const std::string& n) { return object(w_.condvars, cond_ix_, n); }
  uint32_t semaphore(const std::string& n) { return object(w_.semaphores, sem_ix_, n); }
  uint32_t counter(const std::string& n) { return object(w_.counters, counter_ix_, n); }
  uint32_t barrier(const std::string& n);
  uint32_t pipe(const std::string& n);
  uint32_t timer(const std::string& n);
  uint32_t mask(const CpuMask& m);
  uint32_t task_index(const std::string& name);
  Workload& raw() { return w_; }

 private:
  void count_barrier_participants();
  friend class TaskBuilder;
  Workload w_;
  std::map<std::string, uint32_t> mutex_ix_, cond_ix_, sem_ix_, counter_ix_, barrier_ix_, pipe_ix_,
      timer_ix_, task_ix_;
  std::vector<std::vector<uint32_t>> program_barriers_;  // barriers each program uses
  friend class ProgramBuilder;
};

// ---- inline definitions ----

inline uint32_t WorkloadBuilder::object(std::vector<std::string>& table,
                                        std::map<std::string, uint32_t>& index,
                                        const std::string& name) {
  auto [it, inserted] = index.emplace(name, static_cast<uint32_t>(table.size()));
  if (inserted) table.push_back(name);
  return it->second;
}

inline uint32_t WorkloadBuilder::barrier(const std::string& n) {
  auto [it, inserted] = barrier_ix_.emplace(n, static_cast<uint32_t>(w_.barriers.size()));
  if (inserted) w_.barriers.push_back(BarrierSpec{n, 0});
  return it->second;
}

inline uint32_t WorkloadBuilder::pipe(const std::string& n) {
  auto [it, inserted] = pipe_ix_.emplace(n, static_cast<uint32_t>(w_.pipes.size()));
  if (inserted) w_.pipes.push_back(PipeSpec{n});
  return it->second;
}

inline uint32_t WorkloadBuilder::timer(const std::string& n) {
  auto [it, inserted] = timer_ix_.emplace(n, static_cast<uint32_t>(w_.timers.size()));
  if (inserted) w_.timers.push_back(TimerSpec{n});
  return it->second;
}

inline uint32_t WorkloadBuilder::mask(const CpuMask& m) {
  for (size_t i = 0; i < w_.masks.size(); ++i)
    if (w_.masks[i] == m) return static_cast<uint32_t>(i);
  w_.masks.push_back(m);
  return static_cast<uint32_t>(w_.masks.size() - 1);
}

inline uint32_t WorkloadBuilder::task_index(const std::string& name) {
  auto it = task_ix_.find(name);
  if (it != task_ix_.end()) return it->second;
  task(name).instances(0);  // a template defined later keeps this slot
  return task_ix_.at(name);
}

inline WorkloadBuilder& WorkloadBuilder::pipe_wake_all_writers_at(const std::string& p, int64_t bytes) {
  w_.pipes[pipe(p)].wake_all_writers_at = bytes;
  return *this;
}
inline WorkloadBuilder& WorkloadBuilder::pipe_capacity(const std::string& p, int64_t bytes) {
  w_.pipes[pipe(p)].capacity_bytes = bytes;
  return *this;
}

inline WorkloadBuilder& WorkloadBuilder::reserve(size_t tasks, size_t pipes) {
  w_.tasks.reserve(w_.tasks.size() + tasks);
  w_.programs.reserve(w_.programs.size() + tasks);
  program_barriers_.reserve(program_barriers_.size() + tasks);
  w_.pipes.reserve(w_.pipes.size() + pipes);
  return *this;
}

inline TaskBuilder WorkloadBuilder::task(const std::string& name) {
  auto it = task_ix_.find(name);
  if (it != task_ix_.end()) return TaskBuilder(*this, it->second);
  task_ix_.emplace(name, static_cast<uint32_t>(w_.tasks.size()));
  TaskSpec s;
  s.name = name;
  s.program = static_cast<uint32_t>(w_.programs.size());
  w_.programs.emplace_back();
  program_barriers_.emplace_back();
  w_.tasks.push_back(std::move(s));
  return TaskBuilder(*this, w_.tasks.size() - 1);
}

inline void WorkloadBuilder::count_barrier_participants() {
  for (auto& b : w_.barriers) b.participants = 0;
  for (const TaskSpec& t : w_.tasks)
    for (uint32_t b : program_barriers_[t.program]) w_.barriers[b].participants += t.instances;
}

inline Workload WorkloadBuilder::build() & {
  count_barrier_participants();
  return w_;
}

inline Workload WorkloadBuilder::build() && {
  count_barrier_participants();
  return std::move(w_);
}

inline std::vector<Op>& ProgramBuilder::ops() { return wb_.w_.programs[program_].ops; }
inline ProgramBuilder& ProgramBuilder::op(OpKind kind, uint32_t obj, int64_t a, int64_t b) {
  ops().push_back(Op{kind, obj, a, b});
  return *this;
}

inline TaskSpec& TaskBuilder::spec() { return wb_.w_.tasks[index_]; }
inline TaskBuilder& TaskBuilder::instances(int n) { spec().instances = n; return *this; }
inline TaskBuilder& TaskBuilder::nice(int n) { spec().nice = n; return *this; }
inline TaskBuilder& TaskBuilder::policy(Policy p) { spec().policy = p; return *this; }
inline TaskBuilder& TaskBuilder::fifo(int prio) {
  spec().policy = Policy::Fifo;
  spec().rt_priority = prio;
  return *this;
}
inline TaskBuilder& TaskBuilder::rr(int prio) {
  spec().policy = Policy::RR;
  spec().rt_priority = prio;
  return *this;
}
inline TaskBuilder& TaskBuilder::cpus(const CpuMask& m) { spec().affinity = m; return *this; }
inline TaskBuilder& TaskBuilder::delay(Ns d) { spec().start_delay = d; return *this; }
inline TaskBuilder& TaskBuilder::slice(Ns s) { spec().custom_slice = s; return *this; }
inline TaskBuilder& TaskBuilder::cgroup(const std::string& path) {
  spec().cgroup = spec().group = path;
  return *this;
}
inline ProgramBuilder TaskBuilder::program() {
  return ProgramBuilder(wb_, spec().program);
}

inline ProgramBuilder& ProgramBuilder::timer(const std::string& name, Ns period, TimerMode mode) {
  return op(OpKind::TimerWait, wb_.timer(name), static_cast<int64_t>(period), static_cast<int64_t>(mode));
}
inline ProgramBuilder& ProgramBuilder::lock(const std::string& m) { return op(OpKind::Lock, wb_.mutex(m)); }
inline ProgramBuilder& ProgramBuilder::unlock(const std::string& m) { return op(OpKind::Unlock, wb_.mutex(m)); }
inline ProgramBuilder& ProgramBuilder::wait(const std::string& c, const std::string& m) {
  return op(OpKind::CondWait, wb_.condvar(c), 0, m.empty() ? static_cast<int64_t>(kNoObject) : wb_.mutex(m));
}
inline ProgramBuilder& ProgramBuilder::signal(const std::string& c) { return op(OpKind::CondSignal, wb_.condvar(c)); }
inline ProgramBuilder& ProgramBuilder::broadcast(const std::string& c) {
  return op(OpKind::CondBroadcast, wb_.condvar(c));
}
inline ProgramBuilder& ProgramBuilder::barrier(const std::string& name) {
  uint32_t b = wb_.barrier(name);
  wb_.program_barriers_[program_].push_back(b);
  return op(OpKind::Barrier, b);
}
inline ProgramBuilder& ProgramBuilder::sem_post(const std::string& n) { return op(OpKind::SemPost, wb_.semaphore(n)); }
inline ProgramBuilder& ProgramBuilder::sem_wait(const std::string& n) { return op(OpKind::SemWait, wb_.semaphore(n)); }
inline ProgramBuilder& ProgramBuilder::send(const std::string& p, int64_t bytes) {
  return op(OpKind::PipeSend, wb_.pipe(p), bytes);
}
inline ProgramBuilder& ProgramBuilder::recv(const std::string& p, int64_t bytes) {
  return op(OpKind::PipeRecv, wb_.pipe(p), bytes);
}
inline ProgramBuilder& ProgramBuilder::fork(const std::string& tmpl, int64_t children) {
  return op(OpKind::Fork, wb_.task_index(tmpl), children);
}
inline ProgramBuilder& ProgramBuilder::set_affinity(const CpuMask& m) {
  return op(OpKind::SetAffinity, wb_.mask(m));
}
inline ProgramBuilder& ProgramBuilder::mark(const std::string& c, int64_t amount) {
  return op(OpKind::Mark, wb_.counter(c), amount);
}
inline ProgramBuilder& ProgramBuilder::begin_loop(int64_t count) {
  open_loops_.push_back(ops().size());
  return op(OpKind::LoopBegin, kNoObject, count, 0);
}
inline ProgramBuilder& ProgramBuilder::end_loop() {
  size_t begin = open_loops_.back();
  open_loops_.pop_back();
  ops()[begin].b = static_cast<int64_t>(ops().size());
  return op(OpKind::LoopEnd, kNoObject, 0, static_cast<int64_t>(begin));
}

}  // namespace scx
