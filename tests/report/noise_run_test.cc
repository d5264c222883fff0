// Noise through a whole run (the CLI's defaults): per-CPU kernel threads that a report counts
// as kernel threads, seeds that give a spread, and --noise off for the exact run.
#include <gtest/gtest.h>

#include "cli/runner.h"
#include "report/run_report.h"
#include "temp_file.h"

namespace scx {
namespace {

RunOptions two_cpu_run(uint64_t seed) {
  RunOptions o;
  o.topology = "2";
  o.workload = "demo:hogs=2,interactive=2";
  o.duration = 200 * kNsPerMs;
  o.seed = seed;
  o.fingerprint = true;
  return o;
}

// The noise's kernel threads of a run (comm kworker/...).
std::vector<TaskMetrics> kworkers_of(const RunOutput& r) {
  std::vector<TaskMetrics> out;
  for (const auto& t : r.metrics->tasks())
    if (t.comm.rfind("kworker/", 0) == 0) out.push_back(t);
  return out;
}

TEST(NoiseRun, KernelThreadsRunOnEveryCpuAndStayOutOfUserFigures) {
  RunOptions o = two_cpu_run(1);
  o.noise = {"off", "kthread_rate=500", "kthread_run=50us"};
  auto r = run_simulation(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const std::vector<TaskMetrics> kworkers = kworkers_of(*r);
  for (const auto& t : kworkers) {
    EXPECT_TRUE(t.kthread);
    // About 500/s x 50 us = 2.5 % of 200 ms = 5 ms each (exponential draws: a wide band).
    EXPECT_GT(t.cpu_time, 2 * kNsPerMs) << t.comm;
    EXPECT_LT(t.cpu_time, 10 * kNsPerMs) << t.comm;
  }
  EXPECT_EQ(kworkers.size(), 2u);
  const std::string text = format_run_text(r->report);
  EXPECT_NE(text.find("noise: timer_jitter=0ns kthread_rate=500/s kthread_run=50us"), std::string::npos) << text;
}

// kthread_long: that fraction of the wake-ups runs kthread_long_run on average. 500/s on each
// of 2 CPUs for 200 ms is about 200 wake-ups: all short (50 us) they take about 10 ms of CPU;
// long ones (1 ms) take far more, though less than 1 ms each once half the CPU is theirs, as
// work queued while a kworker runs is done in the same pass. The share is in the noise line.
TEST(NoiseRun, LongKernelThreadRunsTakeTheirShare) {
  auto kworker_time = [](double long_fraction) {
    RunOptions o = two_cpu_run(1);
    o.noise = {"off", "kthread_rate=500", "kthread_run=50us", fmt::format("kthread_long={}", long_fraction),
               "kthread_long_run=1ms"};
    auto r = run_simulation(o);
    EXPECT_TRUE(r.ok()) << r.status().message();
    Ns total = 0;
    for (const auto& t : kworkers_of(*r)) total += t.cpu_time;
    if (long_fraction > 0) {
      EXPECT_NE(format_run_text(r->report).find("kthread_long=" + fmt::format("{:g}%", long_fraction * 100)),
                std::string::npos);
    }
    return total;
  };
  const Ns none = kworker_time(0), half = kworker_time(0.5), all = kworker_time(1);
  EXPECT_GT(none, 5 * kNsPerMs);  // ~10 ms (exponential draws: wide bands)
  EXPECT_LT(none, 20 * kNsPerMs);
  EXPECT_GT(half, 50 * kNsPerMs);  // ~100 ms unmerged
  EXPECT_LT(half, 160 * kNsPerMs);
  EXPECT_GT(all, half);  // more long runs, more time
  EXPECT_LT(all, 200 * kNsPerMs);
}

// unbound_rate: one kernel thread for the machine's unbound ones (rcu_preempt, kworker/u*),
// allowed on every CPU, woken at that rate.
TEST(NoiseRun, TheUnboundKernelThreadMayRunAnywhere) {
  RunOptions o = two_cpu_run(1);
  o.noise = {"off", "unbound_rate=500", "kthread_run=50us"};
  auto r = run_simulation(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const std::vector<TaskMetrics> kworkers = kworkers_of(*r);
  for (const auto& t : kworkers) {
    EXPECT_EQ(t.comm, "kworker/u");
    EXPECT_TRUE(t.kthread);
    EXPECT_EQ(t.allowed.weight(), 2);
    EXPECT_GT(t.cpu_time, 2 * kNsPerMs);  // about 500/s x 50 us x 200 ms = 5 ms
    EXPECT_LT(t.cpu_time, 10 * kNsPerMs);
    EXPECT_GT(t.wakeups, 50u);  // about 100
    EXPECT_LT(t.wakeups, 150u);
  }
  EXPECT_EQ(kworkers.size(), 1u);
  EXPECT_NE(format_run_text(r->report).find("unbound_rate=500/s"), std::string::npos);
}

// daemon_*: a user-space daemon at the root cgroup (on the validation host, its sandbox's
// threads at nice -10), allowed on every CPU, reported apart from the workload. 500/s x 50 us
// over 200 ms is about 100 wake-ups and 5 ms of CPU (exponential draws: wide bands).
TEST(NoiseRun, TheDaemonRunsAtItsNiceApartFromTheWorkload) {
  RunOptions o = two_cpu_run(1);
  o.noise = {"off", "daemon_rate=500/s", "daemon_run=50us", "daemon_nice=-10"};
  auto r = run_simulation(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  int daemons = 0;
  for (const auto& t : r->metrics->tasks()) {
    if (t.comm != "daemon") continue;
    ++daemons;
    EXPECT_TRUE(t.kthread);  // reported with the kernel threads, not as workload
    EXPECT_EQ(t.prio, 110);  // nice -10
    EXPECT_EQ(t.allowed.weight(), 2);
    EXPECT_GT(t.cpu_time, 2 * kNsPerMs);
    EXPECT_LT(t.cpu_time, 10 * kNsPerMs);
    EXPECT_GT(t.wakeups, 50u);
    EXPECT_LT(t.wakeups, 150u);
  }
  EXPECT_EQ(daemons, 1);
  EXPECT_TRUE(kworkers_of(*r).empty());  // kernel threads are a source of their own
  const std::string text = format_run_text(r->report);
  EXPECT_NE(text.find("daemon_rate=500/s daemon_run=50us daemon_nice=-10"), std::string::npos) << text;
  for (const auto& g : summarize(*r->metrics).groups) EXPECT_NE(g.name, "daemon");
}

// wakeup_jitter: a resched reaches __schedule() wakeup_local plus an exponential time later.
// One CPU, a hog and a SCHED_FIFO task woken every 5 ms that preempts it at once: without the jitter every
// wake-up waits exactly wakeup_local (5 us here); with a 20 us mean each waits at least that,
// 25 us on average (200 wake-ups: the mean of 200 exponential draws is within +-30 % of 20 us
// with overwhelming probability), and different seeds give different waits.
TEST(NoiseRun, WakeupJitterLengthensTheWakeUpPath) {
  const std::string file = testing::write_test_file("jitter.json", R"({
    "global": {"duration": 1, "calibration": 10},
    "tasks": {
      "hog": {"run": 100000000},
      "tick": {"policy": "SCHED_FIFO", "priority": 10, "loop": -1, "run": 100, "timer": {"ref": "unique", "period": 5000}}
    }})");
  auto waits = [&](const std::string& jitter, uint64_t seed) {
    RunOptions o;
    o.topology = "1";
    o.workload = file;
    o.seed = seed;
    o.costs = {"wakeup_local=5us"};
    o.noise = {"off", "wakeup_jitter=" + jitter};
    auto r = run_simulation(o);
    EXPECT_TRUE(r.ok()) << r.status().message();
    for (const auto& t : r->metrics->tasks())
      if (t.comm == "tick") return t.wakeup_latency;
    return std::vector<Ns>{};
  };
  const std::vector<Ns> exact = waits("0ns", 1);
  ASSERT_GE(exact.size(), 190u);
  for (Ns w : exact) EXPECT_EQ(w, 5 * kNsPerUs);
  const std::vector<Ns> jittered = waits("20us", 1);
  ASSERT_GE(jittered.size(), 190u);
  double sum = 0;
  for (Ns w : jittered) {
    EXPECT_GE(w, 5 * kNsPerUs);
    sum += static_cast<double>(w);
  }
  const double mean = sum / static_cast<double>(jittered.size());
  EXPECT_GT(mean, 19 * kNsPerUs);
  EXPECT_LT(mean, 31 * kNsPerUs);
  EXPECT_NE(jittered, waits("20us", 2));
  EXPECT_EQ(jittered, waits("20us", 1));
}

TEST(NoiseRun, SeedsDifferWithNoiseAndNotWithout) {
  auto fp = [](uint64_t seed, bool noise) {
    RunOptions o = two_cpu_run(seed);
    if (!noise) o.noise = {"off"};
    auto r = run_simulation(o);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? r->report.info.fingerprint.value_or("") : std::string();
  };
  EXPECT_EQ(fp(1, true), fp(1, true));
  EXPECT_NE(fp(1, true), fp(2, true));
  EXPECT_EQ(fp(1, false), fp(2, false));
}

}  // namespace
}  // namespace scx
