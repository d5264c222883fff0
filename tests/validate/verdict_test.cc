// The verdict rule of the validate table: tolerances, floors, the wake-up sample minimum, and
// what happens when a side did not measure a cell.
#include <gtest/gtest.h>

#include "validate/verdict.h"

namespace scx {
namespace {

size_t metric_index(const std::string& key) {
  for (size_t i = 0; i < validation_metrics().size(); ++i)
    if (validation_metrics()[i].key == key) return i;
  ADD_FAILURE() << "no metric " << key;
  return 0;
}

const ValidationMetric& metric(const std::string& key) { return validation_metrics()[metric_index(key)]; }

SideStats side(std::optional<double> mean, double wakeups = 1000) {
  SideStats s;
  s.mean = mean;
  s.n = mean ? 1 : 0;
  s.wakeups_mean = wakeups;
  return s;
}

TEST(ValidateVerdict, RelativeTolerance) {
  const ValidationMetric& share = metric("cpu_share_pct");
  EXPECT_EQ(judge(share, side(40), side(43.9)), CellVerdict::Pass);
  EXPECT_EQ(judge(share, side(40), side(44)), CellVerdict::Pass);  // exactly 10 %
  EXPECT_EQ(judge(share, side(40), side(44.1)), CellVerdict::Fail);
  EXPECT_EQ(judge(share, side(40), side(35.9)), CellVerdict::Fail);
  const ValidationMetric& p99 = metric("wakeup_p99_us");
  EXPECT_EQ(judge(p99, side(1000), side(1500)), CellVerdict::Pass);
  EXPECT_EQ(judge(p99, side(1000), side(499)), CellVerdict::Fail);
}

TEST(ValidateVerdict, SwitchRatesHaveAFloor) {
  const ValidationMetric& vcsw = metric("vcsw_per_s");
  EXPECT_EQ(judge(vcsw, side(0.4), side(0)), CellVerdict::Pass);    // within 1 /s per task
  EXPECT_EQ(judge(vcsw, side(0.4), side(1.5)), CellVerdict::Fail);
  EXPECT_EQ(judge(vcsw, side(200), side(151)), CellVerdict::Pass);  // 25 %
  EXPECT_EQ(judge(vcsw, side(200), side(149)), CellVerdict::Fail);
}

TEST(ValidateVerdict, AbsoluteTolerance) {
  const ValidationMetric& le4 = metric("wakeup_le_4ms");
  EXPECT_EQ(judge(le4, side(0.9), side(0.8)), CellVerdict::Pass);
  EXPECT_EQ(judge(le4, side(0.9), side(1.0)), CellVerdict::Pass);
  EXPECT_EQ(judge(le4, side(0.9), side(0.79)), CellVerdict::Fail);
}

TEST(ValidateVerdict, WhatIsJudged) {
  EXPECT_EQ(judge(metric("wakeup_p50_us"), side(10), side(99)), CellVerdict::Info);  // no tolerance
  EXPECT_EQ(judge(metric("cpu_share_pct"), side(std::nullopt), side(5)), CellVerdict::NotJudged);
  EXPECT_EQ(judge(metric("cpu_share_pct"), side(5), side(std::nullopt)), CellVerdict::Fail);
  // Wake-up latency figures need enough wake-ups on the real side.
  EXPECT_EQ(judge(metric("wakeup_p99_us"), side(100, 99), side(100)), CellVerdict::NotJudged);
  EXPECT_EQ(judge(metric("wakeup_p99_us"), side(100, 100), side(100)), CellVerdict::Pass);
  EXPECT_EQ(judge(metric("wakeup_le_4ms"), side(1, 100), side(std::nullopt, 0)), CellVerdict::Fail);
}

RunFigures run(const std::string& group, double share, uint64_t wakeups) {
  RunFigures r;
  GroupFigures g;
  g.group = group;
  g.tasks = 1;
  g.wakeups = wakeups;
  g.values.assign(validation_metrics().size(), std::nullopt);
  g.values[metric_index("cpu_share_pct")] = share;
  r.groups.push_back(g);
  return r;
}

TEST(ValidateVerdict, SideStatsAndCells) {
  const std::vector<RunFigures> real = {run("a", 1, 10), run("a", 2, 20), run("a", 3, 30)};
  const SideStats s = side_stats(real, "a", metric_index("cpu_share_pct"));
  EXPECT_EQ(s.n, 3);
  EXPECT_DOUBLE_EQ(*s.mean, 2.0);
  EXPECT_DOUBLE_EQ(*s.sd, 1.0);
  EXPECT_DOUBLE_EQ(s.wakeups_mean, 20.0);
  EXPECT_FALSE(side_stats(real, "a", metric_index("vcsw_per_s")).mean.has_value());
  EXPECT_FALSE(side_stats({run("a", 1, 0)}, "a", metric_index("cpu_share_pct")).sd.has_value());

  const std::vector<RunFigures> sim = {run("b", 2.1, 0)};
  const auto cells = build_cells(real, sim);
  ASSERT_EQ(cells.size(), 2 * validation_metrics().size());  // groups a and b, sorted
  EXPECT_EQ(cells.front().group, "a");
  EXPECT_EQ(cells.back().group, "b");
  EXPECT_EQ(cells[metric_index("cpu_share_pct")].verdict, CellVerdict::Fail);  // scxsim has no group a
  EXPECT_EQ(cells[validation_metrics().size() + metric_index("cpu_share_pct")].verdict, CellVerdict::NotJudged);
  const CellCount n = count_cells(cells);
  EXPECT_EQ(n.passed, 0);
  EXPECT_EQ(n.judged, 1);
}

TEST(ValidateVerdict, ToleranceText) {
  EXPECT_EQ(tolerance_text(metric("cpu_share_pct")), "±10%");
  EXPECT_EQ(tolerance_text(metric("ivcsw_per_s")), "±25%");
  EXPECT_EQ(tolerance_text(metric("wakeup_p99_us")), "±50%");
  EXPECT_EQ(tolerance_text(metric("wakeup_le_4ms")), "±0.10");
  EXPECT_EQ(tolerance_text(metric("run_delay_p99_us")), "-");
}

}  // namespace
}  // namespace scx
