// The fair class (SCHED_NORMAL/BATCH/IDLE): the EEVDF engine (eevdf.h) per CPU, wired to the
// core's hooks the way kernel/sched/fair.c wires it: enqueue/dequeue with delayed dequeue,
// pick with lazy removal of delayed tasks, tick-driven slice expiry, wakeup preemption, and
// CPU selection for wakeups and forks.
#pragma once

#include <memory>
#include <vector>

#include "kernel/fair/eevdf.h"
#include "kernel/sched_class.h"

namespace scx {

class Kernel;

struct FairConfig {
  fair::Features features;
  fair::Tunables tunables;
};

class FairClass : public SchedClass {
 public:
  FairClass(Kernel& k, FairConfig config);
  const char* name() const override { return "fair"; }

  void enqueue_task(Rq& rq, Task& p, int flags) override;
  bool dequeue_task(Rq& rq, Task& p, int flags) override;
  void yield_task(Rq& rq) override;
  void wakeup_preempt(Rq& rq, Task& p, int wake_flags) override;
  Task* pick_task(Rq& rq) override;
  void put_prev_task(Rq& rq, Task& p, Task* next) override;
  void set_next_task(Rq& rq, Task& p, bool first) override;
  int select_task_rq(Task& p, int prev_cpu, int wake_flags) override;
  void task_tick(Rq& rq, Task& p, bool queued) override;
  void task_fork(Task& p) override;
  void switched_to(Rq& rq, Task& p) override;
  void prio_changed(Rq& rq, Task& p, int old_prio) override;
  void update_curr(Rq& rq) override;
  int nr_queued(const Rq& rq) const override;

  const FairConfig& config() const { return config_; }
  fair::CfsRq& cfs_rq(int cpu) { return *cfs_[cpu]; }
  // Weight of a fair task from its policy and nice (set_load_weight()).
  static uint32_t task_weight(const Task& p);

 private:
  void sync_entity_params(Task& p);   // policy, weight, slice request before (re)queueing
  void apply_resched(Rq& rq);         // the engine's resched_curr() requests
  int select_idle_sibling(const Task& p, int prev, int target);

  Kernel& k_;
  FairConfig config_;
  std::vector<std::unique_ptr<fair::CfsRq>> cfs_;
};

}  // namespace scx
