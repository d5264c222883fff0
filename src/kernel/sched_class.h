// The scheduling-class interface (struct sched_class), in the kernel's vocabulary. The core
// calls these hooks; a class never calls another class directly.
#pragma once

#include <string>

#include "base/cpumask.h"
#include "kernel/program.h"
#include "kernel/sched_flags.h"

namespace scx {

class Cgroup;
struct Rq;
struct Task;

enum : int {
  WF_EXEC = 0x02,
  WF_FORK = 0x04,
  WF_TTWU = 0x08,
  WF_SYNC = 0x10,
  WF_MIGRATED = 0x20,
  WF_CURRENT_CPU = 0x40,
  WF_RQ_SELECTED = 0x80,
};

// A cpu controller file written (SchedClass::cgroup_changed).
enum class CgroupKnob : uint8_t { Weight, Max, Idle };

// Position in the class order; lower runs first.
enum class ClassRank : int { Stop = 0, Rt = 1, Fair = 2, Ext = 3, Idle = 4 };

class SchedClass {
 public:
  explicit SchedClass(ClassRank rank) : rank_(rank) {}
  virtual ~SchedClass() = default;
  ClassRank rank() const { return rank_; }
  // Higher class = runs first.
  bool above(const SchedClass& o) const { return rank_ < o.rank_; }
  virtual const char* name() const = 0;

  virtual void enqueue_task(Rq& rq, Task& p, int flags) = 0;
  // Returns false when the class keeps the task queued although it sleeps (delayed dequeue).
  virtual bool dequeue_task(Rq& rq, Task& p, int flags) = 0;
  virtual void yield_task(Rq& rq) { (void)rq; }
  // A task of this class became runnable on rq while rq->curr is of this class too.
  virtual void wakeup_preempt(Rq& rq, Task& p, int wake_flags) { (void)rq, (void)p, (void)wake_flags; }
  // A pick cycle begins on rq (before any balance; sched_ext's SCX_RQ_BAL_PENDING).
  virtual void pick_start(Rq& rq) { (void)rq; }
  // Before picking: pull work to rq. True if this class (or one above it) now has a task.
  virtual bool balance(Rq& rq, Task* prev) { (void)rq, (void)prev; return false; }
  virtual Task* pick_task(Rq& rq) = 0;
  virtual void put_prev_task(Rq& rq, Task& p, Task* next) { (void)rq, (void)p, (void)next; }
  virtual void set_next_task(Rq& rq, Task& p, bool first) { (void)rq, (void)p, (void)first; }
  // CPU for a waking (or forked) task; the caller enforces affinity afterwards.
  virtual int select_task_rq(Task& p, int prev_cpu, int wake_flags) { (void)p, (void)wake_flags; return prev_cpu; }
  virtual void migrate_task_rq(Task& p, int new_cpu) { (void)p, (void)new_cpu; }
  // After a wakeup enqueued p on rq (rt: push if it cannot preempt here).
  virtual void task_woken(Rq& rq, Task& p) { (void)rq, (void)p; }
  virtual void task_tick(Rq& rq, Task& p, bool queued) { (void)rq, (void)p, (void)queued; }
  virtual void task_fork(Task& p) { (void)p; }
  virtual void task_dead(Task& p) { (void)p; }
  virtual void switched_from(Rq& rq, Task& p) { (void)rq, (void)p; }
  virtual void switched_to(Rq& rq, Task& p) { (void)rq, (void)p; }
  virtual void prio_changed(Rq& rq, Task& p, int old_prio) { (void)rq, (void)p, (void)old_prio; }
  // set_load_weight(p, true): p's nice/policy just changed, inside the save/restore, and the
  // class it is still in hears of the new weight (reweight_task).
  virtual void reweight_task(Rq& rq, Task& p) { (void)rq, (void)p; }
  virtual void set_cpus_allowed(Task& p, const CpuMask& mask) { (void)p, (void)mask; }
  // Charge the running task's time up to now (update_curr).
  virtual void update_curr(Rq& rq) { (void)rq; }
  // After a context switch on rq (the kernel's balance callbacks: rt push).
  virtual void balance_callback(Rq& rq) { (void)rq; }
  // Every class hears of every new and dead task, whatever its class (scx_fork / sched_ext_free).
  virtual void task_new(Task& p) { (void)p; }
  virtual void task_gone(Task& p) { (void)p; }
  // Before the enqueue that completes a class change into this class (switching_to).
  virtual void switching_to(Rq& rq, Task& p) { (void)rq, (void)p; }
  // sched_ext only: whether tasks of this policy belong to the class right now.
  virtual bool takes_policy(Policy policy) const { (void)policy; return false; }
  // After pick, when next != prev (the kernel's switch_class()/put_prev paths need both).
  virtual void switching(Rq& rq, Task& prev, Task& next) { (void)rq, (void)prev, (void)next; }
  // A CPU's idle task was switched in (idle = true) or out; `real` is false for an idle->idle
  // pass through the scheduler.
  virtual void idle_transition(Rq& rq, bool idle, bool real) { (void)rq, (void)idle, (void)real; }
  // Called on every tick of a busy CPU after task_tick (sched_balance_trigger()).
  virtual void tick_balance(Rq& rq) { (void)rq; }
  // Called on every class when rq switches to its idle task (set_next_task_idle():
  // __update_idle_core(), and the NO_HZ tick stop: nohz_balance_enter_idle()).
  virtual void rq_idle_enter(Rq& rq) { (void)rq; }
  // Number of tasks this class has queued on rq (including a running one).
  virtual int nr_queued(const Rq& rq) const = 0;

  // --- Cgroups: the cpu controller's callbacks (kernel/sched/core.c; docs/cgroups.md). Every
  // class hears of every cgroup and every move, whichever class the task is in.
  virtual void cgroup_online(Cgroup& cg) { (void)cg; }   // created (after its parent)
  virtual void cgroup_offline(Cgroup& cg) { (void)cg; }  // about to be removed (no tasks left)
  virtual void cgroup_changed(Cgroup& cg, CgroupKnob knob) { (void)cg, (void)knob; }
  // cpu_cgroup_can_attach(): a nonzero errno refuses the move; a class that agreed is told of
  // a refusal by another through cgroup_cancel_attach().
  virtual int cgroup_can_attach(Task& p, Cgroup& from, Cgroup& to) { (void)p, (void)from, (void)to; return 0; }
  virtual void cgroup_cancel_attach(Task& p, Cgroup& from, Cgroup& to) { (void)p, (void)from, (void)to; }
  // sched_move_task(): p.cgroup is now its new cgroup; p is dequeued (and put, if running) and
  // is queued again after every class has been told.
  virtual void task_change_group(Task& p, Cgroup& from) { (void)p, (void)from; }
  // Of those, the tasks this CPU itself must run (an idle CPU may not ignore them); sched_ext
  // overrides it: its tasks may wait in a BPF scheduler's queues for another CPU to dispatch.
  virtual int nr_runnable_here(const Rq& rq) const { return nr_queued(rq); }
  // The kernel saw simulated time stop advancing (KernelConfig::livelock_events): a class
  // whose policy may be the cause stops it (sched_ext ejects its scheduler) and returns true.
  virtual bool stop_livelock(const std::string& why) { (void)why; return false; }

 private:
  ClassRank rank_;
};

}  // namespace scx
