#include <sstream>

#include "wl_harness.h"
#include "workload/latency_histogram.h"

namespace scx::testing {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

int count_ops(const Workload& w, size_t task, OpKind k) {
  int n = 0;
  for (const Op& op : w.programs[w.tasks[task].program].ops) n += op.kind == k;
  return n;
}

TEST(Schbench, Structure) {
  Workload w = make("schbench:message_threads=2,worker_threads=3,runtime=5s");
  EXPECT_EQ(w.report_kind, "schbench");
  EXPECT_FALSE(w.run_until_done);
  EXPECT_EQ(w.duration, 5 * kNsPerSec);
  // main, then per message thread its template and its 3 worker templates.
  ASSERT_EQ(w.tasks.size(), 1u + 2 * 4);
  EXPECT_EQ(w.tasks[0].name, "schbench");
  EXPECT_EQ(w.tasks[0].instances, 1);
  EXPECT_EQ(w.tasks[1].name, "schbench-msg0");
  EXPECT_EQ(w.tasks[2].name, "schbench-w0.0");
  EXPECT_EQ(w.tasks[5].name, "schbench-msg1");
  for (size_t i = 1; i < w.tasks.size(); ++i) EXPECT_EQ(w.tasks[i].instances, 0);
  for (const Program& p : w.programs)
    for (const Op& op : p.ops)
      if (op.kind == OpKind::Fork) {
        EXPECT_EQ(op.b, kForkThread);
      }
  EXPECT_EQ(count_ops(w, 0, OpKind::Fork), 2);
  EXPECT_EQ(count_ops(w, 1, OpKind::Fork), 3);
  EXPECT_EQ(count_ops(w, 1, OpKind::CondBroadcast), 1);
  EXPECT_EQ(count_ops(w, 1, OpKind::Lock), 3);
  // Default worker count: one per CPU per message thread, rounded up.
  EXPECT_EQ(make("schbench:message_threads=2", 5).tasks.size(), 1u + 2 * (1 + 3));
  EXPECT_EQ(make("schbench", 4).tasks.size(), 1u + 1 + 4);
}

TEST(Schbench, RpsModeUnrollsTheRoundRobin) {
  // 10 requests/s over 4 workers: second 0 posts w0..w3 twice then w0, w1; second 1 starts at
  // w2; the pattern repeats every 4 / gcd(10, 4) = 2 seconds.
  Workload w = make("schbench:worker_threads=4,rps=10");
  EXPECT_EQ(count_ops(w, 1, OpKind::SemPost), 2 * (4 + 2));
  EXPECT_EQ(count_ops(w, 1, OpKind::TimerWait), 2);
  EXPECT_EQ(count_ops(w, 2, OpKind::SemWait), 1);
}

// Default cost model, 2 CPUs, 3 s: the layout is schbench's, every request and every wakeup
// is one sample, and RPS has one sample per second.
TEST(Schbench, LayoutAndSampleCounts) {
  WlRun r("2", make("schbench:worker_threads=2,runtime=3s,cputime=2ms", 2), CostModel{});
  ASSERT_TRUE(r.run(3 * kNsPerSec).ok());
  const std::string text = r.figures->text();
  auto l = lines(text);
  ASSERT_EQ(l.size(), 18u) << text;
  const int64_t requests = r.counter("requests");
  const int64_t wakeups = r.counter("worker_wakeups");
  EXPECT_GT(requests, 2000);  // two workers, ~2.1 ms per request, 3 s
  // One sample per wakeup: with the default costs every one is at least a context switch.
  EXPECT_EQ(l[0], fmt::format("Wakeup Latencies percentiles (usec) runtime 3 (s) ({} total samples)", wakeups));
  EXPECT_EQ(l[1].substr(0, 11), "\t  50.0th: ");
  EXPECT_EQ(l[2].substr(0, 11), "\t  90.0th: ");
  EXPECT_EQ(l[3].substr(0, 11), "\t* 99.0th: ");
  EXPECT_EQ(l[4].substr(0, 11), "\t  99.9th: ");
  EXPECT_EQ(l[5].substr(0, 7), "\t  min=");
  EXPECT_EQ(l[6], fmt::format("Request Latencies percentiles (usec) runtime 3 (s) ({} total samples)", requests));
  EXPECT_EQ(l[12], "RPS percentiles (requests) runtime 3 (s) (3 total samples)");
  EXPECT_EQ(l[13].substr(0, 11), "\t  20.0th: ");
  EXPECT_EQ(l[14].substr(0, 11), "\t* 50.0th: ");
  EXPECT_EQ(l[15].substr(0, 11), "\t  90.0th: ");
  EXPECT_EQ(l[16].substr(0, 7), "\t  min=");
  EXPECT_EQ(l[17], fmt::format("average rps: {:.2f}", static_cast<double>(requests) / 3));
  ASSERT_TRUE(r.figure("request_p50"));
  EXPECT_GE(*r.figure("request_p50"), 2100);  // 100 us sleep + 2 ms of work, at least
  ASSERT_TRUE(r.figure("wakeup_max"));
  EXPECT_GT(*r.figure("wakeup_max"), 0);
}

// Hand-worked: 1 CPU, zero-cost model, one worker, no sleep, 1 ms of work per request. The
// worker/message-thread hand-off takes no time and the worker's return to user space 1 ns, so
// cycle i runs from i x 1000001 ns: 1999 requests end by 2 s, every request latency is 1000 us
// (reported as its histogram bucket's value, 1001), and seconds 1 and 2 complete 999 and 1000
// requests. A wakeup latency is 1 ns, which is 0 us (dropped, as schbench does) except when the
// wake-up and the mark straddle a microsecond boundary: cycles 999 and 1999, 1 us each.
TEST(Schbench, HandWorkedFigures) {
  WlRun r("1", make("schbench:worker_threads=1,runtime=2s,cputime=1ms,sleep=0us", 1));
  ASSERT_TRUE(r.run(2 * kNsPerSec).ok());
  EXPECT_EQ(r.counter("requests"), 1999);
  EXPECT_EQ(r.figures->text(),
            "Wakeup Latencies percentiles (usec) runtime 2 (s) (2 total samples)\n"
            "\t  50.0th: 1          (0 samples)\n"
            "\t  90.0th: 1          (0 samples)\n"
            "\t* 99.0th: 1          (0 samples)\n"
            "\t  99.9th: 1          (0 samples)\n"
            "\t  min=1, max=1\n"
            "Request Latencies percentiles (usec) runtime 2 (s) (1999 total samples)\n"
            "\t  50.0th: 1001       (0 samples)\n"
            "\t  90.0th: 1001       (0 samples)\n"
            "\t* 99.0th: 1001       (0 samples)\n"
            "\t  99.9th: 1001       (0 samples)\n"
            "\t  min=1000, max=1000\n"
            "RPS percentiles (requests) runtime 2 (s) (2 total samples)\n"
            "\t  20.0th: 999        (1 samples)\n"
            "\t* 50.0th: 999        (0 samples)\n"
            "\t  90.0th: 1001       (1 samples)\n"
            "\t  min=999, max=1000\n"
            "average rps: 999.50\n");
  EXPECT_EQ(r.figure("wakeup_p99"), 1.0);
  EXPECT_EQ(r.figure("request_p99"), 1001.0);
  EXPECT_EQ(r.figure("rps_p50"), 999.0);
  EXPECT_EQ(r.figure("average_rps"), 999.5);
}

TEST(Schbench, RpsModeServesTheRequestedRate) {
  WlRun r("2", make("schbench:worker_threads=2,runtime=3s,cputime=1ms,rps=100", 2));
  ASSERT_TRUE(r.run(3 * kNsPerSec).ok());
  // Bursts of 100 posts at 0, 1 and 2 s (the one at 3 s has not been served yet).
  EXPECT_EQ(r.counter("requests"), 300);
  const std::string text = r.figures->text();
  EXPECT_NE(text.find("RPS percentiles (requests) runtime 3 (s) (3 total samples)\n"
                      "\t  20.0th: 100        (3 samples)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("average rps: 100.00\n"), std::string::npos);
}

TEST(Schbench, PipeModeLayout) {
  WlRun r("2", make("schbench:worker_threads=2,runtime=1s,pipe=4096", 2), CostModel{});
  ASSERT_TRUE(r.run(kNsPerSec).ok());
  auto l = lines(r.figures->text());
  ASSERT_EQ(l.size(), 8u);
  EXPECT_EQ(l[0].substr(0, 50), "Wakeup Latencies percentiles (usec) runtime 1 (s) ");
  EXPECT_EQ(l[1].substr(0, 11), "\t  20.0th: ");
  EXPECT_EQ(l[7].substr(0, 21), "avg worker transfer: ");
}

TEST(Schbench, OptionErrors) {
  EXPECT_EQ(make_error("schbench:rps=1,message_threads=2"),
            "--workload schbench: rps=1 is less than message_threads=2");
  EXPECT_EQ(make_error("schbench:rps=10,pipe=10"), "--workload schbench: rps and pipe cannot be combined");
  EXPECT_EQ(make_error("schbench:worker_threads=500"),
            "--workload schbench: worker_threads=500 must be an integer in 1..200");
  EXPECT_EQ(make_error("schbench:runtime=10ms"),
            "--workload schbench: runtime=10ms must be between 1s and 3600s");
  EXPECT_EQ(make_error("schbench:runtime=40s,warmuptime=50s"),
            "--workload schbench: warmuptime must be shorter than runtime");
}

TEST(LatencyHistogram, Buckets) {
  EXPECT_EQ(LatencyHistogram::val_to_idx(0), 0u);
  EXPECT_EQ(LatencyHistogram::val_to_idx(511), 511u);
  EXPECT_EQ(LatencyHistogram::val_to_idx(512), 512u);
  EXPECT_EQ(LatencyHistogram::val_to_idx(1000), 756u);
  EXPECT_EQ(LatencyHistogram::idx_to_val(756), 1001u);
  EXPECT_EQ(LatencyHistogram::idx_to_val(511), 511u);
  EXPECT_EQ(LatencyHistogram::idx_to_val(LatencyHistogram::val_to_idx(17000)), 16992u);
  LatencyHistogram h;
  for (unsigned v = 1; v <= 100; ++v) h.add(v);
  auto p = h.percentiles();
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[0].value, 20u);
  EXPECT_EQ(p[0].count, 20u);
  EXPECT_EQ(p[1].value, 50u);
  EXPECT_EQ(p[1].count, 30u);
  EXPECT_EQ(p[2].value, 90u);
  EXPECT_EQ(p[3].value, 99u);
  EXPECT_EQ(p[4].value, 100u);
  EXPECT_EQ(p[4].count, 1u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 100u);
}

}  // namespace
}  // namespace scx::testing
