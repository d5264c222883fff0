// Bad workloads produce one-line errors, never crashes or hangs.
#include "harness.h"

namespace scx::testing {
namespace {

std::string load_error(const std::string& topo, const Workload& w) {
  Sim s(topo);
  Status st = s.kernel->load(w);
  return st.ok() ? "" : st.message();
}

TEST(KernelErrors, AffinityOutsideTheMachine) {
  WorkloadBuilder wb("w");
  wb.task("t").fifo(1).cpus(CpuMask::single(7)).program().run(ms(1));
  EXPECT_EQ(load_error("2", wb.build()),
            "w: task 't': cpus 7 include CPUs this 2-CPU machine does not have");
}

TEST(KernelErrors, BadPriorities) {
  WorkloadBuilder wb("w");
  wb.task("t").fifo(100).program().run(ms(1));
  EXPECT_EQ(load_error("1", wb.build()), "w: task 't': rt priority 100 is outside 1..99");
}

TEST(KernelErrors, LoopWithoutTimeIsALivelock) {
  Sim s("1");
  WorkloadBuilder wb("spin");
  wb.task("t").fifo(1).program().begin_loop(-1).sem_post("x").end_loop();
  s.load(wb.build());
  Status st = s.kernel->run_until(ms(10));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("without consuming time"), std::string::npos) << st.message();
}

TEST(KernelErrors, DeadlockIsReported) {
  Sim s("2");
  WorkloadBuilder wb("deadlock");
  wb.task("a").fifo(1).program().lock("m1").sleep(ms(1)).lock("m2");
  wb.task("b").fifo(1).program().lock("m2").sleep(ms(1)).lock("m1");
  s.load(wb.build());
  Status st = s.kernel->run_until_idle(ms(100));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("deadlock"), std::string::npos) << st.message();
}

TEST(KernelErrors, UnlockingAMutexNotHeld) {
  Sim s("1");
  WorkloadBuilder wb("w");
  wb.task("t").fifo(1).program().unlock("m");
  s.load(wb.build());
  Status st = s.kernel->run_until(ms(1));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("unlocks mutex 'm' it does not hold"), std::string::npos);
}

}  // namespace
}  // namespace scx::testing
