#include "sim/event_queue.h"

#include <algorithm>

namespace scx {

uint32_t EventQueue::take_slot() {
  if (!free_slots_.empty()) {
    const uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  SCX_CHECK_MSG(slots_.size() <= kSlotMask, "too many pending events");
  slots_.emplace_back();
  return static_cast<uint32_t>(slots_.size() - 1);
}

void EventQueue::free_slot(uint32_t slot) {
  Slot& s = slots_[slot];
  ++s.generation;
  s.cancelled = false;
  free_slots_.push_back(slot);
}

void EventQueue::cancel(Handle h) {
  const uint32_t slot = static_cast<uint32_t>(h);
  if (slot >= slots_.size()) return;
  Slot& s = slots_[slot];
  if (s.generation != static_cast<uint32_t>(h >> 32) || s.cancelled) return;
  // The key stays in the heap; pop() discards it when it reaches the top.
  s.cancelled = true;
  --live_;
}

void EventQueue::sift_up(size_t i) {
  const Key k = heap_[i];
  while (i > 0) {
    const size_t parent = (i - 1) / 4;
    if (!before(k, heap_[parent])) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = k;
}

size_t EventQueue::min_child(size_t first, size_t n) const {
  if (first + 4 <= n) {  // a tournament of pairs: fewer dependent branches (keys are unique)
    const size_t a = first + before(heap_[first + 1], heap_[first]);
    const size_t b = first + 2 + before(heap_[first + 3], heap_[first + 2]);
    return before(heap_[b], heap_[a]) ? b : a;
  }
  size_t best = first;
  const size_t last = std::min(first + 4, n);
  for (size_t c = first + 1; c < last; ++c)
    if (before(heap_[c], heap_[best])) best = c;
  return best;
}

void EventQueue::pop_top() {
  // Floyd's bottom-up removal: walk the hole at the top down to a leaf along the smallest
  // children, then put the last key there and sift it up. The last key almost always belongs
  // near the bottom, so this saves the comparison with it at every level on the way down.
  const Key last = heap_.back();
  heap_.pop_back();
  const size_t n = heap_.size();
  if (n == 0) return;
  size_t hole = 0;
  for (size_t first = 1; first < n; first = 4 * hole + 1) {
    const size_t best = min_child(first, n);
    heap_[hole] = heap_[best];
    hole = best;
  }
  heap_[hole] = last;
  sift_up(hole);
}

void EventQueue::drop_cancelled_top() {
  while (!heap_.empty()) {
    const uint32_t slot = slot_of(heap_[0]);
    if (!slots_[slot].cancelled) break;
    free_slot(slot);
    pop_top();
  }
}

void EventQueue::renumber() {
  // A sorted array is a valid heap, and numbering it in order keeps every pending event's rank.
  std::sort(heap_.begin(), heap_.end(), before);
  for (size_t i = 0; i < heap_.size(); ++i) heap_[i].order = (uint64_t{i} << kSlotBits) | slot_of(heap_[i]);
  next_seq_ = heap_.size();
  SCX_CHECK_MSG(next_seq_ < seq_limit_, "more pending events than sequence numbers");
}

Ns EventQueue::peek_time() {
  drop_cancelled_top();
  return heap_.empty() ? kNever : heap_[0].time;
}

Event EventQueue::pop() {
  drop_cancelled_top();
  SCX_CHECK(!heap_.empty());
  const Key top = heap_[0];
  pop_top();
  const uint32_t slot = slot_of(top);
  const Slot& s = slots_[slot];
  const Event e{top.time, s.arg, s.target, s.kind};
  free_slot(slot);
  --live_;
  now_ = e.time;
  ++processed_;
  return e;
}

}  // namespace scx
