// A simulated task (Linux's task_struct, reduced to what scheduling needs): identity, policy and
// priority, affinity, the scheduling-class entities, and the behaviour program it executes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/cpumask.h"
#include "kernel/ext/ext_task.h"
#include "kernel/fair/eevdf.h"
#include "kernel/fair/fair_task.h"
#include "kernel/program.h"
#include "scxsim/kernel_types.h"
#include "sim/rng.h"
#include "sim/time.h"

namespace scx {

class Cgroup;
class SchedClass;

// The task's lifecycle. Legal transitions (checked by Task::set_state):
//   New      -> Runnable                (wake_up_new_task)
//   Runnable -> Running                 (picked and switched in)
//   Running  -> Runnable                (preempted, yielded, slice expired)
//   Running  -> Blocked                 (sleeps on time or an object)
//   Blocked  -> Waking                  (try_to_wake_up began; the enqueue may be in flight)
//   Waking   -> Runnable                (enqueued on the target CPU)
//   Running  -> Dead                    (exited)
//   Blocked  -> Running                 (a delayed-dequeue task picked again before waking:
//                                        never happens here; listed as illegal on purpose)
enum class TaskState : uint8_t { New, Runnable, Running, Blocked, Waking, Dead };
const char* task_state_name(TaskState s);
bool task_transition_allowed(TaskState from, TaskState to);

// Kernel priority numbers: 0..99 real-time (lower is higher), 100..139 fair (120 = nice 0).
inline constexpr int kMaxRtPrio = 100;
inline constexpr int kDefaultPrio = 120;
inline int nice_to_prio(int nice) { return kDefaultPrio + nice; }
inline int rt_priority_to_prio(int rt_priority) { return kMaxRtPrio - 1 - rt_priority; }

// sched_rt_entity
struct RtEntity {
  int time_slice = 0;    // SCHED_RR budget left, in ticks (jiffies) as the kernel counts it
  bool pushable = false; // on the rq's pushable list
};

// What BPF programs, tracepoints and ext policies see of a task, made only when something can
// look at it (Task::kt()).
struct TaskKernelView {
  ::task_struct kt{};
  // The address space kt.mm points to when the task leads its own thread group.
  ::mm_struct own_mm{};
};

struct Task {
  Task() = default;
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  // The task_struct that BPF schedulers see (the one definition of the kernel's types). The
  // ext class keeps p->scx here; sync_kernel_view() mirrors the C++ fields into it. Made on
  // first use (an ext scheduler, a tracepoint probe): under EEVDF alone nothing reads it and
  // a task is 1.5 KB smaller. Made late, it holds what it would have held since the fork,
  // as every field it accumulates is kept below too.
  ::task_struct& kt() const { return view_ ? view_->kt : make_kernel_view(); }
  bool has_kernel_view() const { return view_ != nullptr; }

  // What kt's task pointers lead to (null for the per-CPU kernel threads, as in Linux's
  // init_task-less simulation): its parent (itself without one), its thread group's leader,
  // and the task whose address space it shares (null: its own; none for a kernel thread).
  Task* real_parent = nullptr;
  Task* group_leader = nullptr;
  Task* mm_owner = nullptr;
  int pid = 0;
  int tgid = 0;
  int parent_pid = 0;
  std::string comm;
  bool kthread = false;  // idle and stopper tasks
  bool daemon = false;   // not part of the workload (Kernel::spawn_daemon): nobody waits for it
  bool background = false;  // a noise source's daemon: reported with the kernel threads

  Policy policy = Policy::Normal;
  int nice = 0;
  int rt_priority = 0;
  int prio = kDefaultPrio;  // effective kernel priority
  Ns custom_slice = 0;

  CpuMask cpus_allowed;      // effective mask (p->cpus_ptr)
  CpuMask task_affinity;     // the TaskSpec-level set (a phase may narrow it)
  int nr_cpus_allowed = 0;

  SchedClass* sched_class = nullptr;
  Cgroup* cgroup = nullptr;  // its cgroup (task->cgroups->dfl_cgrp); null: the root of no kernel
  int cpu = 0;               // task_cpu(p)
  int wake_cpu = -1;         // CPU chosen while a remote wakeup is in flight
  bool on_rq = false;        // enqueued in its class (incl. delayed-dequeue fair tasks)
  bool on_cpu = false;       // is some rq's curr
  bool migrating = false;    // between dequeue and enqueue of a migration (TASK_ON_RQ_MIGRATING)
  TaskState state = TaskState::New;

  RtEntity rt;
  fair::SchedEntity se;
  fair::FairTaskState fair;  // load tracking, wakee flips, balancer lists (fair.c)
  ExtTaskData ext;

  // Program interpreter.
  const Program* program = nullptr;
  size_t pc = 0;
  int stage = 0;                       // sub-step of multi-step ops (cond wait relock...)
  std::vector<int64_t> loop_left;      // LoopBegin counters, innermost last
  Ns work_left = 0;                    // ns of work (at capacity 1024) left in the current op
  Ns penalty_left = 0;                 // cache-cold work owed after a migration
  Ns runtime_deadline = 0;             // Runtime op: wall time it ends
  bool op_started = false;             // work_left/runtime_deadline valid for the current op
  bool sem_granted = false;            // a SemPost handed this waiter the token
  Ns start_at = 0;                     // rt-app delay: first op runs at this time
  Ns timeline_start = 0;               // rt-app t_zero + delay: origin of its timers
  uint32_t wait_obj = kNoObject;       // what it blocks on (diagnostics)
  uint64_t timer_gen = 0;              // invalidates stale sleep timers
  Rng noise_rng;                       // this task's own stream of the run's noise (noise.h)
  int64_t phase_slack = 0;             // slack at the last timer event (rt-app's "slack")

  // Accounting (the class's own counters live in its entity).
  Ns sum_exec_runtime = 0;
  Ns exec_start = 0;
  Ns utime = 0;  // tick-sampled user time (p->utime)
  Ns stime = 0;  // tick-sampled system time of a kernel thread (p->stime)

  int spec_index = -1;  // TaskSpec it was created from

  bool is_idle_task() const { return kthread && pid == 0; }
  void set_state(TaskState to);
  // Copies identity, policy, priority and affinity into kt (after any change to them), if
  // kt has been made.
  void sync_kernel_view();
  // CLONE_THREAD: joins `creator`'s thread group (its tgid, address space and leader).
  void join_thread_group(const Task& creator);
  // account_process_tick(): the tick goes to the task it interrupted, as user time for a user
  // task, system time for a kernel thread (the idle task's is idle time).
  void account_tick(Ns tick);
  // update_curr(): `delta` more ns of CPU time.
  void add_exec_runtime(Ns delta);
  static Task* from_kernel(const ::task_struct* t) {
    return t ? static_cast<Task*>(t->__scxsim_task) : nullptr;
  }

 private:
  ::task_struct& make_kernel_view() const;
  void fill_kernel_view() const;
  ::mm_struct& view_mm() const;  // the address space its threads share (makes kt)

  mutable std::unique_ptr<TaskKernelView> view_;  // kt(): null until something looks
};

}  // namespace scx
