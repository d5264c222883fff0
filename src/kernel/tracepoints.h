// The kernel's tracepoints as in-kernel probes see them: BPF tracing programs (tp_btf/,
// raw_tp/) attach here. The core fires each at the place the kernel fires it, with the
// tracepoint's TP_PROTO arguments as the u64 array a raw tracepoint program receives
// (task_struct pointers are &Task::kt()). Unlike the trace bus (trace/trace.h), which is the
// simulator's output and never calls back, a probe may call into the kernel (kfuncs).
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace scx {

struct Task;

enum class Tracepoint : uint8_t {
  SchedSwitch,       // (bool preempt, prev, next, unsigned int prev_state); current = prev
  SchedWaking,       // (p); on the waker's CPU
  SchedWakeup,       // (p); where the task is enqueued (the target CPU for a remote wake-up)
  SchedWakeupNew,    // (p)
  SchedMigrateTask,  // (p, int dest_cpu); task_cpu(p) is still the old CPU
  TaskNewtask,       // (p, u64 clone_flags); current = the parent
  SchedProcessFork,  // (parent, child); current = the parent
  SchedProcessExit,  // (p, bool group_dead); current = p
  SchedProcessFree,  // (p); when the dead task's task_struct is released
  kCount
};
inline constexpr int kTracepointCount = static_cast<int>(Tracepoint::kCount);

struct TracepointInfo {
  const char* name;  // as in tp_btf/NAME
  uint8_t nargs;
  uint8_t task_args;  // bit i: argument i is a task_struct pointer
};

inline const TracepointInfo& tracepoint_info(Tracepoint tp) {
  static constexpr std::array<TracepointInfo, kTracepointCount> kInfo = {{
      {"sched_switch", 4, 0b0110},
      {"sched_waking", 1, 0b1},
      {"sched_wakeup", 1, 0b1},
      {"sched_wakeup_new", 1, 0b1},
      {"sched_migrate_task", 2, 0b1},
      {"task_newtask", 2, 0b1},
      {"sched_process_fork", 2, 0b11},
      {"sched_process_exit", 2, 0b1},
      {"sched_process_free", 1, 0b1},
  }};
  return kInfo[static_cast<size_t>(tp)];
}

// sched_switch's prev_state (include/linux/sched.h): every simulated sleep is interruptible.
inline constexpr uint64_t kTaskRunning = 0x0, kTaskInterruptible = 0x1, kTaskDead = 0x80;
// task_newtask's clone_flags: what glibc's fork() and pthread_create() pass.
inline constexpr uint64_t kCloneForkFlags = 0x01200011;  // CHILD_SETTID|CHILD_CLEARTID|SIGCHLD
// pthread_create: VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID.
inline constexpr uint64_t kCloneThreadFlags = 0x003d0f00;

class TracepointProbes {
 public:
  virtual ~TracepointProbes() = default;
  // Runs the probes of `tp` on the kernel's current CPU; `current` is the task `current`
  // names meanwhile. args.size() == tracepoint_info(tp).nargs.
  virtual void fire(Tracepoint tp, Task& current, std::span<const uint64_t> args) = 0;
  // Tracepoints without probes cost the kernel one test (the static key of a disabled one).
  bool enabled(Tracepoint tp) const { return (mask_ >> static_cast<int>(tp)) & 1; }

 protected:
  void enable(Tracepoint tp) { mask_ |= 1u << static_cast<int>(tp); }

 private:
  uint32_t mask_ = 0;
};

}  // namespace scx
