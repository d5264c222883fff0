// Bandwidth control (cpu.max) wired into the fair class (fair_bandwidth.cc): throttle and
// unthrottle times, cpu.stat, shares beside unlimited groups, SMP quotas, run-time writes and
// random mixes, in 6.12 (the group entity is dequeued) and 6.18 (tasks park in limbo).
// docs/cgroups.md "Bandwidth control (cpu.max)". Zero-cost model, 1000 Hz ticks (charges land
// on whole milliseconds), period timer phase 0 (boundaries at whole periods).
#include <functional>

#include "../ext/ext_harness.h"
#include "group_harness.h"
#include "random_fair.h"
#include "kernel/cgroup/cgroup.h"
#include "kernel/fair/bandwidth.h"
#include "kernel/fair/fair_class.h"

namespace scx::testing {
namespace {

constexpr KernelVersion kVersions[] = {KernelVersion::V6_12, KernelVersion::V6_18};

CostModel costs_1000hz() {
  CostModel c = zero_costs();
  c.hz = 1000;
  return c;
}

// "t_ms:cpu:throttle" and "t_ms:cpu:unthrottle:throttled_ms" lines (times in µs when not whole ms).
class ThrottleLog : public TraceSink {
 public:
  void on_event(const TraceEvent& e) override {
    if (e.type == TraceType::CgroupThrottle) lines.push_back(fmt::format("{}:{}:throttle", stamp(e.time), e.cpu));
    if (e.type == TraceType::CgroupUnthrottle)
      lines.push_back(fmt::format("{}:{}:unthrottle:{}", stamp(e.time), e.cpu, stamp(e.value)));
  }
  static std::string stamp(int64_t t) {
    return t % kNsPerMs ? fmt::format("{}us", t / 1000) : fmt::format("{}", t / kNsPerMs);
  }
  std::vector<std::string> lines;
};

Cgroup& cgroup(Sim& s, const char* path) { return *s.kernel->cgroups().find(path); }

// Done-when: /a at "50000 100000" with two hogs on one CPU gets half of it.
// 6.12: the write leaves 0 local runtime; the group pulls 5 ms slices from the 50 ms pool and
// its local runtime reaches 0 at the 50 ms tick: throttled at 50, unthrottled by the period
// timer at 100 (1 ns of debt+1 handed out, the rest pulled in slices), again at 150/200 ...
// 6.18: the write leaves 1 ns, so the first period's runtime ends only at the 51 ms tick
// (1 ms - 1 ns of debt, repaid at the 100 ms refill); from then on 49 ms + the 1 ns grant run
// out at the tick 50 ms in: [0,51), [100,150), [200,250) ... = 501 ms of 1000 (the real 6.18
// host measured 0.5006).
TEST(FairBandwidth, HalfQuotaOnOneCpuThrottlesOncePerPeriod) {
  for (KernelVersion v : kVersions) {
    ThrottleLog log;  // outlives the kernel
    Sim s("1", costs_1000hz(), 1, v);
    FairClass& fair = install_fair(s, v);
    s.kernel->trace().subscribe(&log);
    s.load(hogs({{"a1", "/a"}, {"a2", "/a"}}, {{"/a", {{"cpu.max", "50000 100000"}}}}));
    const Cgroup& a = cgroup(s, "/a");
    run_checked(s, fair, 0, ms(250));
    const fair::CfsBandwidthStat& st = fair.cpu_stat(a);
    EXPECT_EQ(st.nr_periods, 2u);
    EXPECT_EQ(st.nr_throttled, 2u);
    const bool v18 = v == KernelVersion::V6_18;
    // 6.12: throttled [50,100) and [150,200); 6.18: from the limbo entry at 51.
    EXPECT_EQ(st.throttled_usec(), v18 ? 99000u : 100000u) << kernel_version_name(v);
    std::vector<std::string> want = v18 ? std::vector<std::string>{"51:0:throttle", "100:0:unthrottle:49", "150:0:throttle",
                                                                 "200:0:unthrottle:50", "250:0:throttle"}
                                        : std::vector<std::string>{"50:0:throttle", "100:0:unthrottle:50", "150:0:throttle",
                                                                 "200:0:unthrottle:50", "250:0:throttle"};
    EXPECT_EQ(log.lines, want) << kernel_version_name(v);
    run_checked(s, fair, ms(250), ms(1000));
    EXPECT_NEAR(share(s, {"a1", "a2"}, ms(1000)), 0.5, 0.01) << kernel_version_name(v);
    EXPECT_EQ(runtime_of(s, "a1") + runtime_of(s, "a2"), v18 ? ms(501) : ms(500)) << kernel_version_name(v);
    // One throttle and one unthrottle per period (the 10th unthrottle is at 1000 ms).
    EXPECT_EQ(log.lines.size(), 20u) << kernel_version_name(v);
    EXPECT_EQ(fair.cpu_stat(a).nr_throttled, 10u);
    EXPECT_EQ(fair.cpu_stat(a).nr_periods, 10u);
  }
}

// A limited group beside an unlimited one of the same weight on one CPU. At 50/100 the limit is
// the group's fair share anyway: both get half (the real 6.18 host: 0.50/0.50). At 25/100 the
// limit binds: /a gets 25 ms per period and /b the rest, 0.25/0.75. With /b at weight 300
// and /a at 50/100, /a's fair share (1/4) is under its limit: 0.25/0.75 and never throttled.
TEST(FairBandwidth, LimitedBesideUnlimitedGroup) {
  struct Case {
    const char* a_max;
    const char* b_weight;
    double a_share;
    bool throttles;
  };
  const Case cases[] = {{"50000 100000", "100", 0.5, false}, {"25000 100000", "100", 0.25, true},
                        {"50000 100000", "300", 0.25, false}};
  for (KernelVersion v : kVersions) {
    for (const Case& c : cases) {
      Sim s("1", costs_1000hz(), 1, v);
      FairClass& fair = install_fair(s, v);
      s.load(hogs({{"a1", "/a"}, {"a2", "/a"}, {"b1", "/b"}, {"b2", "/b"}},
                  {{"/a", {{"cpu.max", c.a_max}}}, {"/b", {{"cpu.weight", c.b_weight}}}}));
      run_checked(s, fair, 0, ms(1000));
      const std::string what = fmt::format("{} {} b={}", kernel_version_name(v), c.a_max, c.b_weight);
      EXPECT_NEAR(share(s, {"a1", "a2"}, ms(1000)), c.a_share, 0.01) << what;
      EXPECT_NEAR(share(s, {"b1", "b2"}, ms(1000)), 1 - c.a_share, 0.01) << what;
      if (c.throttles) EXPECT_EQ(fair.cpu_stat(cgroup(s, "/a")).nr_throttled, 10u) << what;
      else EXPECT_LE(fair.cpu_stat(cgroup(s, "/a")).nr_throttled, 1u) << what;
    }
  }
}

// Two CPUs, /a at "150000 100000" (1.5 CPUs) with 4 hogs: the two CPUs share one pool; the
// group gets 1.5 CPUs of the 2, the other 0.5 CPU idles.
TEST(FairBandwidth, QuotaOfOneAndAHalfCpusOnTwoCpus) {
  for (KernelVersion v : kVersions) {
    Sim s("2", costs_1000hz(), 1, v);
    FairClass& fair = install_fair(s, v);
    s.load(hogs({{"a1", "/a"}, {"a2", "/a"}, {"a3", "/a"}, {"a4", "/a"}}, {{"/a", {{"cpu.max", "150000 100000"}}}}));
    run_checked(s, fair, 0, ms(1000));
    EXPECT_NEAR(share(s, {"a1", "a2", "a3", "a4"}, ms(1000)), 1.5, 0.02) << kernel_version_name(v);
    EXPECT_EQ(fair.cpu_stat(cgroup(s, "/a")).nr_periods, 10u);
  }
}

// cpu.max written to "max" while throttled (60 ms; throttled at 50, 6.18 at 51) unthrottles at
// once (tg_set_cfs_bandwidth()): the group runs from 60 ms on without a break, 50 + 140 ms
// (6.18: 51 + 140) by 200 ms, and no period is counted any more.
TEST(FairBandwidth, WritingMaxUnthrottlesAtOnce) {
  for (KernelVersion v : kVersions) {
    ThrottleLog log;
    Sim s("1", costs_1000hz(), 1, v);
    FairClass& fair = install_fair(s, v);
    s.kernel->trace().subscribe(&log);
    Workload w = hogs({{"a1", "/a"}, {"a2", "/a"}}, {{"/a", {{"cpu.max", "50000 100000"}}}});
    w.cgroup_events.push_back(CgroupEvent{ms(60), 0, "cpu.max", "max", -1});
    s.load(w);
    run_checked(s, fair, 0, ms(200));
    const bool v18 = v == KernelVersion::V6_18;
    EXPECT_EQ(log.lines, (std::vector<std::string>{v18 ? "51:0:throttle" : "50:0:throttle",
                                                   v18 ? "60:0:unthrottle:9" : "60:0:unthrottle:10"}))
        << kernel_version_name(v);
    EXPECT_EQ(runtime_of(s, "a1") + runtime_of(s, "a2"), v18 ? ms(191) : ms(190)) << kernel_version_name(v);
    EXPECT_EQ(fair.cpu_stat(cgroup(s, "/a")).nr_periods, 0u);
  }
}

// A throttled task moved out of its group (at 60 ms, to the unlimited /b) runs at once; the
// emptied limited group can then be removed while throttled (its timers are cancelled).
// 6.12: the task leaves a dequeued group entity's runqueue; 6.18: it leaves the limbo list.
TEST(FairBandwidth, ThrottledTaskMovedOutAndGroupRemoved) {
  for (KernelVersion v : kVersions) {
    ThrottleLog log;
    Sim s("1", costs_1000hz(), 1, v);
    FairClass& fair = install_fair(s, v);
    s.kernel->trace().subscribe(&log);
    Workload w = hogs({{"a1", "/a"}}, {{"/a", {{"cpu.max", "50000 100000"}}}, {"/b", {}}});
    w.cgroup_events.push_back(CgroupEvent{ms(60), 1, "", "", 0});
    s.load(w);
    run_checked(s, fair, 0, ms(59));
    EXPECT_EQ(fair.nr_queued(s.kernel->rq(0)), 1);
    EXPECT_EQ(fair.nr_runnable_here(s.kernel->rq(0)), 0) << "a1 is throttled";
    run_checked(s, fair, ms(59), ms(61));
    ASSERT_TRUE(s.kernel->remove_cgroup(cgroup(s, "/a")).ok());
    run_checked(s, fair, ms(61), ms(200));
    const bool v18 = v == KernelVersion::V6_18;
    // [0,50) in /a (6.18: [0,51)), then from the move at 60 ms on without a break.
    EXPECT_EQ(runtime_of(s, "a1"), (v18 ? ms(51) : ms(50)) + ms(140)) << kernel_version_name(v);
    EXPECT_EQ(log.lines, (std::vector<std::string>{v18 ? "51:0:throttle" : "50:0:throttle"})) << kernel_version_name(v);
  }
}

// sched_ext loaded (70 ms) while /a's two hogs are throttled (since 50 ms; 6.18: parked in limbo
// since 51): the switch dequeues them from the fair class (6.18: out of the limbo list) and
// the BPF scheduler runs them at once, the limit no longer applies: by 200 ms they have run
// 50 (51) + 130 ms.
TEST(FairBandwidth, SchedExtTakesThrottledTasks) {
  for (KernelVersion v : kVersions) {
    ExtSim s("1", costs_1000hz(), v);
    auto* fair = static_cast<FairClass*>(s.kernel->fair_class());
    s.load(hogs({{"a1", "/a"}, {"a2", "/a"}}, {{"/a", {{"cpu.max", "50000 100000"}}}}));
    s.attach(std::make_unique<RecordingPolicy>(all_task_ops()), ms(70));
    run_checked(s, *fair, 0, ms(200));
    EXPECT_TRUE(s.ext->enabled()) << (s.ext->exit_info() ? s.ext->exit_info()->reason + " " + s.ext->exit_info()->msg : "");
    const bool v18 = v == KernelVersion::V6_18;
    EXPECT_EQ(runtime_of(s, "a1") + runtime_of(s, "a2"), (v18 ? ms(51) : ms(50)) + ms(130)) << kernel_version_name(v);
    EXPECT_EQ(fair->nr_queued(s.kernel->rq(0)), 0);
  }
}

// Random mixes on 4 CPUs: hogs and sleepers in limited nested groups, moves between them and
// limits changed at run time; the books must balance every millisecond, and once every limit
// is lifted (250 ms) no task may stay parked (a lost task would stay hidden from the root).
TEST(FairBandwidth, RandomMixesKeepTheBooks) {
  Rng rng(11);
  size_t throttles = 0;
  for (int iter = 0; iter < 16; ++iter) {
    ThrottleLog log;
    const KernelVersion v = iter % 2 ? KernelVersion::V6_18 : KernelVersion::V6_12;
    Sim s("nodes=1,cores=4", iter % 3 ? zero_costs() : CostModel{}, static_cast<uint64_t>(iter + 1), v);
    FairClass& fair = install_fair(s, v);
    s.kernel->trace().subscribe(&log);
    Workload w = random_fair_workload(rng, 4);
    const char* paths[] = {"/a", "/a/x", "/b", "/b/y"};
    auto random_max = [&] {
      if (rng.chance(0.2)) return std::string("max");
      return fmt::format("{} {}", rng.range(1000, 60000), rng.range(10000, 100000));
    };
    for (const char* p : paths) w.cgroups.push_back(CgroupSpec{p, {{"cpu.max", random_max()}}});
    for (auto& t : w.tasks)
      if (!rng.chance(0.2)) t.cgroup = paths[rng.below(std::size(paths))];
    for (int e = 0; e < 16; ++e) {
      CgroupEvent ev;
      ev.at = us(rng.range(1, 240000));
      ev.cgroup = static_cast<uint32_t>(rng.below(std::size(paths)));
      if (rng.chance(0.5)) ev.task = static_cast<int>(rng.below(w.tasks.size()));
      else ev.file = "cpu.max", ev.value = random_max();
      w.cgroup_events.push_back(ev);
    }
    for (uint32_t i = 0; i < std::size(paths); ++i) w.cgroup_events.push_back(CgroupEvent{ms(250), i, "cpu.max", "max", -1});
    std::stable_sort(w.cgroup_events.begin(), w.cgroup_events.end(),
                     [](const CgroupEvent& a, const CgroupEvent& b) { return a.at < b.at; });
    s.load(w);
    run_checked(s, fair, 0, ms(300));
    if (::testing::Test::HasFatalFailure()) {
      ADD_FAILURE() << "iter " << iter << " " << kernel_version_name(v);
      return;
    }
    for (int cpu = 0; cpu < 4; ++cpu)
      EXPECT_EQ(fair.nr_queued(s.kernel->rq(cpu)), fair.nr_runnable_here(s.kernel->rq(cpu)))
          << "iter " << iter << " cpu " << cpu << ": tasks still parked after the limits were lifted";
    throttles += log.lines.size();
  }
  EXPECT_GT(throttles, 300u) << "the mixes must throttle";
}

}  // namespace
}  // namespace scx::testing
