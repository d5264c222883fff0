// A qmap-like scheduler: five FIFO queues by weight; the dispatcher visits them in turn and takes
// 1 << idx tasks from queue idx, so heavier tasks get proportionally more turns. Tasks woken
// onto an idle CPU go straight to its local DSQ.
#pragma once

#include <array>
#include <deque>
#include <vector>

#include "kernel/ext/ops.h"

namespace scx {

class PrioPolicy : public ScxOps {
 public:
  PrioPolicy();
  const ScxOpsInfo& info() const override { return info_; }
  s32 select_cpu(task_struct* p, s32 prev_cpu, u64 wake_flags) override;
  void enqueue(task_struct* p, u64 enq_flags) override;
  void dispatch(s32 cpu, task_struct* prev) override;
  s32 init_task(task_struct* p, scx_init_task_args* args) override;
  void exit_task(task_struct* p, scx_exit_task_args* args) override;
  s32 init() override;

  static constexpr u64 kSharedDsq = 0;
  static constexpr int kQueues = 5;
  static constexpr u64 kSliceNs = SCX_SLICE_DFL;
  static constexpr int kDispatchBatch = 8;
  static int weight_to_idx(u32 weight);

 private:
  struct CpuCtx {
    int dsp_idx = 0;
    u64 dsp_cnt = 0;
  };
  ScxOpsInfo info_;
  std::array<std::deque<s32>, kQueues> queues_;
  std::vector<CpuCtx> cpu_ctx_;
  std::vector<bool> force_local_;  // by pid - first pid seen; grown on demand
  std::vector<s32> force_local_pids_;
  bool take_force_local(s32 pid);
  void set_force_local(s32 pid);
};

}  // namespace scx
