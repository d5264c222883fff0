// Shared pieces of the fair group scheduling and bandwidth tests: a fair class installed on a
// Sim, workloads of CPU hogs placed in cgroups, and runs stepped with the hierarchy checked.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "../kernel/harness.h"
#include "kernel/cgroup/cgroup.h"
#include "kernel/fair/fair_class.h"

namespace scx::testing {

inline FairClass& install_fair(Sim& s, KernelVersion v = KernelVersion::V6_12) {
  FairConfig cfg = FairConfig::for_kernel(v, s.topo.nr_cpus(), static_cast<unsigned>(s.kernel->cost().hz));
  auto fair = std::make_unique<FairClass>(*s.kernel, cfg);
  FairClass& ref = *fair;
  s.kernel->set_fair_class(std::move(fair));
  return ref;
}

// A workload of CPU hogs: {name, cgroup path ("" = root)}.
inline Workload hogs(const std::vector<std::pair<std::string, std::string>>& tasks,
                     const std::vector<CgroupSpec>& cgroups) {
  WorkloadBuilder wb("groups");
  for (const auto& [name, cg] : tasks) wb.task(name).program().run(ms(1000000));
  Workload w = wb.build();
  w.cgroups = cgroups;
  for (size_t i = 0; i < tasks.size(); ++i) w.tasks[i].cgroup = tasks[i].second;
  return w;
}

inline Ns runtime_of(Sim& s, const std::string& comm) {
  for (const auto& t : s.kernel->tasks())
    if (t->comm == comm) return t->sum_exec_runtime;
  ADD_FAILURE() << "no task " << comm;
  return 0;
}

// Steps to `until` in 1 ms steps, checking the kernel's and the fair hierarchy's invariants.
inline void run_checked(Sim& s, FairClass& fair, Ns from, Ns until) {
  for (Ns t = from + ms(1); t <= until; t += ms(1)) {
    ASSERT_TRUE(s.kernel->advance_to(t).ok());
    Status inv = s.kernel->check_invariants();
    ASSERT_TRUE(inv.ok()) << "t=" << t << ": " << inv.message();
    Status h = fair.check_hierarchy();
    ASSERT_TRUE(h.ok()) << "t=" << t << ": " << h.message();
  }
}

// The tasks' summed CPU time as a fraction of `total`.
inline double share(Sim& s, const std::vector<std::string>& comms, Ns total) {
  Ns sum = 0;
  for (const auto& c : comms) sum += runtime_of(s, c);
  return static_cast<double>(sum) / static_cast<double>(total);
}

}  // namespace scx::testing
