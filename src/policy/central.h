// scx_central: CPU 0 makes every scheduling decision. Other CPUs run their tasks with an
// infinite slice and ask the central CPU for work; a 1 ms timer on the central CPU preempts
// CPUs whose task has used up its slice while others wait.
#pragma once

#include <deque>
#include <vector>

#include "kernel/ext/ops.h"
#include "policy/counters.h"

namespace scx {

class CentralPolicy : public ScxOps, public ExportedCounters {
 public:
  CentralPolicy();
  const ScxOpsInfo& info() const override { return info_; }
  s32 select_cpu(task_struct* p, s32 prev_cpu, u64 wake_flags) override;
  void enqueue(task_struct* p, u64 enq_flags) override;
  void dispatch(s32 cpu, task_struct* prev) override;
  void running(task_struct* p) override;
  void stopping(task_struct* p, bool runnable) override;
  s32 init() override;

  static constexpr s32 kCentralCpu = 0;
  static constexpr u64 kFallbackDsq = 0;
  static constexpr u64 kTimerIntervalNs = 1000000;
  static constexpr u64 kSliceNs = SCX_SLICE_DFL;
  static constexpr size_t kQueueSize = 4096;  // central_q max_entries

  // --probe nr_timers (timer runs so far) / nr_queued (tasks waiting for the central CPU), named
  // as the BPF twin's globals.
  std::vector<std::string> counter_names() const override { return {"nr_timers", "nr_queued"}; }
  int64_t counter(size_t i) const override;

 private:
  bool dispatch_to_cpu(s32 cpu);
  void timer_fn();

  ScxOpsInfo info_;
  std::deque<s32> central_q_;
  std::vector<bool> gimme_;
  std::vector<u64> started_at_;
  u64 nr_timers_ = 0;
  u64 nr_queued_ = 0;
};

}  // namespace scx
