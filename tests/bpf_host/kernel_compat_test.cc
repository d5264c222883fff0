// Kernel features the public scx schedulers need from the simulated kernel, through BPF
// objects of our own: the kernel state read directly (kernel_state): the task's cgroup, the
// rq's PELT clock, the guard(rcu) type.
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

TEST(KernelCompat, CgroupPeltClockAndRcuGuardAreReadable) {
  for (const char* topology : {"nodes=2,cores=2,smt=2", "desktop-hybrid"}) {
    SCOPED_TRACE(topology);
    RunOutput r = run(topology, "pingpong:pairs=4", "kernel_state.bpf.o");
    EXPECT_NE(state(r, "EXIT").find("kernel state ok"), std::string::npos) << state(r, "EXIT");
  }
}

}  // namespace
}  // namespace scx
