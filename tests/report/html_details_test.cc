// The HTML report's run details: the per-CPU timeline (recorded from sched_switch, embedded as
// JSON), the latency CDF with zero latencies, the per-task table of `run --html`.
#include <gtest/gtest.h>

#include "cli/runner.h"
#include "metrics/summary.h"
#include "report/html.h"
#include "report/html_data.h"

namespace scx {
namespace {

TraceEvent sw(Ns t, int cpu, int prev, int next) {
  TraceEvent e;
  e.time = t;
  e.type = TraceType::SchedSwitch;
  e.cpu = cpu;
  e.pid = prev;
  e.pid2 = next;
  return e;
}

TraceEvent task_new(int pid, const char* comm) {
  TraceEvent e;
  e.type = TraceType::TaskNew;
  e.pid = pid;
  e.comm = comm;
  return e;
}

// Slices run from one switch to the next; idle (pid 0) is not a slice. Full (2 slices), the
// timeline stops at the next switch with what each CPU ran until then.
TEST(Timeline, SlicesFromSwitchesAndTheCap) {
  TimelineRecorder rec(2, 2);
  rec.on_event(task_new(7, "a"));
  rec.on_event(task_new(8, "b"));
  rec.on_event(sw(0, 0, 0, 7));
  rec.on_event(sw(5, 1, 0, 8));
  rec.on_event(sw(10, 0, 7, 0));   // slice a [0,10) on CPU 0
  rec.on_event(sw(20, 0, 0, 7));
  rec.on_event(sw(25, 1, 8, 7));   // slice b [5,25) on CPU 1: full
  rec.on_event(sw(30, 0, 7, 8));   // stop: a [20,30) on CPU 0, a [25,30) on CPU 1
  rec.on_event(sw(40, 0, 8, 7));   // ignored
  rec.on_finish(50);
  const Timeline& t = rec.timeline();
  EXPECT_TRUE(t.truncated);
  EXPECT_EQ(t.end, 30);
  EXPECT_EQ(t.tasks, (std::vector<std::string>{"a/7", "b/8"}));
  ASSERT_EQ(t.slices.size(), 4u);
  auto is = [](const TimelineSlice& s, int cpu, Ns a, Ns b, int task) {
    return s.cpu == cpu && s.start == a && s.end == b && s.task == task;
  };
  EXPECT_TRUE(is(t.slices[0], 0, 0, 10, 0));
  EXPECT_TRUE(is(t.slices[1], 1, 5, 25, 1));
  EXPECT_TRUE(is(t.slices[2], 0, 20, 30, 0));
  EXPECT_TRUE(is(t.slices[3], 1, 25, 30, 0));
}

// Two nice-0 hogs on one CPU under the fifo policy (20 ms slices, ticks every 4 ms with hz=250,
// no noise or costs): hog1 runs first (the trace of this run shows it), its slice ends at the
// 20 ms tick, then hog0 until 40 ms, then hog1 to the end at 50 ms. The page carries exactly
// these slices, and the per-task table has both hogs with 30 and 20 ms of CPU.
TEST(HtmlDetails, RunPageHasTheExactTimelineAndTaskTable) {
  RunOptions o;
  o.topology = "1";
  o.workload = "hogs:count=2,nices=0";
  o.duration = 50 * kNsPerMs;
  o.sched = "fifo";
  o.cost_profile = "none";
  o.costs = {"hz=250"};
  o.noise = {"off"};
  o.timeline = true;
  auto out = run_simulation(o);
  ASSERT_TRUE(out.ok()) << out.status().message();
  const RunSummary summary = summarize(*out->metrics);
  RunDigest d = make_digest("fifo", out->report, summary);
  d.html = make_html_data(out->timeline, summary, {});
  const std::string html = format_html_report(build_compare({"fifo"}, {"--sched=fifo"}, {1}, "w", {{d}}), "t");
  EXPECT_NE(html.find("{\"cpus\":1,\"end\":50000000,\"truncated\":false,\"tasks\":[\"hog1-n0/1001\",\"hog0-n0/1000\"],"
                      "\"s\":[0,0,20000000,0,0,20000000,40000000,1,0,40000000,50000000,0]}"),
            std::string::npos);
  EXPECT_NE(html.find("<canvas class=\"timeline\" id=\"timeline-0\""), std::string::npos);
  EXPECT_NE(html.find("<tr><td>hog0-n0</td><td class=\"num\">1000</td><td>normal</td><td class=\"num\">120</td>"
                      "<td class=\"num\">20.00</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<tr><td>hog1-n0</td><td class=\"num\">1001</td><td>normal</td><td class=\"num\">120</td>"
                      "<td class=\"num\">30.00</td>"),
            std::string::npos);
  // Same input, same page.
  auto again = run_simulation(o);
  ASSERT_TRUE(again.ok());
  RunDigest d2 = make_digest("fifo", again->report, summarize(*again->metrics));
  d2.html = make_html_data(again->timeline, summarize(*again->metrics), {});
  EXPECT_EQ(format_html_report(build_compare({"fifo"}, {"--sched=fifo"}, {1}, "w", {{d2}}), "t"), html);
}

// 30 % of wake-ups at 0 us, the rest 10..1000 us: the log axis gets a "0" column left of its
// first decade, where the CDF rises to 30 %; the axis runs 10 .. 1000 us.
TEST(HtmlDetails, CdfPutsZeroLatenciesInTheirOwnColumn) {
  RunDigest d;
  d.variant = "v";
  d.duration = kNsPerMs;
  for (int q = 0; q <= 1000; ++q) d.latency_quantiles.push_back(q < 300 ? 0.0 : 10.0 + (q - 300) * (990.0 / 700));
  const std::string html = format_html_report(build_compare({"v"}, {"x"}, {1}, "w", {{d}}), "t");
  // The zero column is centred 20 units right of the plot's left edge (x = 70): x = 90.
  EXPECT_NE(html.find(">0</text>"), std::string::npos);
  EXPECT_NE(html.find("class=\"axis-break\""), std::string::npos);
  // CDF point 299 (the last zero) is at (90, y of 299/1000); point 300 at the 10 us decade (x = 110).
  const double y299 = 20 + (1.0 - 0.299) * (300 - 20 - 44);
  EXPECT_NE(html.find(fmt::format("90.00,{:.2f} 110.00,", y299)), std::string::npos) << y299;
  for (const char* label : {">10</text>", ">100</text>", ">1000</text>"}) EXPECT_NE(html.find(label), std::string::npos);
  EXPECT_EQ(html.find(">1</text>"), std::string::npos);  // no decade below the smallest non-zero value
}

}  // namespace
}  // namespace scx
