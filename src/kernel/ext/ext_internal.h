// Helpers shared by the ext class's source files (not part of its interface).
#pragma once

#include <cstring>

#include "base/cpumask.h"
#include "kernel/ext/ext_class.h"
#include "kernel/task.h"

namespace scx {

// p->scx.ops_state: the low 2 bits are the state, the rest the queue sequence number (qseq).
inline u64 ops_state(const Task& p) { return static_cast<u64>(p.kt().scx.ops_state.counter) & 3; }
inline u64 ops_qseq(const Task& p) { return static_cast<u64>(p.kt().scx.ops_state.counter) >> SCX_OPSS_QSEQ_SHIFT; }
inline void set_ops_state(Task& p, u64 state, u64 qseq) {
  p.kt().scx.ops_state.counter = static_cast<long>((qseq << SCX_OPSS_QSEQ_SHIFT) | state);
}

// p->scx.flags bits 8..9: NONE / INIT / READY / ENABLED.
inline int task_scx_state(const Task& p) {
  return static_cast<int>((p.kt().scx.flags & SCX_TASK_STATE_MASK) >> SCX_TASK_STATE_SHIFT);
}
inline void set_task_scx_state(Task& p, int st) {
  p.kt().scx.flags = (p.kt().scx.flags & ~static_cast<u32>(SCX_TASK_STATE_MASK)) |
                     (static_cast<u32>(st) << SCX_TASK_STATE_SHIFT);
}

inline void copy_mask(const CpuMask& from, cpumask* to) {
  const auto& w = from.words();
  for (size_t i = 0; i < w.size(); ++i) to->bits[i] = static_cast<unsigned long>(w[i]);
}
inline CpuMask mask_from(const cpumask* m) {
  static_assert(sizeof(m->bits) >= CpuMask::kWords * sizeof(uint64_t));  // NR_CPUS >= kMaxCpus
  if (!m) return CpuMask();
  uint64_t words[CpuMask::kWords];
  std::memcpy(words, m->bits, sizeof(words));
  return CpuMask::from_words(words);
}

// Enters an op's kfunc context (kf_mask and task arguments) for the duration of the call and
// counts it; restores the outer context afterwards (ops nest, e.g. enqueue inside cpu_release:
// the nested op's mask is added to the outer one, as scx_kf_allow() does, and taken away again
// when it returns, as scx_kf_disallow()).
class ExtClass::OpScope {
 public:
  OpScope(ExtClass& e, ScxOp op, u32 mask, task_struct* t0 = nullptr, task_struct* t1 = nullptr)
      : e_(e), saved_(e.kf_) {
    e.check_op_nesting(mask);
    e.kf_.mask = saved_.mask | mask;
    e.kf_.tasks[0] = t0;
    e.kf_.tasks[1] = t1;
    ++e.op_calls_[static_cast<int>(op)];
  }
  ~OpScope() { e_.kf_ = saved_; }
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;

 private:
  ExtClass& e_;
  KfContext saved_;
};

// Arms direct-dispatch capture for p (direct_dispatch_task) during select_cpu/enqueue and
// restores the outer capture afterwards.
class ExtClass::DdspScope {
 public:
  DdspScope(ExtClass& e, Task& p) : e_(e), task_(e.ddsp_task_), done_(e.ddsp_done_) {
    e.ddsp_task_ = &p;
    e.ddsp_done_ = false;
  }
  ~DdspScope() {
    e_.ddsp_task_ = task_;
    e_.ddsp_done_ = done_;
  }
  DdspScope(const DdspScope&) = delete;
  DdspScope& operator=(const DdspScope&) = delete;

 private:
  ExtClass& e_;
  Task* task_;
  bool done_;
};

}  // namespace scx
