// A per-LLC shared-queue scheduler: one FIFO DSQ per last-level cache. Wakeups prefer an idle
// CPU in the previous CPU's LLC; a CPU runs work from its own LLC's queue first and steals from
// the others (nearest NUMA node first) only when that is empty.
#pragma once

#include <vector>

#include "kernel/ext/ops.h"

namespace scx {

class LlcPolicy : public ScxOps {
 public:
  LlcPolicy();
  const ScxOpsInfo& info() const override { return info_; }
  s32 select_cpu(task_struct* p, s32 prev_cpu, u64 wake_flags) override;
  void enqueue(task_struct* p, u64 enq_flags) override;
  void dispatch(s32 cpu, task_struct* prev) override;
  s32 init() override;

  static constexpr u64 kSliceNs = 5000000;  // 5 ms: shared queues want shorter turns

 private:
  ScxOpsInfo info_;
  std::vector<int> cpu_llc_;                 // CPU -> LLC index (= its DSQ id)
  std::vector<cpumask> llc_mask_;            // LLC -> its CPUs
  std::vector<std::vector<int>> steal_order_;  // LLC -> other LLCs, nearest first
};

}  // namespace scx
