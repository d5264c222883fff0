// Callback sequences of the task lifecycle (spec §5.5 A–N), asserted exactly on tiny scenarios
// with the zero-cost model.
#include <algorithm>
#include <deque>

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

// What ops.init_task() reads of a kernel thread: the stopper migration/N is SCHED_FIFO with
// rt_priority 99 (sched_set_stop_task() gives it MAX_RT_PRIO - 1), so its prio is
// MAX_RT_PRIO - 1 - 99 = 0; a scheduler that skips RT kthreads by policy must see that.
TEST(ExtLifecycle, InitTaskSeesTheStoppersPolicy) {
  struct PolicyProbe : RecordingPolicy {
    using RecordingPolicy::RecordingPolicy;
    std::vector<std::string> seen;
    s32 init_task(task_struct* p, scx_init_task_args* a) override {
      seen.push_back(fmt::format("{} policy={} rt_priority={} prio={}", p->comm, p->policy, p->rt_priority, p->prio));
      return RecordingPolicy::init_task(p, a);
    }
  };
  ExtSim s("2");
  auto probe = std::make_unique<PolicyProbe>(all_task_ops());
  PolicyProbe* raw = probe.get();
  s.attach(std::move(probe));
  EXPECT_EQ(raw->seen, (V{"migration/0 policy=1 rt_priority=99 prio=0", "migration/1 policy=1 rt_priority=99 prio=0"}));
}

// KernelConfig::uptime: every clock the scheduler reads (scx_bpf_now, rq->clock, exec_start,
// runnable_at in jiffies) starts at the machine's uptime, not at the simulation's 0.
TEST(ExtLifecycle, TheSchedulersClockStartsAtTheMachinesUptime) {
  const Ns up = 100 * kNsPerSec;
  ExtSim s("1", zero_costs(), KernelVersion::V6_12, up);
  auto pol = std::make_unique<RecordingPolicy>(all_task_ops());
  std::vector<u64> seen;  // now, rq->clock, prev's exec_start and runnable_at, at each dispatch
  RecordingPolicy* p = pol.get();
  pol->on_dispatch = [&seen, p](s32 cpu, task_struct* prev) {
    if (prev && std::string(prev->comm) == "a")
      seen = {p->kf().now(), p->kf().cpu_rq(cpu)->clock, prev->se.exec_start, prev->scx.runnable_at};
    p->kf().dsq_move_to_local(RecordingPolicy::kDsq);
  };
  auto& rec = s.attach(std::move(pol));
  WorkloadBuilder wb("w");
  wb.task("a").program().run(ms(1)).sleep(ms(1)).run(ms(1));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(10)).ok());
  EXPECT_EQ(rec.log[0], "100000000:init");
  // The last dispatch with a as prev: its exit at 3 ms; it became runnable at its wake-up (2 ms).
  const u64 at = static_cast<u64>(up + ms(3));
  EXPECT_EQ(seen, (std::vector<u64>{at, at, at, static_cast<u64>(up + ms(2)) / 4'000'000}));
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

// scx_bpf_reenqueue_local() from cpu_release: every task of the local DSQ (the preempted a at
// its head, then b and c) goes through ops.enqueue with SCX_ENQ_REENQ, nested inside
// cpu_release; here the policy sends them to its shared DSQ, where the CPU finds them again.
TEST(ExtNested, ReenqueueLocalRunsEnqueueInsideCpuRelease) {
  ExtSim s("1");
  auto ops = all_task_ops();
  ops.push_back(ScxOp::CpuRelease);
  auto pol_ptr = std::make_unique<RecordingPolicy>(ops);
  RecordingPolicy* pol = pol_ptr.get();
  u32 returned = 0;
  int nested = 0;
  bool in_release = false;
  pol_ptr->on_enqueue = [&, pol](task_struct* t, u64 f) {
    if (f & SCX_ENQ_REENQ) nested += in_release;
    const u64 dsq = (f & SCX_ENQ_REENQ) ? RecordingPolicy::kDsq : static_cast<u64>(SCX_DSQ_LOCAL);
    pol->kf().dsq_insert(t, dsq, SCX_SLICE_DFL, f);
  };
  pol_ptr->on_cpu_release = [&, pol](s32, scx_cpu_release_args*) {
    in_release = true;
    returned = pol->kf().reenqueue_local();
    in_release = false;
  };
  s.attach(std::move(pol_ptr));
  WorkloadBuilder wb("w");
  for (const char* n : {"a", "b", "c"}) wb.task(n).program().run(ms(10));
  wb.task("r").fifo(10).delay(ms(5)).program().run(ms(2));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(8)).ok());
  EXPECT_EQ(pol->since(5000),
            (V{"5000:stopping(a,true)", "5000:cpu_release(0,0,r)", "5000:enqueue(a,0x10000000000)",
               "5000:enqueue(b,0x10000000000)", "5000:enqueue(c,0x10000000000)",
               "7000:dispatch(0,NULL)", "7000:running(a)", "7000:exit_task(r)"}));
  EXPECT_EQ(returned, 3u);
  EXPECT_EQ(nested, 3);
  EXPECT_FALSE(s.ext->exit_info().has_value());
}

// Inside the nested ops.enqueue the cpu_release kfunc is off limits (scx_kf_allowed()'s nesting
// boundary), while the enqueue kfuncs work.
TEST(ExtNested, ReenqueueLocalFromTheNestedEnqueueIsAnError) {
  ExtSim s("1");
  auto ops = all_task_ops();
  ops.push_back(ScxOp::CpuRelease);
  auto pol_ptr = std::make_unique<RecordingPolicy>(ops);
  RecordingPolicy* pol = pol_ptr.get();
  pol_ptr->on_enqueue = [pol](task_struct* t, u64 f) {
    if (f & SCX_ENQ_REENQ) pol->kf().reenqueue_local();
    pol->kf().dsq_insert(t, RecordingPolicy::kDsq, SCX_SLICE_DFL, f);
  };
  pol_ptr->on_cpu_release = [pol](s32, scx_cpu_release_args*) { pol->kf().reenqueue_local(); };
  s.attach(std::move(pol_ptr));
  WorkloadBuilder wb("w");
  wb.task("a").program().run(ms(10));
  wb.task("r").fifo(10).delay(ms(5)).program().run(ms(2));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(8)).ok());
  ASSERT_TRUE(s.ext->exit_info().has_value());
  EXPECT_EQ(s.ext->exit_info()->msg, "cpu_release kfunc called from a nested operation");
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
      slice_seen.push_back(victim->kt().scx.slice);  // still untouched inside the callback
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


// SCX_KICK_WAIT (V612): the kicking CPU spins, interrupts off, until the target switches from
// an ext task to another class; its own task makes no progress and its tick waits.
TEST(ExtLifecycle, KickWaitHoldsTheKickingCpuUntilTheTargetLeavesExt) {
  ExtSim s("2");
  auto pol_ptr = std::make_unique<RecordingPolicy>(all_task_ops());
  RecordingPolicy* raw = pol_ptr.get();
  raw->record_ticks = true;
  bool kicked = false;
  raw->on_tick = [raw, &kicked](task_struct* t) {
    if (std::string(t->comm) == "k" && !kicked) {
      kicked = true;
      raw->kf().kick_cpu(1, SCX_KICK_WAIT);
    }
  };
  auto& pol = s.attach(std::move(pol_ptr));
  WorkloadBuilder wb("w");
  wb.task("k").cpus(CpuMask::single(0)).program().run(ms(10));
  wb.task("t").cpus(CpuMask::single(1)).program().run(ms(10)).sleep(ms(50));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(30)).ok());
  // The kick at k's first tick (4 ms) reschedules CPU 1, which keeps t (ext to ext: pnt_seq
  // does not move). CPU 0 spins until t sleeps at 10 ms; the 8 ms tick is taken then.
  EXPECT_EQ(pol.since(1, "k"), (V{"4000:tick(k)", "10000:tick(k)", "12000:tick(k)",
                                  "16000:stopping(k,false)", "16000:quiescent(k,0x9)", "16000:dispatch(0,k)",
                                  "16000:disable(k)", "16000:exit_task(k)"}));
  EXPECT_EQ(s.rec.filter("exit:k"), (V{"16000:0:exit:k"}));
  const ScxState st = s.ext->state();
  EXPECT_EQ(st.kick_waits, 1u);
  EXPECT_EQ(st.kick_wait_ns, ms(6));
}

TEST(ExtLifecycle, KickWaitOnItselfOrWithoutWaitDoesNotHold) {
  ExtSim s("2");
  auto pol_ptr = std::make_unique<RecordingPolicy>(all_task_ops());
  RecordingPolicy* raw = pol_ptr.get();
  raw->on_tick = [raw](task_struct*) {
    if (raw->kf().this_cpu() != 0) return;
    raw->kf().kick_cpu(0, SCX_KICK_WAIT);  // self: never waits
    raw->kf().kick_cpu(1, 0);
  };
  s.attach(std::move(pol_ptr));
  WorkloadBuilder wb("w");
  wb.task("k").cpus(CpuMask::single(0)).program().run(ms(10));
  wb.task("t").cpus(CpuMask::single(1)).program().run(ms(20));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(30)).ok());
  EXPECT_EQ(s.rec.filter("exit:k"), (V{"10000:0:exit:k"}));
  EXPECT_EQ(s.ext->state().kick_waits, 0u);
}

TEST(ExtLifecycle, UnloadingTheSchedulerEndsAKickWait) {
  ExtSim s("2");
  auto pol_ptr = std::make_unique<RecordingPolicy>(all_task_ops());
  RecordingPolicy* raw = pol_ptr.get();
  bool kicked = false;
  raw->on_tick = [raw, &kicked](task_struct* t) {
    if (std::string(t->comm) == "k" && !kicked) {
      kicked = true;
      raw->kf().kick_cpu(1, SCX_KICK_WAIT);
    }
  };
  s.attach(std::move(pol_ptr));
  s.ext->unload_at(ms(6));
  WorkloadBuilder wb("w");
  wb.task("k").cpus(CpuMask::single(0)).program().run(ms(10));
  wb.task("t").cpus(CpuMask::single(1)).program().run(ms(40));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(30)).ok());
  // Spinning 4..6 ms; after the unload k finishes its 6 ms left under fair.
  EXPECT_EQ(s.rec.filter("exit:k"), (V{"12000:0:exit:k"}));
  EXPECT_EQ(s.ext->state().kick_wait_ns, ms(2));
}

TEST(ExtLifecycle, EnqPreemptInsertPreemptsAndGoesToTheLocalHead) {
  ExtSim s("1");
  auto pol_ptr = std::make_unique<RecordingPolicy>(all_task_ops());
  pol_ptr->on_enqueue = [p = pol_ptr.get()](task_struct* t, u64 f) {
    const std::string n = t->comm;
    if (n == "c") p->kf().dsq_insert(t, SCX_DSQ_LOCAL, SCX_SLICE_DFL, f);
    else if (n == "b") p->kf().dsq_insert(t, SCX_DSQ_LOCAL, SCX_SLICE_DFL, f | SCX_ENQ_PREEMPT);
    else p->kf().dsq_insert(t, RecordingPolicy::kDsq, SCX_SLICE_DFL, f);
  };
  auto& pol = s.attach(std::move(pol_ptr));
  WorkloadBuilder wb("w");
  wb.task("a").program().run(ms(10));
  wb.task("c").delay(ms(1)).program().run(ms(1));
  wb.task("b").delay(ms(2)).program().run(ms(1));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(20)).ok());
  // (G) c waits on the local DSQ behind a's slice; b's ENQ_PREEMPT insert zeroes a's slice and
  // puts b at the head, ahead of c; a goes through stopping/enqueue as on slice expiry (D).
  auto lines = pol.since(1000);
  lines.resize(std::min<size_t>(lines.size(), 12));
  EXPECT_EQ(lines, (V{"1000:runnable(c,0x9)", "1000:enqueue(c,0x9)", "2000:runnable(b,0x9)", "2000:enqueue(b,0x9)",
                      "2000:stopping(a,true)", "2000:enqueue(a,0x0)", "2000:running(b)", "3000:stopping(b,false)",
                      "3000:quiescent(b,0x9)", "3000:running(c)", "3000:disable(b)", "3000:exit_task(b)"}));
}

// A policy that keeps tasks in its own queue (BPF custody, ops_state QUEUED) and hands them
// out from ops.dispatch, so that ops.dequeue is observable.
std::unique_ptr<RecordingPolicy> custody_policy(std::deque<task_struct*>& q) {
  auto pol = std::make_unique<RecordingPolicy>(all_task_ops());
  pol->on_enqueue = [&q](task_struct* t, u64) { q.push_back(t); };
  pol->on_dispatch = [&q, p = pol.get()](s32 cpu, task_struct*) {
    for (auto it = q.begin(); it != q.end(); ++it) {
      const cpumask* allowed = (*it)->cpus_ptr;
      if (!((allowed->bits[cpu / 64] >> (cpu % 64)) & 1)) continue;
      p->kf().dsq_insert(*it, SCX_DSQ_LOCAL, SCX_SLICE_DFL, 0);
      q.erase(it);
      return;
    }
  };
  return pol;
}

TEST(ExtLifecycle, CoreMigrationOfAQueuedTaskDequeuesAndEnqueuesWithoutRunnable) {
  ExtSim s("2");
  std::deque<task_struct*> q;
  auto pol_ptr = custody_policy(q);
  RecordingPolicy* raw = pol_ptr.get();
  raw->on_dequeue = [&q](task_struct* t, u64) { q.erase(std::remove(q.begin(), q.end(), t), q.end()); };
  auto& pol = s.attach(std::move(pol_ptr));
  WorkloadBuilder wb("w");
  wb.task("a").cpus(CpuMask::single(0)).program().run(ms(10));
  wb.task("h").cpus(CpuMask::single(1)).program().run(ms(10));
  wb.task("b").cpus(CpuMask::single(0)).delay(ms(1)).program().run(ms(1));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(2)).ok());
  Task* b = s.kernel->find_task(1002);
  ASSERT_TRUE(b && std::string(b->comm) == "b");
  s.kernel->set_cpus_allowed(*b, CpuMask::single(1));
  ASSERT_TRUE(s.kernel->run_until(ms(30)).ok());
  // (M)+(L) b waits in the policy's custody on CPU 0; the affinity change dequeues it
  // (ops.dequeue, it is BPF-owned), set_cpumask, enqueue back (save/restore), then the core
  // moves it to CPU 1: dequeue + enqueue without runnable/quiescent.
  // (The callbacks of the change carry time 0: nothing happened between 0 and 2 ms.)
  auto lines = pol.since(0, "b");
  auto first = std::find(lines.begin(), lines.end(), "0:dequeue(b,0xa)");
  ASSERT_NE(first, lines.end());
  EXPECT_EQ(V(first, lines.end()),
            (V{"0:dequeue(b,0xa)", "0:quiescent(b,0xa)", "0:set_cpumask(b)", "0:runnable(b,0xa)", "0:enqueue(b,0xa)",
               "0:dequeue(b,0x8)", "0:enqueue(b,0x40)", "10000:running(b)", "11000:stopping(b,false)",
               "11000:quiescent(b,0x9)", "11000:dispatch(1,b)", "11000:disable(b)", "11000:exit_task(b)"}));
  EXPECT_EQ(s.rec.filter("migrate:b"), (V{"0:migrate:b:0->1"}));
  EXPECT_EQ(s.rec.filter("exit:b"), (V{"11000:1:exit:b"}));
}

TEST(ExtLifecycle, NiceChangeOfAQueuedTaskSavesAndRestores) {
  ExtSim s("1");
  std::deque<task_struct*> q;
  auto pol_ptr = custody_policy(q);
  pol_ptr->on_dequeue = [&q](task_struct* t, u64) { q.erase(std::remove(q.begin(), q.end(), t), q.end()); };
  auto& pol = s.attach(std::move(pol_ptr));
  WorkloadBuilder wb("w");
  wb.task("a").program().run(ms(10));
  wb.task("b").delay(ms(1)).program().run(ms(1));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(2)).ok());
  Task* a = s.kernel->find_task(1000);
  Task* b = s.kernel->find_task(1001);
  const size_t before = pol.log.size();
  ASSERT_TRUE(s.kernel->sched_setscheduler(*b, Policy::Normal, 5).ok());  // queued
  ASSERT_TRUE(s.kernel->sched_setscheduler(*a, Policy::Normal, -5).ok());  // running
  // (M) queued b: dequeue (custody) → quiescent → set_weight → runnable → enqueue. Running a:
  // stopping → quiescent → set_weight → runnable → straight back to the local DSQ (no
  // ops.enqueue) → running. Flags: SAVE|MOVE|NOCLOCK / RESTORE|MOVE|NOCLOCK. (The stamps read 0:
  // nothing happened between 0 and 2 ms.)
  EXPECT_EQ(V(pol.log.begin() + static_cast<long>(before), pol.log.end()),
            (V{"0:dequeue(b,0xe)", "0:quiescent(b,0xe)", "0:set_weight(b,33)", "0:runnable(b,0xe)", "0:enqueue(b,0xe)",
               "0:stopping(a,false)", "0:quiescent(a,0xe)", "0:set_weight(a,305)", "0:runnable(a,0xe)", "0:running(a)"}));
}

}  // namespace
}  // namespace scx::testing
