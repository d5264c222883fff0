#include "kernel/rt/rt_class.h"

#include <algorithm>

#include "base/check.h"
#include "kernel/kernel.h"

namespace scx {

RtClass::RtClass(Kernel& k) : SchedClass(ClassRank::Rt), k_(k), rqs_(k.nr_cpus()) {}

int RtClass::rr_timeslice_ticks() const { return std::max(1, k_.cost().hz / 10); }

int RtClass::nr_queued(const Rq& rq) const { return rqs_[rq.cpu].nr_running; }

void RtClass::recompute_highest(RtRq& rt) {
  rt.highest_prio = kMaxRtPrio - 1;
  for (int i = 0; i < kMaxRtPrio; ++i)
    if (rt.active.test(i)) {
      rt.highest_prio = i;
      break;
    }
}

void RtClass::enqueue_pushable(RtRq& rt, Task& p) {
  dequeue_pushable(rt, p);
  auto it = std::find_if(rt.pushable.begin(), rt.pushable.end(),
                         [&](const Task* t) { return t->prio > p.prio; });
  rt.pushable.insert(it, &p);
  p.rt.pushable = true;
}

void RtClass::dequeue_pushable(RtRq& rt, Task& p) {
  if (!p.rt.pushable) return;
  rt.pushable.erase(std::find(rt.pushable.begin(), rt.pushable.end(), &p));
  p.rt.pushable = false;
}

std::vector<Task*>& RtClass::level(RtRq& rt, int prio) {
  if (rt.queue.empty()) rt.queue.resize(kMaxRtPrio);
  return rt.queue[prio];
}

void RtClass::insert(std::vector<Task*>& q, Task& p, bool head) {
  q.insert(head ? q.begin() : q.end(), &p);
}

void RtClass::remove(std::vector<Task*>& q, Task& p) {
  auto it = std::find(q.begin(), q.end(), &p);
  SCX_CHECK(it != q.end());
  q.erase(it);
}

void RtClass::enqueue_task(Rq& rq, Task& p, int flags) {
  RtRq& rt = rqs_[rq.cpu];
  insert(level(rt, p.prio), p, flags & ENQUEUE_HEAD);
  rt.active.set(p.prio);
  ++rt.nr_running;
  rt.highest_prio = std::min(rt.highest_prio, p.prio);
  if (!p.on_cpu && p.nr_cpus_allowed > 1) enqueue_pushable(rt, p);
}

bool RtClass::dequeue_task(Rq& rq, Task& p, int) {
  RtRq& rt = rqs_[rq.cpu];
  if (rq.curr == &p) update_curr(rq);
  auto& q = level(rt, p.prio);
  remove(q, p);
  if (q.empty()) rt.active.reset(p.prio);
  --rt.nr_running;
  recompute_highest(rt);
  dequeue_pushable(rt, p);
  return true;
}

void RtClass::requeue(RtRq& rt, Task& p, bool head) {
  auto& q = level(rt, p.prio);
  remove(q, p);
  insert(q, p, head);
}

void RtClass::yield_task(Rq& rq) { requeue(rqs_[rq.cpu], *rq.curr, false); }

int RtClass::cpupri(int cpu) const {
  int prio = rqs_[cpu].highest_prio;
  return prio >= kMaxRtPrio - 1 ? 0 : kMaxRtPrio - 1 - prio;
}

bool RtClass::fits_capacity(const Task&, int cpu) const {
  // rt_task_fits_capacity(): on asymmetric machines RT tasks (uclamp_min 1024 by default)
  // only fit the biggest CPUs.
  if (!k_.topo().is_asymmetric()) return true;
  return k_.topo().cpu(cpu).capacity >= kCapacityScale;
}

int RtClass::find_lowest_rq(Task& p) {
  if (p.nr_cpus_allowed == 1) return -1;
  // cpupri_find(): the allowed CPUs at the lowest priority level below p's.
  const int task_pri = p.prio >= kMaxRtPrio - 1 ? 0 : kMaxRtPrio - 1 - p.prio;
  // One pass: keep the allowed CPUs at the lowest level seen so far.
  CpuMask lowest;
  int lowest_level = task_pri;
  for (int cpu : p.cpus_allowed) {
    const int level = cpupri(cpu);
    if (level >= lowest_level || !fits_capacity(p, cpu)) {
      if (level == lowest_level && level < task_pri && fits_capacity(p, cpu)) lowest.set(cpu);
      continue;
    }
    lowest.clear_all();
    lowest.set(cpu);
    lowest_level = level;
  }
  if (lowest.empty()) return -1;
  const int cpu = p.cpu;
  if (lowest.test(cpu)) return cpu;
  int this_cpu = lowest.test(k_.this_cpu()) ? k_.this_cpu() : -1;
  // Walk the wake-affine domains of task_cpu from small to large.
  const Topology& t = k_.topo();
  const CpuMask* spans[] = {&t.smt_siblings(cpu), &t.llc_cpus(t.cpu(cpu).llc),
                            &t.node_cpus(t.cpu(cpu).node), &t.all_cpus()};
  for (const CpuMask* span : spans) {
    if (this_cpu >= 0 && span->test(this_cpu)) return this_cpu;
    int best = k_.any_and_distribute(lowest, *span);
    if (best >= 0) return best;
  }
  if (this_cpu >= 0) return this_cpu;
  return k_.any_and_distribute(lowest, t.all_cpus());
}

int RtClass::select_task_rq(Task& p, int cpu, int wake_flags) {
  if (!(wake_flags & (WF_TTWU | WF_FORK))) return cpu;
  const Task& curr = *k_.rq(cpu).curr;
  const bool test = is_rt_policy(curr.policy) && !curr.kthread &&
                    (curr.nr_cpus_allowed < 2 || curr.prio <= p.prio);
  if (test || !fits_capacity(p, cpu)) {
    int target = find_lowest_rq(p);
    if (!test && target != -1 && !fits_capacity(p, target)) return cpu;
    if (target != -1 && p.prio < rqs_[target].highest_prio) cpu = target;
  }
  return cpu;
}

void RtClass::wakeup_preempt(Rq& rq, Task& p, int) {
  Task& curr = *rq.curr;
  if (p.prio < curr.prio) {
    k_.resched_curr(rq);
    return;
  }
  // check_preempt_equal_prio(): if curr could run elsewhere but p could not, requeue p at the
  // head and reschedule so that curr gets pushed away.
  if (p.prio == curr.prio && !rq.need_resched) {
    if (curr.nr_cpus_allowed == 1) return;
    int saved_curr_cpu_choice = find_lowest_rq(curr);
    if (saved_curr_cpu_choice == -1) return;
    if (p.nr_cpus_allowed != 1 && find_lowest_rq(p) != -1) return;
    requeue(rqs_[rq.cpu], p, true);
    k_.resched_curr(rq);
  }
}

Task* RtClass::pick_task(Rq& rq) {
  RtRq& rt = rqs_[rq.cpu];
  if (!rt.nr_running) return nullptr;
  return rt.queue[rt.highest_prio].front();
}

void RtClass::update_curr(Rq& rq) { k_.update_curr_common(rq); }

void RtClass::put_prev_task(Rq& rq, Task& p, Task*) {
  update_curr(rq);
  if (p.on_rq && p.nr_cpus_allowed > 1) enqueue_pushable(rqs_[rq.cpu], p);
}

void RtClass::set_next_task(Rq& rq, Task& p, bool first) {
  RtRq& rt = rqs_[rq.cpu];
  dequeue_pushable(rt, p);
  if (first && !rt.pushable.empty()) rt.push_pending = true;  // rt_queue_push_tasks()
}

void RtClass::balance_callback(Rq& rq) {
  RtRq& rt = rqs_[rq.cpu];
  if (rt.push_pending) {
    rt.push_pending = false;
    push_rt_tasks(rq);
  }
  if (rt.pull_pending) {
    rt.pull_pending = false;
    pull_rt_task(rq);
  }
}

bool RtClass::balance(Rq& rq, Task* prev) {
  // need_pull_rt_task(): prev left the rt runqueue and what remains is of lower priority.
  if (!prev->on_rq && is_rt_policy(prev->policy) && rqs_[rq.cpu].highest_prio > prev->prio)
    pull_rt_task(rq);
  return rq.stop->on_rq || rqs_[rq.cpu].nr_running > 0;
}

bool RtClass::push_rt_task(Rq& rq) {
  RtRq& rt = rqs_[rq.cpu];
  if (rt.pushable.empty()) return false;
  Task& next = *rt.pushable.front();
  SCX_CHECK(&next != rq.curr);
  if (next.prio < rq.curr->prio) {
    // It slipped in ahead of curr: just preempt here.
    k_.resched_curr(rq);
    return false;
  }
  int cpu = find_lowest_rq(next);
  if (cpu == -1 || cpu == rq.cpu || rqs_[cpu].highest_prio <= next.prio) return false;
  k_.move_task_locked(next, cpu);
  k_.resched_curr(k_.rq(cpu));
  ++k_.mutable_stats().rt_pushes;
  return true;
}

void RtClass::push_rt_tasks(Rq& rq) {
  while (push_rt_task(rq)) {
  }
}

void RtClass::pull_rt_task(Rq& this_rq) {
  const int this_cpu = this_rq.cpu;
  bool resched = false;
  for (int cpu = 0; cpu < k_.nr_cpus(); ++cpu) {
    if (cpu == this_cpu) continue;
    RtRq& src = rqs_[cpu];
    if (src.pushable.empty()) continue;  // not overloaded
    if (src.pushable.front()->prio >= rqs_[this_cpu].highest_prio) continue;
    // pick_highest_pushable_task(): the first pushable task that may run here.
    Task* p = nullptr;
    for (Task* t : src.pushable)
      if (!t->on_cpu && t->cpus_allowed.test(this_cpu)) {
        p = t;
        break;
      }
    if (!p || p->prio >= rqs_[this_cpu].highest_prio) continue;
    // Leave a task that is about to preempt its own CPU's curr where it is.
    if (p->prio < k_.rq(cpu).curr->prio) continue;
    k_.move_task_locked(*p, this_cpu);
    ++k_.mutable_stats().rt_pulls;
    resched = true;
  }
  if (resched) k_.resched_curr(this_rq);
}

void RtClass::task_woken(Rq& rq, Task& p) {
  const Task& curr = *rq.curr;
  bool need_to_push = !p.on_cpu && !rq.need_resched && p.nr_cpus_allowed > 1 &&
                      is_rt_policy(curr.policy) && !curr.kthread &&
                      (curr.nr_cpus_allowed < 2 || curr.prio <= p.prio);
  if (need_to_push) push_rt_tasks(rq);
}

void RtClass::task_tick(Rq& rq, Task& p, bool) {
  update_curr(rq);
  if (p.policy != Policy::RR) return;
  if (--p.rt.time_slice > 0) return;
  p.rt.time_slice = rr_timeslice_ticks();
  // Requeue to the tail only if others share its priority level.
  if (level(rqs_[rq.cpu], p.prio).size() > 1) {
    requeue(rqs_[rq.cpu], p, false);
    k_.resched_curr(rq);
  }
}

void RtClass::task_fork(Task& p) { p.rt.time_slice = rr_timeslice_ticks(); }

void RtClass::switched_from(Rq& rq, Task& p) {
  if (!p.on_rq || rqs_[rq.cpu].nr_running) return;
  rqs_[rq.cpu].pull_pending = true;  // rt_queue_pull_task()
  k_.resched_curr(rq);
}

void RtClass::switched_to(Rq& rq, Task& p) {
  p.rt.time_slice = rr_timeslice_ticks();
  if (p.on_cpu) return;
  if (p.on_rq) {
    if (p.nr_cpus_allowed > 1 && !rqs_[rq.cpu].pushable.empty()) rqs_[rq.cpu].push_pending = true;
    if (p.prio < rq.curr->prio) k_.resched_curr(rq);
  }
}

void RtClass::prio_changed(Rq& rq, Task& p, int old_prio) {
  if (!p.on_rq) return;
  if (p.on_cpu) {
    if (old_prio < p.prio) rqs_[rq.cpu].pull_pending = true;
    if (p.prio > rqs_[rq.cpu].highest_prio) k_.resched_curr(rq);
  } else if (p.prio < rq.curr->prio) {
    k_.resched_curr(rq);
  }
}

}  // namespace scx
