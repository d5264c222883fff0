// JSON numbers as numbers (the cost model and noise in ns, /s, %), compare's structured
// scenario, and a run-until-done workload stopped by --duration that still reports.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/compare.h"
#include "cli/runner.h"
#include "report/param_json.h"

namespace scx {
namespace {

TEST(ReportNumbers, ParamsBecomeNumbersWithTheUnitInTheKey) {
  using json = nlohmann::ordered_json;
  EXPECT_EQ(param_json("context_switch", "1.98us"), std::make_pair(std::string("context_switch_ns"), json(1980)));
  EXPECT_EQ(param_json("migration_smt", "0ns"), std::make_pair(std::string("migration_smt_ns"), json(0)));
  EXPECT_EQ(param_json("rtapp_loop", "18.47ns"), std::make_pair(std::string("rtapp_loop_ns"), json(18.47)));
  EXPECT_EQ(param_json("kthread_rate", "25/s"), std::make_pair(std::string("kthread_rate_per_s"), json(25.0)));
  EXPECT_EQ(param_json("work_jitter", "2%"), std::make_pair(std::string("work_jitter_pct"), json(2.0)));
  EXPECT_EQ(param_json("tick_phase", "on"), std::make_pair(std::string("tick_phase"), json(true)));
  EXPECT_EQ(param_json("hz", "250"), std::make_pair(std::string("hz"), json(250.0)));
  EXPECT_EQ(param_json("daemon_nice", "-10"), std::make_pair(std::string("daemon_nice"), json(-10.0)));
}

// The bare cost model's context switch is 2 us (README "Cost model").
TEST(ReportNumbers, RunAndCompareJsonCarryTheCostModelInNs) {
  RunOptions o;
  o.topology = "2";
  o.duration = 10 * kNsPerMs;
  o.cost_profile = "none";
  auto r = run_simulation(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const nlohmann::json run = nlohmann::json::parse(format_run_json(r->report));
  EXPECT_EQ(run["cost_model"]["context_switch_ns"], 2000);
  EXPECT_EQ(run["cost_model"]["hz"], 250);
  EXPECT_EQ(run["noise"]["timer_jitter_ns"], 2000);
  CompareOptions c;
  c.base = o;
  c.scheds = {"eevdf", "vtime"};
  c.seeds = {1};
  auto cmp = run_compare(c);
  ASSERT_TRUE(cmp.ok()) << cmp.status().message();
  const nlohmann::json j = nlohmann::json::parse(format_compare_json(*cmp));
  EXPECT_EQ(j["scenario"]["workload"], "demo");
  EXPECT_EQ(j["scenario"]["topology"]["spec"], "2");
  EXPECT_EQ(j["scenario"]["duration_ns"], 10 * kNsPerMs);
  EXPECT_EQ(j["scenario"]["kernels"], nlohmann::json::array({"6.18"}));
  EXPECT_EQ(j["scenario"]["cost_model"]["context_switch_ns"], 2000);
  const std::string text = format_compare_text(*cmp);
  EXPECT_NE(text.find("\ncost model: hz=250 context_switch=2us "), std::string::npos) << text;
  EXPECT_NE(text.find("\nnoise: timer_jitter=2us "), std::string::npos) << text;
}

// hackbench runs until its last task exits; an explicit --duration shorter than that ends the
// run there with a warning instead of an error. (How many tasks are left depends on every
// decision; that some are, and that the report covers exactly --duration, is the point.)
TEST(ReportNumbers, ARunStoppedByDurationStillReports) {
  RunOptions o;
  o.workload = "hackbench:groups=1";
  o.duration = 5 * kNsPerMs;
  auto r = run_simulation(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_GT(r->report.info.unfinished_tasks, 0);
  EXPECT_EQ(r->report.info.duration, 5 * kNsPerMs);
  EXPECT_NE(format_run_text(r->report).find("\nwarning: stopped by --duration 5ms with "), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(format_run_json(r->report))["unfinished_tasks"], r->report.info.unfinished_tasks);
  o.duration = 10 * kNsPerSec;  // long enough: it finishes, no warning
  auto done = run_simulation(o);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->report.info.unfinished_tasks, 0);
  EXPECT_LT(done->report.info.duration, 10 * kNsPerSec);
}

}  // namespace
}  // namespace scx
