// Where the wake-up path's costs fall (cost_model.h): a wakee that preempts reaches sched_switch
// wakeup_local after its waking on the same CPU, wakeup_ipi + wakeup_local (+ idle_exit) after
// it on another CPU, and resched_syscall after a system call that preempts its own caller.
// Hand-worked schedules; times in the recorder are µs.
#include "harness.h"

namespace scx::testing {
namespace {

CostModel path_costs() {
  CostModel c = zero_costs();
  c.wakeup_local_ns = us(7);
  c.resched_syscall_ns = us(2);
  c.wakeup_ipi_ns = us(20);
  c.idle_exit_ns = us(3);
  return c;
}

TEST(WakeupPath, TimerWakeupPreemptsAfterTheLocalPath) {
  Sim s("1", path_costs());
  WorkloadBuilder wb("timer");
  wb.task("hog").fifo(1).program().run(ms(5));
  wb.task("sleeper").fifo(10).program().sleep(ms(1)).run(ms(1));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(100)).ok());
  // t=0: both forked on the idle CPU, which reschedules 7 us later and picks the FIFO 10 task;
  // it sleeps 1 ms (to 1007), is woken by its timer and switched in 7 us after its waking.
  EXPECT_EQ(s.rec.filter(":0:"), (std::vector<std::string>{
                                     "7:0:idle0->sleeper", "7:0:sleeper->hog", "1014:0:hog->sleeper",
                                     "2014:0:exit:sleeper", "2014:0:sleeper->hog", "6007:0:exit:hog",
                                     "6007:0:hog->idle0"}));
  EXPECT_EQ(s.task("sleeper").wakeup_latency, (std::vector<Ns>{us(7)}));  // the fork is no waking
}

TEST(WakeupPath, SyscallThatPreemptsItsCallerSwitchesAfterReschedSyscall) {
  Sim s("1", path_costs());
  WorkloadBuilder wb("post");
  wb.task("poster").fifo(10).program().run(ms(1)).sem_post("s").run(ms(1));
  wb.task("waiter").fifo(20).program().sem_wait("s").run(ms(1));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(100)).ok());
  // The waiter blocks at 7 us; the poster posts at 1007 and reaches __schedule on its way back
  // to user space 2 us later (before the 7 us of the interrupt path would have passed).
  EXPECT_EQ(s.rec.filter("->waiter"), (std::vector<std::string>{"7:0:idle0->waiter", "1009:0:poster->waiter"}));
  EXPECT_EQ(s.rec.filter("exit"), (std::vector<std::string>{"2009:0:exit:waiter", "3009:0:exit:poster"}));
}

TEST(WakeupPath, RemoteWakeupOfAnIdleCpuAddsIpiIdleExitAndTheLocalPath) {
  Sim s("2", path_costs());
  WorkloadBuilder wb("remote");
  wb.task("poster").fifo(10).cpus(CpuMask::single(0)).program().run(ms(1)).sem_post("s").run(ms(1));
  wb.task("waiter").fifo(10).cpus(CpuMask::single(1)).delay(us(100)).program().sem_wait("s").run(ms(1));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(100)).ok());
  // Forked onto idle CPU 1: resched IPI 20 + 7 (27); its start timer fires on CPU 1 itself at
  // 100 (107); the post at 1007 us goes through CPU 1's wake list: IPI 20 + idle exit 3, then 7
  // more to sched_switch (1037).
  EXPECT_EQ(s.rec.filter("1:idle1->waiter"),
            (std::vector<std::string>{"27:1:idle1->waiter", "107:1:idle1->waiter", "1037:1:idle1->waiter"}));
  EXPECT_EQ(s.task("waiter").wakeup_latency.back(), us(30));
}

TEST(WakeupPath, BareModelKeepsTheSwitchAtTheWaking) {
  Sim s("1");  // zero costs: no path cost at all
  WorkloadBuilder wb("timer");
  wb.task("hog").fifo(1).program().run(ms(5));
  wb.task("sleeper").fifo(10).program().sleep(ms(1)).run(ms(1));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(100)).ok());
  EXPECT_EQ(s.rec.filter("->sleeper"), (std::vector<std::string>{"0:0:idle0->sleeper", "1000:0:hog->sleeper"}));
}

}  // namespace
}  // namespace scx::testing
