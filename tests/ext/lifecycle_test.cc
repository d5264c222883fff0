// Callback sequences of the task lifecycle (spec §5.5 A–N), asserted exactly on tiny scenarios
// with the zero-cost model.
#include "ext_harness.h"

namespace scx::testing {
namespace {

using V = std::vector<std::string>;

TEST(ExtLifecycle, ForkRunSleepWakeExit) {
  ExtSim s("1");
  auto& pol = s.attach(std::make_unique<RecordingPolicy>(all_task_ops()));
  WorkloadBuilder wb("w");
  wb.task("a").program().run(ms(1)).sleep(ms(1)).run(ms(1));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(10)).ok());
  EXPECT_EQ(pol.since(0, "a"), (V{
      "0:init_task(a,fork=true)", "0:enable(a)", "0:set_weight(a,100)",          // (B) fork
      "0:runnable(a,0x88)", "0:enqueue(a,0x88)", "0:running(a)",                   // (B)(C)
      "1000:stopping(a,false)", "1000:quiescent(a,0x9)", "1000:dispatch(0,a)",     // (I) sleep
      "2000:runnable(a,0x9)", "2000:enqueue(a,0x9)", "2000:running(a)",            // (A) wakeup
      "3000:stopping(a,false)", "3000:quiescent(a,0x9)", "3000:dispatch(0,a)",     // (N) exit
      "3000:disable(a)", "3000:exit_task(a)"}));
  // The load sequence itself: ops.init, then init_task(fork=false) for existing tasks.
  EXPECT_EQ(pol.log[0], "0:init");
  EXPECT_EQ(pol.log[1], "0:init_task(migration/0,fork=false)");
  EXPECT_FALSE(s.ext->exit_info().has_value());
}

TEST(ExtLifecycle, DispatchSeesPrevBeforeItsStoppingAndEnqueue) {
  ExtSim s("1");
  auto& pol = s.attach(std::make_unique<RecordingPolicy>(all_task_ops()));
  WorkloadBuilder wb("w");
  wb.task("a").program().run(ms(50));
  wb.task("b").program().run(ms(50));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(21)).ok());
  // (D) the 20 ms slice is seen expired at the 20 ms tick; dispatch(cpu, prev) runs first.
  EXPECT_EQ(pol.since(20000), (V{"20000:dispatch(0,a)", "20000:stopping(a,true)", "20000:enqueue(a,0x0)",
                                 "20000:running(b)"}));
}

TEST(ExtLifecycle, LoneTaskKeepsRunningWithAFreshSlice) {
  ExtSim s("1");
  auto& pol = s.attach(std::make_unique<RecordingPolicy>(all_task_ops()));
  WorkloadBuilder wb("w");
  wb.task("a").program().run(ms(50));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(45)).ok());
  // (E) nothing else to run: only ops.dispatch is observed, no stopping/enqueue/running.
  EXPECT_EQ(pol.since(1), (V{"20000:dispatch(0,a)", "40000:dispatch(0,a)"}));
}

TEST(ExtLifecycle, EnqLastHandsTheLastTaskBack) {
  ExtSim s("1");
  auto pol_ptr = std::make_unique<RecordingPolicy>(all_task_ops(), SCX_OPS_ENQ_LAST);
  pol_ptr->on_enqueue = [p = pol_ptr.get()](task_struct* t, u64 f) {
    p->kf().dsq_insert(t, (f & SCX_ENQ_LAST) ? static_cast<u64>(SCX_DSQ_LOCAL) : RecordingPolicy::kDsq, SCX_SLICE_DFL, f);
  };
  auto& pol = s.attach(std::move(pol_ptr));
  WorkloadBuilder wb("w");
  wb.task("a").program().run(ms(30));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(25)).ok());
  // (F) prev is not kept: it stops and is enqueued with SCX_ENQ_LAST, then picked again.
  EXPECT_EQ(pol.since(20000), (V{"20000:dispatch(0,a)", "20000:stopping(a,true)",
                                 "20000:enqueue(a,0x20000000000)", "20000:running(a)"}));
}

TEST(ExtLifecycle, HigherClassPreemptionParksAtLocalHeadAndReleasesTheCpu) {
  ExtSim s("1");
  auto ops = all_task_ops();
  ops.push_back(ScxOp::CpuRelease);
  ops.push_back(ScxOp::CpuAcquire);
  auto& pol = s.attach(std::make_unique<RecordingPolicy>(ops));
  WorkloadBuilder wb("w");
  wb.task("a").program().run(ms(10));
  wb.task("r").fifo(10).delay(ms(5)).program().run(ms(2));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(20)).ok());
  // (H) a keeps its slice, goes back to the local head without ops.enqueue; cpu_release with
  // reason RT (0); cpu_acquire at the next ext balance; then a runs on.
  auto lines = pol.since(4000);
  EXPECT_EQ(lines, (V{"5000:stopping(a,true)", "5000:cpu_release(0,0,r)", "7000:cpu_acquire(0)",
                      "7000:running(a)", "7000:exit_task(r)", "12000:stopping(a,false)", "12000:quiescent(a,0x9)",
                      "12000:dispatch(0,a)", "12000:disable(a)", "12000:exit_task(a)"}));
}

TEST(ExtLifecycle, YieldWithoutOpsYieldZeroesTheSlice) {
  ExtSim s("1");
  auto& pol = s.attach(std::make_unique<RecordingPolicy>(all_task_ops()));
  WorkloadBuilder wb("w");
  wb.task("a").program().run(ms(1)).yield().run(ms(1));
  wb.task("b").program().run(ms(5));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(3)).ok());
  // (J) no ops.yield: the core sets the slice to 0, so balance does not keep a.
  EXPECT_EQ(pol.since(1000), (V{"1000:dispatch(0,a)", "1000:stopping(a,true)", "1000:enqueue(a,0x0)",
                                "1000:running(b)"}));
}

TEST(ExtLifecycle, LocalOnMigrationIsInvisibleToBpf) {
  ExtSim s("2");
  auto pol_ptr = std::make_unique<RecordingPolicy>(all_task_ops());
  pol_ptr->on_select_cpu = [](task_struct*, s32, u64) { return 0; };
  pol_ptr->on_enqueue = [p = pol_ptr.get()](task_struct* t, u64 f) {
    p->kf().dsq_insert(t, SCX_DSQ_LOCAL_ON | 1, SCX_SLICE_DFL, f);
  };
  auto& pol = s.attach(std::move(pol_ptr));
  WorkloadBuilder wb("w");
  wb.task("a").program().run(ms(1));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(5)).ok());
  // (K) enqueued on CPU 0's rq, dispatched to CPU 1's local DSQ: the migration produces no
  // runnable/quiescent/enqueue callbacks; a runs on CPU 1.
  EXPECT_EQ(pol.since(0, "a"), (V{"0:init_task(a,fork=true)", "0:enable(a)", "0:set_weight(a,100)",
                                  "0:select_cpu(a,0,0x4)", "0:runnable(a,0x88)", "0:enqueue(a,0x88)",
                                  "0:running(a)", "1000:stopping(a,false)", "1000:quiescent(a,0x9)",
                                  "1000:dispatch(1,a)", "1000:disable(a)", "1000:exit_task(a)"}));
  EXPECT_EQ(s.rec.filter("migrate"), (V{"0:migrate:a:0->1"}));
  EXPECT_EQ(s.rec.filter("exit:a"), (V{"1000:1:exit:a"}));
}

TEST(ExtLifecycle, DirectDispatchFromSelectCpuSkipsEnqueue) {
  ExtSim s("2");
  auto pol_ptr = std::make_unique<RecordingPolicy>(all_task_ops());
  pol_ptr->on_select_cpu = [p = pol_ptr.get()](task_struct* t, s32, u64) {
    p->kf().dsq_insert(t, SCX_DSQ_LOCAL, SCX_SLICE_DFL, 0);
    return 1;
  };
  auto& pol = s.attach(std::move(pol_ptr));
  WorkloadBuilder wb("w");
  wb.task("a").program().run(ms(1));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(5)).ok());
  // (A) a verdict in select_cpu is applied at enqueue time; ops.enqueue is skipped. SCX_DSQ_LOCAL
  // means the rq the task lands on (CPU 1).
  auto lines = pol.since(0, "a");
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(), [](const std::string& l) { return l.find("enqueue") != std::string::npos; }), 0);
  EXPECT_EQ(s.rec.filter("exit:a"), (V{"1000:1:exit:a"}));
}

TEST(ExtLifecycle, KicksTakeEffectAfterTheCallback) {
  ExtSim s("2");
  auto pol_ptr = std::make_unique<RecordingPolicy>(all_task_ops());
  std::vector<u64> slice_seen;
  RecordingPolicy* raw = pol_ptr.get();
  pol_ptr->on_enqueue = [raw, &slice_seen, &s](task_struct* t, u64 f) {
    raw->kf().dsq_insert(t, RecordingPolicy::kDsq, SCX_SLICE_DFL, f);
    if (std::string(t->comm) == "late") {
      Task* victim = s.kernel->rq(1).curr;
      raw->kf().kick_cpu(1, SCX_KICK_PREEMPT);
      slice_seen.push_back(victim->kt.scx.slice);  // still untouched inside the callback
    }
  };
  s.attach(std::move(pol_ptr));
  WorkloadBuilder wb("w");
  wb.task("h0").cpus(CpuMask::single(0)).program().run(ms(30));
  wb.task("h1").cpus(CpuMask::single(1)).program().run(ms(30));
  wb.task("late").cpus(CpuMask::single(1)).delay(ms(2)).program().run(ms(1));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(10)).ok());
  ASSERT_EQ(slice_seen.size(), 2u);  // its first enqueue (fork) and the wakeup after the delay
  EXPECT_GT(slice_seen[1], 0u);
  // After the callback the kick zeroed h1's slice and CPU 1 rescheduled: late ran at 2 ms.
  EXPECT_EQ(s.rec.filter("->late"), (V{"0:1:h1->late", "2000:1:h1->late"}));
}

}  // namespace
}  // namespace scx::testing
