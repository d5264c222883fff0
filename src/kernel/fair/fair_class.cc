#include "kernel/fair/fair_class.h"

#include <algorithm>

#include "base/check.h"
#include "kernel/fair/fair_internal.h"
#include "kernel/fair/weights.h"
#include "kernel/kernel.h"

namespace scx {
using namespace fair_detail;

namespace {

Task& task_of(fair::SchedEntity& se) { return *static_cast<Task*>(se.owner); }

fair::FairPolicy fair_policy(Policy p) {
  switch (p) {
    case Policy::Batch: return fair::FairPolicy::Batch;
    case Policy::Idle: return fair::FairPolicy::Idle;
    default: return fair::FairPolicy::Normal;
  }
}

}  // namespace

FairClass::FairClass(Kernel& k, FairConfig config) : SchedClass(ClassRank::Fair), k_(k), config_(config) {
  const int n = k_.nr_cpus();
  for (int cpu = 0; cpu < n; ++cpu)
    cfs_.push_back(std::make_unique<fair::CfsRq>(&config_.features, &config_.tunables));
  domains_ = std::make_unique<fair::SchedDomains>(k_.topo());
  cpus_.resize(n);
  for (int cpu = 0; cpu < n; ++cpu) {
    fair::CfsRqState& root = cpus_[cpu].cfs;
    root.q = cfs_[cpu].get();
    root.cpu = cpu;
    cfs_[cpu]->owner = &root;
  }
  bw_init();
  max_load_balance_interval_ = std::max<int64_t>(1, int64_t{k_.cost().hz} * n / 10);  // update_max_interval()
  if (config_.balance.shared_runq) shared_runq_ = std::make_unique<fair::SharedRunq>(*domains_);
  for (int cpu = 0; cpu < n; ++cpu) {
    Rq& rq = k_.rq(cpu);
    rq.avg_idle = 2 * config_.balance.migration_cost_ns;  // sched_init()
    rq.max_idle_balance_cost = config_.balance.migration_cost_ns;
    cpus_[cpu].clock_pelt = cpus_[cpu].clock_task_seen = 0;
  }
  // The machine starts as if it had idled and balanced once: SIS_UTIL's scan depth is what the
  // first periodic LLC balance computes for an idle LLC (the whole LLC; the kernel's zeroed
  // sched_domain_shared would disable the idle scan until then), and every CPU is in tickless
  // idle.
  for (int cpu = 0; cpu < n; ++cpu)
    if (fair::SchedDomainShared* sds = domains_->sd_llc_shared(cpu)) sds->nr_idle_scan = domains_->sd_llc_size(cpu);
  for (int cpu = 0; cpu < n; ++cpu) rq_idle_enter(k_.rq(cpu));
  // A class installed after cgroups were made learns of them now, parents first.
  for (Cgroup* cg : k_.cgroups().preorder())
    if (!cg->is_root()) cgroup_online(*cg);
}

FairClass::~FairClass() = default;

const fair::SchedAvg& FairClass::cfs_avg(int cpu) const { return cpus_[cpu].cfs.avg; }
const fair::CfsRqState& FairClass::root_rq_state(int cpu) const { return cpus_[cpu].cfs; }

const fair::TaskGroup* FairClass::task_group(const Cgroup& cg) const {
  const size_t i = static_cast<size_t>(cg.index());
  return i < tgs_.size() ? tgs_[i].get() : nullptr;
}

fair::CfsRqState& FairClass::task_cfs_rq(const Task& p) { return group_rq(p.cgroup, p.cpu); }
bool FairClass::nohz_idle(int cpu) const { return cpus_[cpu].nohz_tick_stopped; }

uint32_t FairClass::task_weight(const Task& p) {
  if (p.policy == Policy::Idle) return fair::kWeightIdlePrio;
  return fair::nice_to_weight(p.nice);
}

int FairClass::nr_queued(const Rq& rq) const {
  return static_cast<int>(cpus_[rq.cpu].cfs.h_nr_queued) + bw_hidden_[rq.cpu];
}

void FairClass::apply_resched(Rq& rq) {
  if (cfs_[rq.cpu]->take_resched()) k_.resched_curr(rq);
}

int64_t FairClass::jiffies() const { return static_cast<int64_t>(k_.now() / k_.cost().tick_ns()); }

int64_t FairClass::msecs_to_jiffies(int64_t ms) const {
  const int64_t hz = k_.cost().hz;
  return (ms * hz + 999) / 1000;
}

void FairClass::sync_entity_params(Task& p) {
  fair::SchedEntity& se = p.se;
  se.owner = &p;
  se.policy = fair_policy(p.policy);
  const uint32_t w = task_weight(p);
  // A nice or policy change reaches the entity while it is dequeued (the core dequeues with
  // DEQUEUE_SAVE around sched_setscheduler), as reweight_task() would see it.
  if (se.weight != w) se.cfs_rq->reweight_entity(se, w, k_.now());
}

// ---------------------------------------------------------------------------------------------
// PELT glue (fair.c update_load_avg() and friends, pelt.h clock_pelt)

Ns FairClass::rq_clock_pelt(int cpu) {
  CpuState& cs = cpus_[cpu];
  const Rq& rq = k_.rq(cpu);
  const Ns now = k_.now() + kPeltClockOrigin;
  if (now > cs.clock_task_seen) {
    if (rq.curr->is_idle_task()) {
      cs.clock_pelt = now;  // idle: resync to clock_task
    } else {
      // Busy: scale by capacity (no frequency scaling here) so util is invariant.
      const Ns delta = now - cs.clock_task_seen;
      cs.clock_pelt += rq.capacity == kCapacityScale ? delta : delta * rq.capacity / kCapacityScale;
    }
    cs.clock_task_seen = now;
  }
  return cs.clock_pelt - cs.lost_idle_time;
}

void FairClass::switching(Rq& rq, Task& prev, Task& next) {
  if (prev.is_idle_task() || next.is_idle_task()) rq_clock_pelt(rq.cpu);
}

FairClass::PeltClock FairClass::pelt_clock(int cpu) const {
  const CpuState& cs = cpus_[cpu];
  const Rq& rq = k_.rq(cpu);
  const Ns now = k_.now() + kPeltClockOrigin;
  Ns clock = cs.clock_pelt;
  if (now > cs.clock_task_seen) {
    const Ns delta = now - cs.clock_task_seen;
    if (rq.curr->is_idle_task()) clock = now;
    else clock += rq.capacity == kCapacityScale ? delta : delta * rq.capacity / kCapacityScale;
  }
  return PeltClock{clock - kPeltClockOrigin, cs.lost_idle_time};
}

void FairClass::update_idle_rq_clock_pelt(int cpu) {
  // A CPU that was fully busy had no idle time at max capacity to give back: count the gap
  // between clock_task and clock_pelt as lost instead.
  CpuState& cs = cpus_[cpu];
  rq_clock_pelt(cpu);
  const uint32_t divider = ((fair::kLoadAvgMax - 1024) << fair::kSchedCapacityShift) - fair::kLoadAvgMax;
  if (cs.cfs.avg.util_sum >= divider) cs.lost_idle_time += cs.clock_task_seen - cs.clock_pelt;
  // _update_idle_rq_clock_pelt(): the idle CPU's clock_pelt catches up with clock_task at once,
  // so that clock_pelt - lost_idle_time never goes back.
  cs.clock_pelt = cs.clock_task_seen;
}

bool FairClass::update_cfs_rq_load_avg(Ns now, fair::CfsRqState& cfs) {
  fair::SchedAvg& sa = cfs.avg;
  bool decayed = false;
  if (cfs.removed.nr) {
    const uint64_t divider = fair::get_pelt_divider(sa);
    const uint64_t removed_runnable = cfs.removed.runnable_avg;
    sub_positive(sa.load_avg, cfs.removed.load_avg);
    sub_positive(sa.load_sum, cfs.removed.load_avg * divider);
    // Rounding can leave *_sum below what *_avg implies; keep them consistent (max_t(u32, ...)).
    sa.load_sum = std::max<uint32_t>(static_cast<uint32_t>(sa.load_sum), static_cast<uint32_t>(sa.load_avg * fair::kPeltMinDivider));
    sub_positive(sa.util_avg, cfs.removed.util_avg);
    uint64_t util_sum = sa.util_sum;
    sub_positive(util_sum, cfs.removed.util_avg * divider);
    sa.util_sum = std::max<uint32_t>(static_cast<uint32_t>(util_sum), static_cast<uint32_t>(sa.util_avg * fair::kPeltMinDivider));
    sub_positive(sa.runnable_avg, cfs.removed.runnable_avg);
    sub_positive(sa.runnable_sum, cfs.removed.runnable_avg * divider);
    sa.runnable_sum = std::max<uint32_t>(static_cast<uint32_t>(sa.runnable_sum), static_cast<uint32_t>(sa.runnable_avg * fair::kPeltMinDivider));
    // The parent's group entity loses what left (add_tg_cfs_propagate()).
    if (cfs.tg) add_tg_cfs_propagate(cfs, -static_cast<int64_t>((removed_runnable * divider) >> fair::kSchedCapacityShift));
    cfs.removed = {};
    decayed = true;
  }
  decayed |= fair::pelt_update(now, sa, cfs.q->load(), cfs.h_nr_runnable(), cfs.q->curr() != nullptr, 1);
  return decayed;
}

fair::SchedAvg& FairClass::se_avg(fair::SchedEntity& se) {
  if (se.is_task()) return task_of(se).fair.avg;
  return static_cast<fair::GroupCpu*>(se.owner)->se_avg;
}

void FairClass::attach_entity_load_avg(fair::CfsRqState& cfs_rq, fair::SchedEntity& entity) {
  fair::SchedAvg& cfs = cfs_rq.avg;
  fair::SchedAvg& se = se_avg(entity);
  const uint64_t w = entity.weight;
  const uint32_t divider = fair::get_pelt_divider(cfs);
  // Align the entity's decay window with the cfs_rq's, then rebuild its sums from its averages.
  se.last_update_time = cfs.last_update_time;
  se.period_contrib = cfs.period_contrib;
  se.util_sum = static_cast<uint32_t>(se.util_avg * divider);
  se.runnable_sum = se.runnable_avg * divider;
  se.load_sum = se.load_avg * divider;
  se.load_sum = w < se.load_sum ? se.load_sum / w : 1;
  cfs.load_avg += se.load_avg;  // enqueue_load_avg()
  cfs.load_sum += w * se.load_sum;
  cfs.util_avg += se.util_avg;
  cfs.util_sum += se.util_sum;
  cfs.runnable_avg += se.runnable_avg;
  cfs.runnable_sum += se.runnable_sum;
  if (cfs_rq.tg) add_tg_cfs_propagate(cfs_rq, static_cast<int64_t>(se.load_sum));
  if (entity.is_task()) task_of(entity).fair.attached = true;
}

void FairClass::detach_entity_load_avg(fair::CfsRqState& cfs_rq, fair::SchedEntity& entity) {
  fair::SchedAvg& cfs = cfs_rq.avg;
  const fair::SchedAvg& se = se_avg(entity);
  sub_positive(cfs.load_avg, se.load_avg);  // dequeue_load_avg()
  sub_positive(cfs.load_sum, entity.weight * se.load_sum);
  cfs.load_sum = std::max<uint32_t>(static_cast<uint32_t>(cfs.load_sum), static_cast<uint32_t>(cfs.load_avg * fair::kPeltMinDivider));
  sub_positive(cfs.util_avg, se.util_avg);
  uint64_t util_sum = cfs.util_sum;
  sub_positive(util_sum, se.util_sum);
  cfs.util_sum = std::max<uint32_t>(static_cast<uint32_t>(util_sum), static_cast<uint32_t>(cfs.util_avg * fair::kPeltMinDivider));
  sub_positive(cfs.runnable_avg, se.runnable_avg);
  sub_positive(cfs.runnable_sum, se.runnable_sum);
  cfs.runnable_sum = std::max<uint32_t>(static_cast<uint32_t>(cfs.runnable_sum), static_cast<uint32_t>(cfs.runnable_avg * fair::kPeltMinDivider));
  if (cfs_rq.tg) add_tg_cfs_propagate(cfs_rq, -static_cast<int64_t>(se.load_sum));
  if (entity.is_task()) task_of(entity).fair.attached = false;
}

void FairClass::update_load_avg(fair::CfsRqState& cfs, fair::SchedEntity& se, int flags) {
  const Ns now = rq_clock_pelt(cfs.cpu);
  fair::SchedAvg& sa = se_avg(se);
  if (sa.last_update_time && !(flags & kSkipAgeLoad)) {
    // __update_load_avg_se(): load while queued (delayed too), runnable unless delayed (a group
    // entity: the runnable tasks below it, se->runnable_weight).
    const bool running = cfs.q->curr() == &se;
    const uint64_t runnable = !se.on_rq ? 0 : se.is_task() ? !se.sched_delayed : rq_state(*se.my_q).h_nr_runnable();
    if (fair::pelt_update(now, sa, se.on_rq ? 1 : 0, runnable, running, se.weight) && se.is_task() &&
        config_.balance.util_est)
      sa.util_est &= ~fair::kUtilAvgUnchanged;  // cfs_se_util_change()
  }
  bool decayed = update_cfs_rq_load_avg(now, cfs);
  if (!se.is_task()) decayed |= propagate_entity_load_avg(se);
  if (!sa.last_update_time && (flags & kDoAttach)) {
    attach_entity_load_avg(cfs, se);
    update_tg_load_avg(cfs);
  } else if (flags & kDoDetach) {
    detach_entity_load_avg(cfs, se);
    update_tg_load_avg(cfs);
  } else if (decayed && (flags & kUpdateTg)) {
    update_tg_load_avg(cfs);
  }
}

void FairClass::sync_entity_load_avg(Task& p) {
  fair::SchedAvg& sa = p.fair.avg;
  if (!sa.last_update_time) return;
  // __update_load_avg_blocked_se() up to its cfs_rq's last update.
  fair::pelt_update(task_cfs_rq(p).avg.last_update_time, sa, 0, 0, false, p.se.weight);
}

void FairClass::remove_entity_load_avg(Task& p) {
  if (!p.fair.attached) return;
  sync_entity_load_avg(p);
  fair::CfsRqState& cfs = task_cfs_rq(p);
  ++cfs.removed.nr;
  cfs.removed.util_avg += p.fair.avg.util_avg;
  cfs.removed.load_avg += p.fair.avg.load_avg;
  cfs.removed.runnable_avg += p.fair.avg.runnable_avg;
  p.fair.attached = false;
}

void FairClass::post_init_entity_util_avg(Task& p) {
  // A new task starts with a share of its cfs_rq's util: util scaled by its weight, at most
  // half the CPU's spare capacity.
  fair::SchedAvg& sa = p.fair.avg;
  const fair::CfsRqState& cfs_rq = cfs_rq_of(p.se);
  const fair::SchedAvg& cfs = cfs_rq.avg;
  const int64_t cap = (static_cast<int64_t>(k_.rq(cfs_rq.cpu).capacity) - static_cast<int64_t>(cfs.util_avg)) / 2;
  if (cap > 0) {
    if (cfs.util_avg != 0) {
      sa.util_avg = cfs.util_avg * p.se.weight / (cfs.load_avg + 1);
      sa.util_avg = std::min<uint64_t>(sa.util_avg, static_cast<uint64_t>(cap));
    } else {
      sa.util_avg = static_cast<uint64_t>(cap);
    }
  }
  sa.runnable_avg = sa.util_avg;
}

void FairClass::util_est_enqueue(int cpu, const Task& p) {
  if (!config_.balance.util_est) return;
  cpus_[cpu].cfs.avg.util_est += p.fair.avg.util_est & ~fair::kUtilAvgUnchanged;
}

void FairClass::util_est_dequeue(int cpu, const Task& p) {
  if (!config_.balance.util_est) return;
  uint32_t& est = cpus_[cpu].cfs.avg.util_est;
  est -= std::min(est, p.fair.avg.util_est & ~fair::kUtilAvgUnchanged);
}

void FairClass::util_est_update(int cpu, Task& p, bool task_sleep) {
  if (!config_.balance.util_est || !task_sleep) return;
  uint32_t ewma = p.fair.avg.util_est;
  if (ewma & fair::kUtilAvgUnchanged) return;  // PELT unchanged since enqueue
  const uint32_t dequeued = static_cast<uint32_t>(p.fair.avg.util_avg);
  if (ewma <= dequeued) {
    ewma = dequeued;  // increases are taken at once
  } else {
    const uint32_t diff = ewma - dequeued;
    if (diff >= fair::kUtilEstMargin) {
      // 6.12: no idle time, the sample cannot be trusted. 6.18 lets it decay anyway ("sched/fair:
      // Allow decaying util_est when util_avg > CPU capa", 6.16).
      if (!config_.v6_18() && dequeued > k_.rq(cpu).capacity) return;
      if (dequeued + fair::kUtilEstMargin >= p.fair.avg.runnable_avg) {
        // ewma(t) = ewma(t-1) + (util - ewma(t-1)) / 4
        ewma <<= fair::kUtilEstWeightShift;
        ewma -= diff;
        ewma >>= fair::kUtilEstWeightShift;
      }
    }
  }
  p.fair.avg.util_est = ewma | fair::kUtilAvgUnchanged;
}

void FairClass::update_blocked_averages(int cpu) {
  CpuState& cs = cpus_[cpu];
  cs.last_blocked_load_update_tick = jiffies();
  const Ns now = rq_clock_pelt(cpu);
  // __update_blocked_fair(): the group runqueues bottom-up (children before parents, as the
  // leaf list orders them), each decayed and its load propagated to the group entity above.
  if (!tgs_.empty()) update_blocked_groups(cpu, now);
  update_cfs_rq_load_avg(now, cs.cfs);
  if (!cs.cfs.avg.load_avg && !cs.cfs.avg.util_avg && !has_blocked_groups(cpu)) cs.has_blocked_load = false;
}

void FairClass::update_misfit_status(Task* p, int cpu) {
  CpuState& cs = cpus_[cpu];
  if (!domains_->asym_cpucap_active()) return;
  uint32_t max_allowed = 0;  // p->max_allowed_capacity
  if (p)
    for (int c : p->cpus_allowed) max_allowed = std::max(max_allowed, k_.rq(c).capacity);
  if (!p || p->nr_cpus_allowed == 1 || k_.rq(cpu).capacity == max_allowed || task_fits_cpu(*p, cpu)) {
    cs.misfit_task_load = 0;
    return;
  }
  cs.misfit_task_load = std::max<uint64_t>(task_h_load(*p), 1);
}

// ---------------------------------------------------------------------------------------------
// rq->cfs_tasks and SHARED_RUNQ membership

void FairClass::lb_list_add_head(int cpu, Task& p) {
  CpuState& cs = cpus_[cpu];
  SCX_CHECK(!p.fair.on_lb_list);
  p.fair.lb_prev = nullptr;
  p.fair.lb_next = cs.lb_head;
  (cs.lb_head ? cs.lb_head->fair.lb_prev : cs.lb_tail) = &p;
  cs.lb_head = &p;
  p.fair.on_lb_list = true;
}

void FairClass::lb_list_del(int cpu, Task& p) {
  CpuState& cs = cpus_[cpu];
  if (!p.fair.on_lb_list) return;
  (p.fair.lb_prev ? p.fair.lb_prev->fair.lb_next : cs.lb_head) = p.fair.lb_next;
  (p.fair.lb_next ? p.fair.lb_next->fair.lb_prev : cs.lb_tail) = p.fair.lb_prev;
  p.fair.lb_prev = p.fair.lb_next = nullptr;
  p.fair.on_lb_list = false;
}

void FairClass::on_tree_changed(int cpu, Task& p) {
  if (!shared_runq_) return;
  // v3 pushes in __enqueue_entity() and pops in __dequeue_entity(): a task sits in its shard
  // while it is in the tree. Delayed entities are in the tree but not runnable (v3 predates
  // DELAY_DEQUEUE), so they stay out.
  const fair::SchedEntity& se = p.se;
  const bool in_tree = se.on_rq && !se.sched_delayed && se.cfs_rq->curr() != &se;
  if (in_tree) shared_runq_->enqueue(p, cpu);
  else shared_runq_->dequeue(p);
}

// ---------------------------------------------------------------------------------------------
// Class hooks

void FairClass::task_fork(Task& p) {
  fair::SchedEntity& se = p.se;
  se = fair::SchedEntity{};  // __sched_fork(): vruntime 0, vlag 0, not queued
  se.owner = &p;
  se.policy = fair_policy(p.policy);
  se.weight = task_weight(p);
  se.set_slice_request(p.custom_slice, config_.tunables);
  set_task_rq(p, p.cpu);
  // init_entity_runnable_average(): a new task counts as fully loaded until PELT says otherwise.
  p.fair.avg = fair::SchedAvg{};
  p.fair.avg.load_avg = se.weight;
}

void FairClass::enqueue_task(Rq& rq, Task& p, int flags) {
  if (enqueue_throttled_task(rq, p)) return;  // bandwidth control: back to limbo (6.18)
  const int cpu = rq.cpu;
  fair::SchedEntity& se = p.se;
  if (!(se.sched_delayed && (p.migrating || (flags & ENQUEUE_RESTORE)))) util_est_enqueue(cpu, p);
  if (flags & ENQUEUE_DELAYED) {
    fair::CfsRqState& cfs = cfs_rq_of(se);
    update_load_avg(cfs, se, 0);
    cfs.q->requeue_delayed_entity(se);  // ttwu_runnable() of a delayed task
    add_h_delayed(se, -1);              // clear_delayed()
    on_tree_changed(cpu, p);
    return;
  }
  set_task_rq(p, cpu);
  sync_entity_params(p);
  if (flags & ENQUEUE_INITIAL) post_init_entity_util_avg(p);  // wake_up_new_task()
  enqueue_entities(p, static_cast<unsigned>(flags));
  lb_list_add_head(cpu, p);
  on_tree_changed(cpu, p);
  if (rq.nr_running + 1 >= 2) set_rd_overloaded(true);  // add_nr_running()
  apply_resched(rq);
  bw_kick_idle(rq, flags);
}

bool FairClass::dequeue_task(Rq& rq, Task& p, int flags) {
  if (p.fair.throttled) {  // bandwidth control: a task in limbo (6.18)
    dequeue_throttled_task(p, flags);
    return true;
  }
  const int cpu = rq.cpu;
  fair::SchedEntity& se = p.se;
  if (!(se.sched_delayed && (p.migrating || (flags & DEQUEUE_SAVE)))) util_est_dequeue(cpu, p);
  util_est_update(cpu, p, flags & DEQUEUE_SLEEP);
  const bool removed = dequeue_entities(se, static_cast<unsigned>(flags));
  if (removed) lb_list_del(cpu, p);
  on_tree_changed(cpu, p);
  if (rq.curr == &p) k_.update_curr_common(rq);
  apply_resched(rq);
  return removed;
}

void FairClass::update_curr(Rq& rq) {
  if (rq.curr->sched_class != this) return;
  // update_curr_fair(): the running task's own level; the levels above are charged by the
  // walks (tick, enqueue, dequeue, put, pick).
  if (rq.curr->se.cfs_rq->update_curr(k_.now())) cfs_[rq.cpu]->take_resched(), k_.resched_curr(rq);
  k_.update_curr_common(rq);
}

void FairClass::task_tick(Rq& rq, Task& p, bool) {
  // entity_tick() at every level: update_curr() notices a consumed request and reschedules;
  // PELT of curr; the group entities' shares.
  update_curr(rq);
  update_load_avg(cfs_rq_of(p.se), p.se, kUpdateTg);
  for (fair::SchedEntity* se = p.se.parent_entity; se; se = se->parent_entity) {
    fair::CfsRqState& cfs = cfs_rq_of(*se);
    cfs.q->update_curr(k_.now());
    update_load_avg(cfs, *se, kUpdateTg);
    update_cfs_group(*se);
  }
  update_misfit_status(&p, rq.cpu);
  apply_resched(rq);
}

void FairClass::yield_task(Rq& rq) {
  // yield_task_fair() acts on the task's own runqueue only.
  rq.curr->se.cfs_rq->yield_task(k_.now(), static_cast<unsigned>(rq.nr_running));
  apply_resched(rq);
}

void FairClass::wakeup_preempt(Rq& rq, Task& p, int wake_flags) {
  if (rq.curr == &p || !cfs_[rq.cpu]->curr()) return;
  if (bw_throttled_hierarchy(cfs_rq_of(p.se))) return;  // no preemption by a throttled wakee
  fair::WakeupInfo info;
  info.wake_fork = (wake_flags & WF_FORK) != 0;
  info.curr_need_resched = rq.need_resched;
  // check_preempt_wakeup_fair() flags the resched itself when it preempts, and so does its
  // update_curr() when curr's request (6.18: or its protection) has just ended, even if the
  // wakee is not the pick: the kernel's update_curr() calls resched_curr_lazy() directly.
  if (p.se.depth == 0 && rq.curr->se.depth == 0) {
    cfs_[rq.cpu]->check_preempt_wakeup_fair(p.se, k_.now(), info);
  } else {
    check_preempt_wakeup_group(rq, p, info);
  }
  apply_resched(rq);
}

bool FairClass::balance(Rq& rq, Task*) {
  // balance_fair(): nothing runnable here -> newidle balance before the pick.
  if (cfs_[rq.cpu]->nr_running() > 0) return true;
  CpuState& cs = cpus_[rq.cpu];
  cs.newidle_token = {k_.now(), rq.nr_switches, rq.curr};
  return sched_balance_newidle(rq) != 0;
}

Task* FairClass::pick_task(Rq& rq) {
  const int cpu = rq.cpu;
  CpuState& cs = cpus_[cpu];
  const bool newidle_done = cs.newidle_token.at == k_.now() && cs.newidle_token.switches == rq.nr_switches &&
                            cs.newidle_token.prev == rq.curr;
  cs.newidle_token.at = kNever;
  for (bool tried = newidle_done;;) {
    bool throttled = false;
    fair::SchedEntity* se = pick_task_fair(rq, &throttled);
    cfs_[cpu]->take_resched();
    // 6.18: a task picked through a throttled cfs_rq parks in limbo; pick again.
    if (se && throttled && throttle_picked_task(rq, task_of(*se))) continue;
    if (se) return &task_of(*se);
    // pick_next_task_fair(): nothing to run -> newidle balance, retry if it pulled.
    if (tried || rq.nr_running - bw_hidden_[cpu] > 0) break;
    tried = true;
    if (sched_balance_newidle(rq) <= 0) break;
  }
  if (rq.nr_running == 0) update_idle_rq_clock_pelt(cpu);
  return nullptr;
}

void FairClass::put_prev_task(Rq& rq, Task& p, Task* next) {
  // With a fair successor only the levels below the runqueue the two share are put (their
  // common ancestors stay curr: pick_next_task_fair()'s put/set of the differing part only).
  const fair::SchedEntity* stop_at = nullptr;
  if (next && next->sched_class == this && next != &p) stop_at = first_shared_level(p.se, next->se);
  for (fair::SchedEntity* se = &p.se; se; se = se->parent_entity) {
    fair::CfsRqState& cfs = cfs_rq_of(*se);
    if (se->on_rq) update_load_avg(cfs, *se, 0);
    cfs.q->put_prev_entity(*se, k_.now());
    bw_check_runtime(cfs);  // bandwidth control: throttle a level out of runtime
    if (se == &p.se) on_tree_changed(rq.cpu, p);
    if (se == stop_at) break;
  }
  if (rq.curr == &p) k_.update_curr_common(rq);
}

void FairClass::set_next_task(Rq& rq, Task& p, bool first) {
  // set_next_task_fair(): every level not already curr (put_prev_task() kept the shared ones).
  for (fair::SchedEntity* se = &p.se; se; se = se->parent_entity) {
    fair::CfsRqState& cfs = cfs_rq_of(*se);
    if (cfs.q->curr() == se) break;
    if (se->on_rq) update_load_avg(cfs, *se, kUpdateTg);
    cfs.q->set_next_entity(*se, k_.now());
    bw_account(cfs, 0);  // bandwidth control: make sure the level has runtime
  }
  on_tree_changed(rq.cpu, p);
  // __set_next_task_fair(): cfs_tasks is MRU, the balancer takes from the cold end.
  if (p.fair.on_lb_list) {
    lb_list_del(rq.cpu, p);
    lb_list_add_head(rq.cpu, p);
  }
  if (first) update_misfit_status(&p, rq.cpu);
}

void FairClass::migrate_task_rq(Task& p, int) {
  // migrate_task_rq_fair(): a waking task takes its load with it (removed from the old
  // cfs_rq lazily); a balancer migration already detached it at dequeue.
  if (!p.migrating) {
    remove_entity_load_avg(p);
    // migrate_se_pelt_lag(): an idle source rq's PELT clock has not moved since it idled;
    // decay the task to the clock the source would show now.
    const Rq& src = k_.rq(p.cpu);
    if (src.curr->is_idle_task() && cfs_[p.cpu]->nr_running() == 0 && p.fair.avg.last_update_time)
      fair::pelt_update(rq_clock_pelt(p.cpu), p.fair.avg, 0, 0, false, p.se.weight);
  }
  p.fair.avg.last_update_time = 0;
}

void FairClass::task_dead(Task& p) {
  if (p.se.sched_delayed) {
    // task_dead_fair(): a task that exited while delayed leaves its runqueue now.
    const int cpu = p.cpu;
    dequeue_entities(p.se, DEQUEUE_SLEEP | DEQUEUE_DELAYED);
    lb_list_del(cpu, p);
    on_tree_changed(cpu, p);
    k_.finish_delayed_dequeue(k_.rq(cpu), p);
  }
  remove_entity_load_avg(p);
}

void FairClass::switched_from(Rq&, Task& p) {
  p.fair.throttled = false;  // bandwidth control: the class change took it out of limbo
  // detach_task_cfs_rq()
  if (!p.fair.attached) return;
  detach_entity_cfs_rq(p);
}

void FairClass::switched_to(Rq& rq, Task& p) {
  // A task forked in another class has its entity linked to its runqueue now (the kernel's
  // set_task_rq() at fork links every task, whatever its class).
  p.se.owner = &p;
  set_task_rq(p, p.cpu);
  // attach_task_cfs_rq() (the enqueue may already have attached it).
  if (!p.fair.attached) attach_entity_cfs_rq(task_cfs_rq(p), p.se);
  if (!p.on_rq) return;
  if (p.on_cpu) k_.resched_curr(rq);
  else k_.wakeup_preempt(rq, p, 0);
}

void FairClass::prio_changed(Rq& rq, Task& p, int old_prio) {
  if (!p.on_rq || cfs_[rq.cpu]->nr_running() == 1) return;
  if (p.on_cpu) {
    if (p.prio > old_prio) k_.resched_curr(rq);
  } else {
    k_.wakeup_preempt(rq, p, 0);
  }
}

void FairClass::rq_idle_enter(Rq& rq) {
  if (domains_->smt_active()) update_idle_core(rq.cpu);  // set_next_task_idle()
  nohz_balance_enter_idle(rq.cpu);                      // the tick stops in idle
}

// ---------------------------------------------------------------------------------------------
// CPU metrics from PELT

uint64_t FairClass::cpu_load(int cpu) const { return cpus_[cpu].cfs.avg.load_avg; }
uint64_t FairClass::cpu_runnable(int cpu) const { return cpus_[cpu].cfs.avg.runnable_avg; }
uint64_t FairClass::capacity_of(int cpu) const { return k_.rq(cpu).capacity; }

uint64_t FairClass::cpu_load_without(int cpu, const Task& p) const {
  if (cpu != p.cpu || !p.fair.avg.last_update_time) return cpu_load(cpu);
  uint64_t load = cpu_load(cpu);
  sub_positive(load, task_h_load(p));
  return load;
}

uint64_t FairClass::cpu_runnable_without(int cpu, const Task& p) const {
  if (cpu != p.cpu || !p.fair.avg.last_update_time) return cpu_runnable(cpu);
  uint64_t runnable = cpu_runnable(cpu);
  sub_positive(runnable, p.fair.avg.runnable_avg);
  return runnable;
}

uint64_t FairClass::cpu_util(int cpu, const Task* p, int dst_cpu, bool boost) const {
  const fair::SchedAvg& avg = cpus_[cpu].cfs.avg;
  uint64_t util = avg.util_avg;
  if (boost) util = std::max(util, avg.runnable_avg);
  // Remove p's contribution when it leaves cpu, add it when it moves to cpu.
  if (p && p->cpu == cpu && dst_cpu != cpu) sub_positive(util, p->fair.avg.util_avg);
  else if (p && p->cpu != cpu && dst_cpu == cpu) util += p->fair.avg.util_avg;
  if (config_.balance.util_est) {
    uint64_t est = avg.util_est;
    const uint64_t p_est = p ? p->fair.avg.util_est & ~fair::kUtilAvgUnchanged : 0;
    if (dst_cpu == cpu) est += p_est;
    else if (p && (p->on_rq || k_.rq(k_.this_cpu()).curr == p)) sub_positive(est, p_est);
    util = std::max(util, est);
  }
  return std::min<uint64_t>(util, k_.rq(cpu).capacity);
}

uint64_t FairClass::cpu_util_without(int cpu, const Task& p) const {
  if (cpu != p.cpu || !p.fair.avg.last_update_time) return cpu_util(cpu, nullptr, -1, false);
  return cpu_util(cpu, &p, -1, false);
}

uint64_t FairClass::task_util_est(const Task& p) const {
  return std::max<uint64_t>(p.fair.avg.util_avg, p.fair.avg.util_est & ~fair::kUtilAvgUnchanged);
}

bool FairClass::task_fits_cpu(const Task& p, int cpu) const {
  return fits_capacity(task_util_est(p), capacity_of(cpu));  // util_fits_cpu() without uclamp
}

unsigned FairClass::lb_nr_runnable(int cpu) const {
  const fair::CfsRqState& cfs = cpus_[cpu].cfs;
  return config_.v6_18() ? cfs.h_nr_runnable() : cfs.h_nr_queued;
}

bool FairClass::is_core_idle(int cpu) const {
  for (int sib : k_.topo().smt_siblings(cpu))
    if (sib != cpu && !idle_cpu(sib)) return false;
  return true;
}

}  // namespace scx
