// What makes two runs of the same workload on a real machine differ: interrupt and timer
// jitter, kernel threads that take the CPU now and then, work whose length varies with caches
// and frequency, and the phase of the tick against the workload's start. Each source is a named
// parameter (--noise KEY=VALUE, --noise off), drawn from the run's seed: one seed, one run,
// byte for byte; another seed, another run. Printed in every report beside the cost model.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "kernel/cost_model.h"
#include "sim/time.h"

namespace scx {

struct NoiseModel {
  Ns timer_jitter_ns = 0;   // mean extra delay of an hrtimer expiry (exponential)
  // Mean extra time (exponential) from a resched to the target's __schedule(), beyond the cost
  // model's fixed wakeup_local: a fair wake-up's path varies with what the interrupt, the
  // cgroup levels and the caches hold (the validation host's same-CPU wake-ups of fair tasks:
  // min 6 us, p50 11 us, p90 22 us; docs/validate.md).
  Ns wakeup_jitter_ns = 0;
  double kthread_rate = 0;  // background kernel-thread wake-ups per second per CPU (Poisson)
  Ns kthread_run_ns = 0;    // mean CPU time of one such wake-up (exponential)
  // A real machine's background work has a long tail (kdamond, writeback, a daemon's burst):
  // this fraction of the wake-ups runs kthread_long_run_ns on average instead (exponential).
  double kthread_long = 0;
  Ns kthread_long_run_ns = 0;
  double unbound_rate = 0;  // wake-ups per second of the machine's unbound kernel threads
                            // (rcu_preempt, kworker/u*: allowed on every CPU; Poisson), each
                            // running kthread_run on average
  // A user-space daemon at the root cgroup, allowed on every CPU, woken at Poisson times and
  // running daemon_run_ns on average (exponential): a machine's own services (on the validation
  // host, its sandbox runtime's threads at nice -10).
  double daemon_rate = 0;
  Ns daemon_run_ns = 0;
  int daemon_nice = 0;
  double work_jitter = 0;   // relative standard deviation of a loop-based run's work (normal)
  // Relative standard deviation (normal) of the machine's speed for a whole run: every
  // loop-based run's work is scaled by one factor drawn per run. A real machine's loop time
  // moves between runs (a VM's host load, frequency): the validation host's periodic tasks took
  // 43.3-44.3 % of the CPU over five runs of periodic-run (sd 0.39 points; 0.5 % gives 0.37
  // over ten seeds; docs/validate.md).
  double speed_spread = 0;
  bool tick_phase = false;  // the tick grid starts at a random offset from t=0 (the phase at
                            // which periodic tasks start against the tick)
  Ns timer_phase_ns = 0;    // each initial task's timer time line starts up to this much late
                            // (uniform): real threads reach their first timer staggered, and a
                            // first late expiry slips the time line (rt-app relative mode)

  // No variation: every run of a workload is the same whatever the seed (tests, --noise off).
  static NoiseModel off() { return {}; }
  // The defaults of a command-line run (docs/reports.md, "Noise").
  static NoiseModel defaults();

  bool any() const;
  using Param = CostModel::Param;  // name, value with its unit, help
  std::vector<Param> describe() const;
  // --noise KEY=VALUE or --noise off.
  Status set(std::string_view assignment);
};

}  // namespace scx
