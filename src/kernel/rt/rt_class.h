// SCHED_FIFO / SCHED_RR (kernel/sched/rt.c): a priority array per CPU, RR time slices counted
// in ticks, and push/pull of RT tasks between CPUs through a cpupri-like search for the
// lowest-priority CPU. Not modelled: RT throttling (sched_rt_runtime_us) and the
// RT_PUSH_IPI variant of pulling (we pull directly, as with the feature off).
#pragma once

#include <bitset>
#include <vector>

#include "kernel/sched_class.h"

namespace scx {

class Kernel;

class RtClass : public SchedClass {
 public:
  explicit RtClass(Kernel& k);
  const char* name() const override { return "rt"; }

  void enqueue_task(Rq& rq, Task& p, int flags) override;
  bool dequeue_task(Rq& rq, Task& p, int flags) override;
  void yield_task(Rq& rq) override;
  void wakeup_preempt(Rq& rq, Task& p, int wake_flags) override;
  bool balance(Rq& rq, Task* prev) override;
  Task* pick_task(Rq& rq) override;
  void put_prev_task(Rq& rq, Task& p, Task* next) override;
  void set_next_task(Rq& rq, Task& p, bool first) override;
  int select_task_rq(Task& p, int prev_cpu, int wake_flags) override;
  void task_woken(Rq& rq, Task& p) override;
  void task_tick(Rq& rq, Task& p, bool queued) override;
  void task_fork(Task& p) override;
  void switched_from(Rq& rq, Task& p) override;
  void switched_to(Rq& rq, Task& p) override;
  void prio_changed(Rq& rq, Task& p, int old_prio) override;
  void update_curr(Rq& rq) override;
  void balance_callback(Rq& rq) override;
  int nr_queued(const Rq& rq) const override;

  // rt_rq->highest_prio.curr: best prio queued on the CPU (kMaxRtPrio - 1 when none).
  int highest_prio(int cpu) const { return rqs_[cpu].highest_prio; }
  // SCHED_RR slice in ticks (sched_rr_timeslice = 100 ms).
  int rr_timeslice_ticks() const;

 private:
  struct RtRq {
    // Index = prio; sized on the CPU's first RT enqueue, so a CPU that never runs an RT task
    // pays for none of the 100 levels.
    std::vector<std::vector<Task*>> queue;
    std::bitset<100> active;
    int nr_running = 0;
    int highest_prio = 99;
    std::vector<Task*> pushable;  // sorted by prio, FIFO among equals (plist)
    bool push_pending = false;    // a balance callback should push
    bool pull_pending = false;
  };

  static std::vector<Task*>& level(RtRq& rt, int prio);
  static void insert(std::vector<Task*>& q, Task& p, bool head);
  static void remove(std::vector<Task*>& q, Task& p);
  void requeue(RtRq& rt, Task& p, bool head);
  void recompute_highest(RtRq& rt);
  void enqueue_pushable(RtRq& rt, Task& p);
  void dequeue_pushable(RtRq& rt, Task& p);
  bool push_rt_task(Rq& rq);
  void push_rt_tasks(Rq& rq);
  void pull_rt_task(Rq& this_rq);
  int find_lowest_rq(Task& p);
  bool fits_capacity(const Task& p, int cpu) const;
  int cpupri(int cpu) const;  // convert_prio(rt highest prio): 0 = no RT task, 1..99 RT levels

  Kernel& k_;
  std::vector<RtRq> rqs_;
};

}  // namespace scx
