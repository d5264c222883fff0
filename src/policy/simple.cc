#include "policy/simple.h"

#include "kernel/ext/ext_class.h"

namespace scx {

SimplePolicy::SimplePolicy(bool fifo) : fifo_(fifo) {
  info_.name = fifo ? "fifo" : "vtime";
  for (ScxOp op : {ScxOp::SelectCpu, ScxOp::Enqueue, ScxOp::Dispatch, ScxOp::Running, ScxOp::Stopping,
                   ScxOp::Enable, ScxOp::Init})
    info_.implemented.set(static_cast<size_t>(op));
}

s32 SimplePolicy::select_cpu(task_struct* p, s32 prev_cpu, u64 wake_flags) {
  bool is_idle = false;
  s32 cpu = kf().select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);
  if (is_idle) {
    ++nr_local_;
    kf().dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, 0);
  }
  return cpu;
}

void SimplePolicy::enqueue(task_struct* p, u64 enq_flags) {
  ++nr_global_;
  if (fifo_) {
    kf().dsq_insert(p, kSharedDsq, SCX_SLICE_DFL, enq_flags);
    return;
  }
  u64 vtime = p->scx.dsq_vtime;
  // An idle task may bank at most one slice of budget.
  if (static_cast<s64>(vtime - (vtime_now_ - SCX_SLICE_DFL)) < 0) vtime = vtime_now_ - SCX_SLICE_DFL;
  kf().dsq_insert_vtime(p, kSharedDsq, SCX_SLICE_DFL, vtime, enq_flags);
}

void SimplePolicy::dispatch(s32, task_struct*) { kf().dsq_move_to_local(kSharedDsq); }

void SimplePolicy::running(task_struct* p) {
  if (fifo_) return;
  // Global vtime advances with the tasks that run (time_before(vtime_now, p->dsq_vtime)).
  if (static_cast<s64>(vtime_now_ - p->scx.dsq_vtime) < 0) vtime_now_ = p->scx.dsq_vtime;
}

void SimplePolicy::stopping(task_struct* p, bool) {
  if (fifo_) return;
  // Charge the used part of the slice, scaled by the inverse of the weight.
  p->scx.dsq_vtime += (SCX_SLICE_DFL - p->scx.slice) * 100 / p->scx.weight;
}

void SimplePolicy::enable(task_struct* p) { p->scx.dsq_vtime = vtime_now_; }

s32 SimplePolicy::init() { return kf().create_dsq(kSharedDsq, -1); }

}  // namespace scx
