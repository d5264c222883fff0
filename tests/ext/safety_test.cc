// The safety net: watchdog, scx_bpf_error, kfunc misuse, invalid verdicts, unload — each ejects
// the policy with the kernel's exit kind and message, and the run goes on under the fair class.
#include "ext_harness.h"

namespace scx::testing {
namespace {

using V = std::vector<std::string>;

std::vector<ScxOp> enqueue_dispatch_ops() {
  return {ScxOp::Enqueue, ScxOp::Dispatch, ScxOp::Init, ScxOp::Exit, ScxOp::InitTask, ScxOp::ExitTask,
          ScxOp::Enable, ScxOp::Disable};
}

TEST(ExtSafety, WatchdogEjectsAPolicyThatNeverDispatches) {
  ExtSim s("1");
  auto pol = std::make_unique<RecordingPolicy>(enqueue_dispatch_ops());
  pol->mutable_info().timeout_ms = 100;
  pol->on_enqueue = [](task_struct*, u64) {};  // keeps every task to itself
  pol->on_dispatch = [](s32, task_struct*) {};
  auto& rec = s.attach(std::move(pol));
  WorkloadBuilder wb("w");
  wb.task("a").program().run(ms(10));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(kNsPerSec).ok());
  // Checked every timeout/2 = 50 ms: at 150 ms a has waited 37 jiffies (> 25) of 4 ms.
  ASSERT_TRUE(s.ext->exit_info().has_value());
  EXPECT_EQ(s.ext->exit_info()->kind, SCX_EXIT_ERROR_STALL);
  EXPECT_EQ(s.ext->exit_info()->reason, "runnable task stall");
  EXPECT_EQ(s.ext->exit_info()->msg, "a[1000] failed to run for 0.148s");
  EXPECT_EQ(s.ext->state().state, "disabled");
  EXPECT_NE(s.ext->exit_info()->dump.find("triggered exit kind 1026"), std::string::npos);
  // The exit also reaches the metrics through the trace (sched_ext_exit).
  EXPECT_EQ(s.metrics->scx().exit_kind(), std::optional<std::string>("1026"));
  EXPECT_EQ(s.metrics->scx().exit_reason(), std::optional<std::string>("runnable task stall"));
  // ops.exit saw the same kind; the task then finished its 10 ms under the fair class.
  EXPECT_EQ(rec.log.back(), "150000:exit(kind=1026)");
  EXPECT_EQ(s.task("a").cpu_time, ms(10));
  EXPECT_EQ(s.rec.filter("exit:a"), (V{"160000:0:exit:a"}));
  EXPECT_EQ(s.ext->log(), (V{"[0.000000] sched_ext: BPF scheduler \"recorder\" enabled",
                             "[0.150000] sched_ext: BPF scheduler \"recorder\" disabled (runnable task stall)",
                             "[0.150000] sched_ext: recorder: a[1000] failed to run for 0.148s"}));
}

// The watchdog measures the same stall when the scheduler's clock starts at the uptime.
TEST(ExtSafety, WatchdogIsTheSameWithAnUptime) {
  ExtSim s("1", zero_costs(), KernelVersion::V6_12, 100 * kNsPerSec);
  auto pol = std::make_unique<RecordingPolicy>(enqueue_dispatch_ops());
  pol->mutable_info().timeout_ms = 100;
  pol->on_enqueue = [](task_struct*, u64) {};
  pol->on_dispatch = [](s32, task_struct*) {};
  s.attach(std::move(pol));
  WorkloadBuilder wb("w");
  wb.task("a").program().run(ms(10));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(kNsPerSec).ok());
  ASSERT_TRUE(s.ext->exit_info().has_value());
  EXPECT_EQ(s.ext->exit_info()->msg, "a[1000] failed to run for 0.148s");
  EXPECT_EQ(s.rec.filter("exit:a"), (V{"160000:0:exit:a"}));
}

TEST(ExtSafety, ScxBpfErrorEjectsWithTheMessage) {
  ExtSim s("2");
  auto pol = std::make_unique<RecordingPolicy>(enqueue_dispatch_ops());
  RecordingPolicy* raw = pol.get();
  pol->on_dispatch = [raw](s32, task_struct*) {
    raw->kf().dsq_move_to_local(RecordingPolicy::kDsq);
    if (raw->kf().now() >= ms(5)) raw->kf().error_bstr("boom at 5ms");
  };
  s.attach(std::move(pol));
  WorkloadBuilder wb("w");
  for (int i = 0; i < 4; ++i) wb.task(fmt::format("t{}", i)).program().begin_loop(20).run(ms(1)).sleep(ms(1)).end_loop();
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(kNsPerSec).ok());
  ASSERT_TRUE(s.ext->exit_info().has_value());
  EXPECT_EQ(s.ext->exit_info()->kind, SCX_EXIT_ERROR_BPF);
  EXPECT_EQ(s.ext->exit_info()->msg, "boom at 5ms");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(s.task(fmt::format("t{}", i)).cpu_time, ms(20));
  EXPECT_TRUE(s.kernel->check_invariants().ok());
}

TEST(ExtSafety, KfuncFromTheWrongContextIsAnError) {
  ExtSim s("1");
  auto pol = std::make_unique<RecordingPolicy>(enqueue_dispatch_ops());
  RecordingPolicy* raw = pol.get();
  pol->on_enqueue = [raw](task_struct* p, u64 f) {
    raw->kf().dispatch_nr_slots();  // a dispatch-only kfunc inside ops.enqueue
    raw->kf().dsq_insert(p, RecordingPolicy::kDsq, SCX_SLICE_DFL, f);
  };
  s.attach(std::move(pol));
  WorkloadBuilder wb("w");
  wb.task("a").program().run(ms(1));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(kNsPerSec).ok());
  ASSERT_TRUE(s.ext->exit_info().has_value());
  EXPECT_EQ(s.ext->exit_info()->kind, SCX_EXIT_ERROR);
  EXPECT_EQ(s.ext->exit_info()->msg, "kfunc with mask 0x4 called from an operation only allowing 0x8");
}

// The wording is the kernel's: 6.14 reworded it ("sched_ext: Fix incorrect assumption about
// migration disabled tasks in task_can_run_on_remote_rq()").
// The abort of a LOCAL_ON verdict naming CPU 1 for a task pinned to CPU 0, as each kernel words it.
std::string local_on_abort(KernelVersion v) {
  return v == KernelVersion::V6_18 ? "SCX_DSQ_LOCAL[_ON] target CPU 1 not allowed for pinned[1000]"
                                   : "SCX_DSQ_LOCAL[_ON] verdict target cpu 1 not allowed for pinned[1000]";
}

// Runs one task pinned to CPU 0 for 1 ms under `pol` on 2 CPUs until nothing is left to run.
void run_pinned_task(ExtSim& s, std::unique_ptr<RecordingPolicy> pol) {
  s.attach(std::move(pol));
  WorkloadBuilder wb("w");
  wb.task("pinned").cpus(CpuMask::single(0)).program().run(ms(1));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(kNsPerSec).ok());
}

TEST(ExtSafety, LocalOnToADisallowedCpuAborts) {
  for (KernelVersion v : {KernelVersion::V6_12, KernelVersion::V6_18}) {
    SCOPED_TRACE(kernel_version_name(v));
    ExtSim s("2", zero_costs(), v);
    auto pol = std::make_unique<RecordingPolicy>(enqueue_dispatch_ops());
    RecordingPolicy* raw = pol.get();
    pol->on_enqueue = [raw](task_struct* p, u64 f) { raw->kf().dsq_insert(p, SCX_DSQ_LOCAL_ON | 1, SCX_SLICE_DFL, f); };
    run_pinned_task(s, std::move(pol));
    ASSERT_TRUE(s.ext->exit_info().has_value());
    EXPECT_EQ(s.ext->exit_info()->msg, local_on_abort(v));
    EXPECT_EQ(s.rec.filter("exit:pinned"), (V{"1000:0:exit:pinned"}));  // fell back to the global DSQ
  }
}

// The same check on scx_bpf_dsq_move()'s path (task_can_run_on_remote_rq() with enforce, the
// function whose message 6.14's f3f08c3acfb8 reworded): the wording follows --kernel too.
TEST(ExtSafety, DsqMoveToADisallowedCpuAborts) {
  for (KernelVersion v : {KernelVersion::V6_12, KernelVersion::V6_18}) {
    SCOPED_TRACE(kernel_version_name(v));
    ExtSim s("2", zero_costs(), v);
    auto pol = std::make_unique<RecordingPolicy>(enqueue_dispatch_ops());
    RecordingPolicy* raw = pol.get();
    pol->on_dispatch = [raw](s32, task_struct*) {
      bpf_iter_scx_dsq it{};
      raw->kf().iter_scx_dsq_new(&it, RecordingPolicy::kDsq, 0);
      while (task_struct* p = raw->kf().iter_scx_dsq_next(&it)) raw->kf().dsq_move(&it, p, SCX_DSQ_LOCAL_ON | 1, 0);
      raw->kf().iter_scx_dsq_destroy(&it);
    };
    run_pinned_task(s, std::move(pol));
    ASSERT_TRUE(s.ext->exit_info().has_value());
    EXPECT_EQ(s.ext->exit_info()->msg, local_on_abort(v));
  }
}

TEST(ExtSafety, DispatchBufferOverflowAborts) {
  ExtSim s("1");
  auto pol = std::make_unique<RecordingPolicy>(enqueue_dispatch_ops());
  pol->mutable_info().dispatch_max_batch = 2;
  RecordingPolicy* raw = pol.get();
  std::vector<task_struct*> held;
  pol->on_enqueue = [&held](task_struct* p, u64) { held.push_back(p); };
  pol->on_dispatch = [raw, &held](s32, task_struct*) {
    for (task_struct* p : held) raw->kf().dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, 0);
    held.clear();
  };
  s.attach(std::move(pol));
  WorkloadBuilder wb("w");
  for (int i = 0; i < 3; ++i) wb.task(fmt::format("t{}", i)).program().run(ms(1));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(kNsPerSec).ok());
  ASSERT_TRUE(s.ext->exit_info().has_value());
  EXPECT_EQ(s.ext->exit_info()->msg, "dispatch buffer overflow");
}

TEST(ExtSafety, StaleAndSpuriousDispatchesAreDroppedSilently) {
  ExtSim s("1");
  auto pol = std::make_unique<RecordingPolicy>(enqueue_dispatch_ops());
  RecordingPolicy* raw = pol.get();
  std::vector<task_struct*> held;
  pol->on_enqueue = [&held](task_struct* p, u64) { held.push_back(p); };
  pol->on_dispatch = [raw, &held](s32, task_struct*) {
    for (task_struct* p : held) {
      raw->kf().dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, 0);
      raw->kf().dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, 0);  // the second one is stale
    }
    held.clear();
  };
  s.attach(std::move(pol));
  WorkloadBuilder wb("w");
  wb.task("a").program().run(ms(1)).sleep(ms(1)).run(ms(1));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(kNsPerSec).ok());
  EXPECT_FALSE(s.ext->exit_info().has_value());
  EXPECT_EQ(s.task("a").cpu_time, ms(2));
}

TEST(ExtSafety, UnloadMidRunReturnsTasksToFair) {
  ExtSim s("2");
  s.attach(std::make_unique<RecordingPolicy>(all_task_ops()));
  s.ext->unload_at(ms(50));
  WorkloadBuilder wb("w");
  for (int i = 0; i < 3; ++i) wb.task(fmt::format("h{}", i)).program().run(ms(60));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(49)).ok());
  EXPECT_EQ(s.ext->state().state, "enabled");
  EXPECT_EQ(s.ext->state().ops_name, "recorder");
  for (const auto& t : s.kernel->tasks()) EXPECT_STREQ(t->sched_class->name(), "ext");
  ASSERT_TRUE(s.kernel->run_until(ms(51)).ok());
  EXPECT_EQ(s.ext->state().state, "disabled");
  EXPECT_EQ(s.ext->exit_info()->kind, SCX_EXIT_UNREG);
  EXPECT_EQ(s.ext->exit_info()->reason, "unregistered from user space");
  for (const auto& t : s.kernel->tasks()) EXPECT_STREQ(t->sched_class->name(), "fair");
  ASSERT_TRUE(s.kernel->run_until_idle(kNsPerSec).ok());
  EXPECT_TRUE(s.kernel->check_invariants().ok());
}

TEST(ExtSafety, LoadingMidRunSwitchesRunningTasks) {
  ExtSim s("2");
  s.load([] {
    WorkloadBuilder wb("w");
    for (int i = 0; i < 3; ++i) wb.task(fmt::format("h{}", i)).program().run(ms(60));
    return wb.build();
  }());
  auto& pol = s.attach(std::make_unique<RecordingPolicy>(all_task_ops()), ms(10));
  ASSERT_TRUE(s.kernel->run_until(ms(9)).ok());
  for (const auto& t : s.kernel->tasks()) EXPECT_STREQ(t->sched_class->name(), "fair");
  ASSERT_TRUE(s.kernel->run_until(ms(11)).ok());
  for (const auto& t : s.kernel->tasks()) EXPECT_STREQ(t->sched_class->name(), "ext");
  // The load sequence for an existing task: init_task(fork=false), then enable/set_weight/
  // set_cpumask when it switches class.
  auto h2 = pol.since(0, "h2");
  ASSERT_GE(h2.size(), 4u);
  EXPECT_EQ(V(h2.begin(), h2.begin() + 4), (V{"10000:init_task(h2,fork=false)", "10000:enable(h2)",
                                               "10000:set_weight(h2,100)", "10000:set_cpumask(h2)"}));
  ASSERT_TRUE(s.kernel->run_until_idle(kNsPerSec).ok());
  EXPECT_FALSE(s.ext->exit_info().has_value());
  EXPECT_EQ(s.ext->state().enable_seq, 1u);
}

TEST(ExtSafety, PartialModeOnlyTakesSchedExtTasks) {
  ExtSim s("2");
  s.attach(std::make_unique<RecordingPolicy>(all_task_ops(), SCX_OPS_SWITCH_PARTIAL));
  WorkloadBuilder wb("w");
  wb.task("ext_task").policy(Policy::Ext).program().run(ms(5));
  wb.task("fair_task").program().run(ms(5));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until(ms(1)).ok());
  EXPECT_STREQ(s.kernel->find_task(1000)->sched_class->name(), "ext");
  EXPECT_STREQ(s.kernel->find_task(1001)->sched_class->name(), "fair");
  EXPECT_FALSE(s.ext->state().switch_all);
  ASSERT_TRUE(s.kernel->run_until_idle(kNsPerSec).ok());
}

TEST(ExtSafety, InitFailureAbortsTheLoad) {
  ExtSim s("1");
  auto pol = std::make_unique<RecordingPolicy>(all_task_ops());
  pol->on_init = [] { return -12; };
  s.attach(std::move(pol));
  EXPECT_EQ(s.ext->exit_info()->msg, "ops.init() failed (-12)");
  EXPECT_EQ(s.ext->state().state, "disabled");
  WorkloadBuilder wb("w");
  wb.task("a").program().run(ms(1));
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(kNsPerSec).ok());
  EXPECT_STREQ(s.kernel->find_task(1000)->sched_class->name(), "fair");
}

// scx_enable(): a scheduler whose ops.init() fails gets ops.exit() and nothing else: the
// kernel turns on scx_enabled() (and the ops' static keys) only after ops.init() succeeded and
// every task is READY, so no CPU may call ops.dispatch in the window before the disable work.
// ops.init() kicks the idle CPU 1 before it fails, so that CPU 1 picks (and balances from
// the ext class down) in that window.
TEST(ExtSafety, InitFailureCallsOnlyInitAndExit) {
  ExtSim s("2");
  WorkloadBuilder wb("w");
  wb.task("w").cpus(CpuMask::single(0)).program().run(ms(5));
  s.load(wb.build());
  auto pol = std::make_unique<RecordingPolicy>(all_task_ops());
  RecordingPolicy* raw = pol.get();
  pol->on_init = [raw] {
    raw->kf().kick_cpu(1, 0);
    return -12;
  };
  RecordingPolicy& rec = s.attach(std::move(pol), ms(1));
  ASSERT_TRUE(s.kernel->run_until(ms(20)).ok());
  ASSERT_TRUE(s.ext->exit_info().has_value());
  EXPECT_EQ(s.ext->exit_info()->msg, "ops.init() failed (-12)");
  EXPECT_EQ(rec.log, (V{"1000:init", "1000:exit(kind=1024)"}));
  EXPECT_EQ(s.ext->callback_count(ScxOp::Dispatch), 0u);
}

}  // namespace
}  // namespace scx::testing
