// Golden metrics: tiny scenarios whose every figure is worked out by hand. One runs the kernel
// (zero-cost model, SCHED_FIFO so no fair class is involved); the others feed a hand-written
// event stream to the collector, which pins down idle-while-waiting, the series, fairness,
// deadlines and the sched_ext section exactly.
#include "../kernel/harness.h"
#include "metrics/summary.h"
#include "report/run_details.h"

namespace scx::testing {
namespace {

TEST(MetricsGolden, FifoPreemptionScenario) {
  Sim s("1");
  WorkloadBuilder wb("fifo");
  wb.task("low").fifo(10).program().run(ms(10));
  wb.task("high").fifo(20).delay(ms(3)).program().run(ms(2));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(20)).ok());
  // Schedule (see RtSchedule.FifoHigherPriorityPreempts): high runs at 0 and sleeps for its
  // start delay; low runs 0-3; high wakes at 3, preempts low, runs 3-5 and exits; low runs 5-12
  // and exits; the CPU idles 12-20.
  const RunSummary r = summarize(*s.metrics);
  EXPECT_EQ(r.duration, ms(20));
  ASSERT_EQ(r.tasks.size(), 2u);
  const EntitySummary& low = r.tasks[0];
  const EntitySummary& high = r.tasks[1];
  EXPECT_EQ(low.name, "low");
  EXPECT_EQ(low.cpu_time, ms(10));
  EXPECT_EQ(low.wait_time, ms(2));          // preempted 3-5
  EXPECT_EQ(low.nvcsw, 1u);                 // the exit
  EXPECT_EQ(low.nivcsw, 1u);                // preempted at 3
  EXPECT_EQ(low.wakeups, 0u);
  EXPECT_EQ(low.wakeup_latency.n, 0u);      // never woken: not measured, not 0
  EXPECT_FALSE(low.wakeup_latency.p99.has_value());
  EXPECT_EQ(low.run_delay.n, 2u);           // 0 (fork at 0 -> 0) and 2 ms (3 -> 5)
  EXPECT_EQ(*low.run_delay.max, 2e6);
  EXPECT_DOUBLE_EQ(*low.share_pct, 100.0 * 10 / 12);
  EXPECT_DOUBLE_EQ(low.cpu_pct, 50.0);
  EXPECT_EQ(high.cpu_time, ms(2));
  EXPECT_EQ(high.wait_time, 0u);
  EXPECT_EQ(high.nvcsw, 2u);                // the start-delay sleep and the exit
  EXPECT_EQ(high.wakeups, 1u);
  EXPECT_EQ(high.wakeup_latency.n, 1u);
  EXPECT_EQ(*high.wakeup_latency.p50, 0.0);  // zero costs: it preempts at once
  // Overall: run delays {0, 0, 0, 2 ms}.
  EXPECT_EQ(r.overall.run_delay.n, 4u);
  EXPECT_EQ(*r.overall.run_delay.p50, 0.0);
  EXPECT_EQ(*r.overall.run_delay.p99, 2e6);
  EXPECT_EQ(*r.overall.run_delay.mean, 0.5e6);
  ASSERT_EQ(r.groups.size(), 2u);
  EXPECT_EQ(r.groups[0].name, "high");      // sorted by name
  EXPECT_EQ(r.groups[1].name, "low");
  EXPECT_TRUE(r.fairness.empty());          // FIFO tasks have no weight classes
  ASSERT_EQ(r.cpus.size(), 1u);
  EXPECT_EQ(r.cpus[0].busy, ms(12));
  EXPECT_EQ(r.cpus[0].idle, ms(8));
  EXPECT_EQ(r.cpus[0].switches, 5u);
  EXPECT_EQ(r.idle_while_waiting, 0u);
  EXPECT_DOUBLE_EQ(r.busy_pct, 60.0);
}

// Hand-written events on 2 CPUs (one LLC). Times in ms.
//   a, b allowed on 0-1; c pinned to 0. All nice 0 SCHED_NORMAL.
//   (a, b, c are the tasks w1, w2, w3.)
//   0: a, b, c forked onto CPU 0's runqueue; a runs on CPU 0. CPU 1 idles while b (allowed
//      there) waits on CPU 0: idle-while-waiting starts.
//   2: b migrates to CPU 1 (now it waits on CPU 1's own queue: the stretch ends, 2 ms).
//   3: CPU 1 runs b.          5: CPU 0 preempts a for c (a waits on CPU 0).
//   6: b sleeps; CPU 1 idles while a waits on CPU 0: a second stretch begins.
//   8: a migrates to CPU 1 (stretch ends, +2 ms) and runs there.     10: end.
class EventScript {
 public:
  explicit EventScript(MetricsCollector& m) : m_(m) {}
  void task(Ns t, int pid, const char* comm, const char* cpus, int prio = 120) {
    TraceEvent e = at(t, TraceType::TaskNew, 0, pid);
    e.pid2 = pid;
    e.prio = prio;
    e.comm = comm;
    e.cpus = cpus;
    m_.on_event(e);
  }
  void wakeup_new(Ns t, int pid, int cpu) {
    TraceEvent e = at(t, TraceType::SchedWakeupNew, 0, pid);
    e.arg = cpu;
    m_.on_event(e);
  }
  void sw(Ns t, int cpu, int prev, SwitchState st, int next) {
    TraceEvent e = at(t, TraceType::SchedSwitch, cpu, prev);
    e.arg = static_cast<int32_t>(st);
    e.pid2 = next;
    m_.on_event(e);
  }
  void migrate(Ns t, int pid, int from, int to) {
    TraceEvent e = at(t, TraceType::SchedMigrateTask, from, pid);
    e.arg2 = from;
    e.arg = to;
    m_.on_event(e);
  }
  void other(Ns t, TraceType type, int pid, int32_t arg, int64_t value) {
    TraceEvent e = at(t, type, 0, pid);
    e.arg = arg;
    e.value = value;
    m_.on_event(e);
  }

 private:
  static TraceEvent at(Ns t, TraceType type, int cpu, int pid) {
    TraceEvent e;
    e.time = t;
    e.type = type;
    e.cpu = cpu;
    e.pid = pid;
    return e;
  }
  MetricsCollector& m_;
};

void play_script(MetricsCollector& m) {
  EventScript s(m);
  // Three instances of one behaviour (group "w"), created together: one fairness class.
  s.task(0, 10, "w1", "0-1");
  s.task(0, 11, "w2", "0-1");
  s.task(0, 12, "w3", "0");
  s.wakeup_new(0, 10, 0);
  s.sw(0, 0, 0, SwitchState::Running, 10);
  s.wakeup_new(0, 11, 0);
  s.wakeup_new(0, 12, 0);
  s.other(ms(1), TraceType::Mark, 10, 0, 5);
  s.migrate(ms(2), 11, 0, 1);
  s.sw(ms(3), 1, 0, SwitchState::Running, 11);
  s.sw(ms(5), 0, 10, SwitchState::Running, 12);
  s.sw(ms(6), 1, 11, SwitchState::Sleeping, 0);
  s.other(ms(7), TraceType::TimerMiss, 12, 0, 300000);
  s.other(ms(7), TraceType::PhaseEnd, 12, 0, -10);
  s.migrate(ms(8), 10, 0, 1);
  s.sw(ms(8), 1, 0, SwitchState::Running, 10);
  m.on_finish(ms(10));
}

TEST(MetricsGolden, IdleWhileWaitingSeriesAndFairness) {
  Topology topo = resolve_topology("2").value();
  MetricsCollector m(topo);
  m.enable_series(ms(2));
  play_script(m);
  const RunSummary r = summarize(m);

  EXPECT_EQ(m.cpus()[0].idle_while_waiting, 0u);  // never idle
  EXPECT_EQ(m.cpus()[1].idle_while_waiting, ms(4));
  EXPECT_EQ(r.idle_while_waiting, ms(4));
  EXPECT_EQ(m.cpus()[0].busy, ms(10));
  EXPECT_EQ(m.cpus()[1].busy, ms(5));             // b 3-6, a 8-10
  EXPECT_EQ(m.cpus()[1].idle, ms(5));

  const auto& t = m.tasks();
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].cpu_time, ms(7));                // a: 0-5 and 8-10
  EXPECT_EQ(t[0].wait_time, ms(3));               // 5-8
  EXPECT_EQ(t[0].run_delay, (std::vector<Ns>{0, ms(3)}));
  EXPECT_EQ(t[0].nivcsw, 1u);
  EXPECT_EQ(t[0].migrations[static_cast<int>(MigrationLevel::Llc)], 1u);
  EXPECT_EQ(t[0].counters, (std::vector<int64_t>{5}));
  EXPECT_EQ(t[1].cpu_time, ms(3));
  EXPECT_EQ(t[1].wait_time, ms(3));
  EXPECT_EQ(t[1].nvcsw, 1u);
  EXPECT_EQ(t[2].cpu_time, ms(5));
  EXPECT_EQ(t[2].wait_time, ms(5));
  EXPECT_EQ(t[2].timer_misses, 1u);
  EXPECT_EQ(t[2].timer_late_max, us(300));
  EXPECT_EQ(t[2].phase_misses, 1u);
  EXPECT_EQ(t[2].allowed, CpuMask::single(0));

  // Busy ns per 2 ms bucket.
  const MetricsSeries& se = m.series();
  EXPECT_EQ(se.busy[0], (std::vector<Ns>{ms(2), ms(2), ms(2), ms(2), ms(2)}));
  EXPECT_EQ(se.busy[1], (std::vector<Ns>{0, ms(1), ms(2), 0, ms(2)}));
  // Waiting tasks x ns: CPU 0 holds b and c (0-2), c (2-5), a (5-8); CPU 1 holds b (2-3).
  EXPECT_EQ(se.queued[0], (std::vector<uint64_t>{2 * ms(2), ms(2), ms(2), ms(2)}));
  EXPECT_EQ(se.queued[1], (std::vector<uint64_t>{0, ms(1)}));

  // Fairness: shares 0.7, 0.3, 0.5 of a 10 ms life.
  ASSERT_EQ(r.fairness.size(), 1u);
  const FairnessClass& f = r.fairness[0];
  EXPECT_EQ(f.label, "w normal/nice0");
  EXPECT_EQ(f.tasks, 3u);
  EXPECT_NEAR(*f.max_min_ratio, 0.7 / 0.3, 1e-12);
  EXPECT_NEAR(*f.jain, 2.25 / 2.49, 1e-12);
  EXPECT_NEAR(*f.gini, 6.8 / 4.5 - 4.0 / 3.0, 1e-12);
  EXPECT_EQ(r.timer_misses, 1u);
  EXPECT_EQ(r.phase_misses, 1u);
  ASSERT_EQ(r.counter_rates.size(), 1u);
  EXPECT_DOUBLE_EQ(*r.counter_rates[0], 500.0);  // 5 marks in 10 ms
  EXPECT_DOUBLE_EQ(r.busy_pct, 75.0);
}


// Fairness classes (docs/reports.md): one per task group, weight and interval. On one CPU,
// x1 and x2 (nice 0) run 2 ms each, y1 and y2 (nice 5) 1 ms each, z1 1 ms and z2, created at
// 4 ms, the last 3 ms; the run ends at 10 ms. x and y form one class each (shares 0.2, 0.2 and
// 0.1, 0.1: even, Jain 1); z1 and z2 lived over different intervals and are not compared, nor
// are tasks of different weights (x with y).
TEST(MetricsGolden, FairnessClassesByGroupWeightAndInterval) {
  Topology topo = resolve_topology("1").value();
  MetricsCollector m(topo);
  EventScript s(m);
  s.task(0, 10, "x1", "0");
  s.task(0, 11, "x2", "0");
  s.task(0, 12, "y1", "0", 125);
  s.task(0, 13, "y2", "0", 125);
  s.task(0, 14, "z1", "0");
  for (int pid = 10; pid <= 14; ++pid) s.wakeup_new(0, pid, 0);
  s.sw(0, 0, 0, SwitchState::Running, 10);
  s.sw(ms(2), 0, 10, SwitchState::Running, 11);
  s.task(ms(4), 15, "z2", "0");
  s.wakeup_new(ms(4), 15, 0);
  s.sw(ms(4), 0, 11, SwitchState::Running, 12);
  s.sw(ms(5), 0, 12, SwitchState::Running, 13);
  s.sw(ms(6), 0, 13, SwitchState::Running, 14);
  s.sw(ms(7), 0, 14, SwitchState::Running, 15);
  m.on_finish(ms(10));
  const RunSummary r = summarize(m);
  ASSERT_EQ(r.fairness.size(), 2u);
  EXPECT_EQ(r.fairness[0].label, "x normal/nice0");
  EXPECT_EQ(r.fairness[1].label, "y normal/nice5");
  for (const FairnessClass& f : r.fairness) {
    EXPECT_EQ(f.tasks, 2u);
    EXPECT_NEAR(*f.jain, 1.0, 1e-12);
    EXPECT_NEAR(*f.max_min_ratio, 1.0, 1e-12);
  }
  EXPECT_NEAR(r.fairness[0].mean_share, 0.2, 1e-12);
  EXPECT_NEAR(r.fairness[1].mean_share, 0.1, 1e-12);
}

TEST(MetricsGolden, PercentilesUseExactNearestRank) {
  std::vector<Ns> v;
  for (Ns i = 1; i <= 1000; ++i) v.push_back(i);
  Dist d = Dist::of(v);
  EXPECT_EQ(*d.p50, 500);
  EXPECT_EQ(*d.p90, 900);
  EXPECT_EQ(*d.p99, 990);
  EXPECT_EQ(*d.p999, 999);  // not 1000: the rank is computed in integers
  EXPECT_EQ(*d.max, 1000);
  EXPECT_EQ(d.n, 1000u);
  EXPECT_FALSE(Dist::of({}).p50.has_value());
  EXPECT_EQ(comm_family("worker-12"), "worker");
  EXPECT_EQ(comm_family("hog3"), "hog");
  EXPECT_EQ(comm_family("1234"), "1234");
  EXPECT_EQ(comm_family("audio"), "audio");
}

TEST(MetricsGolden, ScxSectionNullUntilEventsThenMeasured) {
  Topology topo = resolve_topology("2").value();
  MetricsCollector m(topo);
  m.on_finish(ms(10));
  EXPECT_TRUE(scx_json(m.scx()).is_null());

  ScxMetrics& x = m.scx();
  x.dsq_insert(0, 5, 1, 10);
  x.dsq_insert(ms(1), 5, 2, 11);
  x.dsq_remove(ms(3), 5, 1, 10);
  x.dsq_remove(ms(4), 5, 0, 11);
  x.callback("enqueue", 2);
  x.callback("dispatch");
  x.event_counter("SCX_EV_SELECT_CPU_FALLBACK", 3);
  x.exit("ERROR_STALL", "runnable task stall", ms(9));
  x.finish(ms(10));
  ASSERT_TRUE(x.present());
  const DsqMetrics& d = x.dsqs().at(5);
  EXPECT_EQ(d.inserts, 2u);
  EXPECT_EQ(d.removals, 2u);
  EXPECT_EQ(d.max_depth, 2);
  EXPECT_EQ(d.depth_ns, ms(1) + 2 * ms(2) + ms(1));
  EXPECT_EQ(d.latency, (std::vector<Ns>{ms(3), ms(3)}));
  nlohmann::ordered_json j = scx_json(x);
  EXPECT_EQ(j["dsqs"][0]["dsq"], "5");
  EXPECT_EQ(j["dsqs"][0]["latency_ns"]["p99"], 3e6);
  EXPECT_EQ(j["callbacks"]["enqueue"], 2);
  EXPECT_EQ(j["exit_kind"], "ERROR_STALL");
  EXPECT_TRUE(j["state"].is_null());
  EXPECT_EQ(scx_dsq_name(kScxDsqGlobal), "global");
  EXPECT_EQ(scx_dsq_name(kScxDsqFlagBuiltin | kScxDsqFlagLocalOn | 3), "local_on:3");
}

TEST(MetricsGolden, RunDetailsPrintDashForUnmeasured) {
  Topology topo = resolve_topology("2").value();
  MetricsCollector m(topo);
  play_script(m);
  RunReport rep;
  rep.metrics = &m;
  rep.info.counters = {"loops"};
  const std::string text = format_run_details_text(rep, summarize(m));
  EXPECT_NE(text.find("Wakeup latency (all user tasks, sched_waking -> running) percentiles (us) (0 samples)\n\t-\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("sched_ext: - (no sched_ext events)"), std::string::npos);
  EXPECT_NE(text.find("4.000 ms in total"), std::string::npos);
  nlohmann::ordered_json j = run_details_json(rep, summarize(m));
  EXPECT_TRUE(j["overall"]["wakeup_latency_ns"]["p50"].is_null());
  EXPECT_EQ(j["overall"]["wakeup_latency_ns"]["samples"], 0);
  EXPECT_TRUE(j["sched_ext"].is_null());
  EXPECT_EQ(j["idle_while_waiting_ns"], ms(4));
  EXPECT_EQ(j["throughput_per_s"]["loops"], 500.0);
}

}  // namespace
}  // namespace scx::testing
