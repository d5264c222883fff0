// Per-cgroup metrics from hand-written event streams (no kernel): CPU time and share, the
// entitled share, throttling and latencies, with every figure worked out by hand below.
#include <gtest/gtest.h>

#include "metrics/metrics.h"
#include "metrics/summary.h"

namespace scx {
namespace {

constexpr Ns ms(double v) { return static_cast<Ns>(v * 1e6); }

class Events {
 public:
  explicit Events(MetricsCollector& m) : m_(m) {}
  void mkdir(Ns t, int id, int parent, const char* path) {
    TraceEvent e = at(t, TraceType::CgroupNew);
    e.arg = id;
    e.arg2 = parent;
    e.comm = path;
    m_.on_event(e);
  }
  void write(Ns t, int id, const char* file, const char* value) {
    TraceEvent e = at(t, TraceType::CgroupWrite);
    e.arg = id;
    e.comm = file;
    e.text = value;
    m_.on_event(e);
  }
  void task(Ns t, int pid, const char* comm, int cgroup) {
    TraceEvent e = at(t, TraceType::TaskNew, pid);
    e.pid2 = pid;
    e.prio = 120;
    e.comm = comm;
    m_.on_event(e);
    e = at(t, TraceType::CgroupAttach, pid);
    e.arg = cgroup;
    m_.on_event(e);
  }
  void wakeup(Ns t, TraceType type, int pid, int cpu) {
    TraceEvent e = at(t, type, pid);
    e.arg = cpu;
    m_.on_event(e);
  }
  void waking(Ns t, int pid) { m_.on_event(at(t, TraceType::SchedWaking, pid)); }
  void sw(Ns t, int cpu, int prev, SwitchState st, int next) {
    TraceEvent e = at(t, TraceType::SchedSwitch, prev);
    e.cpu = cpu;
    e.arg = static_cast<int32_t>(st);
    e.pid2 = next;
    m_.on_event(e);
  }
  void throttle(Ns t, TraceType type, int id, int cpu, Ns value) {
    TraceEvent e = at(t, type);
    e.cpu = cpu;
    e.arg = id;
    e.value = static_cast<int64_t>(value);
    m_.on_event(e);
  }

 private:
  static TraceEvent at(Ns t, TraceType type, int pid = 0) {
    TraceEvent e;
    e.time = t;
    e.type = type;
    e.pid = pid;
    return e;
  }
  MetricsCollector& m_;
};

// 2 CPUs, 10 ms. /a (id 2, cpu.weight 300) holds a1 (10) and a2 (12); /b (id 3, weight 100)
// holds b1 (11).
//   0: all three new; CPU 0 runs a1 (a2 queued behind it), CPU 1 runs b1.
//   2-3: /a throttled on CPU 0 (1 ms, reported at the unthrottle); 9-10: on CPU 1 (open at the end).
//   4: CPU 0 preempts a1 for a2 (a1 waits to the end).      6: b1 sleeps, CPU 1 idles.
//   7: b1 wakes; 7.5: it runs (latency 0.5 ms).             8: /a's weight goes to 100.
void play(MetricsCollector& m) {
  Events s(m);
  s.mkdir(0, 2, 1, "/a");
  s.mkdir(0, 3, 1, "/b");
  s.write(0, 2, "cpu.weight", "300");
  s.task(0, 10, "a1", 2);
  s.task(0, 11, "b1", 3);
  s.task(0, 12, "a2", 2);
  s.wakeup(0, TraceType::SchedWakeupNew, 10, 0);
  s.wakeup(0, TraceType::SchedWakeupNew, 11, 1);
  s.wakeup(0, TraceType::SchedWakeupNew, 12, 0);
  s.sw(0, 0, 0, SwitchState::Running, 10);
  s.sw(0, 1, 0, SwitchState::Running, 11);
  s.throttle(ms(2), TraceType::CgroupThrottle, 2, 0, 0);
  s.throttle(ms(3), TraceType::CgroupUnthrottle, 2, 0, ms(1));
  s.sw(ms(4), 0, 10, SwitchState::Running, 12);
  s.sw(ms(6), 1, 11, SwitchState::Sleeping, 0);
  s.waking(ms(7), 11);
  s.wakeup(ms(7), TraceType::SchedWakeup, 11, 1);
  s.sw(ms(7.5), 1, 0, SwitchState::Running, 11);
  s.write(ms(8), 2, "cpu.weight", "100");
  s.throttle(ms(9), TraceType::CgroupThrottle, 2, 1, 0);
  m.on_finish(ms(10));
}

TEST(CgroupMetrics, SharesEntitlementThrottlingAndLatencies) {
  Topology topo = resolve_topology("2").value();
  MetricsCollector m(topo);
  play(m);
  const RunSummary r = summarize(m);
  ASSERT_EQ(r.cgroups.size(), 2u);
  const CgroupSummary& a = r.cgroups[0];
  const CgroupSummary& b = r.cgroups[1];
  EXPECT_EQ(a.path, "/a");
  EXPECT_EQ(a.id, 2u);
  EXPECT_EQ(a.weight, 100u);  // the last write
  EXPECT_EQ(a.tasks, 2u);
  // CPU: a1 0-4, a2 4-10 = 10 ms of 20 ms of capacity; b1 0-6 and 7.5-10 = 8.5 ms.
  EXPECT_EQ(a.cpu_time, ms(10));
  EXPECT_DOUBLE_EQ(a.cpu_share_pct, 50.0);
  EXPECT_EQ(b.cpu_time, ms(8.5));
  EXPECT_DOUBLE_EQ(b.cpu_share_pct, 42.5);
  // Entitled: both groups runnable except 6-7 (b1 asleep). Shares 3072:1024 give a 3/4, b 1/4
  // (neither capped: a has 2 runnable tasks on 2 CPUs, b one task = 1/2 of the machine); 6-7
  // a alone gets 1; from 8 weights 100:100 give 1/2 each.
  // a: 0.75*7 + 1*1 + 0.5*2 = 7.25 ms of 10 ms; b: 0.25*7 + 0.5*2 = 2.75 ms.
  EXPECT_DOUBLE_EQ(a.entitled_pct, 72.5);
  EXPECT_DOUBLE_EQ(b.entitled_pct, 27.5);
  // Throttled: 1 ms reported by the unthrottle, plus 9-10 still throttled at the end.
  EXPECT_EQ(a.throttled_time, ms(2));
  EXPECT_EQ(a.throttles, 2u);
  EXPECT_EQ(b.throttled_time, 0u);
  // Run delays: a1 0 (at 0; its wait from 4 never ends), a2 4 ms; b1 0 and 0.5 ms.
  EXPECT_EQ(a.run_delay.n, 2u);
  EXPECT_EQ(*a.run_delay.max, 4e6);
  EXPECT_EQ(b.run_delay.n, 2u);
  EXPECT_EQ(*b.run_delay.p99, 0.5e6);
  EXPECT_EQ(a.wakeup_latency.n, 0u);  // never woken: not measured
  EXPECT_EQ(b.wakeup_latency.n, 1u);
  EXPECT_EQ(*b.wakeup_latency.p50, 0.5e6);
  // The throttle slices for the Perfetto tracks.
  const CgroupMetrics* ga = m.cgroups().find(2);
  ASSERT_EQ(ga->throttle_slices.size(), 2u);
  EXPECT_EQ(ga->throttle_slices[0].end, ms(3));
  EXPECT_EQ(ga->throttle_slices[1].cpu, 1);
  EXPECT_EQ(ga->throttle_slices[1].end, ms(10));
}

// Entitlement on 4 CPUs from runnable tasks only: a nested hierarchy, cpu.weight.nice, a cpuset
// cap and an idle group. Every group has 4 runnable tasks for the whole 10 ms.
TEST(CgroupMetrics, EntitlementIsHierarchicalAndCapped) {
  Topology topo = resolve_topology("4").value();
  MetricsCollector m(topo);
  Events s(m);
  s.mkdir(0, 2, 1, "/p");
  s.mkdir(0, 3, 2, "/p/x");
  s.mkdir(0, 4, 2, "/p/y");
  s.mkdir(0, 5, 1, "/q");
  s.write(0, 4, "cpu.weight", "300");
  s.write(0, 5, "cpu.weight.nice", "0");  // nice 0 = weight 100
  int pid = 10;
  for (int cg : {3, 4, 5})
    for (int i = 0; i < 4; ++i, ++pid) {
      s.task(0, pid, "t", cg);
      s.wakeup(0, TraceType::SchedWakeupNew, pid, i);
    }
  // /p and /q 1/2 each; /p's half splits 100:300 between /p/x (1/8) and /p/y (3/8).
  s.write(ms(5), 5, "cpuset.cpus", "3");
  // From 5 ms /q may use one CPU of four: capped at 1/4, /p gets the other 3/4 (x 3/16, y 9/16).
  m.on_finish(ms(10));
  const RunSummary r = summarize(m);
  ASSERT_EQ(r.cgroups.size(), 4u);
  EXPECT_DOUBLE_EQ(r.cgroups[0].entitled_pct, 100 * (0.5 * 5 + 0.75 * 5) / 10);       // /p 62.5
  EXPECT_DOUBLE_EQ(r.cgroups[1].entitled_pct, 100 * (0.125 * 5 + 0.1875 * 5) / 10);   // /p/x 15.625
  EXPECT_DOUBLE_EQ(r.cgroups[2].entitled_pct, 100 * (0.375 * 5 + 0.5625 * 5) / 10);   // /p/y 46.875
  EXPECT_DOUBLE_EQ(r.cgroups[3].entitled_pct, 100 * (0.5 * 5 + 0.25 * 5) / 10);       // /q 37.5
  EXPECT_EQ(r.cgroups[0].tasks, 8u);  // /p counts the tasks of /p/x and /p/y
}

TEST(CgroupMetrics, IdleGroupGetsAlmostNothingAndRunsWithoutCgroupsHaveNoRows) {
  Topology topo = resolve_topology("1").value();
  MetricsCollector m(topo);
  Events s(m);
  s.mkdir(0, 2, 1, "/busy");
  s.mkdir(0, 3, 1, "/idle");
  s.write(0, 3, "cpu.idle", "1");
  s.task(0, 10, "t", 2);
  s.task(0, 11, "u", 3);
  s.wakeup(0, TraceType::SchedWakeupNew, 10, 0);
  s.wakeup(0, TraceType::SchedWakeupNew, 11, 0);
  m.on_finish(ms(10));
  const RunSummary r = summarize(m);
  // Weights 1024 (cpu.weight 100) against WEIGHT_IDLEPRIO 3.
  EXPECT_DOUBLE_EQ(r.cgroups[0].entitled_pct, 100.0 * 1024 / 1027);
  EXPECT_DOUBLE_EQ(r.cgroups[1].entitled_pct, 100.0 * 3 / 1027);

  MetricsCollector plain(topo);
  Events p(plain);
  p.task(0, 10, "t", 1);
  plain.on_finish(ms(10));
  EXPECT_FALSE(plain.cgroups().present());
  EXPECT_TRUE(summarize(plain).cgroups.empty());
}

}  // namespace
}  // namespace scx
