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
