#include <set>

#include "wl_harness.h"
#include "workload/gen_internal.h"

namespace scx::testing {
namespace {

TEST(Hackbench, Structure) {
  Workload w = make("hackbench:groups=2,fds=3,loops=4");
  EXPECT_TRUE(w.run_until_done);
  EXPECT_EQ(w.report_kind, "hackbench");
  // main, then per group 3 receiver and 3 sender templates (created by main's Forks).
  ASSERT_EQ(w.tasks.size(), 1u + 2 * 6);
  EXPECT_EQ(w.tasks[0].name, "hackbench");
  EXPECT_EQ(w.tasks[0].instances, 1);
  for (size_t i = 1; i < w.tasks.size(); ++i) EXPECT_EQ(w.tasks[i].instances, 0) << w.tasks[i].name;
  EXPECT_EQ(w.tasks[1].name, "hb-recv-g0-0");
  EXPECT_EQ(w.tasks[4].name, "hb-send-g0-0");
  EXPECT_EQ(w.pipes.size(), 6u);  // one channel per receiver
  for (const PipeSpec& p : w.pipes) EXPECT_EQ(p.capacity_bytes, 65536);
  int forks = 0;
  for (const Op& op : w.programs[w.tasks[0].program].ops) forks += op.kind == OpKind::Fork;
  EXPECT_EQ(forks, 12);

  Workload s = make("hackbench:groups=1,fds=2,pipe=0,datasize=100");
  for (const PipeSpec& p : s.pipes) EXPECT_EQ(p.capacity_bytes, 212992);
  EXPECT_EQ(hackbench_socket_charge(100), 768);
  EXPECT_EQ(hackbench_socket_charge(1), 768);
  EXPECT_EQ(hackbench_socket_charge(200), 1024 - 320 + 256 + 320);  // 256 + 320 -> 1024 bucket
}

// One group of 20 senders and 20 receivers on 2 CPUs (default cost model): every message is
// delivered, every task exits, and the Time line is printed.
TEST(Hackbench, OneGroupDeliversEveryMessage) {
  const int64_t loops = 5;
  WlRun r("2", make("hackbench:groups=1,loops=5", 2), CostModel{});
  ASSERT_TRUE(r.run(10 * kNsPerSec).ok());
  EXPECT_EQ(r.sim.kernel->live_user_tasks(), 0);
  EXPECT_EQ(r.counter("messages"), 20 * 20 * loops);
  EXPECT_EQ(r.sim.kernel->tasks().size(), 41u);
  const std::string text = r.figures->text();
  EXPECT_EQ(text.substr(0, text.find("Time: ")),
            "Running in process mode with 1 groups using 40 file descriptors each (== 40 tasks)\n"
            "Each sender will pass 5 messages of 100 bytes\n");
  EXPECT_NE(text.find("\nTime: 0.0"), std::string::npos) << text;
  ASSERT_TRUE(r.figure("time"));
  EXPECT_GT(*r.figure("time"), 0.0);
}

TEST(Hackbench, SocketsDeliverEveryMessage) {
  WlRun r("2", make("hackbench:groups=1,fds=4,loops=50,pipe=0", 2), CostModel{});
  ASSERT_TRUE(r.run(10 * kNsPerSec).ok());
  EXPECT_EQ(r.counter("messages"), 4 * 4 * 50);
}

// Process mode: every child is its own thread group. Thread mode: all share main's tgid.
TEST(Hackbench, ProcessAndThreadModeTgids) {
  for (const std::string mode : {"process", "thread"}) {
    SCOPED_TRACE(mode);
    WlRun r("2", make("hackbench:groups=1,fds=2,loops=3,mode=" + mode, 2));
    ASSERT_TRUE(r.run(kNsPerSec).ok());
    const auto& tasks = r.sim.kernel->tasks();
    ASSERT_EQ(tasks.size(), 5u);
    const int main_pid = tasks[0]->pid;
    EXPECT_EQ(tasks[0]->comm, "hackbench");
    std::set<int> tgids;
    for (size_t i = 1; i < tasks.size(); ++i) {
      EXPECT_EQ(tasks[i]->parent_pid, main_pid);
      EXPECT_EQ(tasks[i]->tgid, mode == "thread" ? main_pid : tasks[i]->pid);
      tgids.insert(tasks[i]->tgid);
    }
    EXPECT_EQ(tgids.size(), mode == "thread" ? 1u : 4u);
    EXPECT_NE(r.figures->text().find(mode == "thread" ? "Running in threaded mode" : "Running in process mode"),
              std::string::npos);
  }
}

// Hand-worked: 1 group, 1 sender, 1 receiver, 2 loops, 1 CPU, zero-cost model. Nothing takes
// time before the release (forks, ready/wake semaphores are instantaneous); afterwards the CPU
// is never idle while work remains (the receiver only blocks when the sender can run), so the
// last child exits after all the work: 2 writes x 1 ms + 2 reads x 0.5 ms = 3 ms, and main,
// woken by that exit, takes its stop time then.
TEST(Hackbench, HandWorkedTime) {
  WlRun r("1", make("hackbench:groups=1,fds=1,loops=2,write_cost=1ms,read_cost=500us", 1));
  ASSERT_TRUE(r.run(kNsPerSec).ok());
  EXPECT_EQ(r.counter("messages"), 2);
  ASSERT_TRUE(r.figure("time"));
  EXPECT_DOUBLE_EQ(*r.figure("time"), 0.003);
  EXPECT_EQ(r.sim.kernel->now(), 3 * kNsPerMs);
  EXPECT_EQ(r.figures->text(),
            "Running in process mode with 1 groups using 2 file descriptors each (== 2 tasks)\n"
            "Each sender will pass 2 messages of 100 bytes\n"
            "Time: 0.003\n");
}

TEST(Hackbench, PerfOutputLayout) {
  WlRun r("1", make("hackbench:groups=1,fds=1,loops=2,write_cost=1ms,read_cost=500us,output=perf,mode=thread", 1));
  ASSERT_TRUE(r.run(kNsPerSec).ok());
  EXPECT_EQ(r.figures->text(),
            "# Running 'sched/messaging' benchmark:\n"
            "# 1 sender and receiver threads per group\n"
            "# 1 groups == 2 threads run\n"
            "\n"
            "     Total time: 0.003 [sec]\n");
}

TEST(Hackbench, FifoMainAndDeterminism) {
  Workload w = make("hackbench:groups=1,fds=2,loops=3,fifo=1");
  bool sets_fifo = false;
  for (const Op& op : w.programs[w.tasks[0].program].ops)
    sets_fifo |= op.kind == OpKind::SetSched && op.a == static_cast<int64_t>(Policy::Fifo) && op.b == 1;
  EXPECT_TRUE(sets_fifo);
  auto text = [] {
    WlRun r("2", make("hackbench:groups=2,fds=5,loops=10", 2), CostModel{});
    EXPECT_TRUE(r.run(10 * kNsPerSec).ok());
    return r.figures->text();
  };
  EXPECT_EQ(text(), text());
}

// The per-message system call costs come from the cost model by transport; the options win.
TEST(Hackbench, MessageCostsFromTheCostModel) {
  auto run_ops = [](const std::string& arg, const CostModel& cost) {
    auto w = resolve_workload(arg, 2, 1, cost);
    EXPECT_TRUE(w.ok()) << w.status().message();
    std::set<int64_t> runs;  // the Run amounts of the sender and the receiver
    for (const auto& prog : w->programs)
      for (const Op& op : prog.ops)
        if (op.kind == OpKind::Run) runs.insert(op.a);
    return runs;
  };
  CostModel c;
  c.pipe_write_ns = 310;
  c.pipe_read_ns = 320;
  c.socket_write_ns = 410;
  c.socket_read_ns = 420;
  EXPECT_EQ(run_ops("hackbench:groups=1,fds=2,loops=2", c), (std::set<int64_t>{310, 320}));
  EXPECT_EQ(run_ops("hackbench:groups=1,fds=2,loops=2,pipe=0", c), (std::set<int64_t>{410, 420}));
  EXPECT_EQ(run_ops("hackbench:groups=1,fds=2,loops=2,write_cost=1us,read_cost=2us", c),
            (std::set<int64_t>{1000, 2000}));
}

// One sender and one receiver on one CPU, 1000 messages of 100 bytes through a 65536-byte pipe,
// context switches only (1 us). The CPU changes hands only when one of them blocks: the reader
// blocks on the empty pipe; the writer fills the pipe (655 messages; its write to the empty
// pipe woke the reader, which does not preempt it) and blocks on the full pipe; the reader
// empties it (its first read woke the writer) and blocks; the writer writes the last 345 and
// exits; the reader reads them and exits. So 2 switches per 655 messages in between, and 11 in
// all with main's start-up and reaping.
TEST(Hackbench, SwitchesPerMessageOnOneCpu) {
  auto run = [] {
    CostModel c = zero_costs();
    c.context_switch_ns = kNsPerUs;
    auto r = std::make_unique<WlRun>("1", make("hackbench:groups=1,fds=1,loops=1000", 1), c);
    EXPECT_TRUE(r->run(10 * kNsPerSec).ok());
    return r;
  };
  auto r = run();
  EXPECT_EQ(r->counter("messages"), 1000);
  const auto to_recv = r->sim.rec.filter("hb-send-g0-0->hb-recv-g0-0");
  const auto to_send = r->sim.rec.filter("hb-recv-g0-0->hb-send-g0-0");
  EXPECT_EQ(to_recv.size(), 2u);  // the full pipe, the writer's exit
  EXPECT_EQ(to_send.size(), 3u);  // start-up, the first empty pipe, the emptied first pipeful
  EXPECT_EQ(r->sim.kernel->stats().context_switches, 11u);
  EXPECT_EQ(run()->sim.rec.lines, r->sim.rec.lines);  // deterministic
}

TEST(Hackbench, OptionErrors) {
  EXPECT_EQ(make_error("hackbench:groups=0"),
            "--workload hackbench: groups=0 must be an integer in 1..1000");
  EXPECT_EQ(make_error("hackbench:mode=fibers"),
            "--workload hackbench: mode=fibers is not one of: process, thread");
  EXPECT_EQ(make_error("hackbench:pipe=2"), "--workload hackbench: pipe=2 must be 0 or 1");
  EXPECT_EQ(make_error("hackbench:groups=1000,fds=20"),
            "--workload hackbench: groups*fds*2 = 40000 tasks; at most 20000 are supported");
  EXPECT_EQ(make_error("hackbench:loop=3").substr(0, 48), "--workload hackbench: unknown option 'loop' (opt");
  EXPECT_EQ(make_error("hackbench:write_cost=3"),  // a bare number has no unit
            "--workload hackbench: write_cost=3: '3' needs a unit (ns, us, ms, s)");
  EXPECT_EQ(make_error("hackbench:write_cost=3s"), "--workload hackbench: write_cost=3s must be between 0ns and 1s");
  EXPECT_EQ(make_error("hackbench:read_cost=fast").substr(0, 38), "--workload hackbench: read_cost=fast: ");
}

}  // namespace
}  // namespace scx::testing
