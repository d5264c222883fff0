// Behaviour programs: what a simulated task does, as a flat list of operations that the kernel
// interprets. Workload front-ends (rt-app JSON, hackbench, schbench, generators) compile into
// this form; the kernel never sees JSON.
//
// Objects (mutexes, condition variables, barriers, pipes, timers, semaphores, counters) are
// referred to by dense ids into the Workload's object tables; the same id in two tasks is the
// same object.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/cpumask.h"
#include "sim/time.h"

namespace scx {

// Linux policy numbers (include/uapi/linux/sched.h).
enum class Policy : uint8_t {
  Normal = 0,
  Fifo = 1,
  RR = 2,
  Batch = 3,
  Idle = 5,
  Deadline = 6,
  Ext = 7,
};
const char* policy_name(Policy p);  // "SCHED_NORMAL", ...
inline bool is_rt_policy(Policy p) { return p == Policy::Fifo || p == Policy::RR; }
inline bool is_fair_policy(Policy p) {
  return p == Policy::Normal || p == Policy::Batch || p == Policy::Idle;
}

enum class OpKind : uint8_t {
  // CPU work.
  Run,          // a = work in ns at capacity 1024; takes longer on slower CPUs.
  Runtime,      // a = wall-clock ns: spins until a ns have passed since the op began,
                // checking every 32 us of CPU time received (rt-app "runtime").
  // Blocking on time.
  Sleep,        // a = ns; relative sleep from when the op is reached.
  TimerWait,    // obj = timer; a = period ns; b = TimerMode. See the Timer object.
  // Scheduling.
  Yield,        // sched_yield()
  SetAffinity,  // obj = index into Workload::masks; empty mask restores the task-level set
  SetSched,     // a = Policy, b = nice for fair policies / rt priority for FIFO and RR
  // Synchronisation (rt-app semantics; see src/kernel/sync_objects.h).
  Lock,         // obj = mutex
  Unlock,       // obj = mutex
  CondWait,     // obj = condvar, b = mutex (or kNoObject): releases b, blocks, re-locks b
  CondSignal,   // obj = condvar: wake one waiter (lost if none)
  CondBroadcast,// obj = condvar: wake all waiters
  CondSync,     // obj = condvar, b = mutex: signal then wait, atomically
  Barrier,      // obj = barrier: block until Workload::barriers[obj].participants arrive
  SemPost,      // obj = semaphore
  SemWait,      // obj = semaphore
  PipeSend,     // obj = pipe, a = bytes: blocks while the pipe is full (capacity per pipe)
  PipeRecv,     // obj = pipe, a = bytes: blocks until a bytes are available
  // Tasks.
  Fork,         // obj = index into Workload::tasks (a template); a = number of children;
                // b = kForkThread: threads of the parent's thread group (CLONE_THREAD, tgid =
                // parent's tgid), else 0: new processes (tgid = own pid)
  Exit,         // the task ends (also implied after the last op)
  // Control flow.
  LoopBegin,    // a = iterations (-1 = forever); pairs with the LoopEnd at index b
  LoopEnd,      // b = index of the matching LoopBegin
  // Bookkeeping for metrics (no effect on scheduling).
  Mark,         // obj = counter id (Workload::counters), a = amount to add
  PhaseEnd,     // obj = phase id within the task (rt-app phase accounting, deadline misses)
  // Native code (not used by workloads).
  Host,         // obj = host function (Kernel::add_host_function), a = its argument: it runs when
                // the task reaches the op and returns the work (ns at capacity 1024) the op then
                // takes like Run, or a negative value: the task exits
  // Cgroups.
  SetCgroup,    // obj = index into Workload::cgroups: the task moves itself there (rt-app's
                // per-phase taskgroup; a write of its tid to cgroup.threads)
};
const char* op_name(OpKind k);

inline constexpr uint32_t kNoObject = ~uint32_t{0};
inline constexpr int64_t kForkThread = 1;  // Fork's Op::b: create threads, not processes

enum class TimerMode : int64_t { Relative = 0, Absolute = 1 };

struct Op {
  OpKind kind = OpKind::Exit;
  uint32_t obj = kNoObject;
  int64_t a = 0;
  int64_t b = 0;
};

struct Program {
  std::vector<Op> ops;
};

// A task to create at start (or a template for Fork when instances == 0).
struct TaskSpec {
  std::string name;        // comm; instances get "-<i>" appended when instances > 1
  uint32_t program = 0;    // index into Workload::programs
  int instances = 1;       // 0 = template only (created by Fork)
  Policy policy = Policy::Normal;
  int nice = 0;            // fair policies, -20..19
  int rt_priority = 0;     // FIFO/RR, 1..99
  CpuMask affinity;        // empty = all CPUs
  Ns start_delay = 0;      // first op runs at t = start_delay (rt-app "delay")
  Ns custom_slice = 0;     // sched_attr.sched_runtime for fair tasks (0 = base slice)
  std::string group;       // rt-app taskgroup, the name reports group tasks by
  // The cgroup its tasks start in (a path of Workload::cgroups); "" = the root, or for a
  // forked task its parent's cgroup (as clone() does).
  std::string cgroup;
};

struct BarrierSpec {
  std::string name;
  int participants = 0;
};
struct PipeSpec {
  std::string name;
  int64_t capacity_bytes = 65536;  // Linux default pipe size
  // When a reader frees space, blocked writers are woken: by default the first one, once its
  // message fits (pipe_read(): exclusive waits). A unix stream socket instead wakes every
  // blocked writer, and only once the buffered bytes are down to this level (unix_write_space():
  // the socket counts as writable when its send buffer is at most a quarter full). -1: as pipes.
  int64_t wake_all_writers_at = -1;
};
struct TimerSpec {
  std::string name;  // shared by every task that uses it (rt-app "ref"); unique timers are
                     // given one TimerSpec per thread by the front-end
};

// A cgroup the workload creates before its tasks (docs/cgroups.md): the path (ancestors are
// created too) and controller files written in order, with the kernel's file names and value
// formats, e.g. {"cpu.weight", "300"}, {"cpu.max", "50000 100000"}, {"cpuset.cpus", "0-3"}.
struct CgroupSpec {
  std::string path;
  std::vector<std::pair<std::string, std::string>> files;
};
// A change of the hierarchy at a given time: a file write (file non-empty), or moving every live
// task created from TaskSpec `task` into the cgroup (a write of their pids to cgroup.procs).
struct CgroupEvent {
  Ns at = 0;
  uint32_t cgroup = 0;  // index into Workload::cgroups
  std::string file;
  std::string value;
  int task = -1;        // TaskSpec index, for a move
};

// The most tasks a run creates, kernel threads and forks included (--max-tasks; a workload's
// own count is checked before it starts: workload/task_limit.h).
inline constexpr int64_t kDefaultMaxTasks = int64_t{1} << 20;

struct Workload {
  std::string name;
  std::vector<Program> programs;
  std::vector<TaskSpec> tasks;
  std::vector<CpuMask> masks;          // SetAffinity operands
  std::vector<std::string> mutexes;
  std::vector<std::string> condvars;
  std::vector<BarrierSpec> barriers;
  std::vector<std::string> semaphores;
  std::vector<PipeSpec> pipes;
  std::vector<TimerSpec> timers;
  std::vector<std::string> counters;   // Mark targets: "loops", "messages", ...
  std::vector<CgroupSpec> cgroups;       // created in order, before any task
  std::vector<CgroupEvent> cgroup_events;
  Ns duration = 0;                     // 0 = not set by the workload (CLI decides)
  bool run_until_done = false;         // end when every task has exited (hackbench-style)
  std::string report_kind;             // figures of its own: "hackbench", "schbench", ""
  std::vector<std::pair<std::string, int64_t>> report_params;  // e.g. {"messages", 4000}
  bool pi_mutexes = false;             // rt-app global.pi_enabled
  std::vector<std::string> warnings;   // front-end notes for the user (e.g. renamed rt-app keys)
};

}  // namespace scx
