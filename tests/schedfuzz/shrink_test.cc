// The shrinker against synthetic predicates (no simulation): what it keeps, where it stops.
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "schedfuzz/shrink.h"

namespace scx::fuzz {
namespace {

// Three tasks on an 8-CPU SMT machine for 2 s; task b (nice 5) is the one the predicates want.
FuzzScenario three_tasks() {
  FuzzScenario s;
  s.topology = "nodes=1,llcs=2,cores=2,smt=2";
  s.nr_cpus = 8;
  s.duration = 2 * kNsPerSec;
  s.seed = 9;
  s.workload = Json::parse(R"({"global": {"calibration": "CPU0"}, "tasks": {
    "a": {"instance": 2, "phases": {"p0": {"run": 20000, "sleep": 3000}}},
    "b": {"priority": 5, "loop": 10, "phases": {"p0": {"run": 4000, "cpus": [5, 6, 7]},
                                                "p1": {"run": 1000, "sleep": 800}}},
    "c": {"phases": {"p0": {"run": 500}}}}})");
  return s;
}

bool has_nice5_task(const FuzzScenario& s) {
  for (const auto& [name, task] : s.workload["tasks"].items())
    if (task.value("priority", 0) == 5) return true;
  return false;
}

// Whatever the order of the sweeps, the end is a scenario none of whose variants still has a
// nice-5 task: that task alone with its priority, one phase of one event halved to at most
// 100 us, one CPU, and the shortest run (2 s halved four times: 125 ms; a fifth halving would
// go under 100 ms).
TEST(FuzzShrink, KeepsOnlyWhatThePredicateNeeds) {
  ShrinkResult r = shrink_scenario(three_tasks(), has_nice5_task);
  const Json& tasks = r.scenario.workload["tasks"];
  ASSERT_EQ(tasks.size(), 1u) << tasks.dump();
  const Json& b = tasks["b"];
  EXPECT_EQ(b["priority"], 5);
  EXPECT_EQ(b.size(), 2u) << b.dump();  // priority and phases: "loop" went
  ASSERT_EQ(b["phases"].size(), 1u) << b.dump();
  const Json& phase = b["phases"].begin().value();
  ASSERT_EQ(phase.size(), 1u) << b.dump();
  ASSERT_TRUE(phase.begin().value().is_number_integer()) << b.dump();
  EXPECT_LE(phase.begin().value().get<int>(), 100);
  EXPECT_EQ(r.scenario.topology, "1");
  EXPECT_EQ(r.scenario.nr_cpus, 1);
  EXPECT_EQ(r.scenario.duration, 125 * kNsPerMs);
  EXPECT_EQ(r.scenario.seed, 9u);
  EXPECT_EQ(scenario_task_count(r.scenario), 1);
  EXPECT_GT(r.accepted, 0);
  EXPECT_TRUE(r.minimal);
  // A fixpoint: no variant of the result satisfies the predicate.
  for (const FuzzScenario& v : smaller_variants(r.scenario, {})) EXPECT_FALSE(has_nice5_task(v)) << v.workload.dump();
}

// Numbers are halved while the predicate holds: 20000 -> 10000 -> 5000; 2500 is refused.
TEST(FuzzShrink, HalvesANumberDownToWhatThePredicateNeeds) {
  auto long_run = [](const FuzzScenario& s) {
    const Json& t = s.workload["tasks"];
    return t.contains("a") && t["a"]["phases"]["p0"].value("run", 0) >= 3000;
  };
  ShrinkResult r = shrink_scenario(three_tasks(), long_run);
  EXPECT_EQ(r.scenario.workload["tasks"].dump(), R"({"a":{"phases":{"p0":{"run":5000}}}})");
}

TEST(FuzzShrink, AFixedMachineAndDurationStay) {
  ShrinkOptions o;
  o.topology_fixed = true;
  o.duration_fixed = true;
  ShrinkResult r = shrink_scenario(three_tasks(), has_nice5_task, o);
  EXPECT_EQ(r.scenario.topology, "nodes=1,llcs=2,cores=2,smt=2");
  EXPECT_EQ(r.scenario.nr_cpus, 8);
  EXPECT_EQ(r.scenario.duration, 2 * kNsPerSec);
}

// 8 CPUs shrink to 1, 4 (half), 7 (one less) and a flat 8; affinities fold into the smaller
// machine by CPU id mod its size: CPUs 5, 6, 7 on 4 CPUs are [1, 2, 3], on 7 [5, 6, 0], on 1 [0].
TEST(FuzzShrink, FewerCpusFoldTheAffinities) {
  std::map<std::string, std::string> cpus_by_machine;
  for (const FuzzScenario& v : smaller_variants(three_tasks(), {})) {
    if (v.topology == three_tasks().topology) continue;
    EXPECT_EQ(std::to_string(v.nr_cpus), v.topology);
    cpus_by_machine[v.topology] = v.workload["tasks"]["b"]["phases"]["p0"]["cpus"].dump();
  }
  const std::map<std::string, std::string> expected = {
      {"1", "[0]"}, {"4", "[1,2,3]"}, {"7", "[0,5,6]"}, {"8", "[5,6,7]"}};
  EXPECT_EQ(cpus_by_machine, expected);
}

TEST(FuzzShrink, StopsAtMaxTries) {
  ShrinkOptions o;
  o.max_tries = 5;
  int calls = 0;
  ShrinkResult r = shrink_scenario(three_tasks(), [&](const FuzzScenario&) { return ++calls, true; }, o);
  EXPECT_EQ(r.tries, 5);
  EXPECT_EQ(calls, 5);
  EXPECT_EQ(r.accepted, 5);
  EXPECT_FALSE(r.minimal);
}

TEST(FuzzShrink, StopsWhenOutOfTime) {
  ShrinkOptions o;
  int asked = 0;
  o.out_of_time = [&] { return ++asked > 3; };
  ShrinkResult r = shrink_scenario(three_tasks(), [](const FuzzScenario&) { return true; }, o);
  EXPECT_EQ(r.tries, 3);
  EXPECT_FALSE(r.minimal);
}

}  // namespace
}  // namespace scx::fuzz
