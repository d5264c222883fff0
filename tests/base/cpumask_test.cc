#include "base/cpumask.h"

#include <vector>

#include <gtest/gtest.h>

#include "base/cpulist.h"

namespace scx {
namespace {

TEST(CpuMask, SetTestIterate) {
  CpuMask m;
  m.set(0);
  m.set(63);
  m.set(64);
  m.set(1000);
  EXPECT_EQ(m.weight(), 4);
  std::vector<int> got(m.begin(), m.end());
  EXPECT_EQ(got, (std::vector<int>{0, 63, 64, 1000}));
  EXPECT_EQ(m.next(1), 63);
  EXPECT_EQ(m.next(65), 1000);
  EXPECT_EQ(m.next(1001), -1);
  m.clear(63);
  EXPECT_FALSE(m.test(63));
  EXPECT_FALSE(m.test(-1));
}

TEST(CpuMask, SetAlgebra) {
  CpuMask a = CpuMask::first_n(4), b = CpuMask::single(2);
  EXPECT_TRUE(b.subset_of(a));
  EXPECT_FALSE(a.subset_of(b));
  EXPECT_EQ((a & b), b);
  EXPECT_EQ(a.and_not(b).to_list(), "0-1,3");
  EXPECT_TRUE(a.intersects(b));
}

// count_range(from, to) counts [from, to): {0-3, 63-65, 700, 1023} by hand, ranges that start
// and end mid-word, on word edges, empty, and beyond both ends.
TEST(CpuMask, CountRange) {
  CpuMask m;
  for (int c : {0, 1, 2, 3, 63, 64, 65, 700, 1023}) m.set(c);
  EXPECT_EQ(m.count_range(0, kMaxCpus), 9);
  EXPECT_EQ(m.count_range(1, 3), 2);        // 1, 2
  EXPECT_EQ(m.count_range(3, 64), 2);       // 3, 63 (64 excluded)
  EXPECT_EQ(m.count_range(63, 66), 3);      // 63, 64, 65 across the word edge
  EXPECT_EQ(m.count_range(64, 128), 2);     // one whole word: 64, 65
  EXPECT_EQ(m.count_range(66, 700), 0);
  EXPECT_EQ(m.count_range(66, 701), 1);     // 700
  EXPECT_EQ(m.count_range(5, 5), 0);        // empty
  EXPECT_EQ(m.count_range(9, 2), 0);        // reversed: empty
  EXPECT_EQ(m.count_range(-4, 2), 2);       // clipped to 0: 0, 1
  EXPECT_EQ(m.count_range(1000, 2000), 1);  // clipped to kMaxCpus: 1023
}

TEST(CpuList, RoundTrip) {
  auto m = parse_cpulist("0-3,8,10-11\n");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->to_list(), "0-3,8,10-11");
  EXPECT_TRUE(parse_cpulist("")->empty());
}

TEST(CpuList, Errors) {
  EXPECT_FALSE(parse_cpulist("3-1").ok());
  EXPECT_FALSE(parse_cpulist("a").ok());
  EXPECT_FALSE(parse_cpulist("0-5000").ok());
  EXPECT_NE(parse_cpulist("1,x").status().message().find("'x'"), std::string::npos);
}

}  // namespace
}  // namespace scx
