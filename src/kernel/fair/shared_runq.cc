#include "kernel/fair/shared_runq.h"

#include <map>

#include "kernel/task.h"

namespace scx::fair {

SharedRunq::SharedRunq(const SchedDomains& domains) {
  const int n = domains.nr_cpus();
  llc_first_shard_.assign(n, 0);
  llc_nr_shards_.assign(n, 1);
  std::map<int, int> first_by_llc;  // sd_llc_id -> first shard
  for (int cpu = 0; cpu < n; ++cpu) {
    const int id = domains.sd_llc_id(cpu);
    // v3: DIV_ROUND_UP(llc_size, SHARED_RUNQ_SHARD_SZ) shards per LLC.
    const int nr = (domains.sd_llc_size(cpu) + kSharedRunqShardSize - 1) / kSharedRunqShardSize;
    auto it = first_by_llc.find(id);
    if (it == first_by_llc.end()) {
      it = first_by_llc.emplace(id, static_cast<int>(shards_.size())).first;
      shards_.resize(shards_.size() + nr);
    }
    llc_first_shard_[cpu] = it->second;
    llc_nr_shards_[cpu] = nr;
  }
}

int SharedRunq::shard_of(int cpu) const {
  return llc_first_shard_[cpu] + (cpu >> 1) % llc_nr_shards_[cpu];
}

void SharedRunq::enqueue(Task& p, int cpu) {
  if (p.nr_cpus_allowed == 1 || p.fair.srq_shard >= 0) return;
  Shard& s = shards_[shard_of(cpu)];
  p.fair.srq_shard = shard_of(cpu);
  p.fair.srq_prev = s.tail;
  p.fair.srq_next = nullptr;
  (s.tail ? s.tail->fair.srq_next : s.head) = &p;
  s.tail = &p;
  ++s.count;
}

void SharedRunq::dequeue(Task& p) {
  if (p.fair.srq_shard < 0) return;
  Shard& s = shards_[p.fair.srq_shard];
  (p.fair.srq_prev ? p.fair.srq_prev->fair.srq_next : s.head) = p.fair.srq_next;
  (p.fair.srq_next ? p.fair.srq_next->fair.srq_prev : s.tail) = p.fair.srq_prev;
  p.fair.srq_prev = p.fair.srq_next = nullptr;
  p.fair.srq_shard = -1;
  --s.count;
}

Task* SharedRunq::pop(int cpu) {
  const int nr = llc_nr_shards_[cpu], start = (cpu >> 1) % nr;
  for (int i = 0; i < nr; ++i) {
    Shard& s = shards_[llc_first_shard_[cpu] + (start + i) % nr];
    for (Task* p = s.head; p; p = p->fair.srq_next) {
      if (!p->cpus_allowed.test(cpu)) continue;
      dequeue(*p);
      return p;
    }
  }
  return nullptr;
}

}  // namespace scx::fair
