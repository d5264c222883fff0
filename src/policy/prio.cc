#include "policy/prio.h"

#include <algorithm>

#include "kernel/ext/ext_class.h"

namespace scx {

PrioPolicy::PrioPolicy() {
  info_.name = "prio";
  for (ScxOp op : {ScxOp::SelectCpu, ScxOp::Enqueue, ScxOp::Dispatch, ScxOp::InitTask, ScxOp::ExitTask, ScxOp::Init})
    info_.implemented.set(static_cast<size_t>(op));
}

int PrioPolicy::weight_to_idx(u32 weight) {
  if (weight <= 25) return 0;
  if (weight <= 50) return 1;
  if (weight < 200) return 2;
  if (weight < 400) return 3;
  return 4;
}

// The per-task "dispatch locally" flag, set by select_cpu when it claimed an idle CPU (the
// BPF twin keeps it in task-local storage).
void PrioPolicy::set_force_local(s32 pid) {
  if (std::find(force_local_pids_.begin(), force_local_pids_.end(), pid) == force_local_pids_.end())
    force_local_pids_.push_back(pid);
}

bool PrioPolicy::take_force_local(s32 pid) {
  auto it = std::find(force_local_pids_.begin(), force_local_pids_.end(), pid);
  if (it == force_local_pids_.end()) return false;
  force_local_pids_.erase(it);
  return true;
}

s32 PrioPolicy::select_cpu(task_struct* p, s32 prev_cpu, u64) {
  if (p->nr_cpus_allowed == 1 || kf().test_and_clear_cpu_idle(prev_cpu)) {
    set_force_local(p->pid);
    return prev_cpu;
  }
  s32 cpu = kf().pick_idle_cpu(p->cpus_ptr, 0);
  if (cpu >= 0) {
    set_force_local(p->pid);
    return cpu;
  }
  return prev_cpu;
}

void PrioPolicy::enqueue(task_struct* p, u64 enq_flags) {
  if (take_force_local(p->pid)) {
    kf().dsq_insert(p, SCX_DSQ_LOCAL, kSliceNs, enq_flags);
    return;
  }
  queues_[weight_to_idx(p->scx.weight)].push_back(p->pid);
}

void PrioPolicy::dispatch(s32 cpu, task_struct*) {
  if (kf().dsq_move_to_local(kSharedDsq)) return;
  CpuCtx& c = cpu_ctx_[cpu];
  int batch = kDispatchBatch;
  for (int i = 0; i < kQueues; ++i) {
    // Advance the cursor: queue idx gets 1 << idx dispatches per visit.
    if (!c.dsp_cnt) {
      c.dsp_idx = (c.dsp_idx + 1) % kQueues;
      c.dsp_cnt = 1ULL << c.dsp_idx;
    }
    auto& fifo = queues_[c.dsp_idx];
    while (!fifo.empty()) {
      s32 pid = fifo.front();
      fifo.pop_front();
      task_struct* p = kf().task_from_pid(pid);
      if (!p) continue;
      kf().dsq_insert(p, kSharedDsq, kSliceNs, 0);
      --batch;
      --c.dsp_cnt;
      if (!batch || !kf().dispatch_nr_slots()) {
        kf().dsq_move_to_local(kSharedDsq);
        return;
      }
      if (!c.dsp_cnt) break;
    }
    c.dsp_cnt = 0;
  }
}

s32 PrioPolicy::init_task(task_struct*, scx_init_task_args*) { return 0; }

void PrioPolicy::exit_task(task_struct* p, scx_exit_task_args*) {
  take_force_local(p->pid);
  for (auto& q : queues_) q.erase(std::remove(q.begin(), q.end(), p->pid), q.end());
}

s32 PrioPolicy::init() {
  cpu_ctx_.assign(kf().nr_cpu_ids(), CpuCtx{});
  return kf().create_dsq(kSharedDsq, -1);
}

}  // namespace scx
