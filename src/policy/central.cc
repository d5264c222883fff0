#include "policy/central.h"

#include "kernel/ext/ext_class.h"

namespace scx {

CentralPolicy::CentralPolicy() {
  info_.name = "central";
  for (ScxOp op : {ScxOp::SelectCpu, ScxOp::Enqueue, ScxOp::Dispatch, ScxOp::Running, ScxOp::Stopping, ScxOp::Init})
    info_.implemented.set(static_cast<size_t>(op));
}

// Steer wakeups to the central CPU; the core picks a fallback if the task cannot run there.
s32 CentralPolicy::select_cpu(task_struct*, s32, u64) { return kCentralCpu; }

void CentralPolicy::enqueue(task_struct* p, u64 enq_flags) {
  // Per-CPU kthreads go first on their own CPU, so forward progress never waits on the timer.
  if ((p->flags & PF_KTHREAD) && p->nr_cpus_allowed == 1) {
    kf().dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_INF, enq_flags | SCX_ENQ_PREEMPT);
    return;
  }
  if (central_q_.size() >= kQueueSize) {
    kf().dsq_insert(p, kFallbackDsq, SCX_SLICE_INF, enq_flags);
    return;
  }
  central_q_.push_back(p->pid);
  ++nr_queued_;
  if (!kf().task_running(p)) kf().kick_cpu(kCentralCpu, SCX_KICK_PREEMPT);
}

bool CentralPolicy::dispatch_to_cpu(s32 cpu) {
  while (!central_q_.empty()) {
    s32 pid = central_q_.front();
    central_q_.pop_front();
    --nr_queued_;
    task_struct* p = kf().task_from_pid(pid);
    if (!p) continue;
    if (!(p->cpus_ptr->bits[cpu / 64] & (1UL << (cpu % 64)))) {
      // Cannot run it here: bounce it to the fallback DSQ.
      kf().dsq_insert(p, kFallbackDsq, SCX_SLICE_INF, 0);
      if (!kf().dispatch_nr_slots()) break;
      continue;
    }
    kf().dsq_insert(p, SCX_DSQ_LOCAL_ON | static_cast<u64>(cpu), SCX_SLICE_INF, 0);
    if (cpu != kCentralCpu) kf().kick_cpu(cpu, SCX_KICK_IDLE);
    return true;
  }
  return false;
}

void CentralPolicy::dispatch(s32 cpu, task_struct*) {
  if (cpu == kCentralCpu) {
    // Serve every CPU that asked first.
    for (s32 c = 0; c < static_cast<s32>(kf().nr_cpu_ids()); ++c) {
      if (!kf().dispatch_nr_slots()) break;
      if (!gimme_[c]) continue;
      if (dispatch_to_cpu(c)) gimme_[c] = false;
    }
    // Out of slots: some CPUs may have been skipped; come back.
    if (!kf().dispatch_nr_slots()) {
      kf().kick_cpu(kCentralCpu, SCX_KICK_PREEMPT);
      return;
    }
    if (kf().dsq_move_to_local(kFallbackDsq)) return;
    dispatch_to_cpu(kCentralCpu);
  } else {
    if (kf().dsq_move_to_local(kFallbackDsq)) return;
    gimme_[cpu] = true;
    kf().kick_cpu(kCentralCpu, SCX_KICK_PREEMPT);  // make the central CPU find us a task
  }
}

void CentralPolicy::running(task_struct* p) {
  u64 now = kf().now();
  started_at_[kf().task_cpu(p)] = now ? now : 1;  // 0 means idle
}

void CentralPolicy::stopping(task_struct* p, bool) { started_at_[kf().task_cpu(p)] = 0; }

void CentralPolicy::timer_fn() {
  const u64 now = kf().now();
  u64 nr_to_kick = nr_queued_;
  const s32 n = static_cast<s32>(kf().nr_cpu_ids());
  for (s32 i = 0; i < n; ++i) {
    s32 cpu = static_cast<s32>((nr_timers_ + static_cast<u64>(i)) % static_cast<u64>(n));
    if (cpu == kCentralCpu) continue;
    // Kick only CPUs whose task exhausted its slice...
    if (started_at_[cpu] && static_cast<s64>(now - (started_at_[cpu] + kSliceNs)) < 0) continue;
    // ...and only if something is pending.
    if (kf().dsq_nr_queued(kFallbackDsq) > 0 || kf().dsq_nr_queued(SCX_DSQ_LOCAL_ON | static_cast<u64>(cpu)) > 0) {
    } else if (nr_to_kick) {
      --nr_to_kick;
    } else {
      continue;
    }
    kf().kick_cpu(cpu, SCX_KICK_PREEMPT);
  }
  ++nr_timers_;
  kf().policy_timer(kTimerIntervalNs, kCentralCpu, [this] { timer_fn(); });
}

s32 CentralPolicy::init() {
  gimme_.assign(kf().nr_cpu_ids(), false);
  started_at_.assign(kf().nr_cpu_ids(), 0);
  s32 ret = kf().create_dsq(kFallbackDsq, -1);
  if (ret) return ret;
  kf().policy_timer(kTimerIntervalNs, kCentralCpu, [this] { timer_fn(); });
  return 0;
}

int64_t CentralPolicy::counter(size_t i) const {
  return static_cast<int64_t>(i == 0 ? nr_timers_ : nr_queued_);
}

}  // namespace scx
