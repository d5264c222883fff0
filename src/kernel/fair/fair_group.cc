// Task groups of the fair class (Linux fair.c and core.c, CONFIG_FAIR_GROUP_SCHED): creating
// and freeing a cgroup's per-CPU group entities and runqueues, moving a task between groups,
// the group weight (calc_group_shares(), reweight of the group entity, cpu.weight and
// cpu.idle), the group PELT bookkeeping (tg->load_avg, propagation of a child's load into its
// group entity, blocked decay) and the hierarchical load of the balancer (task_h_load()).
// docs/cgroups.md, "Fair group scheduling".
#include <algorithm>

#include "base/check.h"
#include "kernel/cgroup/cgroup.h"
#include "kernel/fair/fair_internal.h"
#include "kernel/kernel.h"

namespace scx {
using namespace fair_detail;

namespace {

// add_positive(): var += delta, floored at 0.
void add_positive(uint64_t& var, int64_t delta) {
  const int64_t res = static_cast<int64_t>(var) + delta;
  var = res < 0 ? 0 : static_cast<uint64_t>(res);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Creation, removal, task moves

void FairClass::cgroup_online(Cgroup& cg) {
  // alloc_fair_sched_group() + init_tg_cfs_entry() + online_fair_sched_group().
  if (cg.is_root()) return;
  const size_t index = static_cast<size_t>(cg.index());
  if (tgs_.size() <= index) tgs_.resize(index + 1);
  auto tg = std::make_unique<fair::TaskGroup>();
  tg->cgroup = &cg;
  tg->parent = cg.parent()->is_root() ? nullptr : tgs_[cg.parent()->index()].get();
  tg->shares = std::clamp(cg.shares(), kMinShares, kMaxShares);
  for (int cpu = 0; cpu < k_.nr_cpus(); ++cpu) {
    auto gc = std::make_unique<fair::GroupCpu>(&config_.features, &config_.tunables);
    fair::CfsRqState& parent = tg->parent ? tg->parent->cpus[cpu]->state : cpus_[cpu].cfs;
    gc->q.owner = &gc->state;
    gc->q.forward_resched_to(cfs_[cpu].get());
    gc->state.q = &gc->q;
    gc->state.tg = tg.get();
    gc->state.cpu = cpu;
    gc->state.se = &gc->se;
    fair::SchedEntity& se = gc->se;
    se.owner = gc.get();
    se.my_q = &gc->q;
    se.cfs_rq = parent.q;
    se.parent_entity = parent.se;
    se.depth = parent.se ? parent.se->depth + 1 : 0;
    se.weight = fair::kNice0Load;
    se.slice = config_.tunables.base_slice_ns;
    tg->cpus.push_back(std::move(gc));
  }
  fair::TaskGroup& t = *tg;
  tgs_[index] = std::move(tg);
  // online_fair_sched_group(): the group entities join their parents' PELT (with no load).
  for (int cpu = 0; cpu < k_.nr_cpus(); ++cpu) {
    fair::GroupCpu& gc = *t.cpus[cpu];
    attach_entity_cfs_rq(cfs_rq_of(gc.se), gc.se);
  }
  if (cg.idle()) sched_group_set_idle(t, true);
  bw_group_online(t);
}

void FairClass::cgroup_offline(Cgroup& cg) {
  // unregister_fair_sched_group(): a delayed group entity leaves now; its load is removed.
  if (cg.is_root() || static_cast<size_t>(cg.index()) >= tgs_.size()) return;
  fair::TaskGroup* tg = tgs_[cg.index()].get();
  if (!tg) return;
  for (int cpu = 0; cpu < k_.nr_cpus(); ++cpu) {
    fair::GroupCpu& gc = *tg->cpus[cpu];
    SCX_CHECK_MSG(gc.state.h_nr_queued == 0, "removing a task group with queued tasks");
    if (gc.se.sched_delayed) {
      update_cfs_rq_load_avg(rq_clock_pelt(cpu), cfs_rq_of(gc.se));
      dequeue_entities(gc.se, DEQUEUE_SLEEP | DEQUEUE_DELAYED);
    }
    SCX_CHECK_MSG(!gc.se.on_rq && gc.se.cfs_rq->curr() != &gc.se, "removing a task group still queued");
    remove_group_entity_load_avg(gc);
  }
  bw_group_offline(cg);
  tgs_[cg.index()].reset();
}

void FairClass::remove_group_entity_load_avg(fair::GroupCpu& gc) {
  // remove_entity_load_avg() of a group entity: its parent forgets its load lazily.
  fair::CfsRqState& parent = cfs_rq_of(gc.se);
  fair::pelt_update(parent.avg.last_update_time, gc.se_avg, 0, 0, false, gc.se.weight);
  ++parent.removed.nr;
  parent.removed.util_avg += gc.se_avg.util_avg;
  parent.removed.load_avg += gc.se_avg.load_avg;
  parent.removed.runnable_avg += gc.se_avg.runnable_avg;
}

void FairClass::task_change_group(Task& p, Cgroup& from) {
  // task_change_group_fair(): p is dequeued (and put); its load leaves the old group's
  // runqueue and joins the new one's (detach_task_cfs_rq(), set_task_rq(),
  // attach_task_cfs_rq()). A new task (not yet attached) only changes its runqueue.
  if (p.sched_class != this) return;
  if (p.fair.attached) {
    fair::CfsRqState& old_cfs = group_rq(&from, p.cpu);
    update_load_avg(old_cfs, p.se, 0);
    detach_entity_load_avg(old_cfs, p.se);
    update_tg_load_avg(old_cfs);
    propagate_entity_cfs_rq(old_cfs);
    set_task_rq(p, p.cpu);
    attach_entity_cfs_rq(task_cfs_rq(p), p.se);
  } else {
    set_task_rq(p, p.cpu);
  }
}

void FairClass::cgroup_changed(Cgroup& cg, CgroupKnob knob) {
  if (cg.is_root() || static_cast<size_t>(cg.index()) >= tgs_.size() || !tgs_[cg.index()]) return;
  fair::TaskGroup& tg = *tgs_[cg.index()];
  switch (knob) {
    case CgroupKnob::Weight:
      // sched_group_set_shares() refuses an idle group (-EINVAL): the write keeps its weight.
      if (!tg.idle) sched_group_set_shares(tg, cg.shares());
      break;
    case CgroupKnob::Idle: sched_group_set_idle(tg, cg.idle()); break;
    case CgroupKnob::Max: bw_set_limit(cg); break;  // fair_bandwidth.cc
    default: break;
  }
}

// ---------------------------------------------------------------------------------------------
// Group weight

uint32_t FairClass::calc_group_shares(const fair::CfsRqState& gcfs) const {
  // calc_group_shares(): tg->shares split by this CPU's part of the group's load, with the
  // runqueue's instantaneous weight standing in when its average lags. Computed in the
  // kernel's scaled units (x1024), then scaled down as the engine's weights are.
  const fair::TaskGroup& tg = *gcfs.tg;
  const uint64_t tg_shares = uint64_t{tg.shares} << 10;
  const int64_t load = static_cast<int64_t>(std::max<uint64_t>(gcfs.q->load(), gcfs.avg.load_avg));
  int64_t tg_weight = tg.load_avg - static_cast<int64_t>(gcfs.tg_load_avg_contrib) + load;
  int64_t shares = static_cast<int64_t>(tg_shares) * load;
  if (tg_weight) shares /= tg_weight;
  shares = std::clamp<int64_t>(shares, kMinShares, static_cast<int64_t>(tg_shares));
  return std::max<uint32_t>(2, static_cast<uint32_t>(shares >> 10));  // scale_load_down()
}

void FairClass::update_cfs_group(fair::SchedEntity& se) {
  // update_cfs_group(): an empty group keeps its weight (DELAY_DEQUEUE needs it unchanged).
  if (se.is_task()) return;
  const fair::CfsRqState& gcfs = rq_state(*se.my_q);
  if (!gcfs.q->load()) return;
  if (bw_throttled_hierarchy(gcfs)) return;  // bandwidth control: a throttled hierarchy keeps its weight
  const uint32_t shares = calc_group_shares(gcfs);
  if (se.weight != shares) reweight_group_entity(se, shares);
}

void FairClass::reweight_group_entity(fair::SchedEntity& se, uint32_t weight) {
  // reweight_entity() of a group entity: EEVDF's lag-preserving reweight, and its load_avg
  // rescaled to the new weight inside its parent's average (dequeue/enqueue_load_avg()).
  fair::CfsRqState& cfs = cfs_rq_of(se);
  fair::SchedAvg& sa = se_avg(se);
  sub_positive(cfs.avg.load_avg, sa.load_avg);
  sub_positive(cfs.avg.load_sum, se.weight * sa.load_sum);
  cfs.avg.load_sum = std::max<uint64_t>(cfs.avg.load_sum, cfs.avg.load_avg * fair::kPeltMinDivider);
  cfs.q->reweight_entity(se, weight, k_.now());
  sa.load_avg = weight * sa.load_sum / fair::get_pelt_divider(sa);
  cfs.avg.load_avg += sa.load_avg;
  cfs.avg.load_sum += weight * sa.load_sum;
}

void FairClass::sched_group_set_shares(fair::TaskGroup& tg, uint32_t shares) {
  // __sched_group_set_shares(): every CPU's group entity and its ancestors are brought up to
  // date and reweighted.
  shares = std::clamp(shares, kMinShares, kMaxShares);
  if (tg.shares == shares) return;
  tg.shares = shares;
  for (int cpu = 0; cpu < k_.nr_cpus(); ++cpu) {
    for (fair::SchedEntity* se = &tg.cpus[cpu]->se; se; se = se->parent_entity) {
      update_load_avg(cfs_rq_of(*se), *se, kUpdateTg);
      update_cfs_group(*se);
    }
    apply_resched(k_.rq(cpu));
  }
}

void FairClass::sched_group_set_idle(fair::TaskGroup& tg, bool idle) {
  // sched_group_set_idle(): the group entity counts as SCHED_IDLE (se_is_idle(), the wakeup
  // preemption rules, sched_idle_cpu()) and weighs WEIGHT_IDLEPRIO; back to NICE_0 when unset.
  if (tg.idle == idle) return;
  tg.idle = idle;
  if (idle) sched_idle_seen_ = true;
  for (int cpu = 0; cpu < k_.nr_cpus(); ++cpu) {
    fair::GroupCpu& gc = *tg.cpus[cpu];
    gc.state.idle = idle;
    gc.se.policy = idle ? fair::FairPolicy::Idle : fair::FairPolicy::Normal;
    // The non-idle tasks below now count (or no longer count) as idle above.
    int delta = static_cast<int>(gc.state.h_nr_queued - gc.state.h_nr_idle);
    if (!idle) delta = -delta;
    for (fair::SchedEntity* se = &gc.se; se && se->on_rq; se = se->parent_entity) {
      fair::CfsRqState& cfs = cfs_rq_of(*se);
      cfs.h_nr_idle = static_cast<unsigned>(static_cast<int>(cfs.h_nr_idle) + delta);
      if (cfs.idle) break;  // already counted at this level and above
    }
  }
  const uint32_t shares = idle ? fair::kWeightIdlePrio : fair::kNice0Load;
  // __sched_group_set_shares() without the MIN_SHARES floor the write path applies first:
  // WEIGHT_IDLEPRIO (3) is above it anyway.
  sched_group_set_shares(tg, shares);
}

// ---------------------------------------------------------------------------------------------
// Group PELT

void FairClass::update_tg_load_avg(fair::CfsRqState& cfs) {
  // update_tg_load_avg(): publish this CPU's part of the group's load when it moved by more
  // than 1/64, at most once a millisecond per runqueue ("sched/fair: Ratelimit update to
  // tg->load_avg", 6.7).
  if (!cfs.tg) return;
  const Ns now = k_.now();
  if (cfs.last_update_tg_load_avg != kNever && now - cfs.last_update_tg_load_avg < kNsPerMs) return;
  const int64_t delta = static_cast<int64_t>(cfs.avg.load_avg) - static_cast<int64_t>(cfs.tg_load_avg_contrib);
  if (std::abs(delta) > static_cast<int64_t>(cfs.tg_load_avg_contrib / 64)) {
    cfs.tg->load_avg += delta;
    cfs.tg_load_avg_contrib = cfs.avg.load_avg;
    cfs.last_update_tg_load_avg = now;
  }
}

void FairClass::add_tg_cfs_propagate(fair::CfsRqState& cfs, int64_t runnable_sum) {
  cfs.propagate = true;
  cfs.prop_runnable_sum += runnable_sum;
}

bool FairClass::propagate_entity_load_avg(fair::SchedEntity& se) {
  // propagate_entity_load_avg(): a task attached to or detached from the group's runqueue
  // changes the group entity's averages at once, and its parent's with them.
  fair::CfsRqState& gcfs = rq_state(*se.my_q);
  if (!gcfs.propagate) return false;
  gcfs.propagate = false;
  fair::CfsRqState& cfs = cfs_rq_of(se);
  if (cfs.tg) add_tg_cfs_propagate(cfs, gcfs.prop_runnable_sum);
  update_tg_cfs_util_runnable(cfs, se, gcfs);
  update_tg_cfs_load(cfs, se, gcfs);
  return true;
}

void FairClass::update_tg_cfs_util_runnable(fair::CfsRqState& cfs, fair::SchedEntity& se, const fair::CfsRqState& gcfs) {
  // update_tg_cfs_util() and update_tg_cfs_runnable(): the group entity takes its runqueue's
  // util and runnable averages.
  fair::SchedAvg& sa = se_avg(se);
  const uint32_t divider = fair::get_pelt_divider(cfs.avg);
  if (const int64_t delta_avg = static_cast<int64_t>(gcfs.avg.util_avg) - static_cast<int64_t>(sa.util_avg)) {
    sa.util_avg = gcfs.avg.util_avg;
    const uint32_t new_sum = static_cast<uint32_t>(sa.util_avg * divider);
    const int64_t delta_sum = static_cast<int64_t>(new_sum) - static_cast<int64_t>(sa.util_sum);
    sa.util_sum = new_sum;
    add_positive(cfs.avg.util_avg, delta_avg);
    uint64_t util_sum = cfs.avg.util_sum;
    add_positive(util_sum, delta_sum);
    cfs.avg.util_sum = std::max<uint32_t>(static_cast<uint32_t>(util_sum), static_cast<uint32_t>(cfs.avg.util_avg * fair::kPeltMinDivider));
  }
  if (const int64_t delta_avg = static_cast<int64_t>(gcfs.avg.runnable_avg) - static_cast<int64_t>(sa.runnable_avg)) {
    sa.runnable_avg = gcfs.avg.runnable_avg;
    const uint64_t new_sum = sa.runnable_avg * divider;
    const int64_t delta_sum = static_cast<int64_t>(new_sum) - static_cast<int64_t>(sa.runnable_sum);
    sa.runnable_sum = new_sum;
    add_positive(cfs.avg.runnable_avg, delta_avg);
    add_positive(cfs.avg.runnable_sum, delta_sum);
    cfs.avg.runnable_sum = std::max<uint64_t>(cfs.avg.runnable_sum, cfs.avg.runnable_avg * fair::kPeltMinDivider);
  }
}

void FairClass::update_tg_cfs_load(fair::CfsRqState& cfs, fair::SchedEntity& se, fair::CfsRqState& gcfs) {
  // update_tg_cfs_load(): the propagated (unweighted) runnable sum becomes the group entity's
  // load_sum; a removal is estimated from the runqueue's average per unit of weight.
  int64_t runnable_sum = gcfs.prop_runnable_sum;
  if (!runnable_sum) return;
  gcfs.prop_runnable_sum = 0;
  fair::SchedAvg& sa = se_avg(se);
  const uint32_t divider = fair::get_pelt_divider(cfs.avg);
  if (runnable_sum >= 0) {
    runnable_sum += static_cast<int64_t>(sa.load_sum);
    runnable_sum = std::min<int64_t>(runnable_sum, divider);
  } else {
    uint64_t load_sum = 0;
    if (gcfs.q->load()) load_sum = gcfs.avg.load_sum / gcfs.q->load();
    runnable_sum = static_cast<int64_t>(std::min<uint64_t>(sa.load_sum, load_sum));
  }
  const int64_t running_sum = sa.util_sum >> fair::kSchedCapacityShift;
  runnable_sum = std::max(runnable_sum, running_sum);
  const uint64_t load_sum = uint64_t{se.weight} * static_cast<uint64_t>(runnable_sum);
  const uint64_t load_avg = load_sum / divider;
  const int64_t delta_avg = static_cast<int64_t>(load_avg) - static_cast<int64_t>(sa.load_avg);
  if (!delta_avg) return;
  const int64_t delta_sum = static_cast<int64_t>(load_sum) - static_cast<int64_t>(se.weight * sa.load_sum);
  sa.load_sum = static_cast<uint64_t>(runnable_sum);
  sa.load_avg = load_avg;
  add_positive(cfs.avg.load_avg, delta_avg);
  add_positive(cfs.avg.load_sum, delta_sum);
  cfs.avg.load_sum = std::max<uint64_t>(cfs.avg.load_sum, cfs.avg.load_avg * fair::kPeltMinDivider);
}

void FairClass::update_blocked_groups(int cpu, Ns now) {
  // __update_blocked_fair() over the group runqueues, children before parents (a child cgroup
  // has a higher index than its parent): decay, publish to tg->load_avg, then refresh the
  // group entity so the decay reaches the parent.
  for (size_t i = tgs_.size(); i-- > 0;) {
    if (!tgs_[i]) continue;
    fair::GroupCpu& gc = *tgs_[i]->cpus[cpu];
    fair::CfsRqState& cfs = gc.state;
    if (cfs_rq_is_decayed(cfs) && !gc.se_avg.load_avg && !gc.se_avg.util_avg) continue;  // off the leaf list
    if (update_cfs_rq_load_avg(now, cfs)) update_tg_load_avg(cfs);
    // skip_blocked_update(): nothing left to pass on.
    if (gc.se_avg.load_avg || gc.se_avg.util_avg || cfs.propagate) update_load_avg(cfs_rq_of(gc.se), gc.se, kUpdateTg);
  }
}

bool FairClass::cfs_rq_is_decayed(const fair::CfsRqState& cfs) const {
  return !cfs.q->load() && !cfs.avg.load_sum && !cfs.avg.util_sum && !cfs.avg.runnable_sum && !cfs.propagate;
}

bool FairClass::has_blocked_groups(int cpu) const {
  // cfs_rq_has_blocked() of any group runqueue.
  for (const auto& tg : tgs_)
    if (tg && (tg->cpus[cpu]->state.avg.load_avg || tg->cpus[cpu]->state.avg.util_avg)) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Hierarchical load

void FairClass::update_cfs_rq_h_load(fair::CfsRqState& target) const {
  // update_cfs_rq_h_load(): walk up to the first runqueue refreshed this jiffy (or the root),
  // then hand each level's share of the load down: h_load(child) = h_load * se.load_avg /
  // (load_avg + 1). Cached per jiffy.
  const int64_t now = jiffies();
  if (target.last_h_load_update == now) return;
  fair::CfsRqState* cfs = &target;
  cfs->h_load_next = nullptr;
  fair::SchedEntity* se = target.se;
  for (; se; se = se->parent_entity) {
    cfs = &rq_state(*se->cfs_rq);
    cfs->h_load_next = se;
    if (cfs->last_h_load_update == now) break;
  }
  if (!se) {
    cfs->h_load = cfs->avg.load_avg;
    cfs->last_h_load_update = now;
  }
  while ((se = cfs->h_load_next) != nullptr) {
    const uint64_t load = cfs->h_load * se_avg_of(*se).load_avg / (cfs->avg.load_avg + 1);
    cfs = &rq_state(*se->my_q);
    cfs->h_load = load;
    cfs->last_h_load_update = now;
  }
}

uint64_t FairClass::task_h_load(const Task& p) const {
  // task_h_load(): the task's load as a share of its CPU's. Without any task group the flat
  // value (the task's own load_avg) is kept, so runs without cgroups stay as they were.
  if (tgs_.empty()) return p.fair.avg.load_avg;
  fair::CfsRqState& cfs = const_cast<FairClass*>(this)->group_rq(p.cgroup, p.cpu);
  update_cfs_rq_h_load(cfs);
  return p.fair.avg.load_avg * cfs.h_load / (cfs.avg.load_avg + 1);
}

const fair::SchedAvg& FairClass::se_avg_of(const fair::SchedEntity& se) const {
  return const_cast<FairClass*>(this)->se_avg(const_cast<fair::SchedEntity&>(se));
}

}  // namespace scx
