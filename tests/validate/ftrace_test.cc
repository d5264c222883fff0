// The real side's trace reading: ftrace text lines into records, and the replay of a small
// hand-written trace into scxsim's metrics, every figure worked out by hand.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "metrics/summary.h"
#include "validate/figures.h"
#include "validate/real_trace.h"

namespace scx {
namespace {

std::string read_data(const std::string& name) {
  std::ifstream in(std::string(SCXSIM_SOURCE_DIR) + "/tests/validate/data/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Topology two_cpus() { return parse_topology_spec("2").value(); }

TEST(FtraceText, ParsesRecordLines) {
  auto r = parse_ftrace_line(
      "     Web Content-8123    [001] dNh3.  1234.000567: sched_wakeup: comm=Web Content pid=8123 prio=120 target_cpu=001");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->time, 1234 * kNsPerSec + 567 * kNsPerUs);
  EXPECT_EQ(r->cpu, 1);
  EXPECT_EQ(r->cur_pid, 8123);
  EXPECT_EQ(r->event, "sched_wakeup");
  EXPECT_EQ(ftrace_field(r->fields, "comm", "pid").value(), "Web Content");
  EXPECT_EQ(ftrace_int(r->fields, "pid").value(), 8123);
  EXPECT_EQ(ftrace_int(r->fields, "target_cpu").value(), 1);
  // Without the flags column (irq-info off) and with the record-tgid column.
  auto plain = parse_ftrace_line("  bash-12 (   12) [000]  5.5: sched_process_exit: comm=bash pid=12 prio=120");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->time, 5 * kNsPerSec + 500 * kNsPerMs);
  EXPECT_EQ(plain->cur_pid, 12);
  EXPECT_FALSE(parse_ftrace_line("# tracer: nop").has_value());
  EXPECT_FALSE(parse_ftrace_line("garbage [x] without a stamp").has_value());
}

TEST(FtraceText, SwitchFieldsWithSpacesInComms) {
  const std::string f =
      "prev_comm=a b prev_pid=7 prev_prio=120 prev_state=R+ ==> next_comm=c d e next_pid=9 next_prio=110";
  EXPECT_EQ(ftrace_field(f, "prev_comm", "prev_pid").value(), "a b");
  EXPECT_EQ(ftrace_field(f, "next_comm", "next_pid").value(), "c d e");
  EXPECT_EQ(ftrace_field(f, "prev_state").value(), "R+");
  EXPECT_EQ(ftrace_int(f, "next_pid").value(), 9);
  EXPECT_EQ(ftrace_int(f, "prev_pid").value(), 7);  // not next_pid's tail
  EXPECT_FALSE(ftrace_int(f, "pid").has_value());    // only whole keys match
}

TEST(FtraceText, CountsLostAndUnreadableLines) {
  const FtraceText t = parse_ftrace_text(
      "# comment\n\nCPU:1 [LOST 42 EVENTS]\n"
      "  x-1 [000] ..... 1.000001: sched_waking: comm=x pid=1 prio=120 target_cpu=000\n"
      "not a record\n");
  EXPECT_EQ(t.records.size(), 1u);
  EXPECT_EQ(t.lost_events, 42u);
  EXPECT_EQ(t.unreadable_lines, 1u);
}

// data/small.trace: rt-app (pid 500) forks periodic (501) and hog (502) at 100.000000 s; the
// window is 10 ms. CPU 0 runs hog from 50 us to the end. CPU 1 runs periodic 20-1020 us, idles,
// wakes it at 5000 us (running at 5010), loses it to cc1plus (600, foreign) 5500-5800 us, runs
// it again until 6300 us, then switches to "tokio worker" (700) whose switch out is not in the
// trace; the next record on CPU 1 (9000 us) shows the idle task, so 700 gets no CPU time.
// Periodic is woken at 9000 us and runs 9201 us to the end. A waking of the running hog
// (3000 us) starts no wait.
TEST(RealTrace, ReplaysHandWrittenTraceExactly) {
  const Topology topo = two_cpus();
  auto run = replay_host_trace(parse_ftrace_text(read_data("small.trace")), 500, 10 * kNsPerMs, topo);
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->duration, 10 * kNsPerMs);
  EXPECT_EQ(run->workload_tasks, 2);
  EXPECT_EQ(run->missed_switches, 1u);
  EXPECT_DOUBLE_EQ(run->foreign_cpu_pct, 3.0);  // cc1plus's 300 us of 10 ms
  const RunSummary s = summarize(*run->metrics);
  ASSERT_EQ(s.groups.size(), 2u);
  const EntitySummary& hog = s.groups[0];
  const EntitySummary& periodic = s.groups[1];
  EXPECT_EQ(hog.name, "hog");
  EXPECT_EQ(hog.cpu_time, 9950 * kNsPerUs);
  EXPECT_EQ(hog.wakeups, 0u);
  EXPECT_EQ(hog.run_delay.n, 1u);  // wakeup_new 40 us -> 50 us
  EXPECT_EQ(*hog.run_delay.max, 10e3);
  EXPECT_EQ(periodic.name, "periodic");
  EXPECT_EQ(periodic.cpu_time, (1000 + 490 + 500 + 799) * kNsPerUs);
  EXPECT_EQ(periodic.nvcsw, 2u);
  EXPECT_EQ(periodic.nivcsw, 1u);
  EXPECT_EQ(periodic.wakeups, 2u);
  EXPECT_EQ(periodic.wakeup_latency.n, 2u);  // 10 us and 201 us
  EXPECT_EQ(*periodic.wakeup_latency.p50, 10e3);
  EXPECT_EQ(*periodic.wakeup_latency.p99, 201e3);
  EXPECT_EQ(periodic.run_delay.n, 4u);  // 10, 8, 300, 200 us
  EXPECT_EQ(*periodic.run_delay.p50, 10e3);
  EXPECT_EQ(*periodic.run_delay.p99, 300e3);
}

TEST(RealTrace, FiguresOfTheReplay) {
  const Topology topo = two_cpus();
  auto run = replay_host_trace(parse_ftrace_text(read_data("small.trace")), 500, 10 * kNsPerMs, topo);
  ASSERT_TRUE(run.ok());
  const RunFigures f = run_figures(*run->metrics);
  ASSERT_EQ(f.groups.size(), 2u);
  const GroupFigures& p = f.groups[1];
  EXPECT_EQ(p.group, "periodic");
  EXPECT_EQ(p.tasks, 1u);
  EXPECT_EQ(p.wakeups, 2u);
  auto value = [&](const char* key) {
    for (size_t i = 0; i < validation_metrics().size(); ++i)
      if (std::string(validation_metrics()[i].key) == key) return p.values[i];
    return std::optional<double>();
  };
  EXPECT_NEAR(*value("cpu_share_pct"), 100.0 * 2789 / (2789 + 9950), 1e-9);
  EXPECT_NEAR(*value("vcsw_per_s"), 200.0, 1e-9);   // 2 in 10 ms
  EXPECT_NEAR(*value("ivcsw_per_s"), 100.0, 1e-9);
  EXPECT_EQ(*value("wakeup_p50_us"), 10.0);
  EXPECT_EQ(*value("wakeup_p99_us"), 201.0);
  EXPECT_EQ(*value("wakeup_le_200us"), 0.5);
  EXPECT_EQ(*value("wakeup_le_4ms"), 1.0);
  EXPECT_EQ(*value("run_delay_p50_us"), 10.0);
  EXPECT_EQ(*value("run_delay_p99_us"), 300.0);
  EXPECT_FALSE(f.groups[0].values[4].has_value());  // the hog was never woken: not measured
}

// Wake-ups of a task still on its CPU: woken while switching out (the waking comes first), and
// woken while runnable (ttwu_runnable: it never sleeps).
TEST(RealTrace, WakeupsOfACurrentTask) {
  const std::string trace =
      "  rt-app-10 [000] ..... 1.000000: sched_process_fork: comm=rt-app pid=10 child_comm=rt-app child_pid=11\n"
      "  rt-app-10 [000] d..2. 1.000001: sched_switch: prev_comm=rt-app prev_pid=10 prev_prio=120 prev_state=S ==> next_comm=w next_pid=11 next_prio=120\n"
      // w is woken on CPU 1 while it is still switching out on CPU 0.
      "  <idle>-0  [001] d.h2. 1.000100: sched_waking: comm=w pid=11 prio=120 target_cpu=000\n"
      "  w-11      [000] d..2. 1.000101: sched_switch: prev_comm=w prev_pid=11 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120\n"
      "  <idle>-0  [001] d.h3. 1.000103: sched_wakeup: comm=w pid=11 prio=120 target_cpu=000\n"
      "  <idle>-0  [000] d..2. 1.000110: sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=w next_pid=11 next_prio=120\n"
      // Woken while runnable: no wait, no latency sample.
      "  <idle>-0  [001] d.h2. 1.000200: sched_waking: comm=w pid=11 prio=120 target_cpu=000\n"
      "  <idle>-0  [001] d.h3. 1.000201: sched_wakeup: comm=w pid=11 prio=120 target_cpu=000\n"
      "  w-11      [000] d..2. 1.000300: sched_switch: prev_comm=w prev_pid=11 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120\n";
  const Topology topo = two_cpus();
  auto run = replay_host_trace(parse_ftrace_text(trace), 10, kNsPerMs, topo);
  ASSERT_TRUE(run.ok()) << run.status().message();
  const RunSummary s = summarize(*run->metrics);
  ASSERT_EQ(s.groups.size(), 1u);
  EXPECT_EQ(s.groups[0].wakeups, 1u);
  EXPECT_EQ(s.groups[0].wakeup_latency.n, 1u);
  EXPECT_EQ(*s.groups[0].wakeup_latency.max, 10e3);  // 1.000100 -> 1.000110
  EXPECT_EQ(s.groups[0].cpu_time, (100 + 190) * kNsPerUs);
  EXPECT_EQ(run->missed_switches, 0u);
}

TEST(RealTrace, Errors) {
  const Topology topo = two_cpus();
  const FtraceText t = parse_ftrace_text(read_data("small.trace"));
  auto none = replay_host_trace(t, 999, 0, topo);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(), "trace: no thread forked by rt-app (pid 999) was recorded");
  const Topology one = parse_topology_spec("1").value();
  auto cpus = replay_host_trace(t, 500, 0, one);
  ASSERT_FALSE(cpus.ok());
  EXPECT_EQ(cpus.status().message(), "trace: CPU 1 is not in the topology (1 CPUs)");
  EXPECT_FALSE(replay_host_trace(FtraceText{}, 500, 0, topo).ok());
}

TEST(RealTrace, FiguresRoundTripThroughJson) {
  const Topology topo = two_cpus();
  auto run = replay_host_trace(parse_ftrace_text(read_data("small.trace")), 500, 10 * kNsPerMs, topo);
  ASSERT_TRUE(run.ok());
  RunFigures f = run_figures(*run->metrics);
  f.foreign_cpu_pct = run->foreign_cpu_pct;
  auto back = run_figures_from_json(run_figures_json(f));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(run_figures_json(*back), run_figures_json(f));
  EXPECT_FALSE(run_figures_from_json(nlohmann::json::parse(R"({"groups": {}})")).ok());
}

}  // namespace
}  // namespace scx
