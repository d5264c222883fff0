// The hostile-scheduler suite: one scheduler object misbehaving in each of the ways a
// sched_ext scheduler can (tests/bpf_host/hostile_cases.bpf.c), each run on the same small
// workload. Every case is contained: the scheduler is ejected with the exit kind the kernel
// would report and a one-line reason (or, for a storm, left running as the kernel leaves it),
// the simulation goes on under fair, and every task makes progress after the ejection. Where
// the ejection comes before any task ran under the scheduler (ops.init, init_task, enable), the
// run (through `scxsim run`'s path) is the pure fair run: per-task results are identical.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <string>
#include <vector>

#include "cli/runner.h"
#include "object_run.h"

namespace scx {
namespace {

const std::string kSubjects = SCXSIM_BPF_HOST_SUBJECTS;
const std::string kCases = kSubjects + "/hostile_cases.bpf.o";

// Two CPUs, tasks pinned to each, a subset and free ones; each works 5 ms and sleeps 5 ms
// forever, so every task keeps wanting CPU time.
constexpr const char* kTopology = "2";
constexpr const char* kWorkload = "pinned";
constexpr Ns kEjectedBy = 1500 * kNsPerMs;  // the stall watchdog (timeout_ms = 500) included
constexpr Ns kProgressWindow = 200 * kNsPerMs;

struct HostileCase {
  const char* name;
  uint32_t hostile_case;  // hostile_cases.bpf.c's HC_* value
  int exit_kind;
  const char* reason;  // part of the exit message
  bool before_tasks;   // ejected before any task ran under it: the run is the fair run
};

void PrintTo(const HostileCase& c, std::ostream* os) { *os << c.name; }

constexpr int kError = SCX_EXIT_ERROR, kErrorBpf = SCX_EXIT_ERROR_BPF,
              kStall = SCX_EXIT_ERROR_STALL, kUnregBpf = SCX_EXIT_UNREG_BPF;

const HostileCase kHostileCases[] = {
    {"OobMapWrite", 1, kError, "out of bounds", false},
    {"NullDeref", 2, kError, "null pointer dereference", false},
    {"EndlessLoop", 3, kError, "instruction budget exceeded", false},
    {"ReadOnlyField", 4, kError, "(pid): field is read-only", false},
    {"MapValueAsTask", 5, kError, "is not a task_struct", false},
    {"PointerIntoTask", 6, kError, "is not a task_struct", false},
    {"BadDsq", 7, kError, "non-existent DSQ", false},
    {"InsertTwice", 8, kError, "already direct-dispatched", false},
    {"LocalOnDisallowedCpu", 9, kError, "not allowed", false},
    {"LocalOnBadCpu", 10, kError, "invalid CPU 999", false},
    {"SelectBadCpu", 11, kError, "invalid CPU 999", false},
    {"ExitFromSelectCpu", 12, kUnregBpf, "exit from select_cpu", false},
    {"ExitFromEnqueue", 13, kUnregBpf, "exit from enqueue", false},
    {"ExitFromDispatch", 14, kUnregBpf, "exit from dispatch", false},
    {"ExitFromRunning", 15, kUnregBpf, "exit from running", false},
    {"ExitFromStopping", 16, kUnregBpf, "exit from stopping", false},
    {"ExitFromTick", 17, kUnregBpf, "exit from tick", false},
    {"ExitFromInitTask", 18, kUnregBpf, "exit from init_task", true},
    {"ExitFromEnable", 19, kUnregBpf, "exit from enable", true},
    {"ExitFromInit", 20, kUnregBpf, "exit from init", true},
    {"ErrorInInit", 21, kErrorBpf, "error in init", true},
    {"ErrorInInitTask", 22, kErrorBpf, "error in init_task", true},
    {"ErrorInEnable", 23, kErrorBpf, "error in enable", true},
    {"InitFails", 24, kError, "ops.init() failed", true},
    {"InitTaskFails", 25, kError, "ops.init_task() failed", true},
    {"NeverDispatches", 26, kStall, "failed to run for", false},
    {"HugeObject", 27, kErrorBpf, "bpf_obj_new failed", false},
    {"UnreleasedTask", 28, kError, "unreleased reference: the object bpf_task_from_pid", false},
    {"UnreleasedCpumask", 29, kError, "unreleased reference: the object scx_bpf_get_idle_cpumask", false},
    {"UnreleasedObject", 30, kError, "unreleased reference: the object bpf_obj_new_impl", false},
    {"BadCpumaskArg", 31, kError, "is not a bpf_cpumask", false},
    {"UseAfterDrop", 32, kError, "use after bpf_obj_drop", false},
    {"NestedSpinLock", 33, kError, "already held", false},
    {"UnlockUnheld", 34, kError, "not held", false},
    {"ReturnLocked", 35, kError, "bpf_spin_lock held", false},
    {"CtxWrite", 36, kError, "ctx+0x0: region is read-only", false},
    {"DeepCalls", 37, kError, "call depth exceeds", false},
};

class HostileSuite : public ::testing::TestWithParam<HostileCase> {};

std::map<int, Ns> runtimes(const Kernel& k) {
  std::map<int, Ns> out;
  for (const auto& t : k.tasks())
    if (!t->kthread && !t->daemon) out[t->pid] = t->sum_exec_runtime;
  return out;
}

// What `scxsim run` reports per task for 1 s of the workload under `sched` (with hostile_case
// set for a BPF object): CPU time, wait, voluntary/involuntary switches, wake-ups, migrations.
using TaskResults = std::map<int, std::vector<uint64_t>>;
TaskResults per_task_results(const std::string& sched, uint32_t hostile_case) {
  RunOptions o;
  o.topology = kTopology;
  o.workload = kWorkload;
  o.duration = kNsPerSec;
  o.sched = sched;
  if (sched != "eevdf") o.bpf_globals = {fmt::format("hostile_case={}", hostile_case)};
  o.series_buckets = 0;
  // Without noise: the noise's per-CPU wake-up jitter is drawn at every resched, and the
  // load and ejection at t=0 resched CPUs that a run without the scheduler does not, so the
  // draws (not the schedule's rules) would differ from then on.
  o.noise = {"off"};
  auto r = run_simulation(o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  TaskResults out;
  if (!r.ok()) return out;
  for (const TaskMetrics& t : r->metrics->tasks())
    if (!t.kthread)
      out[t.pid] = {static_cast<uint64_t>(t.cpu_time), static_cast<uint64_t>(t.wait_time), t.nvcsw,
                    t.nivcsw, t.wakeups, t.total_migrations()};
  return out;
}

TEST_P(HostileSuite, IsContainedAndTheRunGoesOnUnderFair) {
  const HostileCase& c = GetParam();
  testing::ObjectRun run(kTopology);
  run.start(kCases, kWorkload, {{"hostile_case", std::to_string(c.hostile_case)}});
  ASSERT_TRUE(run.sim.kernel->advance_to(kEjectedBy).ok());
  const auto& exit = run.sim.ext->exit_info();
  ASSERT_TRUE(exit.has_value()) << "still " << run.sim.ext->state().state;
  EXPECT_EQ(run.sim.ext->state().state, "disabled");
  EXPECT_EQ(exit->kind, c.exit_kind) << exit->reason << ": " << exit->msg;
  EXPECT_NE(exit->msg.find(c.reason), std::string::npos) << exit->msg;
  EXPECT_EQ(exit->msg.find('\n'), std::string::npos) << exit->msg;  // one line
  // No host address (0x55..., 0x7f...: 12 hex digits); simulated ones are 0xffff...
  EXPECT_FALSE(std::regex_search(exit->msg, std::regex("0x[1-7][0-9a-f]{11}\\b"))) << exit->msg;
  std::printf("%s: %s at %s: %s\n", c.name, exit->reason.c_str(), format_seconds(exit->at).c_str(),
              exit->msg.c_str());

  // After the ejection every task runs again (under fair).
  const std::map<int, Ns> at_ejection = runtimes(*run.sim.kernel);
  ASSERT_TRUE(run.sim.kernel->advance_to(kEjectedBy + kProgressWindow).ok());
  const std::map<int, Ns> later = runtimes(*run.sim.kernel);
  ASSERT_EQ(later.size(), at_ejection.size());
  for (const auto& [pid, ns] : later) EXPECT_GT(ns, at_ejection.at(pid)) << "pid " << pid;

  // Ejected before any task ran under it: from then on it is the fair run, to the nanosecond.
  if (c.before_tasks) {
    EXPECT_EQ(per_task_results(kCases, c.hostile_case), per_task_results("eevdf", 0));
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, HostileSuite, ::testing::ValuesIn(kHostileCases),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

// Floods the kernel does not eject (docs/sched_ext.md, "Floods"): hostile_storm.bpf.c's timer
// re-armed 0 ns ahead (mode 1) and ops.dispatch kicking its own CPU (mode 4). The scheduler
// stays loaded and every task still runs.
class HostileFlood : public ::testing::TestWithParam<uint32_t> {};

TEST_P(HostileFlood, StaysLoadedAndEveryTaskRuns) {
  testing::ObjectRun run(kTopology);
  run.start(kSubjects + "/hostile_storm.bpf.o", kWorkload, {{"mode", std::to_string(GetParam())}});
  ASSERT_TRUE(run.sim.kernel->advance_to(kProgressWindow).ok());
  const std::map<int, Ns> before = runtimes(*run.sim.kernel);
  ASSERT_TRUE(run.sim.kernel->advance_to(2 * kProgressWindow).ok());
  EXPECT_EQ(run.sim.ext->state().state, "enabled");
  EXPECT_FALSE(run.sim.ext->exit_info().has_value());
  for (const auto& [pid, ns] : runtimes(*run.sim.kernel)) EXPECT_GT(ns, before.at(pid)) << "pid " << pid;
}

INSTANTIATE_TEST_SUITE_P(Storms, HostileFlood, ::testing::Values(1u, 4u));

}  // namespace
}  // namespace scx
