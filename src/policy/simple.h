// scx_simple's two modes: one shared DSQ, either FIFO or ordered by weighted vtime. An idle CPU
// found by the default selection gets the task directly on its local DSQ.
#pragma once

#include "kernel/ext/ops.h"
#include "policy/counters.h"

namespace scx {

class SimplePolicy : public ScxOps, public ExportedCounters {
 public:
  explicit SimplePolicy(bool fifo);
  const ScxOpsInfo& info() const override { return info_; }
  s32 select_cpu(task_struct* p, s32 prev_cpu, u64 wake_flags) override;
  void enqueue(task_struct* p, u64 enq_flags) override;
  void dispatch(s32 cpu, task_struct* prev) override;
  void running(task_struct* p) override;
  void stopping(task_struct* p, bool runnable) override;
  void enable(task_struct* p) override;
  s32 init() override;

  static constexpr u64 kSharedDsq = 0;
  u64 nr_local() const { return nr_local_; }
  u64 nr_global() const { return nr_global_; }
  // --probe nr_local / nr_global: the BPF twin's stats[0] / stats[1].
  std::vector<std::string> counter_names() const override { return {"nr_local", "nr_global"}; }
  int64_t counter(size_t i) const override { return static_cast<int64_t>(i == 0 ? nr_local_ : nr_global_); }

 private:
  ScxOpsInfo info_;
  bool fifo_;
  u64 vtime_now_ = 0;
  u64 nr_local_ = 0, nr_global_ = 0;
};

}  // namespace scx
