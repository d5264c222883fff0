// Built-in idle tracking, the default CPU selection (scx_select_cpu_dfl, V612) and kicks
// (kernel/sched/ext_idle.c and the kick irq_work of ext.c).
#include <fmt/format.h>

#include "kernel/ext/ext_class.h"
#include "kernel/ext/ext_internal.h"
#include "kernel/kernel.h"

namespace scx {
namespace {
constexpr int kEBUSY = 16;
constexpr int kEINVAL = 22;
}

void ExtClass::update_idle_masks(int cpu, bool idle) {
  const Topology& t = k_.topo();
  if (idle) {
    idle_cpu_.set(cpu);
    if (t.has_smt()) {
      const CpuMask& smt = t.smt_siblings(cpu);
      if (smt.subset_of(idle_cpu_)) idle_smt_ |= smt;
    }
  } else {
    idle_cpu_.clear(cpu);
    if (t.has_smt()) idle_smt_ = idle_smt_.and_not(t.smt_siblings(cpu));
  }
}

void ExtClass::idle_transition(Rq& rq, bool idle, bool real) {
  if (!ops_ || !enabled()) return;
  // V612 notifies ops.update_idle before updating the built-in masks, and only on real
  // transitions; an idle->idle pass re-marks the masks silently.
  if (real && info_.has(ScxOp::UpdateIdle) && !bypassing()) {
    OpScope op(*this, ScxOp::UpdateIdle, SCX_KF_REST);
    ops_->update_idle(rq.cpu, idle);
    if (!builtin_idle_) return;
  }
  if (builtin_idle_) update_idle_masks(rq.cpu, idle);
}

bool ExtClass::test_and_clear_cpu_idle(s32 cpu) {
  if (!ops_cpu_valid(cpu, nullptr)) return false;
  const Topology& t = k_.topo();
  if (t.has_smt()) {
    const CpuMask& smt = t.smt_siblings(cpu);
    if (smt.intersects(idle_smt_)) idle_smt_ = idle_smt_.and_not(smt);
  }
  const bool was = idle_cpu_.test(cpu);
  idle_cpu_.clear(cpu);
  return was;
}

int ExtClass::idle_node_of(int cpu) const { return idle_per_node_ ? k_.topo().cpu(cpu).node : -1; }

bool ExtClass::idle_cpus_empty(int node) const {
  return node < 0 ? idle_cpu_.empty() : !idle_cpu_.intersects(k_.topo().node_cpus(node));
}

// pick_idle_cpu_in_node(): the node's masks are the global ones restricted to its CPUs.
s32 ExtClass::pick_idle_cpu_in_node(const CpuMask& allowed, int node, u64 flags) {
  const CpuMask in = node < 0 ? allowed : allowed & k_.topo().node_cpus(node);
  for (;;) {
    int cpu = -1;
    if (k_.topo().has_smt()) {
      cpu = k_.any_and_distribute(idle_smt_, in);
      if (cpu < 0 && (flags & SCX_PICK_IDLE_CORE)) return -kEBUSY;
    }
    if (cpu < 0) cpu = k_.any_and_distribute(idle_cpu_, in);
    if (cpu < 0) return -kEBUSY;
    if (test_and_clear_cpu_idle(cpu)) return cpu;
  }
}

s32 ExtClass::pick_idle_cpu_mask(const CpuMask& allowed, int node, u64 flags) {
  s32 cpu = pick_idle_cpu_in_node(allowed, node, flags);
  if (cpu >= 0 || node < 0 || (flags & SCX_PICK_IDLE_IN_NODE)) return cpu;
  for (int other : k_.topo().nodes_by_distance(node)) {
    if (other == node) continue;
    cpu = pick_idle_cpu_in_node(allowed, other, flags);
    if (cpu >= 0) return cpu;
  }
  return -kEBUSY;
}

s32 ExtClass::scx_select_cpu_dfl(Task& p, s32 prev_cpu, u64 wake_flags, bool* found, const CpuMask* and_mask,
                                   u64 pick_flags) {
  *found = false;
  if (!builtin_idle_) {
    scx_error(SCX_EXIT_ERROR, 0, "built-in idle tracking is disabled");
    return prev_cpu;
  }
  // scx_bpf_select_cpu_and() narrows the search; prev then counts only if it is in the mask.
  CpuMask narrowed;
  if (and_mask) narrowed = p.cpus_allowed & *and_mask;
  const CpuMask& allowed = and_mask ? narrowed : p.cpus_allowed;
  const bool prev_ok = !and_mask || allowed.test(prev_cpu);
  const bool core_only = pick_flags & SCX_PICK_IDLE_CORE;
  // With per-node idle masks every search starts in prev's node (6.15).
  const int node = idle_node_of(prev_cpu);
  // 1. Sync wakeup: the waker's CPU, if its local DSQ is empty (not claimed).
  if ((wake_flags & SCX_WAKE_SYNC) && !core_only) {
    const int cpu = k_.this_cpu();
    const int waker_node = idle_node_of(cpu);
    const bool node_ok = !(pick_flags & SCX_PICK_IDLE_IN_NODE) || waker_node == node;
    if (!idle_cpus_empty(waker_node) && node_ok && !(k_.rq(cpu).curr->kt().flags & PF_EXITING) &&
        rqs_[cpu].local.nr == 0 && allowed.test(cpu)) {
      *found = true;
      return cpu;
    }
  }
  if (k_.topo().has_smt()) {
    // 2. A wholly idle core: prev's first, then any.
    if (prev_ok && idle_smt_.test(prev_cpu) && test_and_clear_cpu_idle(prev_cpu)) {
      *found = true;
      return prev_cpu;
    }
    s32 cpu = pick_idle_cpu_mask(allowed, node, pick_flags | SCX_PICK_IDLE_CORE);
    if (cpu >= 0) {
      *found = true;
      return cpu;
    }
  }
  if (core_only) return prev_cpu;
  // 3. prev, 4. any idle CPU.
  if (prev_ok && test_and_clear_cpu_idle(prev_cpu)) {
    *found = true;
    return prev_cpu;
  }
  s32 cpu = pick_idle_cpu_mask(allowed, node, pick_flags);
  if (cpu >= 0) {
    *found = true;
    return cpu;
  }
  return prev_cpu;
}

s32 ExtClass::select_cpu_dfl(task_struct* kp, s32 prev_cpu, u64 wake_flags, bool* is_idle) {
  if (is_idle) *is_idle = false;
  if (!kf_allowed(SCX_KF_SELECT_CPU, "scx_bpf_select_cpu_dfl")) return prev_cpu;
  if (!ops_cpu_valid(prev_cpu, nullptr)) return prev_cpu;
  Task* p = task_of(kp);
  if (!p) return prev_cpu;
  bool found = false;
  s32 cpu = scx_select_cpu_dfl(*p, prev_cpu, wake_flags, &found);
  if (is_idle) *is_idle = found;
  return cpu;
}

s32 ExtClass::select_cpu_and(task_struct* kp, s32 prev_cpu, u64 wake_flags, const cpumask* cpus_allowed, u64 flags) {
  // Allowed from ops.select_cpu, ops.enqueue and unlocked contexts (timers, syscalls).
  if (kf_.mask && !kf_allowed(SCX_KF_SELECT_CPU | SCX_KF_ENQUEUE, "scx_bpf_select_cpu_and")) return -kEINVAL;
  if (!builtin_idle_) {
    scx_error(SCX_EXIT_ERROR, 0, "built-in idle tracking is disabled");
    return -kEBUSY;
  }
  if (!ops_cpu_valid(prev_cpu, nullptr)) return -kEINVAL;
  Task* p = task_of(kp);
  if (!p) return -kEINVAL;
  const CpuMask mask = mask_from(cpus_allowed);
  bool found = false;
  s32 cpu = scx_select_cpu_dfl(*p, prev_cpu, wake_flags, &found, &mask, flags);
  return found ? cpu : -kEBUSY;
}

const cpumask* ExtClass::no_cpus() {
  static const cpumask none{};
  return &none;
}

const cpumask* ExtClass::get_idle_cpumask() {
  if (idle_per_node_) {
    scx_error(SCX_EXIT_ERROR, 0, "SCX_OPS_BUILTIN_IDLE_PER_NODE enabled");
    return no_cpus();
  }
  if (!builtin_idle_) {
    scx_error(SCX_EXIT_ERROR, 0, "built-in idle tracking is disabled");
    return no_cpus();
  }
  copy_mask(idle_cpu_, &idle_cpu_view_);
  return &idle_cpu_view_;
}

const cpumask* ExtClass::get_idle_smtmask() {
  if (idle_per_node_) {
    scx_error(SCX_EXIT_ERROR, 0, "SCX_OPS_BUILTIN_IDLE_PER_NODE enabled");
    return no_cpus();
  }
  if (!builtin_idle_) {
    scx_error(SCX_EXIT_ERROR, 0, "built-in idle tracking is disabled");
    return no_cpus();
  }
  copy_mask(k_.topo().has_smt() ? idle_smt_ : idle_cpu_, &idle_smt_view_);
  return &idle_smt_view_;
}

s32 ExtClass::pick_idle_cpu(const cpumask* allowed, u64 flags) {
  if (idle_per_node_) {
    scx_error(SCX_EXIT_ERROR, 0, "per-node idle tracking is enabled");
    return -kEBUSY;
  }
  if (!builtin_idle_) {
    scx_error(SCX_EXIT_ERROR, 0, "built-in idle tracking is disabled");
    return -kEBUSY;
  }
  return pick_idle_cpu_mask(mask_from(allowed), -1, flags);
}

s32 ExtClass::pick_any_cpu(const cpumask* allowed, u64 flags) {
  if (idle_per_node_) {
    scx_error(SCX_EXIT_ERROR, 0, "per-node idle tracking is enabled");
    return -kEBUSY;
  }
  const CpuMask m = mask_from(allowed) & k_.topo().all_cpus();
  if (builtin_idle_) {
    s32 cpu = pick_idle_cpu_mask(m, -1, flags);
    if (cpu >= 0) return cpu;
  }
  int cpu = k_.any_and_distribute(m, k_.topo().all_cpus());
  return cpu >= 0 ? cpu : -kEBUSY;
}

// --- Kicks: recorded now, applied by an irq_work after the current callback returns --------

void ExtClass::kick_cpu_internal(int cpu, u64 flags) {
  const int self = this_cpu();
  if (bypassing()) return;
  ScxRq& me = rqs_[self];
  if (flags & SCX_KICK_IDLE) {
    me.cpus_to_kick_if_idle.set(cpu);
    if (flags & (SCX_KICK_PREEMPT | SCX_KICK_WAIT))
      scx_error(SCX_EXIT_ERROR, 0, "PREEMPT/WAIT cannot be used with SCX_KICK_IDLE");
  } else {
    me.cpus_to_kick.set(cpu);
  }
  if (flags & SCX_KICK_PREEMPT) me.cpus_to_preempt.set(cpu);
  if (flags & SCX_KICK_WAIT) me.cpus_to_wait.set(cpu);
  if (!me.kick_work_pending) {
    me.kick_work_pending = true;
    k_.schedule_callback(k_.now(), self, [this, self] { kick_cpus_irq_workfn(self); });
  }
}

void ExtClass::kick_cpus_irq_workfn(int self) {
  ScxRq& me = rqs_[self];
  me.kick_work_pending = false;
  const CpuMask kick = me.cpus_to_kick, kick_idle = me.cpus_to_kick_if_idle;
  me.cpus_to_kick.clear_all();
  me.cpus_to_kick_if_idle.clear_all();
  bool should_wait = false;
  for (int cpu : kick) {
    Rq& rq = k_.rq(cpu);
    if (me.cpus_to_preempt.test(cpu)) {
      if (rq.curr->sched_class == this) rq.curr->kt().scx.slice = 0;
      me.cpus_to_preempt.clear(cpu);
    }
    if (me.cpus_to_wait.test(cpu)) should_wait = true;
    k_.resched_curr(rq);
  }
  for (int cpu : kick_idle) {
    Rq& rq = k_.rq(cpu);
    // Skip CPUs proven busy: running a task and not inside balance.
    const bool busy = !rq.curr->is_idle_task() && !rqs_[cpu].in_balance;
    if (!busy) k_.resched_curr(rq);
  }
  if (!should_wait) return;
  // SCX_KICK_WAIT (V612): this CPU busy-waits, interrupts off, until each target's pnt_seq
  // moves on from its value now, i.e. until the target switches from an ext task to another
  // class (switch_class calls pnt_seq_advanced). A CPU never waits for itself.
  for (int cpu : me.cpus_to_wait) {
    if (cpu != self) {
      me.waiting_on.set(cpu);
      rqs_[cpu].waiters.set(self);
    }
  }
  me.cpus_to_wait.clear_all();
  if (me.waiting_on.empty()) return;
  ++kick_waits_;
  me.wait_began = k_.now();
  k_.hold_cpu(self);
}

void ExtClass::pnt_seq_advanced(int cpu) {
  ScxRq& target = rqs_[cpu];
  if (target.waiters.empty()) return;
  const CpuMask waiters = target.waiters;
  target.waiters.clear_all();
  for (int w : waiters) {
    ScxRq& waiter = rqs_[w];
    waiter.waiting_on.clear(cpu);
    if (waiter.waiting_on.empty()) end_kick_wait(w);
  }
}

void ExtClass::end_kick_wait(int cpu) {
  ScxRq& waiter = rqs_[cpu];
  for (int t : waiter.waiting_on) rqs_[t].waiters.clear(cpu);
  waiter.waiting_on.clear_all();
  kick_wait_ns_ += k_.now() - waiter.wait_began;
  k_.release_cpu(cpu);
}

}  // namespace scx
