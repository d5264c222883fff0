#include "kernel/program.h"

namespace scx {

const char* policy_name(Policy p) {
  switch (p) {
    case Policy::Normal: return "SCHED_NORMAL";
    case Policy::Fifo: return "SCHED_FIFO";
    case Policy::RR: return "SCHED_RR";
    case Policy::Batch: return "SCHED_BATCH";
    case Policy::Idle: return "SCHED_IDLE";
    case Policy::Deadline: return "SCHED_DEADLINE";
    case Policy::Ext: return "SCHED_EXT";
  }
  return "?";
}

const char* op_name(OpKind k) {
  switch (k) {
    case OpKind::Run: return "run";
    case OpKind::Runtime: return "runtime";
    case OpKind::Sleep: return "sleep";
    case OpKind::TimerWait: return "timer";
    case OpKind::Yield: return "yield";
    case OpKind::SetAffinity: return "set_affinity";
    case OpKind::SetSched: return "set_sched";
    case OpKind::SetCgroup: return "set_cgroup";
    case OpKind::Lock: return "lock";
    case OpKind::Unlock: return "unlock";
    case OpKind::CondWait: return "wait";
    case OpKind::CondSignal: return "signal";
    case OpKind::CondBroadcast: return "broad";
    case OpKind::CondSync: return "sync";
    case OpKind::Barrier: return "barrier";
    case OpKind::SemPost: return "sem_post";
    case OpKind::SemWait: return "sem_wait";
    case OpKind::PipeSend: return "pipe_send";
    case OpKind::PipeRecv: return "pipe_recv";
    case OpKind::Fork: return "fork";
    case OpKind::Exit: return "exit";
    case OpKind::LoopBegin: return "loop_begin";
    case OpKind::LoopEnd: return "loop_end";
    case OpKind::Mark: return "mark";
    case OpKind::PhaseEnd: return "phase_end";
    case OpKind::Host: return "host";
  }
  return "?";
}

}  // namespace scx
