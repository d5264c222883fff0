// Parsing of Linux cpulist strings ("0-3,8"), shared by topology files, /sys import and
// workload affinity.
#pragma once

#include <string_view>

#include "base/cpumask.h"
#include "base/status.h"

namespace scx {

// Parses "0-3,8,10-11" (spaces and a trailing newline allowed). Errors name the bad token.
Result<CpuMask> parse_cpulist(std::string_view text);

}  // namespace scx
