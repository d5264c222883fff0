// Dispatch queues: an ordered list of tasks, FIFO or ordered by p->scx.dsq_vtime (PRIQ, FIFO
// among equal keys), as kernel/sched/ext.c keeps them. Iterator cursors are null entries in the
// list (the kernel's SCX_TASK_CURSOR nodes), so removals never invalidate an iteration.
#pragma once

#include <cstdint>
#include <list>

#include "kernel/ext/dsq_priq.h"
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
  DsqPriq priq;     // those tasks in vtime order: where the next one goes in `list`
  // FIFO and vtime insertions were mixed (an scx_error): the list is not in priq order, so
  // vtime insertions scan it as before until the DSQ empties.
  bool priq_mixed = false;
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
