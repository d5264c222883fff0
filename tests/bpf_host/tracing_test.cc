// Tracing programs of a scheduler object (src/bpf/host/tracing.h): they fire exactly at the
// simulator's own events, on the event's CPU with `current` as the kernel has it, the
// registration probe runs before ops.init with the prolog's migrate_disable() on current,
// they do not change the schedule, they stop when the scheduler is disabled, and a fault in
// one ejects the scheduler. Bad targets and forbidden kfuncs are load errors.
#include <array>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../ext/ext_harness.h"
#include "bpf/host/bpf_ops.h"
#include "cli/runner.h"
#include "workload/generators.h"

namespace scx {
namespace {

const std::string kSubjects = SCXSIM_BPF_HOST_SUBJECTS;
const std::string kTracing = kSubjects + "/tracing_sched.bpf.o";

// The simulator's own count of each event, and of switches and wake-ups per CPU.
class CountingSink : public TraceSink {
 public:
  void on_event(const TraceEvent& e) override {
    ++count[e.type];
    if (e.type == TraceType::SchedSwitch) ++switch_cpu[e.cpu];
    if (e.type == TraceType::SchedWakeup) ++wakeup_cpu[e.cpu];
  }
  uint64_t of(TraceType t) const {
    auto it = count.find(t);
    return it == count.end() ? 0 : it->second;
  }
  std::map<TraceType, uint64_t> count;
  std::array<uint64_t, 16> switch_cpu{}, wakeup_cpu{};
};

struct TracingRun {
  testing::ExtSim sim{"nodes=2,llcs=1,cores=2,smt=1", testing::zero_costs()};  // 4 CPUs, 2 nodes
  CountingSink events;
  bpf::BpfScxOps* ops = nullptr;
  template <typename T = uint64_t>
  T global(const char* name, size_t i = 0) {
    return reinterpret_cast<const T*>(ops->object().global_data(name))[i];
  }
};

// Attaches the scheduler at t=0, then counts events from the workload's creation on.
void start(TracingRun& run, const std::string& workload,
           std::vector<std::pair<std::string, std::string>> globals = {}) {
  bpf::BpfHostOptions o;
  o.nr_cpus = run.sim.topo.nr_cpus();
  o.topology = &run.sim.topo;
  o.globals = std::move(globals);
  auto ops = bpf::BpfScxOps::load(kTracing, o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  run.ops = ops->get();
  run.sim.ext->load_at(std::move(*ops), 0);
  ASSERT_TRUE(run.sim.kernel->run_until(0).ok());
  run.sim.kernel->trace().subscribe(&run.events);
  auto w = resolve_workload(workload, run.sim.topo.nr_cpus(), 1);
  ASSERT_TRUE(w.ok()) << w.status().message();
  run.sim.load(*w);
}

// The simulated task_struct may lack migration_disabled (then the probe finds no field).
template <typename T>
constexpr bool kHasMigrationDisabled = requires(T t) {
  t.migration_disabled;
};
template <typename T>
int migration_disabled(const T& t) {
  if constexpr (kHasMigrationDisabled<T>) return t.migration_disabled;
  return 0;
}

class BpfTracingCounts : public ::testing::TestWithParam<const char*> {};

TEST_P(BpfTracingCounts, ProgramsFireAtTheSimulatorsEvents) {
  TracingRun run;
  start(run, GetParam());
  ASSERT_TRUE(run.sim.kernel->run_until_idle(5 * kNsPerSec).ok());
  EXPECT_EQ(run.sim.ext->state().state, "enabled");
  const CountingSink& ev = run.events;
  EXPECT_GT(ev.of(TraceType::SchedSwitch), 50u);
  EXPECT_GT(ev.of(TraceType::SchedWakeup), 10u);
  EXPECT_GT(ev.of(TraceType::SchedProcessFork), 10u);
  EXPECT_GT(ev.of(TraceType::SchedMigrateTask), 0u);
  EXPECT_EQ(run.global("nr_switch"), ev.of(TraceType::SchedSwitch));
  EXPECT_EQ(run.global("nr_raw_switch"), ev.of(TraceType::SchedSwitch));
  EXPECT_EQ(run.global("nr_waking"), ev.of(TraceType::SchedWaking));
  EXPECT_EQ(run.global("nr_wakeup"), ev.of(TraceType::SchedWakeup));
  EXPECT_EQ(run.global("nr_wakeup_new"), ev.of(TraceType::SchedWakeupNew));
  EXPECT_EQ(run.global("nr_migrate"), ev.of(TraceType::SchedMigrateTask));
  EXPECT_EQ(run.global("nr_fork"), ev.of(TraceType::SchedProcessFork));
  EXPECT_EQ(run.global("nr_newtask"), ev.of(TraceType::SchedProcessFork));
  EXPECT_EQ(run.global("nr_exit"), ev.of(TraceType::SchedProcessExit));
  // Every dead task's task_struct is released.
  EXPECT_EQ(run.global("nr_free"), ev.of(TraceType::SchedProcessExit));
  EXPECT_EQ(run.global("nr_exit"), run.sim.kernel->stats().exits);
  std::set<int> groups;  // every task exited: each thread group died once
  for (const auto& t : run.sim.kernel->tasks()) groups.insert(t->tgid);
  EXPECT_EQ(run.global("nr_group_dead"), groups.size());
  for (int cpu = 0; cpu < 4; ++cpu) {
    EXPECT_EQ(run.global("switch_cpu", cpu), ev.switch_cpu[cpu]) << "cpu " << cpu;
    EXPECT_EQ(run.global("wakeup_cpu", cpu), ev.wakeup_cpu[cpu]) << "cpu " << cpu;
    // bpf_get_numa_node_id() is the node of the CPU it runs on (CPUs 0-1: node 0, 2-3: node 1).
    if (ev.switch_cpu[cpu]) {
      EXPECT_EQ(run.global<uint32_t>("switch_node", cpu), cpu / 2 + 1u) << "cpu " << cpu;
    }
  }
  EXPECT_EQ(run.global("bad_switch"), 0u);
  EXPECT_EQ(run.global("bad_current"), 0u);
  EXPECT_EQ(run.global("bad_migrate"), 0u);
  EXPECT_EQ(run.global("bad_fork"), 0u);
  // Attached, never reached: no renames or cpusets here; autoload-off programs never load.
  EXPECT_EQ(run.global("nr_rename"), 0u);
  EXPECT_EQ(run.global("nr_resmask"), 0u);
  EXPECT_EQ(run.global("nr_optional"), 0u);
  for (const bpf::TracingProgram& t : run.ops->tracing().programs()) {
    EXPECT_EQ(t.misses, 0u) << t.prog->name;
    if (t.prog->name == "tr_switch") {
      EXPECT_EQ(t.runs, ev.of(TraceType::SchedSwitch));
    }
    if (!t.fires) {
      EXPECT_EQ(t.runs, 0u) << t.prog->name;
    }
  }
}

// Fork/exit churn of processes, and thread groups bouncing messages (wake-ups, exits of
// threads whose group lives on).
INSTANTIATE_TEST_SUITE_P(Workloads, BpfTracingCounts,
                         ::testing::Values("build:tasks=40,max=5ms",
                                           "hackbench:groups=2,fds=4,loops=100,mode=thread"));

// fentry/bpf_scx_reg runs once, before ops.init, with current's migration_disabled raised by
// the prolog; fexit/bpf_scx_reg runs after the registration returned 0.
TEST(BpfTracing, RegistrationProbeRunsBeforeInit) {
  TracingRun run;
  start(run, "hogs:count=2");
  ASSERT_TRUE(run.sim.kernel->run_until(10 * kNsPerMs).ok());
  EXPECT_EQ(run.global("nr_reg_entry"), 1u);
  EXPECT_EQ(run.global("init_saw_entry"), 1u);
  EXPECT_EQ(run.global("nr_reg_exit"), 1u);
  EXPECT_EQ(run.global("init_saw_exit"), 0u);
  EXPECT_EQ(run.global<int64_t>("reg_ret"), 0);
  EXPECT_GE(run.global<int32_t>("probe_pid"), 0);
  if constexpr (kHasMigrationDisabled<task_struct>) {
    // scx_lib_init_probe concludes that the prolog disables migration.
    EXPECT_EQ(run.global<uint32_t>("probe_md"), 1u);
    for (const auto& t : run.sim.kernel->tasks())
      EXPECT_EQ(migration_disabled(t->kt()), 0) << t->comm;
    for (int cpu = 0; cpu < 4; ++cpu)
      EXPECT_EQ(migration_disabled(run.sim.kernel->rq(cpu).idle->kt()), 0);
  } else {
    EXPECT_EQ(run.global<uint32_t>("probe_md"), 2000u);  // the probe finds no field
  }
}

// The user space that attached them detaches them when the scheduler is disabled.
TEST(BpfTracing, DetachedWhenTheSchedulerIsDisabled) {
  TracingRun run;
  start(run, "hogs:count=6");
  run.sim.ext->unload_at(20 * kNsPerMs);
  ASSERT_TRUE(run.sim.kernel->run_until(20 * kNsPerMs).ok());
  EXPECT_EQ(run.sim.ext->state().state, "disabled");
  EXPECT_EQ(run.sim.kernel->tracepoint_probes(), nullptr);
  const uint64_t switches = run.global("nr_switch");
  EXPECT_GT(switches, 0u);
  ASSERT_TRUE(run.sim.kernel->run_until(60 * kNsPerMs).ok());
  EXPECT_GT(run.events.of(TraceType::SchedSwitch), switches);
  EXPECT_EQ(run.global("nr_switch"), switches);
}

// In the kernel a tracing program cannot stop the scheduler, but a fault means it did what the
// verifier would have rejected: the scheduler is ejected, naming the program, and none of the
// object's programs run again; the workload goes on under fair.
TEST(BpfTracing, FaultEjectsTheScheduler) {
  TracingRun run;
  start(run, "hogs:count=6", {{"fault_after", "5"}});
  ASSERT_TRUE(run.sim.kernel->run_until(100 * kNsPerMs).ok());
  EXPECT_EQ(run.sim.ext->state().state, "disabled");
  ASSERT_TRUE(run.sim.ext->exit_info().has_value());
  const std::string msg = run.sim.ext->exit_info()->msg;
  EXPECT_EQ(msg.rfind("BPF program tr_switch (tp_btf/sched_switch) faulted: tr_switch: insn", 0),
            0u)
      << msg;
  EXPECT_NE(msg.find("tracing_sched.bpf.c"), std::string::npos) << msg;
  EXPECT_EQ(run.global("nr_switch"), 5u);
  EXPECT_EQ(run.sim.kernel->tracepoint_probes(), nullptr);
  EXPECT_GT(run.events.of(TraceType::SchedSwitch), 5u);
}

// A fault at the registration's entry stops the load before ops.init.
TEST(BpfTracing, FaultInTheRegistrationProbeStopsTheLoad) {
  TracingRun run;
  start(run, "hogs:count=2", {{"probe_fault", "1"}});
  ASSERT_TRUE(run.sim.kernel->run_until(10 * kNsPerMs).ok());
  EXPECT_EQ(run.sim.ext->state().state, "disabled");
  EXPECT_EQ(run.sim.ext->callback_count(ScxOp::Init), 0u);
  EXPECT_EQ(run.global("init_saw_entry"), 99u);
  EXPECT_EQ(run.global("nr_reg_exit"), 0u);  // no program of the object runs after a fault
  ASSERT_TRUE(run.sim.ext->exit_info().has_value());
  const std::string msg = run.sim.ext->exit_info()->msg;
  EXPECT_EQ(
      msg.rfind("BPF program tr_reg_entry (fentry/bpf_scx_reg) faulted: tr_reg_entry: insn", 0), 0u)
      << msg;
}

TEST(BpfTracing, NonZeroFentryReturnEjects) {
  TracingRun run;
  start(run, "hogs:count=2", {{"fexit_ret", "1"}});
  ASSERT_TRUE(run.sim.kernel->run_until(10 * kNsPerMs).ok());
  EXPECT_EQ(run.sim.ext->state().state, "disabled");
  ASSERT_TRUE(run.sim.ext->exit_info().has_value());
  EXPECT_EQ(run.sim.ext->exit_info()->msg.rfind(
                "BPF program tr_reg_exit (fexit/bpf_scx_reg) returned 1", 0),
            0u)
      << run.sim.ext->exit_info()->msg;
}

TEST(BpfTracing, UnknownTargetIsALoadError) {
  auto ops = bpf::BpfScxOps::load(kSubjects + "/tracing_bad_target.bpf.o");
  ASSERT_FALSE(ops.ok());
  EXPECT_NE(ops.status().message().find(
                "program 'bt_probe' (tp_btf/sched_no_such_event): the kernel has no tracepoint "
                "'sched_no_such_event' to attach to"),
            std::string::npos)
      << ops.status().message();
}

TEST(BpfTracing, StructOpsOnlyKfuncIsALoadError) {
  auto ops = bpf::BpfScxOps::load(kSubjects + "/tracing_bad_kfunc.bpf.o");
  ASSERT_FALSE(ops.ok());
  EXPECT_NE(ops.status().message().find(
                "program 'bk_wakeup' (tp_btf/sched_wakeup): calls kfunc "
                "'scx_bpf_dsq_insert', which the kernel allows only in struct_ops"),
            std::string::npos)
      << ops.status().message();
}

// Tracing programs observe; the schedule is the native fifo policy's, event for event.
TEST(BpfTracing, ScheduleIsUnchanged) {
  struct Case {
    const char* topology;
    const char* workload;
    Ns duration;
  };
  for (const Case& c : {Case{"4", "build:tasks=30,max=20ms", 2 * kNsPerSec},
                        Case{"4", "interactive:hogs=2", 300 * kNsPerMs},
                        Case{"4", "pingpong:pairs=3", 100 * kNsPerMs}}) {
    SCOPED_TRACE(c.workload);
    RunOptions o;
    o.topology = c.topology;
    o.workload = c.workload;
    o.duration = c.duration;
    o.fingerprint = true;
    o.series_buckets = 0;
    o.sched = "fifo";
    auto native = run_simulation(o);
    o.sched = kTracing;
    auto traced = run_simulation(o);
    ASSERT_TRUE(native.ok()) << native.status().message();
    ASSERT_TRUE(traced.ok()) << traced.status().message();
    EXPECT_EQ(*native->report.info.fingerprint, *traced->report.info.fingerprint);
    EXPECT_EQ(traced->metrics->scx().printk_lines(),
              1u);  // the first sched_switch's line: they ran
  }
}

}  // namespace
}  // namespace scx
