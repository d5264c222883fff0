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
  if (view_) fill_kernel_view();
}

::task_struct& Task::make_kernel_view() const {
  view_ = std::make_unique<TaskKernelView>();
  ::task_struct& k = view_->kt;
  k.__scxsim_task = const_cast<Task*>(this);
  view_->own_mm.owner = &k;
  // What only kt accumulated before it existed.
  k.utime = static_cast<u64>(utime);
  k.stime = static_cast<u64>(stime);
  fill_kernel_view();
  return k;
}

void Task::fill_kernel_view() const {
  ::task_struct& k = view_->kt;
  k.pid = pid;
  k.tgid = tgid;
  const size_t n = comm.size() < sizeof(k.comm) - 1 ? comm.size() : sizeof(k.comm) - 1;
  for (size_t i = 0; i < sizeof(k.comm); ++i) k.comm[i] = i < n ? comm[i] : '\0';
  k.flags = kthread ? PF_KTHREAD : 0;
  // The pointers lead to other tasks' views, made now if need be (a thread's leader, a
  // parent: a chain that ends at a task pointing at itself).
  k.real_parent = real_parent ? &real_parent->kt() : nullptr;
  k.group_leader = group_leader ? &group_leader->kt() : nullptr;
  k.mm = kthread ? nullptr : mm_owner ? &mm_owner->view_mm() : &view_->own_mm;
  k.numa_preferred_nid = -1;
  k.cgroups = cgroup ? cgroup->css_set() : nullptr;  // a task made outside a kernel
  if (is_idle_task()) k.flags |= PF_IDLE;
  if (state == TaskState::Dead) k.flags |= PF_EXITING;
  k.prio = k.normal_prio = prio;
  k.static_prio = is_rt_policy(policy) ? kDefaultPrio + nice : nice_to_prio(nice);
  k.rt_priority = static_cast<unsigned>(rt_priority);
  k.policy = static_cast<unsigned>(policy);
  k.nr_cpus_allowed = nr_cpus_allowed;
  const auto& words = cpus_allowed.words();
  for (size_t i = 0; i < words.size(); ++i) k.cpus_mask.bits[i] = static_cast<unsigned long>(words[i]);
  k.cpus_ptr = &k.cpus_mask;
  k.se.sum_exec_runtime = static_cast<u64>(sum_exec_runtime);
}

::mm_struct& Task::view_mm() const {
  kt();
  return view_->own_mm;
}

void Task::join_thread_group(const Task& creator) {
  tgid = creator.tgid;
  // Its address space is the creator's (none for a kernel thread's: then its own).
  mm_owner = creator.kthread ? nullptr : creator.mm_owner ? creator.mm_owner : const_cast<Task*>(&creator);
  group_leader = creator.group_leader;
  sync_kernel_view();
}

void Task::account_tick(Ns tick) {
  if (is_idle_task()) return;
  Ns& total = kthread ? stime : utime;
  total += tick;
  if (view_) (kthread ? view_->kt.stime : view_->kt.utime) = static_cast<u64>(total);
}

void Task::add_exec_runtime(Ns delta) {
  sum_exec_runtime += delta;
  if (view_) view_->kt.se.sum_exec_runtime = static_cast<u64>(sum_exec_runtime);
}

}  // namespace scx
