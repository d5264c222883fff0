// SHARED_RUNQ (David Vernet's v3 patch set, 2023, never merged; spec §7): one shared FIFO per
// LLC, split into shards of SHARED_RUNQ_SHARD_SZ = 6 CPUs; CPU c uses shard (c >> 1) % nr_shards
// of its LLC so that SMT siblings share one. Runnable, not running fair tasks that may run on
// more than one CPU sit in their CPU's shard; a CPU going idle pops the first task it may run,
// starting with its own shard, before the regular newidle balance.
#pragma once

#include <vector>

#include "kernel/fair/sched_domains.h"

namespace scx {
struct Task;
}

namespace scx::fair {

inline constexpr int kSharedRunqShardSize = 6;  // SHARED_RUNQ_SHARD_SZ

class SharedRunq {
 public:
  explicit SharedRunq(const SchedDomains& domains);
  // shared_runq_enqueue_task(): append to `cpu`'s shard unless pinned to one CPU.
  void enqueue(Task& p, int cpu);
  // shared_runq_dequeue_task(): leave the shard if queued in one.
  void dequeue(Task& p);
  // shared_runq_pick_next_task()'s scan: the first task allowed on `cpu`, shards of cpu's LLC
  // in order starting with its own; the task is removed from its shard.
  Task* pop(int cpu);
  int shard_of(int cpu) const;  // global shard index
  int nr_shards_of(int cpu) const { return llc_nr_shards_[cpu]; }
  int size(int shard) const { return shards_[shard].count; }

 private:
  struct Shard {
    Task* head = nullptr;
    Task* tail = nullptr;
    int count = 0;
  };
  std::vector<Shard> shards_;
  std::vector<int> llc_first_shard_;  // per CPU: index of its LLC's first shard
  std::vector<int> llc_nr_shards_;    // per CPU
};

}  // namespace scx::fair
