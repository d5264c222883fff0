// The vtime order of a PRIQ dispatch queue (the kernel's dsq->priq rbtree): tasks by the
// dsq_vtime they were inserted with, compared wraparound-safe as time_before64() does, equal
// vtimes in insertion order (std::multiset inserts at the end of an equal range, as rb_add()
// puts a key after the equal ones). The DSQ's list stays the dispatch order that iterators
// walk; the tree only finds in O(log n) where a new task goes in that list.
#pragma once

#include <cstdint>
#include <set>

namespace scx {

struct Task;

struct PriqEntry {
  uint64_t vtime;  // p->scx.dsq_vtime when it was inserted
  Task* task;
};

struct PriqBefore {
  bool operator()(const PriqEntry& a, const PriqEntry& b) const {
    return static_cast<int64_t>(a.vtime - b.vtime) < 0;
  }
};

using DsqPriq = std::multiset<PriqEntry, PriqBefore>;

}  // namespace scx
