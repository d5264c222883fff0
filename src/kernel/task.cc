#include "kernel/task.h"

#include <fmt/format.h>

#include "base/check.h"

namespace scx {

const char* task_state_name(TaskState s) {
  switch (s) {
    case TaskState::New: return "new";
    case TaskState::Runnable: return "runnable";
    case TaskState::Running: return "running";
    case TaskState::Blocked: return "blocked";
    case TaskState::Waking: return "waking";
    case TaskState::Dead: return "dead";
  }
  return "?";
}

bool task_transition_allowed(TaskState from, TaskState to) {
  switch (from) {
    case TaskState::New: return to == TaskState::Runnable;
    case TaskState::Runnable: return to == TaskState::Running;
    case TaskState::Running:
      return to == TaskState::Runnable || to == TaskState::Blocked || to == TaskState::Dead;
    case TaskState::Blocked: return to == TaskState::Waking;
    case TaskState::Waking: return to == TaskState::Runnable;
    case TaskState::Dead: return false;
  }
  return false;
}

void Task::set_state(TaskState to) {
  SCX_CHECK_MSG(task_transition_allowed(state, to),
                fmt::format("task {} ({}): illegal transition {} -> {}", comm, pid,
                            task_state_name(state), task_state_name(to)));
  state = to;
}

}  // namespace scx
