// DSQ rules (spec §7, §8.2, §9.2): ordering, mixing, built-in restrictions, counting,
// iteration snapshots, consumption with affinity, the slice written by inserts.
#include <fmt/format.h>
#include "ext_harness.h"

namespace scx::testing {
namespace {

using V = std::vector<std::string>;

// Runs `body` once, inside the first ops.dispatch on CPU 0 (a dispatch-context playground),
// after the given tasks have been enqueued into the policy's hands.
struct Playground {
  ExtSim s{"2"};
  RecordingPolicy* pol = nullptr;
  std::vector<task_struct*> held;
  std::function<void(ExtClass&)> body;
  bool ran = false;

  // With body_cpu != 0, a trigger task pinned there is added (after the others) so that CPU
  // dispatches.
  explicit Playground(int ntasks, CpuMask affinity = CpuMask(), int body_cpu = 0) {
    expected = static_cast<size_t>(ntasks) + (body_cpu ? 1 : 0);
    // select_cpu keeps prev_cpu, so no task is direct-dispatched to an idle CPU.
    auto p = std::make_unique<RecordingPolicy>(
        std::vector<ScxOp>{ScxOp::SelectCpu, ScxOp::Enqueue, ScxOp::Dispatch, ScxOp::Init});
    pol = p.get();
    p->on_enqueue = [this](task_struct* t, u64) { held.push_back(t); };
    p->on_dispatch = [this](s32 cpu, task_struct*) {
      if (cpu != body_cpu_ || ran || !body || held.size() < expected) return;
      ran = true;
      body(pol->kf());
    };
    s.attach(std::move(p));
    WorkloadBuilder wb("w");
    for (int i = 0; i < ntasks; ++i) {
      auto tb = wb.task(fmt::format("t{}", i));
      if (!affinity.empty()) tb.cpus(affinity);
      tb.program().run(ms(1));
    }
    body_cpu_ = body_cpu;
    if (body_cpu) wb.task("trigger").cpus(CpuMask::single(body_cpu)).program().run(ms(1));
    workload = wb.build();
  }
  void run() {
    s.load(workload);
    EXPECT_TRUE(s.kernel->run_until(ms(5)).ok());
    EXPECT_TRUE(ran);
  }
  size_t expected = 0;
  int body_cpu_ = 0;
  Workload workload;
};

TEST(ExtDsq, VtimeOrderWithFifoAmongEqualKeysAndIteration) {
  Playground pg(4);
  std::vector<std::string> order;
  pg.body = [&](ExtClass& kf) {
    const u64 vt[] = {30, 10, 20, 10};
    for (size_t i = 0; i < pg.held.size(); ++i) kf.dsq_insert_vtime(pg.held[i], RecordingPolicy::kDsq, 0, vt[i], 0);
    // Inserts are buffered until the dispatch buffer is flushed (move_to_local flushes first).
    EXPECT_EQ(kf.dsq_nr_queued(RecordingPolicy::kDsq), 0);
    kf.dsq_move_to_local(99);  // flushes, then fails on an unknown DSQ -> error below
    bpf_iter_scx_dsq it{};
    EXPECT_EQ(kf.iter_scx_dsq_new(&it, RecordingPolicy::kDsq, 0), 0);
    while (task_struct* p = kf.iter_scx_dsq_next(&it)) order.push_back(p->comm);
    kf.iter_scx_dsq_destroy(&it);
  };
  pg.run();
  EXPECT_EQ(order, (V{"t1", "t3", "t2", "t0"}));  // 10, 10 (FIFO), 20, 30
  EXPECT_EQ(pg.s.ext->exit_info()->msg, "invalid DSQ ID 0x0000000000000063");
}

// Names of the tasks on a DSQ in iteration order (SCX_DSQ_ITER_REV = 1 << 16 for tail first).
V dsq_names(ExtClass& kf, u64 dsq_id, bool reverse = false) {
  V names;
  bpf_iter_scx_dsq it{};
  EXPECT_EQ(kf.iter_scx_dsq_new(&it, dsq_id, reverse ? 1ULL << 16 : 0), 0);
  while (task_struct* p = kf.iter_scx_dsq_next(&it)) names.push_back(p->comm);
  kf.iter_scx_dsq_destroy(&it);
  return names;
}

// Equal vtimes stay in insertion order when tasks leave from the head in between (the vtime
// tree and the dispatch list must agree on where each newcomer goes).
TEST(ExtDsq, EqualVtimesKeepInsertionOrderAcrossRemovals) {
  Playground pg(6);
  V after_first, after_second, reversed;
  pg.body = [&](ExtClass& kf) {
    const u64 vt[] = {20, 10, 20, 10, 10, 20};
    for (size_t i = 0; i < 4; ++i) kf.dsq_insert_vtime(pg.held[i], RecordingPolicy::kDsq, 0, vt[i], 0);
    kf.dsq_move_to_local(RecordingPolicy::kDsq);  // flush: t1 t3 t0 t2, then t1 goes local
    after_first = dsq_names(kf, RecordingPolicy::kDsq);
    for (size_t i = 4; i < 6; ++i) kf.dsq_insert_vtime(pg.held[i], RecordingPolicy::kDsq, 0, vt[i], 0);
    kf.dsq_move_to_local(RecordingPolicy::kDsq);  // flush: t3 t4 t0 t2 t5, then t3 goes local
    after_second = dsq_names(kf, RecordingPolicy::kDsq);
    reversed = dsq_names(kf, RecordingPolicy::kDsq, true);
  };
  pg.run();
  EXPECT_EQ(after_first, (V{"t3", "t0", "t2"}));  // 10, then the 20s in insertion order
  EXPECT_EQ(after_second, (V{"t4", "t0", "t2", "t5"}));  // t4 (10) after t3; t5 after the 20s
  EXPECT_EQ(reversed, (V{"t5", "t2", "t0", "t4"}));
  EXPECT_FALSE(pg.s.ext->exit_info().has_value());
}

// Vtime inserts while an iteration runs: the newcomers land in vtime order around the
// iterator's cursor (t4 right after t1, where the cursor is parked) and, being newer than the
// iteration, are not returned by it; the iteration goes on from its cursor.
TEST(ExtDsq, VtimeInsertsWhileIterating) {
  Playground pg(6);
  V seen, later;
  pg.body = [&](ExtClass& kf) {
    const u64 vt[] = {5, 10, 20, 30, 15, 25};
    for (size_t i = 0; i < 4; ++i) kf.dsq_insert_vtime(pg.held[i], RecordingPolicy::kDsq, 0, vt[i], 0);
    kf.dsq_move_to_local(RecordingPolicy::kDsq);  // flush: t0 t1 t2 t3, then t0 goes local
    bpf_iter_scx_dsq it{};
    EXPECT_EQ(kf.iter_scx_dsq_new(&it, RecordingPolicy::kDsq, 0), 0);
    seen.push_back(kf.iter_scx_dsq_next(&it)->comm);  // t1; the cursor sits behind it
    for (size_t i = 4; i < 6; ++i) kf.dsq_insert_vtime(pg.held[i], RecordingPolicy::kDsq, 0, vt[i], 0);
    kf.dsq_move_to_local(RecordingPolicy::kDsq);  // flush: t1 t4 [cursor] t2 t5 t3, t1 local
    while (task_struct* p = kf.iter_scx_dsq_next(&it)) seen.push_back(p->comm);
    kf.iter_scx_dsq_destroy(&it);
    later = dsq_names(kf, RecordingPolicy::kDsq);
  };
  pg.run();
  EXPECT_EQ(seen, (V{"t1", "t2", "t3"}));  // t4 and t5 are newer than the iteration
  EXPECT_EQ(later, (V{"t4", "t2", "t5", "t3"}));
  EXPECT_FALSE(pg.s.ext->exit_info().has_value());
}

TEST(ExtDsq, IteratorSeesOnlyTasksQueuedBeforeIt) {
  Playground pg(3);
  std::vector<std::string> seen;
  pg.body = [&](ExtClass& kf) {
    kf.dsq_insert(pg.held[0], RecordingPolicy::kDsq, 0, 0);
    kf.dsq_insert(pg.held[1], RecordingPolicy::kDsq, 0, 0);
    kf.dispatch_cancel();  // drops the t1 insert
    EXPECT_EQ(kf.dispatch_nr_slots(), 31u);
    kf.dsq_move_to_local(RecordingPolicy::kDsq);  // flush: t0 is inserted, then consumed locally
    kf.dsq_insert(pg.held[1], RecordingPolicy::kDsq, 0, 0);
    kf.dsq_move_to_local(12345678);               // flush t1 (then an error we ignore here)
  };
  pg.run();
  ASSERT_TRUE(pg.s.ext->exit_info().has_value());
  EXPECT_EQ(pg.s.ext->exit_info()->msg, "invalid DSQ ID 0x0000000000bc614e");
}

TEST(ExtDsq, VtimeIntoABuiltinDsqAborts) {
  Playground pg(1);
  pg.body = [&](ExtClass& kf) { kf.dsq_insert_vtime(pg.held[0], SCX_DSQ_GLOBAL, 0, 5, 0); };
  pg.run();
  EXPECT_EQ(pg.s.ext->exit_info()->msg, "cannot use vtime ordering for built-in DSQs");
}

TEST(ExtDsq, MixingFifoAndVtimeAborts) {
  Playground pg(2);
  pg.body = [&](ExtClass& kf) {
    kf.dsq_insert(pg.held[0], RecordingPolicy::kDsq, 0, 0);
    kf.dsq_insert_vtime(pg.held[1], RecordingPolicy::kDsq, 0, 5, 0);
  };
  pg.run();
  EXPECT_EQ(pg.s.ext->exit_info()->msg, "DSQ ID 0x0000000000000007 already had FIFO-enqueued tasks");
}

TEST(ExtDsq, CountingAndDestroying) {
  Playground pg(2);
  std::vector<s32> got;
  pg.body = [&](ExtClass& kf) {
    kf.dsq_insert(pg.held[0], RecordingPolicy::kDsq, 0, 0);
    kf.dsq_insert(pg.held[1], RecordingPolicy::kDsq, 0, 0);
    got.push_back(kf.dsq_nr_queued(RecordingPolicy::kDsq));  // buffered: 0
    kf.dsq_move_to_local(RecordingPolicy::kDsq);               // flush; one consumed
    got.push_back(kf.dsq_nr_queued(RecordingPolicy::kDsq));  // 1 left
    got.push_back(kf.dsq_nr_queued(SCX_DSQ_LOCAL));          // 1 on this CPU's local DSQ
    got.push_back(kf.dsq_nr_queued(SCX_DSQ_GLOBAL));         // -ENOENT
    got.push_back(kf.dsq_nr_queued(4242));                   // -ENOENT
    kf.destroy_dsq(RecordingPolicy::kDsq);                    // in use: aborts
  };
  pg.run();
  EXPECT_EQ(got, (std::vector<s32>{0, 1, 1, -2, -2}));
  EXPECT_EQ(pg.s.ext->exit_info()->msg, "attempting to destroy in-use dsq 0x0000000000000007 (nr=1)");
}

TEST(ExtDsq, ConsumeSkipsTasksThatCannotRunHere) {
  Playground pg(2, CpuMask::single(0), /*body_cpu=*/1);
  std::vector<std::string> local;
  pg.body = [&](ExtClass& kf) {
    kf.dsq_insert(pg.held[0], RecordingPolicy::kDsq, 0, 0);
    kf.dsq_insert(pg.held[1], RecordingPolicy::kDsq, 0, 0);
    // Both are pinned to CPU 0: CPU 1 finds nothing to pull and both stay queued.
    EXPECT_FALSE(kf.dsq_move_to_local(RecordingPolicy::kDsq));
    EXPECT_EQ(kf.dsq_nr_queued(RecordingPolicy::kDsq), 2);
  };
  pg.run();
  EXPECT_FALSE(pg.s.ext->exit_info().has_value());
}

TEST(ExtDsq, InsertWithZeroSliceOnAZeroSliceGivesOneNanosecond) {
  Playground pg(1);
  u64 slice = 99;
  pg.body = [&](ExtClass& kf) {
    pg.held[0]->scx.slice = 0;
    kf.dsq_insert(pg.held[0], RecordingPolicy::kDsq, 0, 0);
    slice = pg.held[0]->scx.slice;
  };
  pg.run();
  EXPECT_EQ(slice, 1u);
}

TEST(ExtDsq, DefaultSelectCpuPrefersAnIdleCoreAndClaimsIt) {
  ExtSim s("cores=2,smt=2");  // CPUs 0,2 and 1,3 are siblings
  auto pol = std::make_unique<RecordingPolicy>(
      std::vector<ScxOp>{ScxOp::SelectCpu, ScxOp::Enqueue, ScxOp::Dispatch, ScxOp::Init});
  // ops.select_cpu calls the default selection and looks at the idle mask right after it: the
  // CPU it found idle must already be claimed (cleared), so no other waker can take it too.
  std::vector<std::string> picks;
  pol->on_select_cpu = [p = pol.get(), &picks](task_struct* t, s32 prev, u64 wf) {
    bool is_idle = false;
    const s32 cpu = p->kf().select_cpu_dfl(t, prev, wf, &is_idle);
    const cpumask* idle = p->kf().get_idle_cpumask();
    const bool still_idle = (idle->bits[0] >> cpu) & 1;
    if (!(wf & SCX_WAKE_FORK))
      picks.push_back(fmt::format("{} prev {} -> {} idle {} still-idle {}", t->comm, prev, cpu, is_idle, still_idle));
    return cpu;
  };
  s.attach(std::move(pol));
  WorkloadBuilder wb("w");
  wb.task("h").cpus(CpuMask::single(0)).program().run(ms(20));
  wb.task("a").delay(ms(1)).program().run(ms(5));
  wb.task("b").delay(ms(1)).program().run(ms(5));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(10)).ok());
  // a and b last ran on CPU 1 and wake at 1 ms, a first. h keeps core 0 (CPUs 0 and 2) busy.
  // a's prev CPU 1 is on a wholly idle core: a takes it and claims it. b, waking at the same
  // instant with the same prev, then finds neither a wholly idle core nor its prev CPU idle,
  // and takes the first idle CPU after the last one returned, 2. Without the claim b would
  // have stacked on CPU 1 (the idle bit is otherwise cleared only when the CPU switches).
  EXPECT_EQ(picks, (std::vector<std::string>{"a prev 1 -> 1 idle true still-idle false",
                                             "b prev 1 -> 2 idle true still-idle false"}));
  EXPECT_EQ(s.rec.filter("->a").back(), "1000:1:idle1->a");
  EXPECT_EQ(s.rec.filter("->b").back(), "1000:2:idle2->b");
}

TEST(ExtDsq, SelectCpuAndSearchesOnlyTheGivenCpus) {
  ExtSim s("4");
  auto pol = std::make_unique<RecordingPolicy>(all_task_ops());
  std::vector<s32> got;
  pol->on_select_cpu = [p = pol.get(), &got](task_struct* t, s32 prev, u64 wf) {
    cpumask only3{};
    only3.bits[0] = 1ULL << 3;
    const s32 cpu = p->kf().select_cpu_and(t, prev, wf, &only3, 0);
    got.push_back(cpu);
    return cpu >= 0 ? cpu : prev;
  };
  s.attach(std::move(pol));
  WorkloadBuilder wb("w");
  wb.task("a").delay(ms(1)).program().run(ms(5));  // CPU 3 idle: it is chosen and claimed
  wb.task("b").delay(ms(2)).program().run(ms(1));  // CPU 3 busy with a: -EBUSY
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(3)).ok());
  ASSERT_GE(got.size(), 4u);  // the two forks, then the two wakeups after the delays
  EXPECT_EQ(got[2], 3);
  EXPECT_EQ(got[3], -16);
  EXPECT_EQ(s.rec.filter("->a").back(), "1000:3:idle3->a");
}

TEST(ExtDsq, EventCountersFollowTheKernelsSites) {
  ExtSim s("4");
  auto pol = std::make_unique<RecordingPolicy>(all_task_ops());
  pol->on_select_cpu = [](task_struct*, s32, u64) { return 3; };  // not in a's mask {0,1}
  s.attach(std::move(pol));
  WorkloadBuilder wb("w");
  wb.task("a").cpus(CpuMask::first_n(2)).program().run(ms(50));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(45)).ok());
  scx_event_stats ev{};
  s.ext->events(&ev, sizeof(ev));
  EXPECT_EQ(ev.SCX_EV_SELECT_CPU_FALLBACK, 1);  // the fork placement
  EXPECT_EQ(ev.SCX_EV_DISPATCH_KEEP_LAST, 2);   // a alone at 20 and 40 ms: kept...
  EXPECT_EQ(ev.SCX_EV_REFILL_SLICE_DFL, 2);     // ...with a fresh default slice
  EXPECT_EQ(ev.SCX_EV_BYPASS_ACTIVATE, 1);      // the load
  EXPECT_EQ(ev.SCX_EV_BYPASS_DURATION, 0);      // at t=0, in no time
  // A short copy (an older struct) gets only its prefix.
  scx_event_stats part{};
  part.SCX_EV_DISPATCH_KEEP_LAST = -1;
  s.ext->events(&part, 2 * sizeof(s64));
  EXPECT_EQ(part.SCX_EV_SELECT_CPU_FALLBACK, 1);
  EXPECT_EQ(part.SCX_EV_DISPATCH_KEEP_LAST, -1);
  // Reports print the counters the simulation can move, in the kernel's order; the offline
  // and migration-disabled ones (no hotplug, no migrate_disable()) are left out.
  std::vector<std::string> names;
  for (const auto& [name, n] : s.ext->event_counters()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"SCX_EV_SELECT_CPU_FALLBACK", "SCX_EV_DISPATCH_KEEP_LAST",
                                             "SCX_EV_ENQ_SKIP_EXITING", "SCX_EV_REFILL_SLICE_DFL",
                                             "SCX_EV_BYPASS_DURATION", "SCX_EV_BYPASS_DISPATCH",
                                             "SCX_EV_BYPASS_ACTIVATE"}));
}

TEST(ExtDsq, PeekCurrAndSettersOfNewerKernels) {
  Playground pg(2);
  task_struct* head = nullptr;
  bool set_ok = false;
  u64 vtime = 0;
  pg.body = [&](ExtClass& kf) {
    kf.dsq_insert(pg.held[1], RecordingPolicy::kDsq, SCX_SLICE_DFL, 0);
    head = kf.dsq_peek(RecordingPolicy::kDsq);  // still in the dispatch buffer: not visible
    set_ok = kf.task_set_dsq_vtime(pg.held[0], 777) && kf.task_set_slice(pg.held[0], 5);
    vtime = pg.held[0]->scx.dsq_vtime;
  };
  pg.run();
  EXPECT_EQ(head, nullptr);
  EXPECT_TRUE(set_ok);
  EXPECT_EQ(vtime, 777u);
  EXPECT_EQ(pg.held[0]->scx.slice, 5u);
}

TEST(ExtDsq, PeekSeesTheHeadWithoutTakingIt) {
  ExtSim s("1");
  auto pol = std::make_unique<RecordingPolicy>(all_task_ops());
  std::vector<std::string> peeked;
  pol->on_dispatch = [p = pol.get(), &peeked](s32, task_struct*) {
    task_struct* h = p->kf().dsq_peek(RecordingPolicy::kDsq);
    peeked.push_back(tname(h));
    p->kf().dsq_move_to_local(RecordingPolicy::kDsq);
  };
  s.attach(std::move(pol));
  WorkloadBuilder wb("w");
  wb.task("a").program().run(ms(1));
  wb.task("b").program().run(ms(1));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(5)).ok());
  // Load-time dispatch (empty), then a (a and b queued), then b once a has exited, then empty.
  EXPECT_EQ(peeked, (std::vector<std::string>{"NULL", "a", "b", "NULL"}));
}

TEST(ExtDsq, PeekAtABuiltinDsqAborts) {
  Playground pg(1);
  pg.body = [&](ExtClass& kf) { EXPECT_EQ(kf.dsq_peek(SCX_DSQ_GLOBAL), nullptr); };
  pg.run();
  ASSERT_TRUE(pg.s.ext->exit_info().has_value());
  EXPECT_EQ(pg.s.ext->exit_info()->msg, "scx_bpf_dsq_peek: invalid DSQ 0x8000000000000001");
}

TEST(ExtDsq, LockedRqIsTheTasksRqAndAbortsInSelectCpu) {
  ExtSim s("2");
  auto pol = std::make_unique<RecordingPolicy>(all_task_ops());
  std::vector<int> seen;
  pol->on_enqueue = [p = pol.get(), &seen](task_struct* t, u64 f) {
    seen.push_back(p->kf().locked_rq()->cpu);
    p->kf().dsq_insert(t, SCX_DSQ_LOCAL, SCX_SLICE_DFL, f);
  };
  pol->on_select_cpu = [p = pol.get()](task_struct*, s32 prev, u64) {
    (void)p->kf().locked_rq();  // no rq lock in select_cpu
    return prev;
  };
  s.attach(std::move(pol));
  WorkloadBuilder wb("w");
  wb.task("a").cpus(CpuMask::single(1)).program().run(ms(1));  // one CPU: select_cpu skipped
  wb.task("b").delay(ms(2)).program().run(ms(1));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(5)).ok());
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen[0], 1);
  ASSERT_TRUE(s.ext->exit_info().has_value());
  EXPECT_EQ(s.ext->exit_info()->msg, "scx_bpf_locked_rq() called without a locked rq");
}

}  // namespace
}  // namespace scx::testing
