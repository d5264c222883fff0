// What the run report says of a BPF scheduler: every kernel log line in JSON, and callback
// counts only for the programs the object has.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../ext/ext_harness.h"
#include "bpf/host/bpf_ops.h"
#include "cli/runner.h"
#include "workload/generators.h"

namespace scx {
namespace {

const std::string kSched = SCXSIM_BPF_SCHEDULERS;
const std::string kSubjects = SCXSIM_BPF_HOST_SUBJECTS;

// kfuncs_sched with fail_after=10 calls scx_bpf_error("forced failure 10") at its tenth enqueue
// (the first few come before it is enabled, so this one comes once it runs):
// the kernel logs the enable, the disable with its reason, and the error's message. JSON keeps
// all three lines, in order (a JSON object with a repeated key kept only the last).
TEST(BpfRunReport, JsonKeepsEveryKernelLogLine) {
  RunOptions o;
  o.topology = "2";
  o.workload = "hogs:count=4";
  o.duration = 100 * kNsPerMs;
  o.sched = kSubjects + "/kfuncs_sched.bpf.o";
  o.bpf_globals = {"fail_after=10"};
  o.series_buckets = 0;
  auto r = run_simulation(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::vector<std::string> text_lines;
  for (const auto& [k, v] : r->report.info.scheduler_state)
    if (k == kKernelLogKey) text_lines.push_back(v);
  ASSERT_EQ(text_lines.size(), 3u);
  // Each line is "[seconds] message"; the messages are the kernel's (scx_enable/disable_workfn).
  auto message = [](const std::string& l) { return l.substr(l.find("] ") + 2); };
  EXPECT_EQ(message(text_lines[0]), "sched_ext: BPF scheduler \"kfuncs\" enabled");
  EXPECT_EQ(message(text_lines[1]), "sched_ext: BPF scheduler \"kfuncs\" disabled (scx_bpf_error)");
  EXPECT_EQ(message(text_lines[2]), "sched_ext: kfuncs: forced failure 10");
  const nlohmann::json j = nlohmann::json::parse(format_run_json(r->report));
  const nlohmann::json& log = j["scheduler_state"][kKernelLogKey];
  ASSERT_TRUE(log.is_array()) << log.dump();
  EXPECT_EQ(log.get<std::vector<std::string>>(), text_lines);
}

// An object without an exit_task program (simple.bpf.o) is never counted as running one, yet
// the host still forgets a dead task's task_struct region (a stale pointer then faults); with
// one (prio.bpf.o) every task that leaves is counted once.
TEST(BpfRunReport, ExitTaskIsCountedOnlyWithAProgram) {
  for (const std::string name : {"simple", "prio"}) {
    SCOPED_TRACE(name);
    testing::ExtSim sim{"2", testing::zero_costs()};
    bpf::BpfHostOptions bo;
    bo.nr_cpus = 2;
    bo.topology = &sim.topo;
    auto ops = bpf::BpfScxOps::load(kSched + "/" + name + ".bpf.o", bo);
    ASSERT_TRUE(ops.ok()) << ops.status().message();
    bpf::BpfScxOps* raw = ops->get();
    sim.ext->load_at(std::move(*ops), 0);
    auto w = resolve_workload("build:tasks=6,max=5ms", 2, 1);
    ASSERT_TRUE(w.ok()) << w.status().message();
    sim.load(*w);
    ASSERT_TRUE(sim.kernel->run_until_idle(5 * kNsPerSec).ok());
    ASSERT_EQ(sim.ext->state().state, "enabled");
    uint64_t dead = 0;
    for (const auto& t : sim.kernel->tasks()) {
      if (t->state != TaskState::Dead) continue;
      ++dead;
      EXPECT_EQ(raw->vm().memory().find(reinterpret_cast<uint64_t>(&t->kt())), nullptr) << t->comm;
    }
    EXPECT_GE(dead, 6u);
    EXPECT_EQ(sim.ext->callback_count(ScxOp::ExitTask), name == "prio" ? dead : 0u);
  }
}

}  // namespace
}  // namespace scx
