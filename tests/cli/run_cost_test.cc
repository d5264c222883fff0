// `scxsim run --stats`: the line under the table saying what the run cost (events, wall and CPU
// time per simulated second), on stderr only.
#include <gtest/gtest.h>

#include "report/interval_stats.h"
#include "run_command.h"

namespace scx {
namespace {

TEST(RunCost, FormatsPerSimulatedSecond) {
  // 2 M events over 0.5 s simulated: 1.5 s wall is 3 s per simulated second and 2e6 / 1.5 =
  // 1.333 M events/s; 1.25 s CPU is 2.5 s per simulated second.
  EXPECT_EQ(format_run_cost({2'000'000, 500 * kNsPerMs, 1.5, 1.25}),
            "cost: 2000000 events in 500ms simulated, 1.500 s wall (3.000 per simulated second), 1.250 s CPU "
            "(2.500 per simulated second), 1.333 M events/s of wall time\n");
  EXPECT_EQ(format_run_cost({0, 0, 0, 0}),
            "cost: 0 events in 0ns simulated, 0.000 s wall (- per simulated second), 0.000 s CPU "
            "(- per simulated second), - events/s of wall time\n");
}

TEST(RunCost, PrintedUnderTheStatsTableWithTheHeadersEventCount) {
  const testing::CommandResult r = testing::scxsim("run --duration 20ms --stats 10ms --fingerprint");
  ASSERT_EQ(r.code, 0) << r.err;
  const size_t at = r.out.find("\nevents ");
  ASSERT_NE(at, std::string::npos) << r.out;
  const std::string events = r.out.substr(at + 8, r.out.find(' ', at + 8) - at - 8);
  EXPECT_NE(r.err.find("\ncost: " + events + " events in 20ms simulated, "), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("cost:"), std::string::npos);  // wall time stays out of stdout
  // stdout is the same with or without --stats.
  EXPECT_EQ(testing::scxsim("run --duration 20ms --fingerprint").out, r.out);
}

}  // namespace
}  // namespace scx
