// Replays a host run's ftrace text as scxsim's own trace event stream into a MetricsCollector,
// so that real runs are measured by the same code as simulated ones.
//
// The workload is the set of threads the rt-app process (`rtapp_pid`) forked. The window starts
// at the first of those forks (time 0 of the replay) and lasts the workload's duration (or ends
// at the trace's last record). Real pids are renumbered densely (1, 2, ... in order of first
// appearance). Every other task appears as a kernel thread (left out of the user figures, as the
// simulator's own kernel threads are); those other than rt-app's main thread are "foreign" and
// their CPU time is reported, as % of one CPU, to judge whether the machine was quiet.
//
// Some tasks' context switches never reach the trace (seen on the development VM: threads of
// its pid 1 are switched in, but not out). A record whose TASK-PID column disagrees with the
// last recorded switch on its CPU reveals such a gap; the replay then switches the CPU to that
// task at the CPU's previous record (the last time the old task was seen), so a hidden task gets
// the least CPU time the trace allows.
#pragma once

#include <memory>

#include "base/status.h"
#include "metrics/metrics.h"
#include "validate/ftrace_text.h"

namespace scx {

struct RealRun {
  std::unique_ptr<MetricsCollector> metrics;  // replayed, end = the window's length
  Ns duration = 0;
  int workload_tasks = 0;
  double foreign_cpu_pct = 0;  // CPU time of foreign tasks / duration x 100
  uint64_t missed_switches = 0;
  std::string top_foreign;     // the foreign task with the most CPU time ("" = none ran)
  double top_foreign_cpu_pct = 0;  // switches the trace lacks, replayed where the next record shows them
};

// `duration` 0 = up to the last record. Errors: no thread forked by `rtapp_pid`, a CPU the
// topology lacks.
Result<RealRun> replay_host_trace(const FtraceText& trace, int rtapp_pid, Ns duration, const Topology& topo);

}  // namespace scx
