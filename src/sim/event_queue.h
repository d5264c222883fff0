// The simulation's future: events ordered by (time, sequence). Sequence numbers are assigned at
// insertion, so events at the same time run in the order they were scheduled — the tie-break
// that makes every run deterministic. Cancellation is by handle; a cancelled event is skipped
// when it reaches the top (lazy deletion keeps push/pop O(log n)).
#pragma once

#include <cstdint>
#include <unordered_set>
#include <vector>

#include "base/check.h"
#include "sim/time.h"

namespace scx {

// What happens is the owner's business: the queue only carries a kind and two arguments.
struct Event {
  Ns time = 0;
  uint64_t seq = 0;
  uint32_t kind = 0;
  int32_t target = 0;  // usually a CPU id
  uint64_t arg = 0;    // usually a task id or generation
};

class EventQueue {
 public:
  using Handle = uint64_t;  // the event's sequence number

  Handle push(Ns time, uint32_t kind, int32_t target, uint64_t arg) {
    SCX_CHECK_MSG(time >= now_, "event scheduled in the past");
    Event e{time, next_seq_++, kind, target, arg};
    heap_.push_back(e);
    sift_up(heap_.size() - 1);
    ++live_;
    return e.seq;
  }
  // Marks a pending event dead; it is dropped when it surfaces. The handle must belong to an
  // event that has not run yet (owners clear their stored handle when the event fires).
  void cancel(Handle h);

  bool empty() const { return live_ == 0; }
  size_t size() const { return live_; }
  Ns now() const { return now_; }
  // Time of the next live event, or kNever.
  Ns peek_time();
  // Removes and returns the next live event and advances the clock to it.
  Event pop();
  uint64_t events_processed() const { return processed_; }

 private:
  static bool before(const Event& a, const Event& b) {
    return a.time != b.time ? a.time < b.time : a.seq < b.seq;
  }
  void sift_up(size_t i);
  void sift_down(size_t i);
  void pop_top();
  void drop_cancelled_top();

  std::vector<Event> heap_;            // 4-ary min-heap
  std::unordered_set<uint64_t> cancelled_;  // membership only, never iterated
  uint64_t next_seq_ = 0;
  size_t live_ = 0;
  Ns now_ = 0;
  uint64_t processed_ = 0;
};

}  // namespace scx
