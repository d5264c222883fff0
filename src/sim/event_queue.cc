#include "sim/event_queue.h"

#include <utility>

namespace scx {

void EventQueue::cancel(Handle h) {
  if (h >= next_seq_) return;
  // Record the handle and let pop() discard the event when it reaches the top.
  if (cancelled_.insert(h).second && live_ > 0) --live_;
}

void EventQueue::sift_up(size_t i) {
  Event e = heap_[i];
  while (i > 0) {
    size_t parent = (i - 1) / 4;
    if (!before(e, heap_[parent])) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = e;
}

void EventQueue::sift_down(size_t i) {
  const size_t n = heap_.size();
  Event e = heap_[i];
  for (;;) {
    size_t first = 4 * i + 1;
    if (first >= n) break;
    size_t best = first;
    size_t last = first + 4 < n ? first + 4 : n;
    for (size_t c = first + 1; c < last; ++c)
      if (before(heap_[c], heap_[best])) best = c;
    if (!before(heap_[best], e)) break;
    heap_[i] = heap_[best];
    i = best;
  }
  heap_[i] = e;
}

void EventQueue::pop_top() {
  heap_[0] = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) sift_down(0);
}

void EventQueue::drop_cancelled_top() {
  while (!heap_.empty() && !cancelled_.empty()) {
    auto it = cancelled_.find(heap_[0].seq);
    if (it == cancelled_.end()) break;
    cancelled_.erase(it);
    pop_top();
  }
}

Ns EventQueue::peek_time() {
  drop_cancelled_top();
  return heap_.empty() ? kNever : heap_[0].time;
}

Event EventQueue::pop() {
  drop_cancelled_top();
  SCX_CHECK(!heap_.empty());
  Event e = heap_[0];
  pop_top();
  --live_;
  now_ = e.time;
  ++processed_;
  return e;
}

}  // namespace scx
