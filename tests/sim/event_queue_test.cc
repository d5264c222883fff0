#include "sim/event_queue.h"

#include <gtest/gtest.h>

namespace scx {
namespace {

TEST(EventQueue, OrdersByTimeThenInsertion) {
  EventQueue q;
  q.push(30, 1, 0, 0);
  q.push(10, 2, 0, 0);
  q.push(10, 3, 0, 0);
  q.push(20, 4, 0, 0);
  std::vector<uint32_t> kinds;
  while (!q.empty()) kinds.push_back(q.pop().kind);
  EXPECT_EQ(kinds, (std::vector<uint32_t>{2, 3, 4, 1}));
  EXPECT_EQ(q.now(), 30u);
}

TEST(EventQueue, CancelledEventsAreSkipped) {
  EventQueue q;
  auto a = q.push(5, 1, 0, 0);
  q.push(6, 2, 0, 0);
  auto c = q.push(7, 3, 0, 0);
  q.cancel(a);
  q.cancel(c);
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.peek_time(), 6u);
  EXPECT_EQ(q.pop().kind, 2u);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.peek_time(), kNever);
}

// A handle outlives its event: cancelling after the event ran, or twice, must not touch the
// event that reuses the slot (the old queue's hash set would have swallowed the count).
TEST(EventQueue, StaleHandlesCancelNothing) {
  EventQueue q;
  auto a = q.push(5, 1, 0, 0);
  EXPECT_EQ(q.pop().kind, 1u);
  auto b = q.push(6, 2, 0, 0);  // reuses a's slot
  q.cancel(a);
  EXPECT_EQ(q.size(), 1u);
  q.cancel(b);
  q.cancel(b);
  EXPECT_EQ(q.size(), 0u);
  q.push(7, 3, 0, 0);
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.pop().kind, 3u);
}

// Sequence numbers run out at the 24th of 30 pushes here, with about 15 keys pending (cancelled
// ones included): the renumbering must keep FIFO among equal times. Round r pushes kinds 2r and
// 2r+1 at time 10(r+1) around a cancelled event at the same time, then pops one event; times
// grow with r, so everything comes out in push order: kinds 0..19.
TEST(EventQueue, RenumberingKeepsTheOrder) {
  EventQueue q(/*seq_limit=*/24);
  std::vector<uint32_t> kinds;
  for (uint32_t r = 0; r < 10; ++r) {
    const Ns t = 10 * (r + 1);
    q.push(t, 2 * r, 0, 0);
    q.cancel(q.push(t, 999, 0, 0));
    q.push(t, 2 * r + 1, 0, 0);
    kinds.push_back(q.pop().kind);
  }
  while (!q.empty()) kinds.push_back(q.pop().kind);
  std::vector<uint32_t> expected(20);
  for (uint32_t i = 0; i < 20; ++i) expected[i] = i;
  EXPECT_EQ(kinds, expected);
}

TEST(EventQueue, ManyEventsComeOutSorted) {
  EventQueue q;
  uint64_t x = 12345;
  for (int i = 0; i < 5000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    q.push((x >> 33) % 1000, static_cast<uint32_t>(i), 0, 0);
  }
  Ns last = 0;
  uint32_t last_kind = 0;
  while (!q.empty()) {
    Event e = q.pop();
    ASSERT_GE(e.time, last);
    if (e.time == last && last != 0) {
      ASSERT_GT(e.kind, last_kind);  // FIFO among equals
    }
    last = e.time;
    last_kind = e.kind;
  }
}

}  // namespace
}  // namespace scx
