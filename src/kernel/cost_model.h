// The costs the simulated hardware and kernel add on top of the work tasks ask for. Every value
// is a named parameter with a documented default, settable with --cost NAME=VALUE and printed in
// every report, so that a result can always be traced back to its assumptions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "sim/time.h"

namespace scx {

struct CostModel {
  int hz = 250;                      // CONFIG_HZ (Debian's default)
  Ns context_switch_ns = 2000;       // switch_to + mm switch; the incoming task starts late by this
  Ns wakeup_local_ns = 0;            // a wakeup or tick that reschedules its own CPU: the rest
                                     // of ttwu, irq exit and __schedule up to sched_switch (0 in
                                     // this bare model; the default cost profile sets it)
  Ns resched_syscall_ns = 0;         // a task whose system call (write, sem_post...) set its own
                                     // need_resched: syscall exit and __schedule up to sched_switch
  Ns wakeup_ipi_ns = 2000;           // remote wakeup / resched IPI delivery
  Ns idle_exit_ns = 3000;            // extra latency when the woken CPU was idle (C-state exit)
  Ns ipi_send_ns = 0;                // CPU time of sending an IPI, paid by the task whose write(),
                                     // sem_post, ... sent it (large under a hypervisor)
  Ns migration_smt_ns = 0;           // cache-cold work added after moving to an SMT sibling
  Ns migration_llc_ns = 5000;        //   ... to another core of the same LLC (L1/L2 refill)
  Ns migration_cross_llc_ns = 20000; //   ... to another LLC of the same node
  Ns migration_cross_node_ns = 50000;//   ... to another NUMA node
  Ns timer_slack_ns = 50000;         // hrtimer slack of non-RT tasks (sleep/timer wakeups)
  Ns runtime_chunk_ns = 32000;       // rt-app "runtime" checks the clock every 32 us of work
  Ns stopper_work_ns = 1000;         // CPU time of a migration/N stopper callback
  // A user-space scheduler's process (src/bpf/host/userspace.h): the CPU time of its work.
  Ns usersched_cycle_ns = 1000;      // one pass of its main loop (poll, bookkeeping, sched_yield)
  Ns usersched_syscall_ns = 1000;    // each bpf() syscall: map pop/push/lookup/update, BPF_PROG_RUN
  Ns usersched_record_ns = 200;      // each ring buffer record read or user ring buffer record
                                     // written (shared memory, no syscall)
  // CPU time of one non-blocking write() / read() of a 100-byte message (hackbench's defaults
  // for write_cost / read_cost, by transport): the figures of costs/default.json's machine.
  Ns pipe_write_ns = 200;
  Ns pipe_read_ns = 200;
  Ns socket_write_ns = 440;          // AF_UNIX SOCK_STREAM
  Ns socket_read_ns = 470;
  // Time of one rt-app busy loop on the simulated machine, in ns (fractional). A workload file's
  // numeric `calibration` says how long its author's machine took; rt-app runs value*1000/
  // calibration loops for `run`, so this machine's run lasts rtapp_loop/calibration times the
  // nominal. 0: as the file says (`scxsim validate` measures the host's, docs/validate.md).
  double rtapp_loop_ns = 0;

  Ns tick_ns() const { return kNsPerSec / static_cast<Ns>(hz); }

  struct Param {
    std::string name;
    std::string value;  // formatted with its unit
    std::string help;
  };
  std::vector<Param> describe() const;
  // --cost NAME=VALUE; durations take units ("2us"), hz a plain number.
  Status set(std::string_view assignment);
};

}  // namespace scx
