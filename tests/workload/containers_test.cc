// The `containers` generator: cgroups with weights (and quotas) and their tasks, and a run of it
// whose per-cgroup figures do not depend on how the fair class treats groups.
#include "metrics/summary.h"
#include "dump.h"
#include "wl_harness.h"

namespace scx::testing {
namespace {

std::string files(const CgroupSpec& c) {
  std::string s = c.path + ":";
  for (const auto& [f, v] : c.files) s += " " + f + "=" + v;
  return s;
}

TEST(Containers, DefaultsAndOptions) {
  Workload d = make("containers");
  ASSERT_EQ(d.cgroups.size(), 4u);
  EXPECT_EQ(files(d.cgroups[0]), "/ct0: cpu.weight=100");
  EXPECT_EQ(files(d.cgroups[3]), "/ct3: cpu.weight=400");
  ASSERT_EQ(d.tasks.size(), 8u);  // 2 per group
  EXPECT_EQ(d.tasks[3].name, "ct1-w1");
  EXPECT_EQ(d.tasks[3].cgroup, "/ct1");
  EXPECT_EQ(d.tasks[3].group, "/ct1");
  EXPECT_EQ(dump(d, 3), "Loop(-1) Run(10ms) Mark(loops,1) EndLoop Exit");

  // Weights round-robin; quota 50 = half a CPU per 100 ms period; load=mixed makes every second
  // task a service that sleeps after its work.
  Workload w = make("containers:groups=3,weights=50;500,tasks=2,load=mixed,work=2ms,sleep=3ms,quota=50");
  ASSERT_EQ(w.cgroups.size(), 3u);
  EXPECT_EQ(files(w.cgroups[0]), "/ct0: cpu.weight=50 cpu.max=50000 100000");
  EXPECT_EQ(files(w.cgroups[1]), "/ct1: cpu.weight=500 cpu.max=50000 100000");
  EXPECT_EQ(files(w.cgroups[2]), "/ct2: cpu.weight=50 cpu.max=50000 100000");
  EXPECT_EQ(dump(w, 4), "Loop(-1) Run(2ms) Mark(loops,1) EndLoop Exit");
  EXPECT_EQ(dump(w, 5), "Loop(-1) Run(2ms) Mark(loops,1) Sleep(3ms) EndLoop Exit");
  EXPECT_EQ(w.tasks[5].cgroup, "/ct2");

  EXPECT_EQ(make_error("containers:weights=0"), "--workload containers: weights=0 must be integers in 1..10000 separated by ';'");
  EXPECT_EQ(make_error("containers:load=idle"),
            "--workload containers: load=idle is not one of: hog, mixed");
  EXPECT_EQ(make_error("containers:groups=0"), "--workload containers: groups=0 must be an integer in 1..256");
}

// Two groups of one hog each on two CPUs: each hog has a CPU of its own whatever the weights,
// so /ct0 and /ct1 each get exactly half the machine, and are entitled to it: weights 100:300
// would give /ct1 3/4, but one task can use only one CPU of two, so both are capped at 1/2.
TEST(Containers, RunReportsPerCgroupShares) {
  WlRun r("2", make("containers:groups=2,weights=100;300,tasks=1", 2));
  ASSERT_TRUE(r.run(kNsPerSec).ok());
  const RunSummary s = summarize(*r.sim.metrics);
  ASSERT_EQ(s.cgroups.size(), 2u);
  for (const CgroupSummary& c : s.cgroups) {
    SCOPED_TRACE(c.path);
    EXPECT_EQ(c.tasks, 1u);
    EXPECT_EQ(c.cpu_time, kNsPerSec);  // zero-cost model: the hog never leaves its CPU
    EXPECT_DOUBLE_EQ(c.cpu_share_pct, 50.0);
    EXPECT_DOUBLE_EQ(c.entitled_pct, 50.0);
    EXPECT_EQ(c.throttles, 0u);
  }
  EXPECT_EQ(s.cgroups[1].weight, 300u);
}

}  // namespace
}  // namespace scx::testing
