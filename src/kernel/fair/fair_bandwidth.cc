// CFS bandwidth control (cpu.max) wired into the fair class: the class is the component's
// BandwidthHost (bandwidth.h) and calls it where kernel/sched/fair.c does (docs/cgroups.md,
// "Bandwidth control (cpu.max)", "How the class calls it"). 6.12 dequeues a throttled
// group's entity (throttle_cfs_rq()); 6.18 parks each task of a throttled hierarchy in its
// cfs_rq's limbo list when it is picked (the throttle task_work, run here at the pick).
//
// A parked task stays on its runqueue for the core (p->on_rq, rq.nr_running) but not in the
// root cfs_rq's h_nr_queued; bw_hidden_ counts them so that nr_queued() still matches.
#include <algorithm>

#include "base/check.h"
#include "kernel/cgroup/cgroup.h"
#include "kernel/fair/bandwidth.h"
#include "kernel/fair/fair_internal.h"
#include "kernel/kernel.h"

namespace scx {
using namespace fair_detail;

FairClass::BandwidthWiring::BandwidthWiring(FairClass& c) : c_(c) {}
Ns FairClass::BandwidthWiring::clock() const { return c_.k_.now(); }

fair::BandwidthHost::TimerHandle FairClass::BandwidthWiring::start_timer(Ns when, int cpu, std::function<void()> fn) {
  return c_.k_.schedule_callback(when, cpu, std::move(fn));
}

void FairClass::BandwidthWiring::cancel_timer(TimerHandle h) { c_.k_.cancel_callback(h); }

unsigned FairClass::BandwidthWiring::nr_queued(const fair::CfsRqRuntime& rq) const {
  return static_cast<unsigned>(c_.bw_state(rq).q->nr_running());
}

bool FairClass::BandwidthWiring::has_curr(const fair::CfsRqRuntime& rq) const {
  return c_.bw_state(rq).q->curr() != nullptr;
}

void FairClass::BandwidthWiring::throttled(fair::CfsRqRuntime& rq) { c_.bw_throttled(rq); }
void FairClass::BandwidthWiring::release_limbo(fair::CfsRqRuntime& rq) { c_.bw_release_limbo(rq); }
void FairClass::BandwidthWiring::unthrottled(fair::CfsRqRuntime& rq, Ns throttled_for) {
  c_.bw_unthrottled(rq, throttled_for);
}

void FairClass::bw_init() {
  bw_host_ = std::make_unique<BandwidthWiring>(*this);
  bw_ = std::make_unique<fair::BandwidthControl>(k_.nr_cpus(), config_.features.kernel, *bw_host_);
  bw_hidden_.assign(k_.nr_cpus(), 0);
  for (auto& q : cfs_)
    q->set_runtime_hook(&FairClass::bw_runtime_hook, this);
}

void FairClass::bw_runtime_hook(void* ctx, fair::CfsRq& q, Ns delta_exec) {
  // The engine's update_curr() hook: account_cfs_rq_runtime() of that runqueue.
  auto& self = *static_cast<FairClass*>(ctx);
  self.bw_account(self.rq_state(q), delta_exec);
}

void FairClass::bw_group_online(fair::TaskGroup& tg) {
  // init_cfs_bandwidth(): the period timer's phase is 0 (boundaries at whole periods of the
  // simulated clock), not the kernel's random offset: runs stay reproducible without drawing
  // from the seeded streams, and tests can work the boundaries out by hand.
  const Cgroup& cg = *tg.cgroup;
  bw_->add_group(cg.index(), cg.parent()->index(), 0);
  for (auto& gc : tg.cpus)
    gc->q.set_runtime_hook(&FairClass::bw_runtime_hook, this);
  if (cg.max().limited()) bw_set_limit(cg);  // a class installed after the write
}

void FairClass::bw_group_offline(const Cgroup& cg) {
  if (bw_->has_group(cg.index())) bw_->remove_group(cg.index());
}

void FairClass::bw_set_limit(const Cgroup& cg) {
  // tg_set_cfs_bandwidth(): cpu.max "max" is RUNTIME_INF.
  const CpuMax m = cg.max();
  fair::BandwidthLimit limit;
  limit.quota = m.limited() ? m.quota : fair::kRuntimeInf;
  limit.period = m.period;
  bw_->set_bandwidth(cg.index(), limit, k_.this_cpu());
}

const fair::CfsBandwidthStat& FairClass::cpu_stat(const Cgroup& cg) const { return bw_->stat(cg.index()); }

fair::CfsRqRuntime& FairClass::bw_rq(const fair::CfsRqState& cfs) const {
  return bw_->cfs_rq(cfs.tg ? cfs.tg->cgroup->index() : 0, cfs.cpu);
}

fair::CfsRqState& FairClass::bw_state(const fair::CfsRqRuntime& rt) {
  return rt.group == 0 ? cpus_[rt.cpu].cfs : tgs_[rt.group]->cpus[rt.cpu]->state;
}

bool FairClass::bw_stops_walk(const fair::CfsRqState& cfs) const {
  // 6.12's walks end at a throttled cfs_rq (its group entity is not queued); 6.18 never
  // dequeues a throttled group entity, so its walks go on.
  return bw_->used() && !config_.v6_18() && cfs.tg && bw_->cfs_rq_throttled(bw_rq(cfs));
}

bool FairClass::bw_throttled_hierarchy(const fair::CfsRqState& cfs) const {
  return bw_->used() && cfs.tg && bw_->throttled_hierarchy(bw_rq(cfs));
}

void FairClass::bw_first_entity(fair::CfsRqState& cfs) {
  if (bw_->used() && cfs.tg && cfs.q->nr_running() == 1) bw_->first_entity_enqueued(bw_rq(cfs));
}

void FairClass::bw_return_runtime(fair::CfsRqState& cfs) {
  if (bw_->used() && cfs.tg) bw_->return_cfs_rq_runtime(bw_rq(cfs));
}

bool FairClass::bw_check_runtime(fair::CfsRqState& cfs) {
  return bw_->used() && cfs.tg && bw_->check_cfs_rq_runtime(bw_rq(cfs));
}

void FairClass::bw_account(fair::CfsRqState& cfs, Ns delta_exec) {
  if (!bw_->used() || !cfs.tg) return;
  if (bw_->account_cfs_rq_runtime(bw_rq(cfs), delta_exec)) k_.resched_curr(k_.rq(cfs.cpu));
}

bool FairClass::bw_can_migrate(const Task& p, int src_cpu, int dst_cpu) const {
  // 6.12 throttled_lb_pair(): neither end in a throttled hierarchy. 6.18 can_migrate_task():
  // only the destination counts (a task in limbo is not on the balancer's list anyway).
  if (!bw_->used() || !p.cgroup || p.cgroup->is_root()) return true;
  const fair::TaskGroup& tg = *tgs_[p.cgroup->index()];
  if (bw_->throttled_hierarchy(bw_rq(tg.cpus[dst_cpu]->state))) return false;
  return config_.v6_18() || !bw_->throttled_hierarchy(bw_rq(tg.cpus[src_cpu]->state));
}

void FairClass::bw_hide(int cpu, int delta) {
  bw_hidden_[cpu] += delta;
  SCX_CHECK(bw_hidden_[cpu] >= 0);
  if (delta > 0) bw_hidden_seen_ = true;
}

void FairClass::bw_kick_idle(Rq& rq, int enqueue_flags) {
  // A task that was parked and is queued again by a move, or a class or priority change,
  // makes an idle CPU's fair work appear without a wakeup: reschedule it (the core's wakeups
  // reschedule by themselves; the unthrottle does its own).
  if (bw_->used() && !(enqueue_flags & ENQUEUE_WAKEUP) && rq.curr->is_idle_task() && cfs_[rq.cpu]->nr_running())
    k_.resched_curr(rq);
}

int FairClass::nr_runnable_here(const Rq& rq) const { return static_cast<int>(cpus_[rq.cpu].cfs.h_nr_queued); }

// ---------------------------------------------------------------------------------------------
// The component's callbacks

void FairClass::bw_throttled(fair::CfsRqRuntime& rt) {
  fair::CfsRqState& cfs = bw_state(rt);
  TraceEvent e;
  e.time = k_.now();
  e.type = TraceType::CgroupThrottle;
  e.cpu = rt.cpu;
  e.arg = static_cast<int32_t>(cfs.tg->cgroup->id());
  k_.trace().emit(e);
  if (!config_.v6_18()) throttle_dequeue_group(cfs);
}

void FairClass::bw_unthrottled(fair::CfsRqRuntime& rt, Ns throttled_for) {
  fair::CfsRqState& cfs = bw_state(rt);
  if (!config_.v6_18()) unthrottle_enqueue_group(cfs);
  TraceEvent e;
  e.time = k_.now();
  e.type = TraceType::CgroupUnthrottle;
  e.cpu = rt.cpu;
  e.arg = static_cast<int32_t>(cfs.tg->cgroup->id());
  e.value = static_cast<int64_t>(throttled_for);
  k_.trace().emit(e);
  // unthrottle_cfs_rq(): wake an idle CPU that has fair work again.
  Rq& rq = k_.rq(rt.cpu);
  if (rq.curr->is_idle_task() && cfs_[rt.cpu]->nr_running()) k_.resched_curr(rq);
}

void FairClass::bw_release_limbo(fair::CfsRqRuntime& rt) {
  // 6.18 tg_unthrottle_up(): the limbo list is a list_add() stack, walked from its head.
  fair::CfsRqState& cfs = bw_state(rt);
  std::vector<Task*> parked;
  parked.swap(cfs.limbo);
  Rq& rq = k_.rq(rt.cpu);
  for (auto it = parked.rbegin(); it != parked.rend(); ++it) {
    Task& p = **it;
    p.fair.throttled = false;
    bw_hide(rt.cpu, -1);
    enqueue_task(rq, p, ENQUEUE_WAKEUP);
  }
}

// ---------------------------------------------------------------------------------------------
// 6.12: the group entity leaves and comes back

void FairClass::throttle_dequeue_group(fair::CfsRqState& cfs) {
  // throttle_cfs_rq(): dequeue the group entity, and the ancestors' that become empty; the
  // levels above lose the hierarchy's counts. An entity not queued (an ancestor throttled, or
  // check_enqueue_throttle() before the entity's own enqueue) ends the walk.
  const unsigned task_delta = cfs.h_nr_queued, delayed_delta = cfs.h_nr_delayed;
  unsigned idle_delta = cfs.h_nr_idle;
  fair::SchedEntity* se = cfs.se;
  for (; se; se = se->parent_entity) {
    if (!se->on_rq) return;
    fair::CfsRqState& q = cfs_rq_of(*se);
    unsigned flags = DEQUEUE_SLEEP | DEQUEUE_SPECIAL;  // SPECIAL: no delayed dequeue
    if (se->sched_delayed) flags |= DEQUEUE_DELAYED;
    dequeue_entity(q, *se, flags);
    if (rq_state(*se->my_q).idle) idle_delta = task_delta;
    q.h_nr_queued -= task_delta, q.h_nr_idle -= idle_delta, q.h_nr_delayed -= delayed_delta;
    if (q.q->load()) {
      se = se->parent_entity;
      break;
    }
  }
  for (; se; se = se->parent_entity) {
    if (!se->on_rq) return;
    fair::CfsRqState& q = cfs_rq_of(*se);
    update_load_avg(q, *se, 0);
    if (rq_state(*se->my_q).idle) idle_delta = task_delta;
    q.h_nr_queued -= task_delta, q.h_nr_idle -= idle_delta, q.h_nr_delayed -= delayed_delta;
  }
  bw_hide(cfs.cpu, static_cast<int>(task_delta));  // sub_nr_running()
}

void FairClass::unthrottle_enqueue_group(fair::CfsRqState& cfs) {
  // unthrottle_cfs_rq(): enqueue the group entity and the ancestors' not queued (finishing a
  // delayed dequeue first); stop at a level still throttled.
  if (!cfs.q->load()) return;
  const unsigned task_delta = cfs.h_nr_queued, delayed_delta = cfs.h_nr_delayed;
  unsigned idle_delta = cfs.h_nr_idle;
  fair::SchedEntity* se = cfs.se;
  for (; se; se = se->parent_entity) {
    fair::CfsRqState& q = cfs_rq_of(*se);
    if (se->sched_delayed) dequeue_entity(q, *se, DEQUEUE_SLEEP | DEQUEUE_DELAYED);
    else if (se->on_rq) break;
    enqueue_entity(q, *se, ENQUEUE_WAKEUP);
    if (rq_state(*se->my_q).idle) idle_delta = task_delta;
    q.h_nr_queued += task_delta, q.h_nr_idle += idle_delta, q.h_nr_delayed += delayed_delta;
    if (bw_stops_walk(q)) return;
  }
  for (; se; se = se->parent_entity) {
    fair::CfsRqState& q = cfs_rq_of(*se);
    update_load_avg(q, *se, kUpdateTg);
    if (rq_state(*se->my_q).idle) idle_delta = task_delta;
    q.h_nr_queued += task_delta, q.h_nr_idle += idle_delta, q.h_nr_delayed += delayed_delta;
    if (bw_stops_walk(q)) return;
  }
  bw_hide(cfs.cpu, -static_cast<int>(task_delta));  // add_nr_running()
}

// ---------------------------------------------------------------------------------------------
// 6.18: tasks go to limbo

bool FairClass::throttle_picked_task(Rq& rq, Task& p) {
  // throttle_cfs_rq_work(), the task_work the pick queued (task_throttle_setup_work()). The
  // kernel runs it when the task returns to user mode, right after it is switched in; the
  // model runs it at the pick: the task would run no user code before parking, and the pick
  // goes on at once instead of after a switch in and out. Kernel threads never return to
  // user space and are not parked.
  if (p.kthread) return false;
  fair::CfsRqState& cfs = cfs_rq_of(p.se);
  if (!bw_throttled_hierarchy(cfs)) return false;  // replenished meanwhile: move along
  dequeue_task(rq, p, DEQUEUE_SLEEP | DEQUEUE_SPECIAL);
  cfs.limbo.push_back(&p);
  p.fair.throttled = true;
  bw_hide(rq.cpu, +1);
  for (fair::SchedEntity* se = &p.se; se; se = se->parent_entity) bw_->record_throttle_clock(bw_rq(cfs_rq_of(*se)));
  return true;
}

bool FairClass::enqueue_throttled_task(Rq& rq, Task& p) {
  // enqueue_throttled_task(): a parked task enqueued again (a move between groups or CPUs,
  // a class or priority change) goes straight back to limbo if its runqueue is still in a
  // throttled hierarchy and it is not running; otherwise it is queued normally.
  if (!p.fair.throttled) return false;
  set_task_rq(p, rq.cpu);
  fair::CfsRqState& cfs = task_cfs_rq(p);
  if (bw_throttled_hierarchy(cfs) && rq.curr != &p) {
    cfs.limbo.push_back(&p);
    bw_hide(rq.cpu, +1);
    return true;
  }
  p.fair.throttled = false;
  return false;
}

void FairClass::dequeue_throttled_task(Task& p, int flags) {
  // dequeue_throttled_task(): the core takes a parked task (a move, an affinity or class
  // change): it leaves the limbo list; a migration takes its load with it. A sleep (not
  // possible for a task that does not run, but the kernel allows it) ends the throttle.
  // (A move has already changed p.cgroup: the runqueue is the one its entity is linked to.)
  fair::CfsRqState& cfs = cfs_rq_of(p.se);
  auto it = std::find(cfs.limbo.begin(), cfs.limbo.end(), &p);
  SCX_CHECK_MSG(it != cfs.limbo.end(), "a throttled task not in its runqueue's limbo list");
  cfs.limbo.erase(it);
  bw_hide(p.cpu, -1);
  if (p.migrating && p.fair.attached) detach_entity_cfs_rq(p);
  if (flags & DEQUEUE_SLEEP) p.fair.throttled = false;
}

}  // namespace scx
