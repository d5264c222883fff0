// The kernel's own sched_waking -> sched_switch intervals of one thread, read through a private
// tracefs instance (instances/scxsim-calibrate-PID: its own buffer and event switches, so other
// users of tracefs are not disturbed). Timestamps use the x86-tsc trace clock, converted to ns
// with a TSC rate measured against CLOCK_MONOTONIC. Needs root and tracefs; open() returns
// nullptr otherwise.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace scx::calib {

class SchedTrace {
 public:
  // Starts tracing the wake-ups of and switches to thread `tid`.
  static std::unique_ptr<SchedTrace> open(int tid);
  ~SchedTrace();
  SchedTrace(const SchedTrace&) = delete;
  SchedTrace& operator=(const SchedTrace&) = delete;

  // Stops tracing; each sched_waking of the thread paired with the next switch to it, in ns.
  std::vector<double> waking_to_switch_ns();

 private:
  SchedTrace(std::string dir, int tid, double ns_per_tick) : dir_(std::move(dir)), tid_(tid), ns_per_tick_(ns_per_tick) {}
  std::string dir_;
  int tid_;
  double ns_per_tick_;
};

}  // namespace scx::calib
