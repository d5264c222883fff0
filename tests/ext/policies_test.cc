// The native reference policies on real workloads: they keep every task progressing, respect
// the kernel's invariants, and their characteristic behaviour shows.
#include "ext_harness.h"
#include "policy/policy.h"
#include "policy/prio.h"
#include "metrics/scx_metrics.h"

namespace scx::testing {
namespace {

Workload mixed_workload() {
  WorkloadBuilder wb("mixed");
  for (int i = 0; i < 6; ++i) wb.task(fmt::format("hog{}", i)).nice(i % 3 == 0 ? 0 : 5).program().run(ms(400));
  for (int i = 0; i < 4; ++i)
    wb.task(fmt::format("io{}", i)).program().begin_loop(-1).run(us(300)).sleep(ms(2)).end_loop();
  wb.task("ping").program().begin_loop(-1).send("a", 64).recv("b", 64).run(us(20)).end_loop();
  wb.task("pong").program().begin_loop(-1).recv("a", 64).run(us(20)).send("b", 64).end_loop();
  wb.task("rt").fifo(20).program().begin_loop(-1).run(us(500)).sleep(ms(5)).end_loop();
  wb.task("pinned").cpus(CpuMask::single(1)).program().begin_loop(-1).run(ms(1)).sleep(ms(1)).end_loop();
  return wb.build();
}

class PolicyRun : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(PolicyRun, EveryTaskProgressesAndInvariantsHold) {
  const auto& [policy, topo] = GetParam();
  ExtSim s(topo, CostModel{});
  s.ext->load_at(find_native_policy(policy)->make(), 0);
  ASSERT_TRUE(s.kernel->run_until(0).ok());
  s.load(mixed_workload());
  for (Ns t = ms(1); t <= ms(300); t += ms(1)) {
    ASSERT_TRUE((t < ms(300) ? s.kernel->advance_to(t) : s.kernel->run_until(t)).ok());
    auto st = s.kernel->check_invariants();
    ASSERT_TRUE(st.ok()) << policy << " on " << topo << " at " << t << ": " << st.message();
  }
  ASSERT_FALSE(s.ext->exit_info().has_value()) << s.ext->exit_info()->msg;
  EXPECT_EQ(s.ext->state().state, "enabled");
  for (const auto& t : s.metrics->tasks()) {
    if (!t.kthread) {
      EXPECT_GT(t.cpu_time, 0u) << policy << ": " << t.comm << " never ran";
    }
  }
  for (const auto& t : s.kernel->tasks()) {
    if (!is_rt_policy(t->policy)) {
      EXPECT_STREQ(t->sched_class->name(), "ext");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllPolicies, PolicyRun,
                         ::testing::Combine(::testing::Values("fifo", "vtime", "central", "prio", "llc"),
                                            ::testing::Values("4", "laptop", "nodes=2,llcs=2,cores=2")),
                         [](const auto& param_info) {
                           std::string topo = std::get<1>(param_info.param);
                           for (char& c : topo)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return std::get<0>(param_info.param) + "_" + topo;
                         });

TEST(Policies, VtimeSharesFollowWeights) {
  ExtSim s("1", CostModel{});
  s.ext->load_at(find_native_policy("vtime")->make(), 0);
  ASSERT_TRUE(s.kernel->run_until(0).ok());
  WorkloadBuilder wb("w");
  for (const char* name : {"heavy0", "heavy1"}) wb.task(name).nice(0).program().run(10 * kNsPerSec);
  for (const char* name : {"light0", "light1"}) wb.task(name).nice(10).program().run(10 * kNsPerSec);
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(4 * kNsPerSec).ok());
  // Weights 100 vs 11: a light task's 20 ms slice costs ~9.1x the vtime of a heavy one's, and
  // the slices are whole, so each light runs one slice per 9 of each heavy: over 4 s (200
  // slices of 20 ms) 90 per heavy and 10 per light. Asserted exactly, so that any change to
  // the weight arithmetic, the vtime charge or the slice accounting shows.
  EXPECT_EQ(s.task("heavy0").cpu_time, 1800 * kNsPerMs);
  EXPECT_EQ(s.task("heavy1").cpu_time, 1800 * kNsPerMs);
  EXPECT_EQ(s.task("light0").cpu_time, 200 * kNsPerMs);
  EXPECT_EQ(s.task("light1").cpu_time, 200 * kNsPerMs);
}

TEST(Policies, FifoDoesNotCareAboutWeights) {
  ExtSim s("1", CostModel{});
  s.ext->load_at(find_native_policy("fifo")->make(), 0);
  ASSERT_TRUE(s.kernel->run_until(0).ok());
  WorkloadBuilder wb("w");
  wb.task("n0").nice(0).program().run(10 * kNsPerSec);
  wb.task("n10").nice(10).program().run(10 * kNsPerSec);
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(4 * kNsPerSec).ok());
  const double a = static_cast<double>(s.task("n0").cpu_time), b = static_cast<double>(s.task("n10").cpu_time);
  EXPECT_NEAR(a / (a + b), 0.5, 0.02);  // 20 ms turns, round robin
}

TEST(Policies, CentralRunsWorkOnEveryCpu) {
  ExtSim s("4", CostModel{});
  s.ext->load_at(find_native_policy("central")->make(), 0);
  ASSERT_TRUE(s.kernel->run_until(0).ok());
  WorkloadBuilder wb("w");
  for (int i = 0; i < 6; ++i) wb.task(fmt::format("h{}", i)).program().run(kNsPerSec);
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(500)).ok());
  ASSERT_FALSE(s.ext->exit_info().has_value());
  for (const auto& c : s.metrics->cpus()) EXPECT_GT(c.busy, ms(400));
  EXPECT_GT(s.ext->callback_count(ScxOp::Dispatch), 10u);
}

TEST(Policies, DsqEventsReachTheMetrics) {
  ExtSim s("2", CostModel{});
  s.ext->load_at(find_native_policy("fifo")->make(), 0);
  ASSERT_TRUE(s.kernel->run_until(0).ok());
  WorkloadBuilder wb("w");
  for (int i = 0; i < 4; ++i) wb.task(fmt::format("h{}", i)).program().run(ms(50));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(30)).ok());
  const ScxMetrics& scx = s.metrics->scx();
  ASSERT_TRUE(scx.present());
  // Two hogs start on the idle CPUs' local DSQs, two wait in the shared DSQ (id 0) until the
  // 20 ms slices expire; every task that left a DSQ was counted with its queueing latency.
  auto shared = scx.dsqs().find(0);
  ASSERT_NE(shared, scx.dsqs().end());
  EXPECT_EQ(shared->second.max_depth, 2);
  EXPECT_EQ(shared->second.inserts, shared->second.removals + static_cast<uint64_t>(shared->second.depth));
  EXPECT_EQ(shared->second.latency.size(), shared->second.removals);
  EXPECT_TRUE(scx.dsqs().count(SCX_DSQ_LOCAL_ON | 0));
}

TEST(Policies, PrioQueuesByWeight) {
  // nice 19 -> weight 1, nice 0 -> 100, nice -20 -> 8668 (spec §1.11)
  EXPECT_EQ(PrioPolicy::weight_to_idx(1), 0);
  EXPECT_EQ(PrioPolicy::weight_to_idx(50), 1);
  EXPECT_EQ(PrioPolicy::weight_to_idx(100), 2);
  EXPECT_EQ(PrioPolicy::weight_to_idx(300), 3);
  EXPECT_EQ(PrioPolicy::weight_to_idx(8668), 4);
}

}  // namespace
}  // namespace scx::testing
