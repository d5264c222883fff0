// sched_ext and cgroups (kernel/sched/ext.c, CONFIG_EXT_GROUP_SCHED; docs/cgroups.md "sched_ext
// and cgroups"): the cgroup ops at enable and disable, the cpu controller's callbacks while a
// policy is loaded, and scx_bpf_task_cgroup().
#include <fmt/format.h>

#include "kernel/cgroup/cgroup.h"
#include "kernel/ext/ext_class.h"
#include "kernel/ext/ext_internal.h"
#include "kernel/kernel.h"

namespace scx {

namespace {

constexpr u64 kRuntimeInf = ~0ULL;  // RUNTIME_INF: cpu.max "max"
constexpr int kMaxErrno = 4095;

struct Bandwidth {
  u64 period_us, quota_us, burst_us;
};

// tg_set_bandwidth()'s arguments for the cgroup's cpu.max (no cpu.max.burst is simulated).
Bandwidth bandwidth_of(const Cgroup& cg) {
  return {static_cast<u64>(cg.max().period / kNsPerUs),
          cg.max().limited() ? static_cast<u64>(cg.max().quota / kNsPerUs) : kRuntimeInf, 0};
}

}  // namespace

ExtClass::ScxTg& ExtClass::tg_of(const Cgroup& cg) {
  if (static_cast<size_t>(cg.index()) >= tgs_.size()) tgs_.resize(static_cast<size_t>(cg.index()) + 1);
  return tgs_[static_cast<size_t>(cg.index())];
}

Cgroup& ExtClass::task_cgroup_of(const Task& p) const { return p.cgroup ? *p.cgroup : k_.cgroups().root(); }

s32 ExtClass::cgroup_init_op(Cgroup& cg) {
  const ScxTg& tg = tg_of(cg);
  scx_cgroup_init_args args{};
  args.weight = tg.weight;
  args.bw_period_us = tg.bw_period_us;
  args.bw_quota_us = tg.bw_quota_us;
  args.bw_burst_us = tg.bw_burst_us;
  OpScope op(*this, ScxOp::CgroupInit, SCX_KF_UNLOCKED);
  return ops_->cgroup_init(cg.kernel_cgroup(), &args);
}

// scx_cgroup_init(): after ops.init, before any task's init_task; the cgroups inited stay so
// (ops.cgroup_exit is owed) even if a later one fails the load.
bool ExtClass::cgroup_init_all() {
  for (Cgroup* cg : k_.cgroups().preorder()) {
    ScxTg& tg = tg_of(*cg);
    if (tg.inited) continue;
    if (!info_.has(ScxOp::CgroupInit)) {
      tg.inited = true;
      continue;
    }
    if (s32 ret = cgroup_init_op(*cg)) {
      scx_error(SCX_EXIT_ERROR, 0, fmt::format("ops.cgroup_init() failed ({})", ret));
      return false;
    }
    tg.inited = true;
    if (exit_kind_ != SCX_EXIT_NONE) return false;
  }
  cgroup_enabled_ = true;
  return true;
}

// scx_cgroup_exit(): children before parents, once the tasks have left, before ops.exit.
void ExtClass::cgroup_exit_all() {
  cgroup_enabled_ = false;
  for (Cgroup* cg : k_.cgroups().postorder()) {
    ScxTg& tg = tg_of(*cg);
    if (!tg.inited) continue;
    tg.inited = false;
    if (!info_.has(ScxOp::CgroupExit)) continue;
    OpScope op(*this, ScxOp::CgroupExit, SCX_KF_UNLOCKED);
    ops_->cgroup_exit(cg->kernel_cgroup());
  }
}

// scx_tg_online(). The kernel fails the mkdir when ops.cgroup_init fails; here the cgroup
// exists regardless and is left uninited (no ops.cgroup_exit for it), with a log line.
void ExtClass::cgroup_online(Cgroup& cg) {
  tg_of(cg) = ScxTg{};
  if (!cgroup_enabled_) return;
  if (!info_.has(ScxOp::CgroupInit)) {
    tg_of(cg).inited = true;
    return;
  }
  if (s32 ret = cgroup_init_op(cg)) {
    if (ret > 0 || ret < -kMaxErrno) scx_error(SCX_EXIT_ERROR, 0, fmt::format("ops.cgroup_init() returned an invalid errno {}", ret));
    log_line(fmt::format("sched_ext: ops.cgroup_init() failed ({}) for {}: the kernel's mkdir fails", ret, cg.path()));
    return;
  }
  tg_of(cg).inited = true;
}

// scx_tg_offline(), then the cgroup's release: the policy forgets it.
void ExtClass::cgroup_offline(Cgroup& cg) {
  ScxTg& tg = tg_of(cg);
  if (cgroup_enabled_ && tg.inited && info_.has(ScxOp::CgroupExit)) {
    OpScope op(*this, ScxOp::CgroupExit, SCX_KF_UNLOCKED);
    ops_->cgroup_exit(cg.kernel_cgroup());
  }
  tg = ScxTg{};
  if (ops_) ops_->cgroup_released(cg.kernel_cgroup());
}

// scx_group_set_weight() and (6.17+) scx_group_set_bandwidth(): only a change is told. The
// values are tracked while no policy is loaded too: ops.cgroup_init gets them. On 6.12 there
// is no ops.cgroup_set_bandwidth (scx user space clears the member: it is never called); 6.19's
// ops.cgroup_set_idle is not a member of either simulated kernel's ops.
void ExtClass::cgroup_changed(Cgroup& cg, CgroupKnob knob) {
  ScxTg& tg = tg_of(cg);
  const bool live = cgroup_enabled_;
  switch (knob) {
    case CgroupKnob::Weight: {
      const u32 w = cg.weight();
      if (live && info_.has(ScxOp::CgroupSetWeight) && tg.weight != w) {
        OpScope op(*this, ScxOp::CgroupSetWeight, SCX_KF_UNLOCKED);
        ops_->cgroup_set_weight(cg.kernel_cgroup(), w);
      }
      tg.weight = w;
      break;
    }
    case CgroupKnob::Max: {
      const Bandwidth bw = bandwidth_of(cg);
      if (live && info_.has(ScxOp::CgroupSetBandwidth) && k_.kernel_version() >= KernelVersion::V6_18 &&
          (tg.bw_period_us != bw.period_us || tg.bw_quota_us != bw.quota_us || tg.bw_burst_us != bw.burst_us)) {
        OpScope op(*this, ScxOp::CgroupSetBandwidth, SCX_KF_UNLOCKED);
        ops_->cgroup_set_bandwidth(cg.kernel_cgroup(), bw.period_us, bw.quota_us, bw.burst_us);
      }
      tg.bw_period_us = bw.period_us;
      tg.bw_quota_us = bw.quota_us;
      tg.bw_burst_us = bw.burst_us;
      break;
    }
    case CgroupKnob::Idle:
      break;
  }
}

// scx_cgroup_can_attach() for a one-task taskset: ops.cgroup_prep_move, and on success
// p->scx.cgrp_moving_from; a refusal leaves it unset, so the refused task gets no
// ops.cgroup_cancel_move (only tasks that had agreed earlier in the taskset would).
int ExtClass::cgroup_can_attach(Task& p, Cgroup& from, Cgroup& to) {
  if (!cgroup_enabled_ || &from == &to) return 0;
  if (info_.has(ScxOp::CgroupPrepMove)) {
    s32 ret;
    {
      OpScope op(*this, ScxOp::CgroupPrepMove, SCX_KF_UNLOCKED);
      ret = ops_->cgroup_prep_move(&p.kt(), from.kernel_cgroup(), to.kernel_cgroup());
    }
    if (ret) {
      if (ret < 0 && ret >= -kMaxErrno) return ret;
      scx_error(SCX_EXIT_ERROR, 0, fmt::format("ops.cgroup_prep_move() returned an invalid errno {}", ret));
      return -71;  // -EPROTO
    }
  }
  p.kt().scx.cgrp_moving_from = from.kernel_cgroup();
  return 0;
}

// scx_cgroup_cancel_attach(): another controller refused the move this class agreed to.
void ExtClass::cgroup_cancel_attach(Task& p, Cgroup&, Cgroup& to) {
  if (!cgroup_enabled_) return;
  if (info_.has(ScxOp::CgroupCancelMove) && p.kt().scx.cgrp_moving_from) {
    OpScope op(*this, ScxOp::CgroupCancelMove, SCX_KF_UNLOCKED);
    ops_->cgroup_cancel_move(&p.kt(), p.kt().scx.cgrp_moving_from, to.kernel_cgroup());
  }
  p.kt().scx.cgrp_moving_from = nullptr;
}

// scx_cgroup_move_task(), inside sched_move_task()'s dequeue/enqueue: only a move that went
// through ops.cgroup_prep_move (cgrp_moving_from set) is told.
void ExtClass::task_change_group(Task& p, Cgroup&) {
  if (!cgroup_enabled_) return;
  if (info_.has(ScxOp::CgroupMove) && p.kt().scx.cgrp_moving_from) {
    OpScope op(*this, ScxOp::CgroupMove, SCX_KF_UNLOCKED, &p.kt());
    ops_->cgroup_move(&p.kt(), p.kt().scx.cgrp_moving_from, task_cgroup_of(p).kernel_cgroup());
  }
  p.kt().scx.cgrp_moving_from = nullptr;
}

cgroup* ExtClass::task_cgroup(task_struct* kp) {
  ::cgroup* root = k_.cgroups().root().kernel_cgroup();
  if (!kf_allowed(__SCX_KF_RQ_LOCKED, "scx_bpf_task_cgroup")) return root;
  if (kp != kf_.tasks[0] && kp != kf_.tasks[1]) {
    scx_error(SCX_EXIT_ERROR, 0, "called on a task not being operated on");
    return root;
  }
  const Task* p = task_of(kp);
  return p ? task_cgroup_of(*p).kernel_cgroup() : root;
}

}  // namespace scx
