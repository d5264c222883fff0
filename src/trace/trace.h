// Tracepoint-like events. The kernel publishes every scheduling decision here; metrics, the text
// log, the fingerprint and the Perfetto writer subscribe. Nothing downstream ever calls back into
// the kernel: a sink learns task names from TaskNew / SchedProcessFork events.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/time.h"

namespace scx {

enum class TraceType : uint8_t {
  TaskNew,           // pid, tgid(pid2), comm, prio; emitted once per task (incl. idle/kthreads)
  SchedSwitch,       // prev pid/prio/state(arg) -> next pid2/prio2
  SchedWaking,       // pid, prio, target cpu (arg); cpu = waker's CPU
  SchedWakeup,       // pid, prio, target cpu (arg): the task is now on a runqueue
  SchedWakeupNew,    // same, for a newly forked task
  SchedMigrateTask,  // pid, prio, orig cpu (arg2) -> dest cpu (arg)
  SchedProcessFork,  // parent pid2 -> child pid, child comm
  SchedProcessExit,  // pid, prio
  Tick,              // cpu, curr pid
  Mark,              // pid adds value to workload counter arg (loops, messages...)
  PhaseEnd,          // pid finished phase arg; value = slack ns (negative = deadline miss)
  TimerMiss,         // pid reached its timer after the expiry (rt-app miss)
  ScxDsqInsert,      // sched_ext: pid inserted into DSQ `value` (local DSQs as LOCAL_ON|cpu); arg = depth
  ScxDsqRemove,      // sched_ext: pid left DSQ `value`; arg = depth after
  ScxExit,           // sched_ext: the policy exited; arg = exit kind, comm = reason, value = code
  BpfTracePrintk,    // a BPF program's bpf_printk line (comm = the text); pid = current task.
                     // Output, not scheduling: the fingerprint leaves it out
  // Cgroups (docs/cgroups.md); a run without cgroups emits none of them.
  CgroupNew,         // arg = cgroup id, arg2 = parent id, comm = path
  CgroupRemove,      // arg = cgroup id
  CgroupWrite,       // arg = cgroup id, comm = file ("cpu.weight"), text = value as written
  CgroupAttach,      // pid enters cgroup arg (from arg2; 0 for a new task)
  CgroupThrottle,    // fair bandwidth control: cgroup arg's runqueue on `cpu` is throttled
  CgroupUnthrottle,  // ... and runs again; value = ns it was throttled
};
const char* trace_type_name(TraceType t);

// prev_state letters as sched_switch prints them.
enum class SwitchState : int32_t { Running = 0, Sleeping = 1, Dead = 2 };
const char* switch_state_name(SwitchState s);  // "R", "S", "X"

struct TraceEvent {
  Ns time = 0;
  TraceType type = TraceType::Tick;
  int32_t cpu = -1;
  int32_t pid = 0;
  int32_t pid2 = 0;
  int32_t prio = 0;
  int32_t prio2 = 0;
  int32_t arg = 0;
  int32_t arg2 = 0;
  int64_t value = 0;
  const char* comm = nullptr;  // TaskNew / SchedProcessFork / ScxExit / BpfTracePrintk; valid during emit()
  const char* cpus = nullptr;  // TaskNew / SchedProcessFork: affinity as a cpulist ("0-3,6")
  const char* group = nullptr; // TaskNew / SchedProcessFork: TaskSpec::group ("" = none)
  const char* text = nullptr;  // CgroupWrite: the value written
};

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void on_event(const TraceEvent& e) = 0;
  // The run ended at `end` (open intervals close there).
  virtual void on_finish(Ns end) { (void)end; }
};

class TraceBus {
 public:
  void subscribe(TraceSink* sink) { sinks_.push_back(sink); }
  bool active() const { return !sinks_.empty(); }
  void emit(const TraceEvent& e) {
    for (TraceSink* s : sinks_) s->on_event(e);
  }
  void finish(Ns end) {
    for (TraceSink* s : sinks_) s->on_finish(end);
  }

 private:
  std::vector<TraceSink*> sinks_;
};

}  // namespace scx
