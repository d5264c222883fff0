// The `containers` generator: a few cgroups side by side, like containers or services on one
// host, each with its own cpu.weight (and optionally a cpu.max quota) and its own tasks. Options
// are in docs/workloads.md; the registry in generators.cc gives the one-line summary.
#include <fmt/format.h>

#include "workload/builder.h"
#include "workload/gen_internal.h"

namespace scx {

// Group i is the cgroup "/ct<i>" with cpu.weight weights[i % len] and, when quota > 0, cpu.max
// "<quota% of period> 100000" (quota is a percentage of one CPU). Its `tasks` tasks
// "ct<i>-w<j>" are CPU hogs doing `work` per loop (load=hog) or, with load=mixed, every second
// one is a service that runs `work` then sleeps `sleep`. Counter: "loops" (one per work chunk).
Result<Workload> build_containers(GeneratorOptions& o) {
  SCX_ASSIGN_OR_RETURN(int64_t groups, o.get_int("groups", 4, 1, 256));
  SCX_ASSIGN_OR_RETURN(std::vector<int64_t> weights, o.get_int_list("weights", {100, 200, 300, 400}, 1, 10000));
  SCX_ASSIGN_OR_RETURN(int64_t tasks, o.get_int("tasks", 2, 1, 1000));
  SCX_ASSIGN_OR_RETURN(std::string load, o.get_string("load", "hog", {"hog", "mixed"}));
  SCX_ASSIGN_OR_RETURN(Ns work, o.get_duration("work", 10 * kNsPerMs, kNsPerUs, 10 * kNsPerSec));
  SCX_ASSIGN_OR_RETURN(Ns sleep, o.get_duration("sleep", 10 * kNsPerMs, kNsPerUs, 10 * kNsPerSec));
  SCX_ASSIGN_OR_RETURN(int64_t quota, o.get_int("quota", 0, 0, 100 * 1024));
  WorkloadBuilder wb("containers");
  for (int64_t i = 0; i < groups; ++i) {
    const std::string path = fmt::format("/ct{}", i);
    std::vector<std::pair<std::string, std::string>> files{
        {"cpu.weight", std::to_string(weights[static_cast<size_t>(i) % weights.size()])}};
    // cpu.max in microseconds per 100 ms period; the kernel's minimum quota is 1 ms (1 %).
    if (quota > 0) files.emplace_back("cpu.max", fmt::format("{} 100000", quota * 1000));
    wb.cgroup(path, std::move(files));
    for (int64_t j = 0; j < tasks; ++j) {
      ProgramBuilder p = wb.task(fmt::format("ct{}-w{}", i, j)).cgroup(path).program();
      p.begin_loop(-1).run(work).mark("loops");
      if (load == "mixed" && j % 2 == 1) p.sleep(sleep);
      p.end_loop().exit();
    }
  }
  return std::move(wb).build();
}

}  // namespace scx
