// Per-CPU runqueue state owned by the core. Class-specific queues (rt priority arrays, the EEVDF
// tree, sched_ext DSQs) live in their classes, indexed by CPU.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/event_queue.h"
#include "sim/time.h"

namespace scx {

struct Task;

struct Rq {
  int cpu = 0;
  uint32_t capacity = 1024;
  Task* curr = nullptr;
  Task* idle = nullptr;
  Task* stop = nullptr;       // migration/N stopper
  int nr_running = 0;         // tasks enqueued in any class (incl. curr, excl. idle)
  bool need_resched = false;

  // Execution of curr's current operation.
  Ns exec_begin = 0;          // curr's work progresses from here (after context-switch cost)
  bool op_event_armed = false;
  EventQueue::Handle op_event = 0;

  bool tick_armed = false;
  uint64_t nr_switches = 0;

  // The CPU spins with interrupts off (Kernel::hold_cpu): curr makes no progress and the
  // events aimed at this CPU wait in `deferred` until it is released.
  bool held = false;
  bool held_op_armed = false;  // curr's op event was armed when the hold began
  std::vector<Event> deferred;

  // Idle-time bookkeeping the core keeps for the fair class (rq->idle_stamp, rq->avg_idle,
  // rq->max_idle_balance_cost; initialised by the fair class) and rq->ttwu_pending (remote
  // wakeups queued on this CPU's wake list, not yet enqueued).
  Ns idle_stamp = 0;
  Ns avg_idle = 0;
  Ns max_idle_balance_cost = 0;
  int ttwu_pending = 0;
};

}  // namespace scx
