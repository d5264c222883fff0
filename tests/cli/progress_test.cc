// The progress line's ETA: from the simulated time done per wall second, in one unit.
#include <gtest/gtest.h>

#include "cli/progress.h"

namespace scx {
namespace {

TEST(Progress, EtaHasOneUnit) {
  EXPECT_EQ(format_eta(0.4), "<1 s");
  EXPECT_EQ(format_eta(42.4), "42 s");
  EXPECT_EQ(format_eta(99.4), "99 s");
  EXPECT_EQ(format_eta(170), "3 min");  // 2.83 min
  EXPECT_EQ(format_eta(5400), "90 min");
  EXPECT_EQ(format_eta(7200), "2 h");
}

// Two runs of 1 s simulated: one done, one not started, after 10 wall seconds. 1 s of simulated
// time per 10 wall seconds leaves 1 s to simulate: ETA 10 s.
TEST(Progress, EtaFromSimulatedThroughput) {
  ProgressMeter meter(2, kNsPerSec, false);
  meter.slot(0).done.store(true);
  const std::string line = meter.line(10.0);
  EXPECT_NE(line.find("runs 1/2"), std::string::npos) << line;
  EXPECT_EQ(line.substr(line.size() - 8), "ETA 10 s") << line;
  // Nothing simulated yet: no estimate.
  ProgressMeter fresh(1, kNsPerSec, false);
  EXPECT_EQ(fresh.line(3.0).substr(fresh.line(3.0).size() - 5), "ETA ?");
}

}  // namespace
}  // namespace scx
