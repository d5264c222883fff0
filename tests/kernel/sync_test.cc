// Hand-worked schedules for the synchronisation operations (zero-cost model).
#include "harness.h"

namespace scx::testing {
namespace {

TEST(Sync, MutexHandOffWakesTheWaiterAtUnlock) {
  Sim s("2");
  WorkloadBuilder wb("mutex");
  wb.task("t1").fifo(10).cpus(CpuMask::single(0)).program().lock("m").run(ms(5)).unlock("m").run(ms(1));
  wb.task("t2").fifo(10).cpus(CpuMask::single(1)).delay(ms(1)).program().lock("m").run(ms(2)).unlock("m");
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(100)).ok());
  // t2 starts at 1 ms, blocks on m (held by t1 until 5 ms), then runs 5-7.
  EXPECT_EQ(s.rec.filter(":1:"), (std::vector<std::string>{
                                     "0:1:idle1->t2", "0:1:t2->idle1", "1000:1:idle1->t2",
                                     "1000:1:t2->idle1", "5000:1:idle1->t2", "7000:1:exit:t2",
                                     "7000:1:t2->idle1"}));
  EXPECT_EQ(s.rec.filter("exit:t1"), (std::vector<std::string>{"6000:0:exit:t1"}));
  EXPECT_EQ(s.task("t2").wakeup_latency, (std::vector<Ns>{0, 0}));
}

TEST(Sync, ContendedMutexOnOneCpuPrefersTheHigherPriorityWaiter) {
  Sim s("1");
  WorkloadBuilder wb("prio-waiters");
  // owner takes m then sleeps holding it; two waiters queue; the higher-priority one gets it
  // first even though it queued second.
  wb.task("owner").fifo(30).program().lock("m").sleep(ms(10)).unlock("m");
  wb.task("w_lo").fifo(10).delay(ms(1)).program().lock("m").run(ms(1)).unlock("m");
  wb.task("w_hi").fifo(20).delay(ms(2)).program().lock("m").run(ms(1)).unlock("m");
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(100)).ok());
  EXPECT_EQ(s.rec.filter("exit"), (std::vector<std::string>{"10000:0:exit:owner", "11000:0:exit:w_hi",
                                                           "12000:0:exit:w_lo"}));
}

TEST(Sync, BarrierReleasesEveryoneWhenTheLastArrives) {
  Sim s("3");
  WorkloadBuilder wb("barrier");
  for (int i = 0; i < 3; ++i)
    wb.task(fmt::format("t{}", i)).fifo(10).cpus(CpuMask::single(i)).program()
        .run(ms(i + 1)).barrier("b").run(ms(1));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(100)).ok());
  // t2 arrives last at 3 ms and carries on at once, so its 1 ms ends first; the others are
  // woken at 3 ms in arrival order.
  EXPECT_EQ(s.rec.filter("exit"), (std::vector<std::string>{"4000:2:exit:t2", "4000:0:exit:t0",
                                                           "4000:1:exit:t1"}));
  EXPECT_EQ(s.task("t0").cpu_time, ms(2));
  EXPECT_EQ(s.task("t0").nvcsw, 2u);  // the barrier wait and the exit
}

TEST(Sync, CondvarSignalWakesOneWaiterAndIsLostWithoutWaiters) {
  Sim s("1");
  WorkloadBuilder wb("cond");
  wb.task("early").fifo(10).program().signal("c");                   // lost: nobody waits yet
  wb.task("waiter").fifo(20).delay(ms(1)).program().lock("m").wait("c", "m").unlock("m").run(ms(1));
  wb.task("signaller").fifo(30).delay(ms(5)).program().lock("m").signal("c").unlock("m");
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(100)).ok());
  EXPECT_EQ(s.rec.filter("exit:waiter"), (std::vector<std::string>{"6000:0:exit:waiter"}));
}

TEST(Sync, PipePingPongCountsMessages) {
  Sim s("2");  // this kernel has the rt class only: FIFO tasks
  WorkloadBuilder rt("pingpong-rt");
  rt.task("ping").fifo(10).program().begin_loop(100).send("p2q", 100).recv("q2p", 100).mark("messages").end_loop();
  rt.task("pong").fifo(10).program().begin_loop(100).recv("p2q", 100).run(us(10)).send("q2p", 100).end_loop();
  s.load(rt.build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(100)).ok());
  ASSERT_EQ(s.metrics->counters().size(), 1u);
  EXPECT_EQ(s.metrics->counters()[0], 100);
  EXPECT_EQ(s.task("pong").cpu_time, ms(1));  // 100 x 10 us of work
}

// Two writers blocked on a full channel of 400 bytes; the reader takes 100 bytes per
// millisecond. A pipe wakes one writer as soon as its message fits; a unix stream socket wakes
// every writer, and only once its send buffer is down to a quarter (100 bytes).
WorkloadBuilder blocked_writers(bool socket_rule) {
  WorkloadBuilder wb("blocked-writers");
  wb.pipe_capacity("c", 400);
  if (socket_rule) wb.pipe_wake_all_writers_at("c", 100);
  wb.task("w1").fifo(30).program().send("c", 400).send("c", 100);
  wb.task("w2").fifo(20).program().send("c", 100);
  wb.task("reader").fifo(10).program().begin_loop(6).recv("c", 100).run(ms(1)).end_loop();
  return wb;
}

TEST(Sync, PipeWakesOneWriterOnceItsMessageFits) {
  Sim s("1");
  s.load(blocked_writers(false).build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(100)).ok());
  EXPECT_EQ(s.rec.filter("exit:w"), (std::vector<std::string>{"0:0:exit:w1", "1000:0:exit:w2"}));
}

TEST(Sync, SocketWakesEveryWriterAtAQuarterFull) {
  Sim s("1");
  s.load(blocked_writers(true).build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(100)).ok());
  EXPECT_EQ(s.rec.filter("exit:w"), (std::vector<std::string>{"2000:0:exit:w1", "2000:0:exit:w2"}));
}

TEST(Sync, SemaphoreRemembersPosts) {
  Sim s("1");
  WorkloadBuilder wb("sem");
  wb.task("producer").fifo(20).program().sem_post("s").sem_post("s");
  wb.task("consumer").fifo(10).delay(ms(1)).program().sem_wait("s").sem_wait("s").run(ms(1));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(100)).ok());
  EXPECT_EQ(s.rec.filter("exit:consumer"), (std::vector<std::string>{"2000:0:exit:consumer"}));
}

TEST(Sync, TimerWakesAtAbsolutePeriods) {
  Sim s("1");
  WorkloadBuilder wb("timer");
  wb.task("periodic").fifo(10).program().begin_loop(3).run(ms(1)).timer("t", ms(10)).end_loop();
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(100)).ok());
  // Releases at 0, 10, 20; the third timer wait sleeps until 30, then the task exits.
  EXPECT_EQ(s.rec.filter("idle0->"), (std::vector<std::string>{"0:0:idle0->periodic",
                                                              "10000:0:idle0->periodic",
                                                              "20000:0:idle0->periodic",
                                                              "30000:0:idle0->periodic"}));
}

TEST(Sync, TimerOverrunInRelativeModeSlipsTheTimeline) {
  Sim s("1");
  WorkloadBuilder wb("timer-miss");
  wb.task("late").fifo(10).program().run(ms(15)).timer("t", ms(10)).run(ms(1)).timer("t", ms(10));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(100)).ok());
  // First expiry at 10 is missed at 15 (no sleep; next := 15), then run to 16 and sleep to 25.
  EXPECT_EQ(s.metrics->deadline_misses(), 1u);
  EXPECT_EQ(s.rec.filter("exit"), (std::vector<std::string>{"25000:0:exit:late"}));
}

}  // namespace
}  // namespace scx::testing

namespace scx::testing {
namespace {

// rt-app's slack: what was left of the period when the thread reached its timer, negative when
// it was late; a phase_end carries the last one and a phase without a timer carries 0.
TEST(Sync, PhaseEndCarriesTheTimersSlack) {
  Sim s("1");
  struct Phases : TraceSink {
    std::vector<int64_t> slack;
    void on_event(const TraceEvent& e) override {
      if (e.type == TraceType::PhaseEnd) slack.push_back(e.value);
    }
  } phases;
  s.kernel->trace().subscribe(&phases);
  WorkloadBuilder wb("slack");
  wb.task("p").fifo(10).program()
      .run(ms(1)).timer("t", ms(5)).op(OpKind::PhaseEnd, 0)   // reached at 1 ms: 4 ms left
      .run(ms(7)).timer("t", ms(5)).op(OpKind::PhaseEnd, 0)   // at 12 ms, expiry 10: 2 ms late
      .run(ms(1)).op(OpKind::PhaseEnd, 1);                    // no timer
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(ms(100)).ok());
  EXPECT_EQ(phases.slack, (std::vector<int64_t>{ms(4), -static_cast<int64_t>(ms(2)), 0}));
  EXPECT_EQ(s.task("p").phase_misses, 1u);
}

}  // namespace
}  // namespace scx::testing
