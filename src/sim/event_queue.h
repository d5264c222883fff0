// The simulation's future: events ordered by (time, sequence). Sequence numbers are assigned at
// insertion, so events at the same time run in the order they were scheduled — the tie-break
// that makes every run deterministic.
//
// Layout, for speed: the 4-ary heap holds 16-byte keys only (time, and the sequence number with
// the event's slot in its low bits), so one cache line holds a node's four children. The
// payload waits in a slot array with a free list. Cancellation is by handle (slot and the slot's
// generation): it sets the slot's cancelled bit, and the key is dropped when it reaches the
// top — no hashing, no allocation.
#pragma once

#include <cstdint>
#include <vector>

#include "base/check.h"
#include "sim/time.h"

namespace scx {

// What happens is the owner's business: the queue only carries a kind and two arguments.
struct Event {
  Ns time = 0;
  uint64_t arg = 0;    // usually a task id or generation
  int32_t target = 0;  // usually a CPU id
  uint32_t kind = 0;
};

class EventQueue {
 public:
  // Slot index in the low 32 bits, the slot's generation above: a handle whose event has run
  // (or was cancelled) no longer matches its slot and cancels nothing.
  using Handle = uint64_t;

  // Sequence numbers live in the keys' high bits; when they run out the pending keys are
  // renumbered in order (seq_limit is lowered by tests only).
  static constexpr int kSlotBits = 28;
  static constexpr uint64_t kSeqLimit = uint64_t{1} << (64 - kSlotBits);
  explicit EventQueue(uint64_t seq_limit = kSeqLimit) : seq_limit_(seq_limit) {}

  Handle push(Ns time, uint32_t kind, int32_t target, uint64_t arg) {
    SCX_CHECK_MSG(time >= now_, "event scheduled in the past");
    if (next_seq_ >= seq_limit_) renumber();
    const uint32_t slot = take_slot();
    Slot& s = slots_[slot];
    s.arg = arg;
    s.target = target;
    s.kind = kind;
    heap_.push_back(Key{time, (next_seq_++ << kSlotBits) | slot});
    sift_up(heap_.size() - 1);
    ++live_;
    return (uint64_t{s.generation} << 32) | slot;
  }
  // Drops a pending event; a handle whose event has already run or been cancelled is ignored.
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
  struct Key {
    Ns time;
    uint64_t order;  // seq << kSlotBits | slot: seq is unique, so this orders like seq
  };
  struct Slot {
    uint64_t arg = 0;
    int32_t target = 0;
    uint32_t kind = 0;
    uint32_t generation = 0;  // bumped each time the slot is freed
    bool cancelled = false;
  };
  static constexpr uint64_t kSlotMask = (uint64_t{1} << kSlotBits) - 1;

  static bool before(const Key& a, const Key& b) {
    return a.time != b.time ? a.time < b.time : a.order < b.order;
  }
  static uint32_t slot_of(const Key& k) { return static_cast<uint32_t>(k.order & kSlotMask); }
  uint32_t take_slot();
  void free_slot(uint32_t slot);
  void sift_up(size_t i);
  size_t min_child(size_t first, size_t n) const;  // of the up to 4 children from `first`
  void pop_top();
  void drop_cancelled_top();
  void renumber();

  std::vector<Key> heap_;  // 4-ary min-heap
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  uint64_t seq_limit_;
  uint64_t next_seq_ = 0;
  size_t live_ = 0;
  Ns now_ = 0;
  uint64_t processed_ = 0;
};

}  // namespace scx
