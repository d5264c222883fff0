// PELT arithmetic against values worked out independently (a Python transcription of
// kernel/sched/pelt.c with the same fixed-point table).
#include <gtest/gtest.h>

#include "kernel/fair/pelt.h"

namespace scx::fair {
namespace {

constexpr Ns kPeriod = 1024 * 1024;  // one PELT period in ns

TEST(Pelt, DecayLoad) {
  EXPECT_EQ(decay_load(1024, 0), 1023u);     // y^0 is 0xffffffff / 2^32, just below 1
  EXPECT_EQ(decay_load(1000, 1), 978u);
  EXPECT_EQ(decay_load(1024, 32), 511u);     // half-life: 32 periods
  EXPECT_EQ(decay_load(kLoadAvgMax, 32), 23870u);
  EXPECT_EQ(decay_load(1 << 20, 100), 120193u);
  EXPECT_EQ(decay_load(1 << 20, kLoadAvgPeriod * 63 + 1), 0u);  // fully decayed
}

TEST(Pelt, Segments) {
  EXPECT_EQ(accumulate_pelt_segments(1, 1024, 0), 1002u);
  EXPECT_EQ(accumulate_pelt_segments(10, 500, 300), 8976u);
}

TEST(Pelt, NothingAccruesBelowOneMicrosecondUnit) {
  SchedAvg sa;
  EXPECT_FALSE(update_load_sum(1023, sa, 1, 1, true));
  EXPECT_EQ(sa.last_update_time, 0u);
  EXPECT_FALSE(update_load_sum(1024, sa, 1, 1, true));  // one unit, no period boundary
  EXPECT_EQ(sa.last_update_time, 1024u);
  EXPECT_EQ(sa.util_sum, 1024u);
  EXPECT_EQ(sa.period_contrib, 1u);
}

TEST(Pelt, FirstPeriodAndHundredPeriods) {
  SchedAvg a;
  EXPECT_TRUE(pelt_update(kPeriod, a, 1, 1, true, 1024));
  EXPECT_EQ(a.util_sum, 1026048u);
  EXPECT_EQ(a.util_avg, 21u);
  EXPECT_EQ(a.period_contrib, 0u);
  SchedAvg b;
  pelt_update(100 * kPeriod, b, 1, 1, true, 1024);
  EXPECT_EQ(b.util_avg, 906u);
  EXPECT_EQ(b.load_avg, 906u);
}

TEST(Pelt, RunningTaskConvergesTo1024AndHalvesIn32Periods) {
  SchedAvg sa;
  for (Ns t = 1; t <= 1000; ++t) pelt_update(t * kNsPerMs, sa, 1, 1, true, 1024);
  EXPECT_EQ(sa.util_avg, 1024u);
  EXPECT_EQ(sa.load_avg, 1023u);
  EXPECT_EQ(sa.runnable_avg, 1024u);
  EXPECT_EQ(sa.util_sum, 48569730u);
  EXPECT_EQ(sa.period_contrib, 690u);
  // Sleep for exactly 32 periods: half of it is left.
  pelt_update(1000 * kNsPerMs + 32 * kPeriod, sa, 0, 0, false, 1024);
  EXPECT_EQ(sa.util_avg, 512u);
  EXPECT_EQ(sa.load_avg, 511u);
}

TEST(Pelt, LoadScalesWithWeightRunnableWithCount) {
  SchedAvg sa;
  pelt_update(300 * kPeriod, sa, 2048, 2, false, 1);  // a cfs_rq with two nice-0 tasks waiting
  EXPECT_GE(sa.load_avg, 2040u);
  EXPECT_LE(sa.load_avg, 2048u);
  EXPECT_GE(sa.runnable_avg, 2040u);
  EXPECT_EQ(sa.util_avg, 0u);
}

}  // namespace
}  // namespace scx::fair
