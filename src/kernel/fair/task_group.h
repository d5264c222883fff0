// Fair group scheduling (CONFIG_FAIR_GROUP_SCHED) state: the class layer's half of struct
// cfs_rq (PELT, the hierarchical counts, the group share bookkeeping) and struct task_group
// with its per-CPU group entities and runqueues. The EEVDF half of a runqueue is fair::CfsRq
// (eevdf.h); the walks that tie the levels together are FairClass's (fair_group.cc).
// docs/cgroups.md, "Fair group scheduling".
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernel/fair/eevdf.h"
#include "kernel/fair/pelt.h"

namespace scx {
class Cgroup;
struct Task;
}

namespace scx::fair {

struct TaskGroup;

// The fields of struct cfs_rq that fair.c keeps outside EEVDF.
struct CfsRqState {
  CfsRq* q = nullptr;       // the EEVDF runqueue (q->owner points back here)
  // Tasks queued at or below this level: h_nr_running (6.12) / h_nr_queued (6.18), delayed ones
  // included; of those the delayed (h_nr_delayed) and the SCHED_IDLE or idle-group ones
  // (idle_h_nr_running).
  unsigned h_nr_queued = 0;
  unsigned h_nr_delayed = 0;
  unsigned h_nr_idle = 0;
  unsigned h_nr_runnable() const { return h_nr_queued - h_nr_delayed; }

  bool idle = false;  // cfs_rq->idle: the group's cpu.idle (cfs_rq_is_idle())

  TaskGroup* tg = nullptr;  // null for the CPU's root runqueue (rq->cfs)
  int cpu = 0;
  SchedEntity* se = nullptr;  // tg->se[cpu]: the entity that queues this runqueue in its parent

  SchedAvg avg;  // cfs_rq->avg
  // 6.18 cfs_rq->throttled_limbo_list: its tasks parked by the throttle work, newest last.
  std::vector<Task*> limbo;
  struct {
    uint64_t load_avg = 0, util_avg = 0, runnable_avg = 0;
    int nr = 0;
  } removed;  // cfs_rq->removed: load of tasks that left by wakeup migration


  // Group share bookkeeping (update_tg_load_avg(), calc_group_shares()).
  uint64_t tg_load_avg_contrib = 0;
  Ns last_update_tg_load_avg = kNever;  // ratelimit of update_tg_load_avg()
  // Load propagation to the parent (add_tg_cfs_propagate(), propagate_entity_load_avg()).
  bool propagate = false;
  int64_t prop_runnable_sum = 0;

  // Hierarchical load (update_cfs_rq_h_load()): this level's share of the CPU's load.
  uint64_t h_load = 0;
  int64_t last_h_load_update = -1;  // jiffies
  SchedEntity* h_load_next = nullptr;
};

// tg->se[cpu], tg->cfs_rq[cpu] and the group entity's PELT (se->avg).
struct GroupCpu {
  GroupCpu(const Features* features, const Tunables* tunables) : q(features, tunables) {}
  CfsRq q;
  SchedEntity se;
  SchedAvg se_avg;
  CfsRqState state;
};

// struct task_group for one cgroup (the root cgroup has none: its runqueues are the CPUs').
struct TaskGroup {
  Cgroup* cgroup = nullptr;
  TaskGroup* parent = nullptr;  // null: a child of the root group
  uint32_t shares = kNice0Load;  // tg->shares (unscaled)
  bool idle = false;             // tg->idle
  int64_t load_avg = 0;          // tg->load_avg: sum of the CPUs' tg_load_avg_contrib
  std::vector<std::unique_ptr<GroupCpu>> cpus;
};

// MIN_SHARES and MAX_SHARES (kernel/cgroup/cgroup.h's kMinShares, kMaxShares) bound a group's
// shares and, for MIN_SHARES, the weight calc_group_shares() gives its entity on a CPU.

}  // namespace scx::fair
