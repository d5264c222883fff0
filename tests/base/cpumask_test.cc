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
