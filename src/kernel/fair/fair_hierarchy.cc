// The for_each_sched_entity() walks of the fair class with task groups (Linux fair.c,
// CONFIG_FAIR_GROUP_SCHED): enqueue_task_fair(), dequeue_entities(), pick_task_fair(), the
// partial put/set of pick_next_task_fair(), check_preempt_wakeup_fair()'s find_matching_se(),
// the hierarchical buddy, and attach/detach of a task's load to its cfs_rq with propagation.
// Each level is a fair::CfsRq (the engine) plus its fair::CfsRqState (task_group.h). A task in
// the root cgroup has depth 0: every walk ends after its first level (docs/cgroups.md).
//
// Bandwidth control (cpu.max): the walks call fair_bandwidth.cc where the kernel checks a
// throttled cfs_rq (6.12 ends a walk at a cfs_rq_throttled() level) or charges runtime.
#include <map>

#include "base/check.h"
#include "kernel/fair/fair_internal.h"
#include "kernel/cgroup/cgroup.h"
#include "kernel/kernel.h"

namespace scx {
using namespace fair_detail;

namespace {

Task& task_of(fair::SchedEntity& se) { return *static_cast<Task*>(se.owner); }

}  // namespace

fair::CfsRqState& FairClass::group_rq(const Cgroup* cg, int cpu) {
  if (!cg || cg->is_root()) return cpus_[cpu].cfs;
  fair::TaskGroup* tg = tgs_[cg->index()].get();
  SCX_CHECK_MSG(tg, "task group of a cgroup the fair class was not told about");
  return tg->cpus[cpu]->state;
}

void FairClass::set_task_rq(Task& p, int cpu) {
  // set_task_rq(): the task's entity belongs to its cgroup's runqueue on its CPU.
  fair::CfsRqState& cfs = group_rq(p.cgroup, cpu);
  p.se.cfs_rq = cfs.q;
  p.se.parent_entity = cfs.se;
  p.se.depth = cfs.se ? cfs.se->depth + 1 : 0;
}

void FairClass::add_h_delayed(fair::SchedEntity& se, int delta) {
  // set_delayed() / clear_delayed() of a task: every level above counts it.
  for (fair::SchedEntity* s = &se; s; s = s->parent_entity) {
    fair::CfsRqState& cfs = cfs_rq_of(*s);
    cfs.h_nr_delayed = static_cast<unsigned>(static_cast<int>(cfs.h_nr_delayed) + delta);
    if (bw_stops_walk(cfs)) break;
  }
}

void FairClass::enqueue_entity(fair::CfsRqState& cfs, fair::SchedEntity& se, unsigned flags) {
  // enqueue_entity(): PELT and the group weight first, then EEVDF's update_curr/place/queue.
  update_load_avg(cfs, se, kUpdateTg | kDoAttach);
  update_cfs_group(se);
  cfs.q->enqueue_entity(se, flags, k_.now());
  bw_first_entity(cfs);  // bandwidth control: check_enqueue_throttle() on the first entity
}

bool FairClass::dequeue_entity(fair::CfsRqState& cfs, fair::SchedEntity& se, unsigned flags) {
  int action = kUpdateTg;
  if (se.is_task() && task_of(se).migrating) action |= kDoDetach;
  update_load_avg(cfs, se, action);
  const bool dequeued = cfs.q->dequeue_entity(se, flags, k_.now());
  bw_return_runtime(cfs);  // bandwidth control: slack of an emptied runqueue
  return dequeued;
}

void FairClass::enqueue_entities(Task& p, unsigned flags) {
  // enqueue_task_fair(): queue every level that is not queued yet, then refresh the rest.
  const bool task_new = !(flags & ENQUEUE_WAKEUP);
  const unsigned h_delayed = task_new && p.se.sched_delayed ? 1 : 0;
  unsigned h_idle = p.policy == Policy::Idle ? 1 : 0;
  if (h_idle) sched_idle_seen_ = true;
  Ns slice = 0;
  fair::SchedEntity* se = &p.se;
  for (; se; se = se->parent_entity) {
    if (se->on_rq) {
      if (se->sched_delayed) requeue_delayed_group(*se);
      break;
    }
    fair::CfsRqState& cfs = cfs_rq_of(*se);
    // A group entity asks for the shortest slice below it (min_slice propagation).
    if (slice) se->slice = slice, se->custom_slice = true;
    enqueue_entity(cfs, *se, flags);
    if (se->parent_entity) slice = cfs.q->cfs_rq_min_slice();  // only a group entity takes it
    cfs.h_nr_queued++, cfs.h_nr_delayed += h_delayed, cfs.h_nr_idle += h_idle;
    if (cfs.idle) h_idle = 1;
    if (bw_stops_walk(cfs)) return bw_hide(cfs.cpu, +1);
    flags = ENQUEUE_WAKEUP;
  }
  update_levels_above(se, slice, {+1, static_cast<int>(h_delayed), static_cast<int>(h_idle)});
}

void FairClass::update_levels_above(fair::SchedEntity* se, Ns slice, HCounts delta) {
  // The second for_each_sched_entity() loop of enqueue_task_fair() / dequeue_entities(): levels
  // already queued see the group weight and slice refreshed and the task counted (or uncounted).
  const int queued = delta.queued;
  for (; se; se = se->parent_entity) {
    fair::CfsRqState& cfs = cfs_rq_of(*se);
    update_load_avg(cfs, *se, kUpdateTg);
    update_cfs_group(*se);
    cfs.q->set_entity_slice(*se, slice);
    slice = cfs.q->cfs_rq_min_slice();
    cfs.h_nr_queued = static_cast<unsigned>(static_cast<int>(cfs.h_nr_queued) + delta.queued);
    cfs.h_nr_delayed = static_cast<unsigned>(static_cast<int>(cfs.h_nr_delayed) + delta.delayed);
    cfs.h_nr_idle = static_cast<unsigned>(static_cast<int>(cfs.h_nr_idle) + delta.idle);
    if (cfs.idle) delta.idle = queued;  // every queued task below an idle group counts as idle
    if (bw_stops_walk(cfs)) return bw_hide(cfs.cpu, queued);
  }
}

void FairClass::requeue_delayed_group(fair::SchedEntity& se) {
  // requeue_delayed_entity() of a group entity whose runqueue gets a task again.
  fair::CfsRqState& cfs = cfs_rq_of(se);
  update_load_avg(cfs, se, 0);
  cfs.q->requeue_delayed_entity(se);
}

bool FairClass::dequeue_entities(fair::SchedEntity& start, unsigned flags, bool already_dequeued) {
  // dequeue_entities(): leave each level; stop at a parent that still has load, then refresh
  // the levels above. Returns false when the task itself stays queued as delayed.
  Task* p = start.is_task() ? &task_of(start) : nullptr;
  const bool task_sleep = flags & DEQUEUE_SLEEP;
  unsigned h_queued = 0, h_delayed = 0, h_idle = 0;
  Ns slice = 0;
  if (p) {
    h_queued = 1;
    h_idle = p->policy == Policy::Idle ? 1 : 0;
    // A delayed task leaving (DEQUEUE_DELAYED: clear_delayed(); a migration) takes its count.
    h_delayed = already_dequeued || start.sched_delayed ? 1 : 0;
  } else {
    slice = start.my_q->cfs_rq_min_slice();
  }
  fair::SchedEntity* se = &start;
  for (; se; se = se->parent_entity) {
    fair::CfsRqState& cfs = cfs_rq_of(*se);
    if (already_dequeued) {
      already_dequeued = false;  // the pick's dequeue_entity() already left this level
    } else if (!dequeue_entity(cfs, *se, flags)) {
      if (se == &start && p) {
        if (start.parent_entity) add_h_delayed(start, +1);  // set_delayed()
        else cfs.h_nr_delayed++;
        return false;
      }
      slice = cfs.q->cfs_rq_min_slice();
      break;
    }
    cfs.h_nr_queued -= h_queued, cfs.h_nr_delayed -= h_delayed, cfs.h_nr_idle -= h_idle;
    if (cfs.idle) h_idle = h_queued;
    if (bw_stops_walk(cfs)) return bw_hide(cfs.cpu, -static_cast<int>(h_queued)), true;
    if (cfs.q->load()) {
      se = se->parent_entity;
      if (se) slice = cfs.q->cfs_rq_min_slice();
      // Bias the next pick toward this group while the sleeper is within its slice.
      if (task_sleep && se) set_next_buddy_h(*se);
      break;
    }
    flags |= DEQUEUE_SLEEP;
    flags &= ~static_cast<unsigned>(DEQUEUE_DELAYED | DEQUEUE_SPECIAL);
  }
  update_levels_above(se, slice, {-static_cast<int>(h_queued), -static_cast<int>(h_delayed), -static_cast<int>(h_idle)});
  return true;
}

fair::SchedEntity* FairClass::pick_task_fair(Rq& rq, bool* throttled) {
  // pick_task_fair(): descend from the root, picking at every level; a delayed entity found on
  // the way leaves (with its now empty ancestors) and the descent restarts.
  const int cpu = rq.cpu;
  for (;;) {
    fair::CfsRqState* cfs = &cpus_[cpu].cfs;
    if (!cfs->q->nr_running()) return nullptr;
    fair::SchedEntity* se = nullptr;
    bool restart = false;
    if (throttled) *throttled = false;
    while (cfs) {
      fair::CfsRq& q = *cfs->q;
      // A delayed entity leaving at the pick updates PELT first (dequeue_entity()); bring the
      // cfs_rq up to date so its own update below starts from now.
      if (q.nr_delayed()) update_cfs_rq_load_avg(rq_clock_pelt(cpu), *cfs);
      if (q.curr() && q.curr()->on_rq) q.update_curr(k_.now());  // might not have been put
      // Bandwidth control: 6.12 picks again without the throttled group entity; 6.18 hands
      // the throttle to the picked task (pick_task() parks it).
      if (bw_check_runtime(*cfs)) {
        if (!config_.v6_18()) {
          restart = true;
          break;
        }
        if (throttled) *throttled = true;
      }
      fair::CfsRq::PickResult r = q.pick_next_entity(k_.now());
      if (!r.se) {
        finish_blocked_pick(rq, *r.blocked);
        restart = true;
        break;
      }
      se = r.se;
      cfs = se->my_q ? &rq_state(*se->my_q) : nullptr;
    }
    if (!restart) return se;
  }
}

void FairClass::finish_blocked_pick(Rq& rq, fair::SchedEntity& blocked) {
  // pick_next_entity() found a delayed entity and dequeued it from its runqueue: finish
  // dequeue_entities() above it; a task then leaves the runqueue (__block_task()).
  const int cpu = rq.cpu;
  fair::pelt_update(rq_clock_pelt(cpu), se_avg(blocked), 1, 0, false, blocked.weight);
  dequeue_entities(blocked, DEQUEUE_SLEEP | DEQUEUE_DELAYED, /*already_dequeued=*/true);
  if (!blocked.is_task()) return;
  Task& t = task_of(blocked);
  lb_list_del(cpu, t);
  on_tree_changed(cpu, t);
  k_.finish_delayed_dequeue(rq, t);
}

const fair::SchedEntity* FairClass::first_shared_level(const fair::SchedEntity& prev, const fair::SchedEntity& next) {
  // pick_next_task_fair()'s is_same_group() walk: prev's entity on the first runqueue the two
  // paths share.
  const fair::SchedEntity* pse = &prev;
  const fair::SchedEntity* se = &next;
  while (pse->cfs_rq != se->cfs_rq) {
    const int pse_depth = pse->depth, se_depth = se->depth;
    if (se_depth <= pse_depth) pse = pse->parent_entity;
    if (se_depth >= pse_depth) se = se->parent_entity;
  }
  return pse;
}

void FairClass::set_next_buddy_h(fair::SchedEntity& se) {
  // set_next_buddy(): nominate se and its ancestors, stopping at an idle one.
  for (fair::SchedEntity* s = &se; s; s = s->parent_entity) {
    if (!s->on_rq || s->policy == fair::FairPolicy::Idle) return;
    s->cfs_rq->set_next_buddy(*s);
  }
}

void FairClass::check_preempt_wakeup_group(Rq& rq, Task& p, fair::WakeupInfo info) {
  // check_preempt_wakeup_fair() with groups: nominate the wakee's buddies along its path, then
  // compare curr and the wakee where their paths meet (find_matching_se()).
  Task& curr = *rq.curr;
  const fair::Features& f = config_.features;
  if (f.next_buddy && !info.wake_fork && !p.se.sched_delayed) set_next_buddy_h(p.se);
  info.buddies_nominated = true;
  info.wakee_task = &p.se;
  fair::SchedEntity* se = &curr.se;
  fair::SchedEntity* pse = &p.se;
  while (se->depth > pse->depth) se = se->parent_entity;
  while (pse->depth > se->depth) pse = pse->parent_entity;
  while (se->cfs_rq != pse->cfs_rq) se = se->parent_entity, pse = pse->parent_entity;
  se->cfs_rq->check_preempt_wakeup_fair(*pse, k_.now(), info);
}

void FairClass::detach_entity_cfs_rq(Task& p) {
  // detach_entity_cfs_rq(): the task's load leaves its runqueue, and the change climbs.
  fair::CfsRqState& cfs = task_cfs_rq(p);
  update_load_avg(cfs, p.se, 0);
  detach_entity_load_avg(cfs, p.se);
  update_tg_load_avg(cfs);
  propagate_entity_cfs_rq(cfs);
}

void FairClass::attach_entity_cfs_rq(fair::CfsRqState& cfs, fair::SchedEntity& se) {
  // attach_entity_cfs_rq() (ATTACH_AGE_LOAD decides whether the blocked load ages first).
  update_load_avg(cfs, se, config_.balance.attach_age_load ? 0 : kSkipAgeLoad);
  if (!se.is_task() || !task_of(se).fair.attached) attach_entity_load_avg(cfs, se);
  update_tg_load_avg(cfs);
  propagate_entity_cfs_rq(cfs);
}

void FairClass::propagate_entity_cfs_rq(fair::CfsRqState& cfs) {
  // propagate_entity_cfs_rq(): update every group entity above so the attach or detach
  // reaches the root's load at once (6.12: not past a throttled level).
  if (bw_stops_walk(cfs)) return;
  for (fair::SchedEntity* se = cfs.se; se; se = se->parent_entity) {
    fair::CfsRqState& parent = cfs_rq_of(*se);
    update_load_avg(parent, *se, kUpdateTg);
    if (bw_stops_walk(parent)) break;
  }
}

Status FairClass::check_hierarchy() const {
  struct Counts {
    unsigned queued = 0, delayed = 0, idle = 0;
  };
  std::map<const fair::CfsRqState*, Counts> want;
  for (const auto& tp : k_.tasks()) {
    const Task& p = *tp;
    if (p.sched_class != this || !p.se.on_rq) continue;
    // A task counts as idle at the levels above an idle group (and everywhere if SCHED_IDLE).
    unsigned idle = p.policy == Policy::Idle ? 1 : 0;
    for (const fair::SchedEntity* se = &p.se; se; se = se->parent_entity) {
      if (!se->on_rq) return Status::Errorf(fmt::format("task {} ({})", p.comm, p.pid), "queued below a dequeued group entity");
      const fair::CfsRqState& cfs = cfs_rq_of(*se);
      Counts& c = want[&cfs];
      ++c.queued;
      c.delayed += p.se.sched_delayed;
      c.idle += idle;
      if (cfs.idle) idle = 1;
      if (bw_stops_walk(cfs)) break;  // 6.12: counted up to the throttled level only
    }
  }
  auto check = [&](const fair::CfsRqState& cfs, const std::string& where) -> Status {
    cfs.q->check_invariants();
    const Counts c = want.count(&cfs) ? want.at(&cfs) : Counts{};
    if (cfs.h_nr_idle && !sched_idle_seen_) return Status::Error(where, "an idle task is counted before sched_idle_seen");
    if (cfs.h_nr_queued != c.queued || cfs.h_nr_delayed != c.delayed || cfs.h_nr_idle != c.idle)
      return Status::Errorf(where, "h_nr_queued/delayed/idle {}/{}/{} but {}/{}/{} tasks are queued below",
                            cfs.h_nr_queued, cfs.h_nr_delayed, cfs.h_nr_idle, c.queued, c.delayed, c.idle);
    if (cfs.se && cfs.se->on_rq && !cfs.se->sched_delayed && !cfs.q->nr_running())
      return Status::Error(where, "group entity queued (not delayed) with an empty runqueue");
    return {};
  };
  for (int cpu = 0; cpu < k_.nr_cpus(); ++cpu) {
    if (Status st = check(cpus_[cpu].cfs, fmt::format("cpu {} root", cpu)); !st.ok()) return st;
    for (const auto& tg : tgs_)
      if (tg)
        if (Status st = check(tg->cpus[cpu]->state, fmt::format("cpu {} {}", cpu, tg->cgroup->path())); !st.ok()) return st;
  }
  return {};
}

}  // namespace scx
