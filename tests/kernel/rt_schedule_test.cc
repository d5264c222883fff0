// Exact schedules of tiny SCHED_FIFO / SCHED_RR scenarios, worked out by hand with all costs
// set to zero.
#include "harness.h"

namespace scx::testing {
namespace {

TEST(RtSchedule, FifoHigherPriorityPreempts) {
  Sim s("1");
  WorkloadBuilder wb("fifo");
  wb.task("low").fifo(10).program().run(ms(10));
  wb.task("high").fifo(20).delay(ms(3)).program().run(ms(2));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(100)).ok());
  // Both are forked at 0; high (higher priority) runs first and goes straight to sleep for its
  // 3 ms start delay; low runs 0-3; high wakes at 3 and preempts, runs 3-5; low finishes its
  // 10 ms at 12.
  EXPECT_EQ(s.rec.lines, (std::vector<std::string>{
                             "0:0:idle0->high", "0:0:high->low", "3000:0:low->high",
                             "5000:0:exit:high", "5000:0:high->low", "12000:0:exit:low",
                             "12000:0:low->idle0"}));
  EXPECT_EQ(s.task("low").cpu_time, ms(10));
  EXPECT_EQ(s.task("low").nivcsw, 1u);
  EXPECT_EQ(s.task("low").wait_time, ms(2));
  EXPECT_EQ(s.task("high").cpu_time, ms(2));
}

TEST(RtSchedule, RoundRobinRotatesEvery100ms) {
  Sim s("1");
  WorkloadBuilder wb("rr");
  wb.task("a").rr(10).program().run(ms(250));
  wb.task("b").rr(10).program().run(ms(250));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(1000)).ok());
  // HZ=250: 25 ticks = 100 ms slices. a 0-100, b 100-200, a 200-300, b 300-400, a 400-450 done,
  // b 450-500 done.
  EXPECT_EQ(s.rec.filter("->"), (std::vector<std::string>{
                                    "0:0:idle0->a", "100000:0:a->b", "200000:0:b->a",
                                    "300000:0:a->b", "400000:0:b->a", "450000:0:a->b",
                                    "500000:0:b->idle0"}));
}

TEST(RtSchedule, FifoDoesNotRotate) {
  Sim s("1");
  WorkloadBuilder wb("fifo2");
  wb.task("a").fifo(10).program().run(ms(250));
  wb.task("b").fifo(10).program().run(ms(250));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(1000)).ok());
  EXPECT_EQ(s.rec.filter("->"), (std::vector<std::string>{"0:0:idle0->a", "250000:0:a->b",
                                                         "500000:0:b->idle0"}));
}

TEST(RtSchedule, PushMovesTheLowerTaskToAFreeCpu) {
  Sim s("2");
  WorkloadBuilder wb("push");
  wb.task("hi").fifo(50).cpus(CpuMask::single(0)).program().run(ms(10));
  wb.task("lo").fifo(10).program().run(ms(10));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(100)).ok());
  // Both start on CPU 0 (the launcher's). When hi is switched in, lo is pushed to CPU 1, the
  // lowest-priority CPU, and both finish at 10 ms.
  EXPECT_EQ(s.rec.lines, (std::vector<std::string>{
                             "0:0:idle0->hi", "0:migrate:lo:0->1", "0:1:idle1->lo",
                             "10000:0:exit:hi", "10000:0:hi->idle0", "10000:1:exit:lo",
                             "10000:1:lo->idle1"}));
  EXPECT_EQ(s.kernel->stats().rt_pushes, 1u);
}

TEST(RtSchedule, PullWhenAnRtTaskSleeps) {
  Sim s("2");
  WorkloadBuilder wb("pull");
  // a and b share CPU 0 by affinity at first; c keeps CPU 1 busy until 4 ms.
  wb.task("c").fifo(60).cpus(CpuMask::single(1)).program().run(ms(4));
  wb.task("a").fifo(50).cpus(CpuMask::single(0)).program().run(ms(2)).sleep(ms(10)).run(ms(1));
  wb.task("b").fifo(40).program().run(ms(20));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(100)).ok());
  // b cannot be pushed at first (CPU 1 runs c, higher than b). At 2 ms a sleeps; b runs on
  // CPU 0. At 4 ms c exits; CPU 1 goes idle (b is running, not pushable). At 12 ms a wakes
  // on CPU 0, preempts b; b becomes pushable and is pushed to idle CPU 1.
  auto b_lines = s.rec.filter("b");
  EXPECT_EQ(b_lines, (std::vector<std::string>{"2000:0:a->b", "12000:0:b->a",
                                               "12000:migrate:b:0->1", "12000:1:idle1->b",
                                               "22000:1:exit:b", "22000:1:b->idle1"}));
}

}  // namespace
}  // namespace scx::testing
