// The cap on a workload's task count (--max-tasks): a 1 KB rt-app file asking for 60 tasks of
// 65536 instances each would take gigabytes before the first simulated nanosecond.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "kernel/program.h"

namespace scx {

// The default, kDefaultMaxTasks (kernel/program.h), is far above any bundled workload or real
// machine's thread count (docs/workloads.md, "Task limit").
// The tasks a workload starts (every TaskSpec's instances).
int64_t workload_task_count(const Workload& w);

// An error naming `origin` when `tasks` exceeds `max_tasks`.
Status check_task_count(int64_t tasks, int64_t max_tasks, const std::string& origin);

}  // namespace scx
