// The noise sources (noise.h): off by default, each one changes what it should and nothing
// else, and a seed gives the same run every time while another seed gives another.
#include "harness.h"

namespace scx::testing {
namespace {

Workload periodic_and_hog() {
  WorkloadBuilder wb("noise");
  wb.task("hog").fifo(1).program().run(ms(40));
  wb.task("tick").fifo(10).program().begin_loop(8).run(us(500)).timer("t", ms(5)).end_loop();
  return wb.build();
}

std::vector<std::string> run_lines(uint64_t seed, NoiseModel noise) {
  Sim s("1", zero_costs(), seed, KernelVersion::V6_12, noise);
  s.load(periodic_and_hog());
  EXPECT_TRUE(s.kernel->run_until_idle(ms(200)).ok());
  return s.rec.lines;
}

TEST(Noise, OffGivesTheSameRunForEverySeed) {
  EXPECT_EQ(run_lines(1, NoiseModel::off()), run_lines(2, NoiseModel::off()));
  EXPECT_FALSE(NoiseModel::off().any());
  EXPECT_TRUE(NoiseModel::defaults().any());
}

TEST(Noise, OneSeedOneRunAnotherSeedAnotherRun) {
  NoiseModel n = NoiseModel::off();
  n.timer_jitter_ns = us(5);
  n.work_jitter = 0.05;
  n.timer_phase_ns = ms(1);
  EXPECT_EQ(run_lines(7, n), run_lines(7, n));
  EXPECT_NE(run_lines(7, n), run_lines(8, n));
}

TEST(Noise, TimerJitterOnlyDelaysTimerExpiries) {
  NoiseModel n = NoiseModel::off();
  n.timer_jitter_ns = us(10);
  Sim s("1", zero_costs(), 3, KernelVersion::V6_12, n);
  WorkloadBuilder wb("jitter");
  wb.task("sleeper").fifo(10).program().begin_loop(50).sleep(ms(1)).end_loop();
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(200)).ok());
  const std::vector<std::string> in = s.rec.filter("idle0->sleeper");
  ASSERT_EQ(in.size(), 51u);  // the start, then one per sleep
  // Each wake-up comes at least 1 ms after the previous block; the 50 sleeps take 50 ms plus
  // about 50 x 10 us of exponential jitter (mean), never less.
  const std::vector<std::string> out = s.rec.filter("sleeper->idle0");
  const Ns end = s.kernel->now();
  EXPECT_GT(end, ms(50) + us(250));
  EXPECT_LT(end, ms(50) + us(1000));
  EXPECT_EQ(s.task("sleeper").cpu_time, 0u);  // no work: jitter is not CPU time
}

TEST(Noise, WorkJitterVariesLoopBasedRunsAroundTheirLength) {
  NoiseModel n = NoiseModel::off();
  n.work_jitter = 0.10;
  Sim s("1", zero_costs(), 5, KernelVersion::V6_12, n);
  WorkloadBuilder wb("work");
  wb.task("worker").fifo(10).program().begin_loop(100).run(ms(1)).end_loop();
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(1000)).ok());
  const Ns total = s.task("worker").cpu_time;
  EXPECT_NE(total, ms(100));                       // varied...
  EXPECT_GT(total, ms(95));                        // ...around the nominal 100 ms (sd of the
  EXPECT_LT(total, ms(105));                       // sum: 1 ms)
}

// speed_spread: one factor per run scales every loop-based run alike. Two tasks' runs of
// 1 ms and 3 ms take the same multiple of their nominal time (up to the 1 ns rounding of each
// run), the multiple differs between seeds, and a 10 % spread keeps it within 0.5..1.5.
TEST(Noise, SpeedSpreadScalesEveryRunOfARunAlike) {
  auto factors = [](uint64_t seed) {
    NoiseModel n = NoiseModel::off();
    n.speed_spread = 0.10;
    Sim s("2", zero_costs(), seed, KernelVersion::V6_12, n);
    WorkloadBuilder wb("speed");
    wb.task("short").fifo(10).program().begin_loop(10).run(ms(1)).sleep(ms(1)).end_loop();
    wb.task("long").fifo(10).program().begin_loop(10).run(ms(3)).sleep(ms(1)).end_loop();
    s.load(wb.build());
    EXPECT_TRUE(s.kernel->run_until_idle(ms(1000)).ok());
    const double a = static_cast<double>(s.task("short").cpu_time) / static_cast<double>(ms(10));
    const double b = static_cast<double>(s.task("long").cpu_time) / static_cast<double>(ms(30));
    EXPECT_NEAR(a, b, 1e-6);
    EXPECT_GT(a, 0.5);
    EXPECT_LT(a, 1.5);
    return a;
  };
  const double f1 = factors(1), f2 = factors(2);
  EXPECT_NE(f1, 1.0);
  EXPECT_NE(f1, f2);
  EXPECT_EQ(f1, factors(1));
}

TEST(Noise, TickPhaseShiftsTheTickGrid) {
  NoiseModel n = NoiseModel::off();
  n.tick_phase = true;
  std::vector<Ns> first_ticks;
  for (uint64_t seed : {1, 2}) {
    Sim s("1", zero_costs(), seed, KernelVersion::V6_12, n);
    struct Ticks : TraceSink {
      std::vector<Ns> at;
      void on_event(const TraceEvent& e) override {
        if (e.type == TraceType::Tick) at.push_back(e.time);
      }
    } ticks;
    s.kernel->trace().subscribe(&ticks);
    WorkloadBuilder wb("hog");
    wb.task("hog").fifo(1).program().run(ms(20));
    s.load(wb.build());
    ASSERT_TRUE(s.kernel->run_until_idle(ms(100)).ok());
    ASSERT_GE(ticks.at.size(), 4u);
    for (size_t i = 1; i < ticks.at.size(); ++i) EXPECT_EQ(ticks.at[i] - ticks.at[i - 1], ms(4));
    EXPECT_LT(ticks.at[0], ms(4));
    first_ticks.push_back(ticks.at[0]);
  }
  EXPECT_NE(first_ticks[0], first_ticks[1]);
}

TEST(Noise, SettingsParseAndRejectBadValues) {
  NoiseModel n = NoiseModel::defaults();
  ASSERT_TRUE(n.set("off").ok());
  EXPECT_FALSE(n.any());
  ASSERT_TRUE(n.set("kthread_rate=50/s").ok());
  ASSERT_TRUE(n.set("kthread_run=30us").ok());
  ASSERT_TRUE(n.set("work_jitter=3%").ok());
  ASSERT_TRUE(n.set("tick_phase=on").ok());
  ASSERT_TRUE(n.set("unbound_rate=12/s").ok());
  EXPECT_EQ(n.unbound_rate, 12);
  EXPECT_EQ(n.kthread_rate, 50);
  EXPECT_EQ(n.kthread_run_ns, us(30));
  EXPECT_DOUBLE_EQ(n.work_jitter, 0.03);
  ASSERT_TRUE(n.set("kthread_long=5%").ok());
  ASSERT_TRUE(n.set("kthread_long_run=2ms").ok());
  EXPECT_DOUBLE_EQ(n.kthread_long, 0.05);
  EXPECT_EQ(n.kthread_long_run_ns, ms(2));
  ASSERT_TRUE(n.set("speed_spread=0.5%").ok());
  EXPECT_DOUBLE_EQ(n.speed_spread, 0.005);
  ASSERT_TRUE(n.set("wakeup_jitter=3us").ok());
  EXPECT_EQ(n.wakeup_jitter_ns, us(3));
  EXPECT_EQ(n.set("wakeup_jitter=3").message(), "--noise wakeup_jitter: '3' needs a unit (ns, us, ms, s)");
  EXPECT_EQ(n.set("kthread_long=2").message(), "--noise kthread_long: a fraction (0.05 or 5%) must be in 0..1, got '2'");
  EXPECT_EQ(n.set("colour=red").message(),
            "--noise: unknown source 'colour' (known: timer_jitter, wakeup_jitter, kthread_rate, kthread_run, kthread_long, "
            "kthread_long_run, unbound_rate, daemon_rate, daemon_run, daemon_nice, work_jitter, speed_spread, tick_phase, "
            "timer_phase)");
  ASSERT_TRUE(n.set("daemon_rate=2.6/s").ok());
  ASSERT_TRUE(n.set("daemon_run=12ms").ok());
  ASSERT_TRUE(n.set("daemon_nice=-10").ok());
  EXPECT_DOUBLE_EQ(n.daemon_rate, 2.6);
  EXPECT_EQ(n.daemon_run_ns, ms(12));
  EXPECT_EQ(n.daemon_nice, -10);
  EXPECT_EQ(n.set("daemon_nice=-21").message(), "--noise daemon_nice: a nice value (-20..19) must be in -20..19, got '-21'");
  EXPECT_EQ(n.set("daemon_nice=1.5").message(), "--noise daemon_nice: expected an integer nice value, got '1.5'");
  EXPECT_EQ(n.set("work_jitter=80%").message(), "--noise work_jitter: a fraction (0.02 or 2%) must be in 0..0.5, got '80%'");
  EXPECT_EQ(n.set("timer_jitter").message(), "--noise: expected KEY=VALUE, 'on' or 'off', got 'timer_jitter'");
}

}  // namespace
}  // namespace scx::testing
