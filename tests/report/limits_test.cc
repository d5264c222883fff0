// Resource caps of a run (--max-tasks, --max-topology-size, --stats-floor, --max-samples): each
// a one-line error that names the flag which raises it, before memory or output can explode.
#include <string>

#include <gtest/gtest.h>

#include "cli/runner.h"
#include "report/interval_stats.h"
#include "temp_file.h"

namespace scx {
namespace {

RunOptions small_run(const std::string& workload) {
  RunOptions o;
  o.topology = "2";
  o.workload = workload;
  o.duration = 10 * kNsPerMs;
  o.series_buckets = 0;
  return o;
}

std::string run_error(const RunOptions& o) {
  auto r = run_simulation(o);
  if (r.ok()) return "ok";
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
  return r.status().message();
}

TEST(Limits, StatsIntervalHasAFloor) {
  EXPECT_TRUE(check_stats_interval(kNsPerMs, kStatsFloor).ok());
  EXPECT_EQ(check_stats_interval(1, kStatsFloor).message(),
            "--stats: 1ns is shorter than the floor of 1ms (lower it with --stats-floor)");
  EXPECT_TRUE(check_stats_interval(kNsPerUs, kNsPerUs).ok());
  EXPECT_EQ(check_stats_interval(0, kStatsFloor).message(), "--stats: must be positive");
  EXPECT_EQ(check_stats_interval(kNsPerMs, 0).message(), "--stats-floor: must be positive");
  EXPECT_EQ(check_stats_interval(10'000'000 * kNsPerSec, kStatsFloor).message(),
            "--stats: 10000000s is longer than 1000000s");
}

// hogs:count=3 starts 3 tasks: a limit of 3 passes, 2 refuses.
TEST(Limits, TaskCountOfAGenerator) {
  RunOptions o = small_run("hogs:count=3");
  o.max_tasks = 3;
  EXPECT_EQ(run_error(o), "ok");
  o.max_tasks = 2;
  EXPECT_EQ(run_error(o), "--workload hogs:count=3: 3 tasks, more than the limit of 2 (raise it with --max-tasks)");
}

// Counted before any instance is laid out: 60 tasks x 65536 instances (with unique timers, one
// program each) took 1.5 GB before; 60 * 65536 = 3932160 > 1048576 is refused at once.
TEST(Limits, TaskCountOfAnRtAppFile) {
  std::string tasks;
  for (int i = 0; i < 60; ++i)
    tasks += fmt::format(R"({}"t{}": {{"instance": 65536, "loop": 1, "timer": {{"ref": "unique", "period": 1000}}}})",
                         i ? ", " : "", i);
  const std::string path = testing::write_test_file("many.json", R"({"tasks": {)" + tasks + "}}");
  EXPECT_EQ(run_error(small_run(path)),
            path + ": 3932160 tasks, more than the limit of 1048576 (raise it with --max-tasks)");
}

TEST(Limits, TopologyFileSize) {
  const std::string path = testing::write_test_file("topo.json", R"({"spec": "nodes=1,cores=2"})");  // 27 bytes
  RunOptions o = small_run("hogs:count=1");
  o.topology = path;
  o.max_topology_bytes = 27;
  EXPECT_EQ(run_error(o), "ok");
  o.max_topology_bytes = 26;
  EXPECT_EQ(run_error(o), path + ": larger than the limit of 26 bytes for a topology file (raise it with "
                                 "--max-topology-size)");
  // An endless device ends at the limit (16 MiB) instead of growing forever.
  o.topology = "/dev/zero";
  o.max_topology_bytes = kDefaultMaxTopologyFileBytes;
  EXPECT_EQ(run_error(o), "/dev/zero: larger than the limit of 16777216 bytes for a topology file (raise it with "
                          "--max-topology-size)");
}

// Two samples per context switch at most: the 101st sample stops the run with the limit's error.
TEST(Limits, LatencySamples) {
  RunOptions o = small_run("pingpong:pairs=1");
  o.max_samples = 100;
  EXPECT_EQ(run_error(o),
            "metrics: more than 100 latency samples (raise the limit with --max-samples, or shorten --duration)");
}

// Tasks forked during the run count too: a parent forking without end stops the run once the
// kernel holds max_tasks tasks (its kernel threads included, hence only the message is exact).
TEST(Limits, ForksDuringTheRun) {
  const std::string path = testing::write_test_file(
      "forker.json", R"({"tasks": {"parent": {"loop": -1, "fork": "child", "run": 10},
                                   "child": {"instance": 0, "loop": 1, "run": 10}}})");
  RunOptions o = small_run(path);
  o.max_tasks = 50;
  const std::string e = run_error(o);
  EXPECT_EQ(e.rfind("task 'parent' (pid ", 0), 0u) << e;
  EXPECT_NE(e.find("fork: the run would create more than 50 tasks (raise the limit with --max-tasks) at t="),
            std::string::npos)
      << e;
}

}  // namespace
}  // namespace scx
