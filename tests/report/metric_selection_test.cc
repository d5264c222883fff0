// Which rows the `run` and `compare` tables show: the headline set by default (all-zero rows
// hidden), --all, --metrics LIST; counts as whole numbers; the CPUs block past 16 CPUs.
#include <gtest/gtest.h>

#include "cli/runner.h"
#include "report/compare.h"
#include "report/run_compact.h"

namespace scx {
namespace {

TEST(MetricSelection, HeadlineHidesZeroRowsAndListPicksByGlob) {
  const MetricSelection headline;
  EXPECT_TRUE(headline.shows("wakeup_latency_us.p99", false));
  EXPECT_FALSE(headline.shows("wakeup_latency_us.p99", true));  // zero everywhere: hidden
  EXPECT_FALSE(headline.shows("wakeup_latency_us.p99.9", false));
  EXPECT_TRUE(headline.shows("group.hog.cpu_share_pct", false));
  EXPECT_FALSE(headline.shows("group.hog.run_delay_us.p99", false));
  EXPECT_TRUE(MetricSelection::all().shows("wakeup_latency_us.p99.9", true));
  const MetricSelection listed = MetricSelection::parse_list("wakeup_latency_us.*,group.hog.*").value();
  EXPECT_TRUE(listed.shows("wakeup_latency_us.p99.9", true));  // asked for: shown even when zero
  EXPECT_TRUE(listed.shows("group.hog.run_delay_us.p99", false));
  EXPECT_FALSE(listed.shows("group.ping.run_delay_us.p99", false));
  EXPECT_FALSE(listed.shows("run_delay_us.p99", false));
  EXPECT_EQ(listed.unmatched({"wakeup_latency_us.p50", "run_delay_us.p99"}), (std::vector<std::string>{"group.hog.*"}));
  EXPECT_FALSE(MetricSelection::parse_list(",").ok());
}

TEST(MetricSelection, CountsAreWholeNumbers) {
  const MetricDef count{"migrations.total", "migrations", "count", 0};
  const MetricDef rate{"switches.voluntary_per_s", "voluntary switches", "1/s", 0};
  EXPECT_EQ(format_metric_value(count, 3.0), "3");
  EXPECT_EQ(format_metric_value(count, 4571.0 + 1.0 / 3), "4571");
  EXPECT_EQ(format_metric_value(count, 12.0 + 2.0 / 3), "13");  // a mean of 10 or more: rounded
  EXPECT_EQ(format_metric_value(count, 2.0 / 3), "0.7");        // a small mean keeps one decimal
  EXPECT_EQ(format_metric_value(count, std::nullopt), "-");
  EXPECT_EQ(format_metric_value(rate, 81.666), "81.67");        // not a count: as before
}

// 20 CPUs: CPU c busy 5c % with 10c switches. Sorted busy% 0..95: median (the lower middle,
// the 10th of 20) 45.0; switches 0..190, median 90.
TEST(MetricSelection, CpusPast16AreSummarised) {
  RunSummary s;
  for (int c = 0; c < 20; ++c) {
    CpuSummary cpu;
    cpu.cpu = c;
    cpu.busy_pct = 5.0 * c;
    cpu.switches = static_cast<uint64_t>(10 * c);
    s.cpus.push_back(cpu);
  }
  EXPECT_EQ(cpus_block(s),
            "\nCPUs (20; min / median / max): busy% 0.0 / 45.0 / 95.0, switches 0 / 90 / 190; least busy cpu 0 "
            "(0.0%), busiest cpu 19 (95.0%); --all lists each CPU\n");
  s.cpus.resize(2);
  EXPECT_EQ(cpus_block(s), "\nCPUs\n cpu   busy%  switches\n   0     0.0         0\n   1     5.0        10\n");
}

// The default view of a run: the header, the headline metrics, the CPUs; --all is the full
// report of before, unchanged.
TEST(MetricSelection, RunViews) {
  RunOptions o;
  o.topology = "2";
  o.workload = "demo:hogs=2,interactive=2";
  o.duration = 50 * kNsPerMs;
  auto r = run_simulation(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(format_run_text(r->report, MetricSelection::all()), format_run_text(r->report));
  const std::string compact = format_run_text(r->report, MetricSelection{});
  EXPECT_EQ(compact.rfind(format_run_header(r->report) + "\nmetric ", 0), 0u) << compact;
  EXPECT_NE(compact.find("\nwake-up latency p99 "), std::string::npos) << compact;
  EXPECT_EQ(compact.find("wake-up latency p99.9"), std::string::npos) << compact;
  EXPECT_EQ(compact.find("Tasks (times"), std::string::npos) << compact;
  EXPECT_NE(compact.find(" more metrics: --all shows every one"), std::string::npos) << compact;
  const std::string listed = format_run_text(r->report, MetricSelection::parse_list("run_delay_us.*").value());
  EXPECT_NE(listed.find("\nrun delay p50 "), std::string::npos) << listed;
  EXPECT_EQ(listed.find("wake-up latency"), std::string::npos) << listed;
}

}  // namespace
}  // namespace scx
