// A run must not depend on how it is stepped: `--check` advances the simulation a millisecond
// at a time and checks the kernel's invariants between steps; the events, the fingerprint and
// every figure must be those of the straight run (issue: stepping independence).
#include <gtest/gtest.h>

#include <cstdio>

#include "cli/progress.h"
#include "cli/runner.h"
#include "report/interval_stats.h"
#include "report/run_report.h"
#include "workload/generators.h"

namespace scx {
namespace {

struct Outcome {
  std::string fingerprint;
  std::string text;
};

Outcome run(RunOptions o, bool stepped) {
  o.check = stepped;
  o.fingerprint = true;
  auto r = run_simulation(o);
  EXPECT_TRUE(r.ok()) << o.workload << " " << o.sched << ": " << r.status().message();
  if (!r.ok()) return {};
  std::string text = format_run_text(r->report);
  return {r->report.info.fingerprint.value_or(""), text};
}

TEST(Stepping, CheckedRunsEqualStraightRuns) {
  std::vector<std::string> workloads = {"demo", "pingpong:pairs=8", "hackbench:groups=2,loops=20",
                                        "schbench:message_threads=1,worker_threads=4"};
  for (const auto& b : bundled_workloads()) workloads.push_back(b.name);
  int scenarios = 0;
  for (const char* topo : {"8", "laptop"})
    for (const auto& sched : available_schedulers())
      for (const std::string& w : workloads)
        for (uint64_t seed : {1, 2}) {
          RunOptions o;
          o.topology = topo;
          o.workload = w;
          o.sched = sched.name;
          o.seed = seed;
          o.duration = 60 * kNsPerMs;
          const Outcome straight = run(o, false), stepped = run(o, true);
          ASSERT_EQ(straight.fingerprint, stepped.fingerprint) << topo << " " << sched.name << " " << w << " seed " << seed;
          ASSERT_EQ(straight.text, stepped.text) << topo << " " << sched.name << " " << w << " seed " << seed;
          ++scenarios;
        }
  EXPECT_GE(scenarios, 200);
}

// --stats and the progress line only listen to the events: a run with them is the same run.
TEST(Stepping, StatsAndProgressListenersDoNotChangeARun) {
  int scenarios = 0;
  for (const auto& sched : available_schedulers())
    for (const char* w : {"demo", "pingpong:pairs=8", "hackbench:groups=2,loops=20"}) {
      RunOptions o;
      o.topology = "8";
      o.workload = w;
      o.sched = sched.name;
      o.duration = 60 * kNsPerMs;
      const Outcome bare = run(o, false);
      FILE* sink = std::tmpfile();
      ASSERT_NE(sink, nullptr);
      IntervalStatsSink stats(8, 10 * kNsPerMs, sink);
      ProgressMeter meter(1, o.duration.value_or(kNsPerSec), false);
      ProgressSink progress(&meter.slot(0));
      o.sinks = {&stats, &progress};
      const Outcome listened = run(o, true);
      std::fclose(sink);
      ASSERT_EQ(bare.fingerprint, listened.fingerprint) << sched.name << " " << w;
      ASSERT_EQ(bare.text, listened.text) << sched.name << " " << w;
      ++scenarios;
    }
  EXPECT_GE(scenarios, 9);
}

}  // namespace
}  // namespace scx
