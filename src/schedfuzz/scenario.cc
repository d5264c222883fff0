#include "schedfuzz/scenario.h"

#include <algorithm>

namespace scx::fuzz {

std::string scenario_json_text(const FuzzScenario& s) { return s.workload.dump(2) + "\n"; }

int scenario_task_count(const FuzzScenario& s) {
  int n = 0;
  for (const auto& [name, task] : s.workload.at("tasks").items())
    n += std::max<int>(1, task.value("instance", 1));
  return n;
}

}  // namespace scx::fuzz
