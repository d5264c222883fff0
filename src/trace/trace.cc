#include "trace/trace.h"

#include "trace/fingerprint_sink.h"

namespace scx {

const char* trace_type_name(TraceType t) {
  switch (t) {
    case TraceType::TaskNew: return "task_newtask";
    case TraceType::SchedSwitch: return "sched_switch";
    case TraceType::SchedWaking: return "sched_waking";
    case TraceType::SchedWakeup: return "sched_wakeup";
    case TraceType::SchedWakeupNew: return "sched_wakeup_new";
    case TraceType::SchedMigrateTask: return "sched_migrate_task";
    case TraceType::SchedProcessFork: return "sched_process_fork";
    case TraceType::SchedProcessExit: return "sched_process_exit";
    case TraceType::Tick: return "tick";
    case TraceType::Mark: return "mark";
    case TraceType::PhaseEnd: return "phase_end";
    case TraceType::TimerMiss: return "timer_miss";
    case TraceType::ScxDsqInsert: return "sched_ext_dsq_insert";
    case TraceType::ScxDsqRemove: return "sched_ext_dsq_remove";
    case TraceType::ScxExit: return "sched_ext_exit";
    case TraceType::BpfTracePrintk: return "bpf_trace_printk";
    case TraceType::CgroupNew: return "cgroup_mkdir";
    case TraceType::CgroupRemove: return "cgroup_rmdir";
    case TraceType::CgroupWrite: return "cgroup_write";
    case TraceType::CgroupAttach: return "cgroup_attach_task";
    case TraceType::CgroupThrottle: return "cfs_throttle";
    case TraceType::CgroupUnthrottle: return "cfs_unthrottle";
  }
  return "?";
}

const char* switch_state_name(SwitchState s) {
  switch (s) {
    case SwitchState::Running: return "R";
    case SwitchState::Sleeping: return "S";
    case SwitchState::Dead: return "X";
  }
  return "?";
}

void FingerprintSink::on_event(const TraceEvent& e) {
  if (e.type == TraceType::BpfTracePrintk) return;  // debug output must not change the hash
  ++events_;
  fp_.add(e.time);
  fp_.add((static_cast<uint64_t>(e.type) << 32) | static_cast<uint32_t>(e.cpu));
  fp_.add((static_cast<uint64_t>(static_cast<uint32_t>(e.pid)) << 32) | static_cast<uint32_t>(e.pid2));
  fp_.add((static_cast<uint64_t>(static_cast<uint32_t>(e.prio)) << 32) | static_cast<uint32_t>(e.prio2));
  fp_.add((static_cast<uint64_t>(static_cast<uint32_t>(e.arg)) << 32) | static_cast<uint32_t>(e.arg2));
  fp_.add(static_cast<uint64_t>(e.value));
  if (e.comm) fp_.add(std::string_view(e.comm));
  if (e.text) fp_.add(std::string_view(e.text));
}

}  // namespace scx
