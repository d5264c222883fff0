// Bandwidth control (cpu.max) wired into the fair class (fair_bandwidth.cc): throttle and
// unthrottle times, cpu.stat, shares beside unlimited groups, SMP quotas, run-time writes and
// random mixes, in 6.12 (the group entity is dequeued) and 6.18 (tasks park in limbo).
// docs/cgroups.md "Bandwidth control (cpu.max)". Zero-cost model, 1000 Hz ticks (charges land
// on whole milliseconds), period timer phase 0 (boundaries at whole periods).
#include <functional>

#include "../kernel/harness.h"
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

FairClass& install_fair(Sim& s, KernelVersion v) {
  FairConfig cfg = FairConfig::for_kernel(v, s.topo.nr_cpus(), static_cast<unsigned>(s.kernel->cost().hz));
  auto fair = std::make_unique<FairClass>(*s.kernel, cfg);
  FairClass& ref = *fair;
  s.kernel->set_fair_class(std::move(fair));
  return ref;
}

// CPU hogs: {name, cgroup path ("" = root)}.
Workload hogs(const std::vector<std::pair<std::string, std::string>>& tasks, const std::vector<CgroupSpec>& cgroups) {
  WorkloadBuilder wb("bandwidth");
  for (const auto& [name, cg] : tasks) wb.task(name).program().run(ms(1000000));
  Workload w = wb.build();
  w.cgroups = cgroups;
  for (size_t i = 0; i < tasks.size(); ++i) w.tasks[i].cgroup = tasks[i].second;
  return w;
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

Ns runtime_of(Sim& s, const std::string& comm) {
  for (const auto& t : s.kernel->tasks())
    if (t->comm == comm) return t->sum_exec_runtime;
  ADD_FAILURE() << "no task " << comm;
  return 0;
}

double share(Sim& s, const std::vector<std::string>& comms, Ns total) {
  Ns sum = 0;
  for (const auto& c : comms) sum += runtime_of(s, c);
  return static_cast<double>(sum) / static_cast<double>(total);
}

// Steps to `until` in 1 ms steps, checking the kernel's and the fair hierarchy's invariants.
void run_checked(Sim& s, FairClass& fair, Ns from, Ns until) {
  for (Ns t = from + ms(1); t <= until; t += ms(1)) {
    ASSERT_TRUE(s.kernel->advance_to(t).ok());
    Status inv = s.kernel->check_invariants();
    ASSERT_TRUE(inv.ok()) << "t=" << t << ": " << inv.message();
    Status h = fair.check_hierarchy();
    ASSERT_TRUE(h.ok()) << "t=" << t << ": " << h.message();
  }
}

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

}  // namespace
}  // namespace scx::testing
