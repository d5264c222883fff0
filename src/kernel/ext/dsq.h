// Dispatch queues: an ordered list of tasks, FIFO or ordered by p->scx.dsq_vtime (PRIQ, FIFO
// among equal keys), as kernel/sched/ext.c keeps them. Iterator cursors are null entries in the
// list (the kernel's SCX_TASK_CURSOR nodes), so removals never invalidate an iteration.
#pragma once

#include <cstdint>
#include <list>

#include "scxsim/kernel_types.h"

namespace scx {

struct Task;

enum class DsqKind : uint8_t { Local, Global, User };

struct Dsq {
  u64 id = SCX_DSQ_INVALID;
  DsqKind kind = DsqKind::User;
  int cpu = -1;     // Local
  int node = 0;     // Global / user (node hint)
  std::list<Task*> list;  // dispatch order; nullptr entries are iterator cursors
  u32 nr = 0;       // tasks (cursors excluded)
  u32 seq = 0;      // incremented on every insert
  u32 nr_priq = 0;  // tasks inserted with vtime ordering
  bool destroyed = false;
  scx_dispatch_q kview{};  // what p->scx.dsq points at for BPF readers

  bool builtin() const { return kind != DsqKind::User; }
  // First task (cursors skipped), or nullptr.
  Task* first() const;
  void sync_view() {
    kview.id = id;
    kview.nr = nr;
    kview.seq = seq;
  }
};

}  // namespace scx
