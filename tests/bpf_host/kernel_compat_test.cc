// Kernel features the public scx schedulers need from the simulated kernel, through BPF
// objects of our own: 6.15's per-node idle masks (idle_node), and the kernel state read
// directly (kernel_state): the task's cgroup, the rq's PELT clock, the guard(rcu) type.
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli/runner.h"

namespace scx {
namespace {

const std::string kSubjects = SCXSIM_BPF_HOST_SUBJECTS;

RunOutput run(const std::string& topology, const std::string& workload, const std::string& object,
              std::vector<std::string> globals = {}, const std::string& profile = "") {
  RunOptions o;
  o.topology = topology;
  o.workload = workload;
  o.duration = 300 * kNsPerMs;
  o.sched = kSubjects + "/" + object;
  o.bpf_globals = std::move(globals);
  o.profile = profile;
  o.series_buckets = 0;
  auto r = run_simulation(o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : RunOutput{};
}

std::string state(const RunOutput& r, const std::string& key) {
  for (const auto& [k, v] : r.report.info.scheduler_state)
    if (k == key) return v;
  return "";
}

TEST(KernelCompat, PerNodeIdleKfuncsStayInTheirNode) {
  for (const char* workload : {"interactive:hogs=4", "pingpong:pairs=6"}) {
    SCOPED_TRACE(workload);
    RunOutput r = run("nodes=2,cores=4,smt=2", workload, "idle_node.bpf.o");
    EXPECT_EQ(state(r, "EXIT"), "");
    EXPECT_EQ(state(r, "sched_ext state"), "enabled");
  }
}

TEST(KernelCompat, PerNodeIdleMisuseIsAnErrorExit) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"misuse=1", "per-node idle tracking is enabled"},
      {"misuse=2", "SCX_OPS_BUILTIN_IDLE_PER_NODE enabled"},
      {"misuse=3", "per-node idle tracking is enabled"},
      {"misuse=4", "invalid node 2"},
      {"misuse=5", "enoent ok"},
  };
  for (const auto& [set, msg] : cases) {
    SCOPED_TRACE(set);
    RunOutput r = run("nodes=2,cores=2", "hogs:count=2", "idle_node.bpf.o", {set});
    EXPECT_NE(state(r, "EXIT").find(msg), std::string::npos) << state(r, "EXIT");
  }
  const std::string flat = ::testing::TempDir() + "idle_node_flat.json";
  std::ofstream(flat) << R"({"ops_name": "idle_node", "ops": {"flags": "0"}})";
  RunOutput r = run("nodes=2,cores=2", "hogs:count=2", "idle_node.bpf.o", {}, flat);
  EXPECT_NE(state(r, "EXIT").find("per-node idle tracking is disabled"), std::string::npos) << state(r, "EXIT");
}

TEST(KernelCompat, CgroupPeltClockAndRcuGuardAreReadable) {
  for (const char* topology : {"nodes=2,cores=2,smt=2", "desktop-hybrid"}) {
    SCOPED_TRACE(topology);
    RunOutput r = run(topology, "pingpong:pairs=4", "kernel_state.bpf.o");
    EXPECT_NE(state(r, "EXIT").find("kernel state ok"), std::string::npos) << state(r, "EXIT");
  }
}

}  // namespace
}  // namespace scx
