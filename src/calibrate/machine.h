// What a cost profile says about the machine it was measured on: CPU model, CPU count, kernel
// release, whether it runs under a hypervisor, its cpuidle driver and the date.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace scx::calib {

// key -> text, in the order a profile prints them ("cpu", "cpus", "kernel", "virtualized",
// "cpuidle", "date").
std::vector<std::pair<std::string, std::string>> describe_machine();

}  // namespace scx::calib
