// The cgroup parts of the rt-app JSON front end (docs/workloads.md, "Cgroups"): the top-level
// "cgroups" section (controller files with the kernel's names and value formats), the timed
// "cgroup_events" and the cgroups that rt-app `taskgroup`s name. rt-app itself ignores unknown
// top-level keys, so a file with these sections still runs under rt-app (without them).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "kernel/program.h"

namespace scx {

using RtAppJson = nlohmann::ordered_json;

// The cgroup files a workload may write, as the kernel names them.
inline constexpr const char* kWorkloadCgroupFiles[] = {"cpu.weight", "cpu.weight.nice", "cpu.max", "cpu.idle",
                                                       "cpuset.cpus"};

// Reads "cgroups": {"/a": {"cpu.weight": 100}, "/b/c": {"cpu.max": "50000 100000"}} into
// Workload::cgroups, in document order; each value is checked with the kernel's parser, and
// cpuset.cpus against the machine's `nr_cpus` (0: unchecked).
Status parse_cgroups_section(const RtAppJson& v, Workload& wl, int nr_cpus);

// The index of `path` in Workload::cgroups, added without files when absent (rt-app creates a
// taskgroup's cgroup with mkdir -p). `where` names the key in errors.
Result<uint32_t> workload_cgroup(Workload& wl, const std::string& path, const std::string& where);

// Reads "cgroup_events": [{"at": "2s", "cgroup": "/a", "cpu.weight": 400},
// {"at": "3s", "move": "task", "to": "/b"}] into Workload::cgroup_events. Cgroups must be known
// by then (the "cgroups" section or a taskgroup); `specs_of` gives the TaskSpec indices of an
// rt-app task name (several when its instances were split), empty when there is no such task.
Status parse_cgroup_events(const RtAppJson& v, Workload& wl,
                           const std::function<std::vector<int>(const std::string&)>& specs_of, int nr_cpus);

}  // namespace scx
