// The fair class's per-task state outside the EEVDF entity: the task_struct/sched_entity
// fields fair.c's load tracking, wakeup placement and load balancing use.
#pragma once

#include <cstdint>

#include "kernel/fair/pelt.h"

namespace scx {
struct Task;
}

namespace scx::fair {

struct FairTaskState {
  SchedAvg avg;                      // se.avg
  unsigned wakee_flips = 0;          // task_struct::wakee_flips
  int64_t wakee_flip_decay_ts = 0;   // jiffies of the last halving
  const Task* last_wakee = nullptr;  // task_struct::last_wakee
  int recent_used_cpu = -1;          // task_struct::recent_used_cpu
  bool attached = false;
  bool throttled = false;            // 6.18 p->throttled: parked in its cfs_rq's limbo list             // avg is part of its cfs_rq's (attach/detach/remove)
  // rq->cfs_tasks membership (se.group_node): most recently picked first.
  Task* lb_prev = nullptr;
  Task* lb_next = nullptr;
  bool on_lb_list = false;
  // SHARED_RUNQ shard membership (p->shared_runq_node): -1 when not queued in a shard.
  int srq_shard = -1;
  Task* srq_prev = nullptr;
  Task* srq_next = nullptr;
};

}  // namespace scx::fair
