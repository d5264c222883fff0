// "Nice number" axes: steps of 1, 2 or 5 x 10^k covering the range, labels with as few decimals
// as the step needs, decades for log axes. Expected ticks worked out by hand.
#include <gtest/gtest.h>

#include "report/axis_ticks.h"

namespace scx {
namespace {

TEST(AxisTicks, NiceStepsCoverTheRange) {
  // 0..37.3 in at most 6 ticks: raw step 7.46 -> 10; 0 10 20 30 40.
  AxisTicks t = nice_ticks(0, 37.3, 6);
  EXPECT_EQ(t.step, 10);
  EXPECT_EQ(t.ticks, (std::vector<double>{0, 10, 20, 30, 40}));
  // 0..1: raw 0.2 -> 0.2 (no rounding drift: 0.6 is three steps, printed "0.6").
  t = nice_ticks(0, 1, 6);
  EXPECT_DOUBLE_EQ(t.step, 0.2);
  ASSERT_EQ(t.ticks.size(), 6u);
  EXPECT_EQ(tick_label(t.ticks[3], t.step), "0.6");
  // -3..7 in 6: raw 2 -> 2; widened to whole steps: -4 .. 8.
  t = nice_ticks(-3, 7, 6);
  EXPECT_EQ(t.step, 2);
  EXPECT_EQ(t.lo, -4);
  EXPECT_EQ(t.hi, 8);
  // 0..100 % in 6: raw 20 -> 20.
  EXPECT_EQ(nice_ticks(0, 100, 6).ticks, (std::vector<double>{0, 20, 40, 60, 80, 100}));
  // 0..1234 ms in 10: raw 137 -> 200; 0 .. 1400.
  t = nice_ticks(0, 1234, 10);
  EXPECT_EQ(t.step, 200);
  EXPECT_EQ(t.hi, 1400);
  // 0..0.03 in 4: raw 0.01 -> 0.01.
  t = nice_ticks(0, 0.03, 4);
  EXPECT_DOUBLE_EQ(t.step, 0.01);
  EXPECT_EQ(tick_label(t.ticks[2], t.step), "0.02");
  // An empty range becomes a unit range.
  EXPECT_EQ(nice_ticks(5, 5, 6).lo, 5);
  EXPECT_EQ(nice_ticks(5, 5, 6).hi, 6);
}

TEST(AxisTicks, LabelsAndDecades) {
  EXPECT_EQ(tick_label(0.25, 0.05), "0.25");
  EXPECT_EQ(tick_label(1500, 500), "1500");
  EXPECT_EQ(tick_label(-1e-12, 0.1), "0.0");  // no "-0.0"
  EXPECT_EQ(decade_ticks(0.03, 250), (std::vector<double>{0.01, 0.1, 1, 10, 100, 1000}));
  EXPECT_EQ(decade_ticks(10, 10), (std::vector<double>{10, 100}));  // at least one decade
  EXPECT_EQ(tick_label(0.01, 0.01), "0.01");
}

}  // namespace
}  // namespace scx
