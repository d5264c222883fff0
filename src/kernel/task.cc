#include "kernel/task.h"

#include <fmt/format.h>

#include "base/check.h"
#include "kernel/cgroup/cgroup.h"

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

void Task::sync_kernel_view() {
  kt.pid = pid;
  kt.tgid = tgid;
  const size_t n = comm.size() < sizeof(kt.comm) - 1 ? comm.size() : sizeof(kt.comm) - 1;
  for (size_t i = 0; i < sizeof(kt.comm); ++i) kt.comm[i] = i < n ? comm[i] : '\0';
  kt.flags = kthread ? PF_KTHREAD : 0;
  if (!group_mm) own_mm.owner = &kt;
  kt.mm = kthread ? nullptr : group_mm ? group_mm : &own_mm;
  kt.numa_preferred_nid = -1;
  kt.cgroups = cgroup ? cgroup->css_set() : nullptr;  // a task made outside a kernel
  if (is_idle_task()) kt.flags |= PF_IDLE;
  if (state == TaskState::Dead) kt.flags |= PF_EXITING;
  kt.prio = kt.normal_prio = prio;
  kt.static_prio = is_rt_policy(policy) ? kDefaultPrio + nice : nice_to_prio(nice);
  kt.rt_priority = static_cast<unsigned>(rt_priority);
  kt.policy = static_cast<unsigned>(policy);
  kt.nr_cpus_allowed = nr_cpus_allowed;
  const auto& words = cpus_allowed.words();
  for (size_t i = 0; i < words.size(); ++i) kt.cpus_mask.bits[i] = static_cast<unsigned long>(words[i]);
  kt.cpus_ptr = &kt.cpus_mask;
  kt.se.sum_exec_runtime = sum_exec_runtime;
}

}  // namespace scx
