// The scenario generator: deterministic from its seed, and every scenario is an rt-app file
// the parser accepts on its machine.
#include <gtest/gtest.h>

#include "schedfuzz/generate.h"
#include "workload/rtapp.h"

namespace scx::fuzz {
namespace {

TEST(FuzzGenerate, SameSeedSameScenarioOtherSeedOther) {
  const FuzzScenario a = generate_scenario(42, {});
  const FuzzScenario b = generate_scenario(42, {});
  EXPECT_EQ(scenario_json_text(a), scenario_json_text(b));
  EXPECT_EQ(a.topology, b.topology);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.duration, b.duration);
  EXPECT_NE(scenario_json_text(a), scenario_json_text(generate_scenario(43, {})));
}

// Invariant over many seeds: the file parses, its affinities fit the machine, and the
// generator's features all occur somewhere (so none is dead code).
TEST(FuzzGenerate, EveryScenarioParsesOnItsMachine) {
  int with_fork = 0, with_rt = 0, with_affinity_phases = 0, with_nice5 = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    const FuzzScenario s = generate_scenario(seed, {});
    const std::string text = scenario_json_text(s);
    RtAppOptions o;
    o.nr_cpus = s.nr_cpus;
    auto w = parse_rtapp_json(text, "seed" + std::to_string(seed), o);
    ASSERT_TRUE(w.ok()) << w.status().message() << "\n" << text;
    EXPECT_GE(scenario_task_count(s), 1);
    with_fork += text.find("\"fork\"") != std::string::npos;
    with_rt += text.find("SCHED_FIFO") != std::string::npos || text.find("SCHED_RR") != std::string::npos;
    with_affinity_phases += text.find("\"p1\": {") != std::string::npos && text.find("\"cpus\"") != std::string::npos;
    with_nice5 += text.find("\"priority\": 5,") != std::string::npos || text.find("\"priority\": 5\n") != std::string::npos;
  }
  EXPECT_GT(with_fork, 0);
  EXPECT_GT(with_rt, 0);
  EXPECT_GT(with_affinity_phases, 0);
  EXPECT_GT(with_nice5, 0);
}

TEST(FuzzGenerate, FixedMachineAndDurationAreKept) {
  GenerateOptions g;
  g.topology = "3";
  g.topology_cpus = 3;
  g.duration = 700 * kNsPerMs;
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    const FuzzScenario s = generate_scenario(seed, g);
    EXPECT_EQ(s.topology, "3");
    EXPECT_EQ(s.duration, 700 * kNsPerMs);
    RtAppOptions o;
    o.nr_cpus = 3;  // a CPU id of 3 or more is an error
    ASSERT_TRUE(parse_rtapp_json(scenario_json_text(s), "fixed", o).ok()) << scenario_json_text(s);
  }
}

}  // namespace
}  // namespace scx::fuzz
