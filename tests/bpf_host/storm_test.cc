// Self-re-arming sources cannot stop simulated time: a bpf_timer re-armed at once (0 ns, 1 ns,
// or an absolute time in the past) fires once per microsecond at most, as the kernel's clock
// event device is never programmed closer than min_delta_ns (docs/sched_ext.md, "bpf_timer"),
// and kicks from ops.dispatch/ops.update_idle are bounded by the IPI and resched they cost.
// The kernel ejects none of these schedulers, and neither does scxsim.
#include <gtest/gtest.h>

#include "bpf/host/bpf_ops.h"
#include "cli/runner.h"
#include "object_run.h"
#include "workload/generators.h"

namespace scx {
namespace {

const std::string kStorm = std::string(SCXSIM_BPF_HOST_SUBJECTS) + "/hostile_storm.bpf.o";

// The storm object in `mode`, on 2 CPUs.
struct StormRun : testing::ObjectRun {
  StormRun() : ObjectRun("2") {}
};

void start(StormRun& run, uint32_t mode, const std::string& workload) {
  run.start(kStorm, workload, {{"mode", std::to_string(mode)}});
}

// ops.init starts the timer 0 ns ahead at t=0, so the first pass runs at 0; each callback
// re-arms at once, and each next pass comes 1 us after the previous one: passes at 0, 1, ...,
// 1000 us within [0, 1 ms] = 1001 callbacks, whichever way the re-arm asks for "now".
void expect_one_callback_per_us(uint32_t mode) {
  StormRun run;
  start(run, mode, "hogs:count=4");
  ASSERT_TRUE(run.sim.kernel->advance_to(kNsPerMs).ok());
  EXPECT_EQ(run.global("fired"), 1001u);
  EXPECT_EQ(run.sim.ext->state().state, "enabled");
  // Four hogs on two CPUs with a 20 ms slice: the timer passes are nearly all the events.
  EXPECT_LT(run.sim.kernel->stats().events, 1001u + 100u);
}

TEST(BpfStorm, TimerReArmedAtZeroFiresOncePerMicrosecond) { expect_one_callback_per_us(1); }
TEST(BpfStorm, TimerReArmedOneNanosecondAheadFiresOncePerMicrosecond) { expect_one_callback_per_us(2); }
TEST(BpfStorm, TimerReArmedInThePastFiresOncePerMicrosecond) { expect_one_callback_per_us(3); }

// The case: `--duration 1us` never ended with a timer re-armed at 0 ns. Through the
// command-line path (profiles, uptime, costs): the run ends, 2 callbacks (at load and 1 us).
TEST(BpfStorm, TinyDurationEndsUnderATimerStorm) {
  RunOptions o;
  o.topology = "2";
  o.workload = "hogs:count=4";
  o.duration = 1000;
  o.sched = kStorm;
  o.bpf_globals = {"mode=1"};
  o.series_buckets = 0;
  auto r = run_simulation(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_LT(r->report.stats.events, 100u);
}

// Kick storms: every dispatch kicking its own CPU (4) or its neighbour (6) with PREEMPT, every
// idle transition kicking the idle CPU (5). With the default costs each kick pays a resched and
// an IPI, so time advances (a bound: the counts depend on every decision).
TEST(BpfStorm, KickStormsAreBoundedByTheirCosts) {
  for (uint32_t mode : {4u, 5u, 6u}) {
    SCOPED_TRACE(mode);
    RunOptions o;
    o.topology = "2";
    o.workload = "pingpong:pairs=1";
    o.duration = 10 * kNsPerMs;
    o.sched = kStorm;
    o.bpf_globals = {fmt::format("mode={}", mode)};
    o.series_buckets = 0;
    auto r = run_simulation(o);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_LT(r->report.stats.events, 10000u);
  }
}

// With zero costs nothing charges a kick: a CPU kicking itself from ops.dispatch loops at one
// nanosecond. After livelock_events events at that time the scheduler is ejected with the
// reason, and the run goes on under fair to the end.
TEST(BpfStorm, ZeroCostKickLoopEjectsTheScheduler) {
  StormRun run;
  run.sim.kernel->set_livelock_events(100000);
  start(run, 4, "pingpong:pairs=1");
  ASSERT_TRUE(run.sim.kernel->advance_to(10 * kNsPerMs).ok());
  EXPECT_EQ(run.sim.ext->state().state, "disabled");
  ASSERT_TRUE(run.sim.ext->exit_info().has_value());
  const std::string msg = run.sim.ext->exit_info()->msg;
  EXPECT_EQ(msg.find("simulated time stopped advancing at "), 0u) << msg;
  EXPECT_GT(run.sim.kernel->now(), 10 * kNsPerMs - kNsPerMs);
}

}  // namespace
}  // namespace scx
