// The program interpreter: runs a task's behaviour program (program.h) op by op while the task
// is current on its CPU. Ops that take CPU time arm an event and return; ops that block put the
// task to sleep; instantaneous ops continue in the same step.
#include <algorithm>
#include <fmt/format.h>

#include "base/check.h"
#include "kernel/kernel.h"

namespace scx {
namespace {

// Instantaneous operations a task may execute in a row before we call it a livelock: a loop
// whose body takes no time would otherwise hang the simulator.
constexpr int kMaxInstantOps = 100000;

}  // namespace

void Kernel::continue_task(Rq& rq, Task& p) {
  SCX_CHECK(rq.curr == &p && p.state == TaskState::Running);
  // op_task_ names the task whose op is running (it pays for the IPIs its op sends); a step can
  // switch to the next task and interpret it in turn, so the outer value comes back after.
  struct RestoreOpTask {
    Task*& slot;
    Task* value;
    ~RestoreOpTask() { slot = value; }
  } restore{op_task_, op_task_};
  op_task_ = &p;
  const std::vector<Op>& ops = p.program->ops;
  for (int steps = 0; steps < kMaxInstantOps; ++steps) {
    if (!error_.ok()) return;
    if (now() < p.start_at) {
      Ns when = p.start_at;
      p.start_at = 0;
      sleep_until(rq, p, when);
      return;
    }
    if (p.pc >= ops.size()) {
      do_exit(rq, p);
      return;
    }
    const Op& op = ops[p.pc];
    Step step = Step::kStop;
    switch (op.kind) {
      case OpKind::Run:
      case OpKind::Runtime:
      case OpKind::Host: step = step_work(rq, p, op); break;
      case OpKind::Sleep:
      case OpKind::TimerWait: step = step_timing(rq, p, op); break;
      case OpKind::Lock:
      case OpKind::Unlock:
      case OpKind::CondWait:
      case OpKind::CondSync:
      case OpKind::CondSignal:
      case OpKind::CondBroadcast: step = step_mutex_cond(rq, p, op); break;
      case OpKind::Barrier:
      case OpKind::SemPost:
      case OpKind::SemWait: step = step_barrier_sem(rq, p, op); break;
      case OpKind::PipeSend:
      case OpKind::PipeRecv: step = step_pipe(rq, p, op); break;
      case OpKind::Fork: step = step_fork(rq, p, op); break;
      case OpKind::Yield:
      case OpKind::SetAffinity:
      case OpKind::SetSched:
      case OpKind::SetCgroup:
      case OpKind::Exit:
      case OpKind::LoopBegin:
      case OpKind::LoopEnd:
      case OpKind::Mark:
      case OpKind::PhaseEnd: step = step_control(rq, p, op); break;
    }
    if (step == Step::kStop) return;
  }
  fail(p, fmt::format("executed {} operations without consuming time (a loop with no run, "
                      "sleep or blocking event?)", kMaxInstantOps));
}

Kernel::Step Kernel::step_work(Rq& rq, Task& p, const Op& op) {
  if (!p.op_started) {
    if (op.kind == OpKind::Host) {
      const int64_t work = host_fns_[op.obj](p, op.a);
      if (!error_.ok()) return Step::kStop;
      if (work < 0) {
        do_exit(rq, p);
        return Step::kStop;
      }
      if (work == 0) {
        ++p.pc;
        return Step::kNext;
      }
      p.work_left = static_cast<Ns>(work);  // runs like a Run op's work; kOpDone moves past it
    } else if (op.a <= 0) {
      ++p.pc;
      return Step::kNext;
    } else if (op.kind == OpKind::Run) {
      p.work_left = noisy_work(p, static_cast<Ns>(op.a));
    } else {
      p.runtime_deadline = now() + static_cast<Ns>(op.a);
      p.work_left = config_.cost.runtime_chunk_ns;
    }
    p.op_started = true;
  }
  arm_op_event(rq, p);
  return Step::kStop;
}

Kernel::Step Kernel::step_timing(Rq& rq, Task& p, const Op& op) {
  const Ns slack = is_rt_policy(p.policy) ? 0 : config_.cost.timer_slack_ns;
  ++p.pc;
  if (op.kind == OpKind::Sleep) {
    sleep_until(rq, p, now() + static_cast<Ns>(std::max<int64_t>(op.a, 0)) + slack);
    return Step::kStop;
  }
  TimerState& t = timers_[op.obj];
  if (!t.init) {
    // A timer's timeline starts at its first user's start (rt-app t_zero + delay).
    t.init = true;
    t.next = p.timeline_start;
  }
  t.next += static_cast<Ns>(op.a);
  // rt-app's slack: time left until the expiry when the thread reaches its timer (< 0: late).
  p.phase_slack = static_cast<int64_t>(t.next) - static_cast<int64_t>(now());
  if (now() < t.next) {
    sleep_until(rq, p, t.next + slack);
    return Step::kStop;
  }
  TraceEvent e;
  e.time = now();
  e.type = TraceType::TimerMiss;
  e.cpu = rq.cpu;
  e.pid = p.pid;
  e.arg = static_cast<int32_t>(op.obj);
  e.value = static_cast<int64_t>(now() - t.next);
  trace_.emit(e);
  ++stats_.timer_misses;
  if (static_cast<TimerMode>(op.b) == TimerMode::Relative) t.next = now();
  return Step::kNext;
}

Kernel::Step Kernel::step_mutex_cond(Rq& rq, Task& p, const Op& op) {
  switch (op.kind) {
    case OpKind::Lock:
      if (mutex_lock(p, op.obj)) {
        ++p.pc;
        return Step::kNext;
      }
      if (error_.ok()) block_current(rq, p);
      return Step::kStop;
    case OpKind::Unlock:
      if (!mutex_unlock(p, op.obj).ok()) return Step::kStop;
      ++p.pc;
      break;
    case OpKind::CondSignal:
      ++p.pc;
      wake_one(condvars_[op.obj], 0);
      break;
    case OpKind::CondBroadcast:
      ++p.pc;
      while (!condvars_[op.obj].empty()) wake_one(condvars_[op.obj], 0);
      break;
    default: {  // CondWait, CondSync
      const uint32_t mutex = op.b == static_cast<int64_t>(kNoObject) ? kNoObject : static_cast<uint32_t>(op.b);
      if (p.stage == 0) {
        if (op.kind == OpKind::CondSync) wake_one(condvars_[op.obj], 0);
        if (mutex != kNoObject && !mutex_unlock(p, mutex).ok()) return Step::kStop;
        p.stage = 1;
        condvars_[op.obj].add(&p);
        p.wait_obj = op.obj;
        block_current(rq, p);
        return Step::kStop;
      }
      // Woken: re-acquire the mutex before returning from pthread_cond_wait.
      if (mutex == kNoObject || mutex_lock(p, mutex)) {
        p.stage = 0;
        ++p.pc;
        return Step::kNext;
      }
      if (error_.ok()) block_current(rq, p);
      return Step::kStop;
    }
  }
  return preempt_point(rq) ? Step::kStop : Step::kNext;
}

Kernel::Step Kernel::step_barrier_sem(Rq& rq, Task& p, const Op& op) {
  if (op.kind == OpKind::Barrier) {
    BarrierState& b = barriers_[op.obj];
    ++p.pc;
    if (++b.arrived < b.participants) {
      b.waiting.push_back(&p);
      block_current(rq, p);
      return Step::kStop;
    }
    b.arrived = 0;
    std::vector<Task*> waiting;
    waiting.swap(b.waiting);
    for (Task* w : waiting) try_to_wake_up(*w, 0);
    return preempt_point(rq) ? Step::kStop : Step::kNext;
  }
  SemState& s = sems_[op.obj];
  if (op.kind == OpKind::SemPost) {
    ++p.pc;
    if (Task* w = s.waiters.pop()) {
      w->sem_granted = true;
      try_to_wake_up(*w, 0);
    } else {
      ++s.count;
    }
    return preempt_point(rq) ? Step::kStop : Step::kNext;
  }
  if (p.sem_granted || s.count > 0) {
    if (!p.sem_granted) --s.count;
    p.sem_granted = false;
    ++p.pc;
    return Step::kNext;
  }
  s.waiters.add(&p);
  block_current(rq, p);
  return Step::kStop;
}

Kernel::Step Kernel::step_pipe(Rq& rq, Task& p, const Op& op) {
  PipeState& pipe = pipes_[op.obj];
  if (op.kind == OpKind::PipeSend) {
    if (pipe.bytes + op.a > pipe.capacity) {
      pipe.writers.add(&p);
      block_current(rq, p);
      return Step::kStop;
    }
    pipe.bytes += op.a;
    ++p.pc;
    // pipe_write() wakes a reader synchronously (WF_SYNC) once data is there.
    if (!pipe.readers.empty()) {
      Task* r = pipe.readers.q.front();
      if (pipe.bytes >= r->program->ops[r->pc].a) wake_one(pipe.readers, WF_SYNC);
    }
  } else {
    if (pipe.bytes < op.a) {
      pipe.readers.add(&p);
      block_current(rq, p);
      return Step::kStop;
    }
    pipe.bytes -= op.a;
    ++p.pc;
    if (pipe.wake_all_writers_at >= 0) {
      // unix_write_space(): every waiting writer, once the buffer is writable again.
      if (pipe.bytes <= pipe.wake_all_writers_at)
        while (!pipe.writers.empty()) wake_one(pipe.writers, WF_SYNC);
    } else if (!pipe.writers.empty()) {
      Task* w = pipe.writers.q.front();
      if (pipe.bytes + w->program->ops[w->pc].a <= pipe.capacity) wake_one(pipe.writers, WF_SYNC);
    }
  }
  return preempt_point(rq) ? Step::kStop : Step::kNext;
}

Kernel::Step Kernel::step_fork(Rq& rq, Task& p, const Op& op) {
  ++p.pc;
  const TaskSpec& tmpl = workload_->tasks[op.obj];
  for (int64_t i = 0; i < std::max<int64_t>(op.a, 1); ++i) {
    if (static_cast<int64_t>(tasks_.size()) >= config_.max_tasks) {
      fail(p, fmt::format("fork: the run would create more than {} tasks (raise the limit with --max-tasks)",
                          config_.max_tasks));
      return Step::kStop;
    }
    Task& child = create_task(tmpl, -1, p.pid);
    child.spec_index = static_cast<int>(op.obj);
    if (op.b == kForkThread) child.join_thread_group(p);  // CLONE_THREAD: the parent's group and mm
    // sched_fork(): the child inherits the parent's policy and affinity; rt-app threads then
    // apply their own description when they start (SetSched/SetAffinity ops).
    set_policy_fields(child, p.policy, is_rt_policy(p.policy) ? p.rt_priority : p.nice);
    child.task_affinity = p.cpus_allowed;
    child.cpus_allowed = cpuset_confined(child, child.task_affinity);  // a template may name another cgroup
    child.nr_cpus_allowed = child.cpus_allowed.weight();
    child.cpu = p.cpu;
    child.sync_kernel_view();
    child.start_at = child.timeline_start = now();
    ++stats_.forks;
    TraceEvent e;
    e.time = now();
    e.type = TraceType::SchedProcessFork;
    e.cpu = rq.cpu;
    e.pid = child.pid;
    e.pid2 = p.pid;
    e.prio = child.prio;
    e.comm = child.comm.c_str();
    const std::string cpus = child.cpus_allowed.to_list();  // for reports
    e.cpus = cpus.c_str();
    e.group = tmpl.group.c_str();
    trace_.emit(e);
    if (!child.cgroup->is_root()) trace_cgroup_attach(child, 0);
    wake_up_new_task(child, rq.cpu);
  }
  return preempt_point(rq) ? Step::kStop : Step::kNext;
}

Kernel::Step Kernel::step_control(Rq& rq, Task& p, const Op& op) {
  switch (op.kind) {
    case OpKind::Yield:
      ++p.pc;
      p.sched_class->yield_task(rq);
      schedule(rq);
      return Step::kStop;
    case OpKind::Exit:
      do_exit(rq, p);
      return Step::kStop;
    case OpKind::SetAffinity: {
      ++p.pc;
      const CpuMask& m = workload_->masks[op.obj];
      set_cpus_allowed(p, cpuset_confined(p, m.empty() ? p.task_affinity : m));
      return preempt_point(rq) ? Step::kStop : Step::kNext;  // e.g. the stopper takes over
    }
    case OpKind::SetCgroup: {
      ++p.pc;
      (void)move_to_cgroup(p, *workload_cgroups_[op.obj]);  // a refusal leaves p where it is (counted)
      return preempt_point(rq) ? Step::kStop : Step::kNext;
    }
    case OpKind::SetSched:
      ++p.pc;
      if (!sched_setscheduler(p, static_cast<Policy>(op.a), static_cast<int>(op.b)).ok()) return Step::kStop;
      return preempt_point(rq) ? Step::kStop : Step::kNext;
    case OpKind::LoopBegin:
      if (op.a == 0) {
        p.pc = static_cast<size_t>(op.b) + 1;
      } else {
        p.loop_left.push_back(op.a);
        ++p.pc;
      }
      return Step::kNext;
    case OpKind::LoopEnd: {
      SCX_CHECK(!p.loop_left.empty());
      int64_t& left = p.loop_left.back();
      if (left < 0 || --left > 0) {
        p.pc = static_cast<size_t>(op.b) + 1;
      } else {
        p.loop_left.pop_back();
        ++p.pc;
      }
      return Step::kNext;
    }
    default: {  // Mark, PhaseEnd
      ++p.pc;
      TraceEvent e;
      e.time = now();
      e.type = op.kind == OpKind::Mark ? TraceType::Mark : TraceType::PhaseEnd;
      e.cpu = rq.cpu;
      e.pid = p.pid;
      e.arg = static_cast<int32_t>(op.obj);
      e.value = op.a;
      if (op.kind == OpKind::PhaseEnd) {
        e.value = p.phase_slack;  // the last timer's slack; 0 in a phase without a timer
        p.phase_slack = 0;
      }
      trace_.emit(e);
      return Step::kNext;
    }
  }
}

}  // namespace scx
