// Host functions (OpKind::Host) and daemons (Kernel::spawn_daemon): native code a task runs, the
// work it returns is run like a Run op, a negative return ends the task, and nobody waits for a
// daemon.
#include "harness.h"

namespace scx::testing {
namespace {

TEST(Daemon, HostWorkIsRunAndAccounted) {
  Sim s("1");
  s.load(Workload{});
  std::vector<Ns> calls;
  const uint32_t fn = s.kernel->add_host_function([&](Task&, int64_t arg) -> int64_t {
    calls.push_back(s.kernel->now());
    return calls.size() <= 3 ? arg : -1;  // three passes of `arg` ns, then exit
  });
  Program p;
  p.ops = {Op{OpKind::LoopBegin, kNoObject, -1, 2}, Op{OpKind::Host, fn, 2 * kNsPerMs, 0},
           Op{OpKind::LoopEnd, kNoObject, 0, 0}};
  TaskSpec spec;
  spec.name = "daemon";
  spec.policy = Policy::Fifo;  // this kernel has the rt class only
  spec.rt_priority = 1;
  Task& d = s.kernel->spawn_daemon(spec, p);
  EXPECT_TRUE(d.daemon);
  EXPECT_EQ(s.kernel->live_user_tasks(), 0);
  ASSERT_TRUE(s.kernel->run_until(ms(10)).ok());
  EXPECT_EQ(calls, (std::vector<Ns>{0, ms(2), ms(4), ms(6)}));
  EXPECT_EQ(d.state, TaskState::Dead);
  EXPECT_EQ(d.sum_exec_runtime, ms(6));
}

TEST(Daemon, NotWaitedForAndThreadsShareItsGroup) {
  Sim s("2");
  WorkloadBuilder wb("w");
  wb.task("job").fifo(1).program().run(ms(3));
  s.load(wb.build());
  Program forever;
  forever.ops = {Op{OpKind::LoopBegin, kNoObject, -1, 2}, Op{OpKind::Run, kNoObject, ms(1), 0},
                 Op{OpKind::LoopEnd, kNoObject, 0, 0}};
  TaskSpec spec;
  spec.name = "daemon";
  spec.policy = Policy::Fifo;
  spec.rt_priority = 1;
  Task& main = s.kernel->spawn_daemon(spec, forever);
  spec.name = "daemon-thread";
  Task& thread = s.kernel->spawn_daemon(spec, forever, &main);
  EXPECT_EQ(thread.tgid, main.pid);
  EXPECT_EQ(thread.kt().mm, main.kt().mm);
  ASSERT_TRUE(s.kernel->run_until_idle(ms(100)).ok());  // ends with the job, daemons running
  EXPECT_LT(s.kernel->now(), ms(10));
  EXPECT_EQ(s.kernel->live_user_tasks(), 0);
  EXPECT_NE(main.state, TaskState::Dead);
  EXPECT_NE(thread.state, TaskState::Dead);
}

TEST(Daemon, HostOpsOfAWorkloadNeedAFunction) {
  Sim s("1");
  WorkloadBuilder wb("w");
  wb.task("t").fifo(1).program().op(OpKind::Host, 0, 1);
  Status st = s.kernel->load(wb.build());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "w: program 0 op 0 (host): refers to unknown host function 0");
}

}  // namespace
}  // namespace scx::testing
