#include "kernel/fair/fair_class.h"

#include "base/check.h"
#include "kernel/fair/weights.h"
#include "kernel/kernel.h"

namespace scx {
namespace {

fair::SchedEntity& se_of(Task& p) { return p.se; }
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
  for (int cpu = 0; cpu < k_.nr_cpus(); ++cpu)
    cfs_.push_back(std::make_unique<fair::CfsRq>(&config_.features, &config_.tunables));
}

uint32_t FairClass::task_weight(const Task& p) {
  if (p.policy == Policy::Idle) return fair::kWeightIdlePrio;
  return fair::nice_to_weight(p.nice);
}

int FairClass::nr_queued(const Rq& rq) const { return static_cast<int>(cfs_[rq.cpu]->nr_running()); }

void FairClass::apply_resched(Rq& rq) {
  if (cfs_[rq.cpu]->take_resched()) k_.resched_curr(rq);
}

void FairClass::sync_entity_params(Task& p) {
  fair::SchedEntity& se = se_of(p);
  se.owner = &p;
  se.policy = fair_policy(p.policy);
  const uint32_t w = task_weight(p);
  // A nice or policy change reaches the entity while it is dequeued (the core dequeues with
  // DEQUEUE_SAVE around sched_setscheduler), as reweight_task() would see it.
  if (se.weight != w) cfs_[p.cpu]->reweight_entity(se, w, k_.now());
}

void FairClass::task_fork(Task& p) {
  fair::SchedEntity& se = se_of(p);
  se = fair::SchedEntity{};  // __sched_fork(): vruntime 0, vlag 0, not queued
  se.owner = &p;
  se.policy = fair_policy(p.policy);
  se.weight = task_weight(p);
  se.set_slice_request(p.custom_slice, config_.tunables);
}

void FairClass::enqueue_task(Rq& rq, Task& p, int flags) {
  fair::CfsRq& cfs = *cfs_[rq.cpu];
  if (flags & ENQUEUE_DELAYED) {
    cfs.requeue_delayed_entity(se_of(p));  // ttwu_runnable() of a delayed task
    return;
  }
  sync_entity_params(p);
  cfs.enqueue_entity(se_of(p), static_cast<unsigned>(flags), k_.now());
  apply_resched(rq);
}

bool FairClass::dequeue_task(Rq& rq, Task& p, int flags) {
  fair::CfsRq& cfs = *cfs_[rq.cpu];
  bool removed = cfs.dequeue_entity(se_of(p), static_cast<unsigned>(flags), k_.now());
  if (rq.curr == &p) k_.update_curr_common(rq);
  apply_resched(rq);
  return removed;
}

void FairClass::update_curr(Rq& rq) {
  if (rq.curr->sched_class != this) return;
  if (cfs_[rq.cpu]->update_curr(k_.now())) cfs_[rq.cpu]->take_resched(), k_.resched_curr(rq);
  k_.update_curr_common(rq);
}

void FairClass::task_tick(Rq& rq, Task&, bool) {
  // entity_tick(): update_curr() notices a consumed request and reschedules.
  update_curr(rq);
  apply_resched(rq);
}

void FairClass::yield_task(Rq& rq) {
  cfs_[rq.cpu]->yield_task(k_.now(), static_cast<unsigned>(rq.nr_running));
  apply_resched(rq);
}

void FairClass::wakeup_preempt(Rq& rq, Task& p, int wake_flags) {
  fair::CfsRq& cfs = *cfs_[rq.cpu];
  if (rq.curr == &p || !cfs.curr()) return;
  fair::WakeupInfo info;
  info.wake_fork = (wake_flags & WF_FORK) != 0;
  info.curr_need_resched = rq.need_resched;
  if (cfs.check_preempt_wakeup_fair(se_of(p), k_.now(), info)) k_.resched_curr(rq);
  cfs.take_resched();
}

Task* FairClass::pick_task(Rq& rq) {
  fair::CfsRq& cfs = *cfs_[rq.cpu];
  fair::SchedEntity* se = cfs.pick_task(k_.now(), [&](fair::SchedEntity& blocked) {
    // A delayed-dequeue task reached the front: it leaves the runqueue now (__block_task()).
    k_.finish_delayed_dequeue(rq, task_of(blocked));
  });
  cfs.take_resched();
  return se ? &task_of(*se) : nullptr;
}

void FairClass::put_prev_task(Rq& rq, Task& p, Task*) {
  cfs_[rq.cpu]->put_prev_entity(se_of(p), k_.now());
  if (rq.curr == &p) k_.update_curr_common(rq);
}

void FairClass::set_next_task(Rq& rq, Task& p, bool) {
  cfs_[rq.cpu]->set_next_entity(se_of(p), k_.now());
}

void FairClass::switched_to(Rq& rq, Task& p) {
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

// CPU selection. This is the first, reduced form of select_task_rq_fair(): forks go to the
// least loaded allowed CPU (find_idlest_cpu's outcome on an idle-ish machine), wakeups to an
// idle CPU sharing the LLC with the previous one (select_idle_sibling), else stay put.
int FairClass::select_task_rq(Task& p, int prev_cpu, int wake_flags) {
  if (wake_flags & WF_FORK) {
    int best = prev_cpu;
    int best_load = k_.rq(prev_cpu).nr_running;
    for (int cpu : p.cpus_allowed) {
      int load = k_.rq(cpu).nr_running;
      if (load < best_load) best = cpu, best_load = load;
    }
    return best;
  }
  return select_idle_sibling(p, prev_cpu, prev_cpu);
}

int FairClass::select_idle_sibling(const Task& p, int prev, int target) {
  auto idle = [&](int cpu) { return k_.rq(cpu).nr_running == 0 && k_.rq(cpu).curr->is_idle_task(); };
  if (idle(target) && p.cpus_allowed.test(target)) return target;
  if (prev != target && idle(prev) && p.cpus_allowed.test(prev)) return prev;
  const Topology& t = k_.topo();
  CpuMask llc = t.llc_cpus(t.cpu(target).llc) & p.cpus_allowed;
  for (int cpu = llc.next(target + 1); cpu >= 0; cpu = llc.next(cpu + 1))
    if (idle(cpu)) return cpu;
  for (int cpu = llc.first(); cpu >= 0 && cpu <= target; cpu = llc.next(cpu + 1))
    if (idle(cpu)) return cpu;
  return target;
}

}  // namespace scx
