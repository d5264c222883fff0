// `scxsim calibrate --quick` on this host (well under 2 s): the profile's shape only, never the
// figures (they depend on the machine and its load).
#include <gtest/gtest.h>

#include "calibrate/calibrate.h"

namespace scx {
namespace {

TEST(CalibrateHost, QuickProfileHasTheCostsAndParsesBack) {
  CalibrateOptions opts;
  opts.quick = true;
  auto p = calibrate_host(opts);
  ASSERT_TRUE(p.ok()) << p.status().message();
  std::vector<std::string> names;
  for (const auto& [k, v] : p->costs) names.push_back(k);
  for (const char* want : {"context_switch", "pipe_write", "pipe_read", "socket_write", "socket_read"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  std::vector<std::string> machine;
  for (const auto& [k, v] : p->machine) machine.push_back(k);
  EXPECT_EQ(machine, (std::vector<std::string>{"cpu", "cpus", "kernel", "virtualized", "cpuidle", "date"}));
  EXPECT_FALSE(p->measurements.empty());
  for (const CostFigure& f : p->measurements) {
    EXPECT_LE(f.min_ns, f.median_ns) << f.name;
    EXPECT_LE(f.median_ns, f.max_ns) << f.name;
  }
  auto back = parse_cost_profile(format_cost_profile(*p), "calibrated");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->costs, p->costs);
}

}  // namespace
}  // namespace scx
