#include "workload/task_limit.h"

namespace scx {

int64_t workload_task_count(const Workload& w) {
  int64_t n = 0;
  for (const TaskSpec& t : w.tasks) n += t.instances;
  return n;
}

Status check_task_count(int64_t tasks, int64_t max_tasks, const std::string& origin) {
  if (tasks <= max_tasks) return Status();
  return Status::Errorf(origin, "{} tasks, more than the limit of {} (raise it with --max-tasks)", tasks,
                        max_tasks);
}

}  // namespace scx
