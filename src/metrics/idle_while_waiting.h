// Idle-while-waiting per CPU (CpuMetrics::idle_while_waiting): the time a CPU is idle while some
// waiting task allowed on it sits on another CPU's runqueue (work-conservation loss).
//
// Updating a counter on every allowed CPU at each enqueue/dequeue costs O(CPUs) per event (most
// of a run's time on large machines). Here tasks allowed on every CPU ("wide" tasks, almost all
// of them) cost O(1): their number n is shared by every CPU, so a CPU holding k of them has a
// wide waiter elsewhere exactly while n > k. The time with n > k is integrated once per level k
// (as n moves by one), and each idle CPU reads the level of its own k when its state changes
// (lazily). Tasks with a narrower mask keep a per-CPU count, updated on each of their CPUs.
#pragma once

#include <cstdint>
#include <vector>

#include "base/cpumask.h"
#include "sim/time.h"

namespace scx {

class IdleWhileWaiting {
 public:
  IdleWhileWaiting(const CpuMask& all_cpus, int nr_cpus);

  // A task allowed on `allowed` starts / stops waiting on `cpu`'s runqueue, or moves to `to`'s.
  void start_waiting(const CpuMask& allowed, int cpu, Ns now);
  void stop_waiting(const CpuMask& allowed, int cpu, Ns now);
  void move_waiting(const CpuMask& allowed, int from, int to, Ns now);
  // The CPU switched to the idle task (idle) or away from it.
  void set_idle(int cpu, bool idle, Ns now);
  // Charges every CPU up to `now` (the end of the run); total() is then final.
  void settle_all(Ns now);
  Ns total(int cpu) const { return cpus_[cpu].total; }

 private:
  // What a CPU's condition depends on since its last settle().
  enum class Mode : uint8_t {
    Busy,        // not idle: nothing accrues
    Always,      // idle with a narrow waiter elsewhere: accrues with time
    WideAbove,   // idle, no narrow waiter elsewhere: accrues while wide waiters > level
  };
  struct Cpu {
    bool idle = true;              // runs the idle task until its first switch
    int64_t narrow_elsewhere = 0;  // waiting narrow tasks allowed here, queued elsewhere
    int64_t wide_here = 0;         // waiting wide tasks queued here
    Mode mode = Mode::WideAbove;   // idle, nothing waiting: accrues once a wide task waits
    int64_t level = 0;             // wide_here when mode was set (WideAbove)
    Ns mark = 0;                   // clock of the mode when it was set
    Ns total = 0;
  };
  // Time during which more than `level` wide tasks were waiting, from the start up to `now`.
  struct Level {
    Ns acc = 0;    // closed stretches
    Ns since = 0;  // start of the open stretch (while wide_ > level)
  };

  Ns time_above(int64_t level, Ns now) const;
  Ns clock(const Cpu& c, Ns now) const;
  // Charges the CPU's current mode up to `now`, then picks its mode from its counts.
  void settle(int cpu, Ns now);
  void add_wide(int64_t delta, Ns now);
  void add_wide_here(int cpu, int64_t delta, Ns now);
  void add_narrow_elsewhere(int cpu, int64_t delta, Ns now);
  bool valid(int cpu) const { return cpu >= 0 && cpu < static_cast<int>(cpus_.size()); }

  CpuMask all_cpus_;
  std::vector<Cpu> cpus_;
  std::vector<Level> levels_;  // [k]: time with more than k wide waiters
  int64_t wide_ = 0;           // waiting wide tasks
};

}  // namespace scx
