// The core's enqueue/dequeue flags, shared by the classes and the kernel-independent EEVDF
// engine (kernel/fair/eevdf.h).
#pragma once

namespace scx {

// enqueue/dequeue/wake flags with the values of Linux 6.12's kernel/sched/sched.h (before the
// later renumbering), because sched_ext passes them through to BPF unchanged.
enum : int {
  ENQUEUE_WAKEUP = 0x01,
  ENQUEUE_RESTORE = 0x02,
  ENQUEUE_MOVE = 0x04,
  ENQUEUE_NOCLOCK = 0x08,
  ENQUEUE_HEAD = 0x10,
  ENQUEUE_REPLENISH = 0x20,
  ENQUEUE_MIGRATED = 0x40,
  ENQUEUE_INITIAL = 0x80,
  ENQUEUE_MIGRATING = 0x100,
  ENQUEUE_DELAYED = 0x200,
  ENQUEUE_RQ_SELECTED = 0x400,
};
enum : int {
  DEQUEUE_SLEEP = 0x01,
  DEQUEUE_SAVE = 0x02,
  DEQUEUE_MOVE = 0x04,
  DEQUEUE_NOCLOCK = 0x08,
  DEQUEUE_SPECIAL = 0x10,
  DEQUEUE_MIGRATING = 0x100,
  DEQUEUE_DELAYED = 0x200,
};

}  // namespace scx
