// The real host run (slow tier, label "slow"): rt-app on this machine under tracefs in a
// high-weight cpu cgroup, 2 s, one kept run, compared with one seed. Skipped unless root with
// rt-app installed; a machine too busy to keep a run is a skip, not a failure.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "cli/validate.h"
#include "validate/host_env.h"

namespace scx {
namespace {

TEST(ValidateHost, RunsRtAppUnderTracefs) {
  if (::geteuid() != 0 || find_executable("rt-app").empty()) GTEST_SKIP() << "needs root and rt-app";
  const std::string path = (std::filesystem::temp_directory_path() / "scxsim-validate-host-test.json").string();
  std::ofstream(path) << R"({
    "global": { "duration": 2, "calibration": "CPU0", "default_policy": "SCHED_OTHER", "lock_pages": false },
    "tasks": {
      "periodic": { "instance": 2, "phases": { "job": { "runtime": 1000, "timer": { "ref": "unique", "period": 5000 } } } },
      "hog": { "instance": 2, "phases": { "spin": { "runtime": 100000 } } }
    }
  })";
  ValidateOptions o;
  o.workload = path;
  o.runs = 1;
  o.seeds = {1};
  auto r = run_validate(o);
  std::filesystem::remove(path);
  if (!r.ok() && r.status().message().find("were discarded") != std::string::npos) GTEST_SKIP() << r.status().message();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->runs_kept, 1);
  EXPECT_GT(r->host.cpus, 0);
  double share = 0;
  int groups = 0;
  for (const ValidationCell& c : r->cells) {
    if (validation_metrics()[c.metric].key != std::string("cpu_share_pct")) continue;
    ++groups;
    ASSERT_TRUE(c.real.mean.has_value()) << c.group;
    share += *c.real.mean;
  }
  EXPECT_EQ(groups, 2);  // hog and periodic
  EXPECT_NEAR(share, 100.0, 1e-6);
}

}  // namespace
}  // namespace scx
