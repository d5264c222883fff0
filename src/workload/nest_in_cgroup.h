// Running a whole workload inside one cgroup, as a container, a systemd slice or validate's
// cpu cgroup holds the real run: `scxsim run --cgroup /PATH[:FILE=VALUE,...]`.
#pragma once

#include <string_view>

#include "base/status.h"
#include "kernel/program.h"

namespace scx {

// "/PATH" or "/PATH:FILE=VALUE,FILE=VALUE" (the kernel's file names and formats, e.g.
// "/scxval:cpu.shares=262144" or "/box:cpu.max=50000 100000,cpuset.cpus=0-3").
Result<CgroupSpec> parse_cgroup_option(std::string_view text);

// Makes `outer` (with its files) the workload's first cgroup and moves the workload into it:
// its own cgroups become descendants (/a -> /outer/a), tasks without a cgroup start in it.
void nest_in_cgroup(Workload& w, const CgroupSpec& outer);

}  // namespace scx
