// Native C++ sched_ext policies: each is a small ScxOps class written the way its BPF twin is
// (the same callbacks, the same kfunc calls), so the twin must produce the identical schedule.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "kernel/ext/ops.h"

namespace scx {

struct PolicyInfo {
  std::string name;
  std::string description;
  std::function<std::unique_ptr<ScxOps>()> make;
};

// --sched names: fifo, vtime, central, prio, llc.
const std::vector<PolicyInfo>& native_policies();
const PolicyInfo* find_native_policy(const std::string& name);

}  // namespace scx
