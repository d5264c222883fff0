#include "metrics/idle_while_waiting.h"

namespace scx {

IdleWhileWaiting::IdleWhileWaiting(const CpuMask& all_cpus, int nr_cpus)
    : all_cpus_(all_cpus), cpus_(static_cast<size_t>(nr_cpus)) {}

Ns IdleWhileWaiting::time_above(int64_t level, Ns now) const {
  if (level >= static_cast<int64_t>(levels_.size())) return 0;  // never reached
  const Level& l = levels_[static_cast<size_t>(level)];
  return l.acc + (wide_ > level ? now - l.since : 0);
}

Ns IdleWhileWaiting::clock(const Cpu& c, Ns now) const {
  switch (c.mode) {
    case Mode::Busy: return 0;
    case Mode::Always: return now;
    case Mode::WideAbove: return time_above(c.level, now);
  }
  return 0;
}

void IdleWhileWaiting::settle(int cpu, Ns now) {
  Cpu& c = cpus_[static_cast<size_t>(cpu)];
  c.total += clock(c, now) - c.mark;
  c.mode = !c.idle ? Mode::Busy : c.narrow_elsewhere > 0 ? Mode::Always : Mode::WideAbove;
  c.level = c.wide_here;
  c.mark = clock(c, now);
}

// Opens level n when the n+1-th wide task starts waiting, closes it when one stops. Every CPU
// reads its level at `now` or later, so the order of updates within one instant does not matter.
void IdleWhileWaiting::add_wide(int64_t delta, Ns now) {
  if (delta > 0) {
    if (static_cast<int64_t>(levels_.size()) <= wide_) levels_.resize(static_cast<size_t>(wide_) + 1);
    levels_[static_cast<size_t>(wide_)].since = now;
    ++wide_;
  } else {
    --wide_;
    Level& l = levels_[static_cast<size_t>(wide_)];
    l.acc += now - l.since;
  }
}

void IdleWhileWaiting::add_wide_here(int cpu, int64_t delta, Ns now) {
  if (!valid(cpu)) return;
  cpus_[static_cast<size_t>(cpu)].wide_here += delta;
  settle(cpu, now);
}

void IdleWhileWaiting::add_narrow_elsewhere(int cpu, int64_t delta, Ns now) {
  cpus_[static_cast<size_t>(cpu)].narrow_elsewhere += delta;
  settle(cpu, now);
}

void IdleWhileWaiting::start_waiting(const CpuMask& allowed, int cpu, Ns now) {
  if (allowed == all_cpus_) {
    add_wide(+1, now);
    add_wide_here(cpu, +1, now);
    return;
  }
  for (int c : allowed)
    if (c != cpu) add_narrow_elsewhere(c, +1, now);
}

void IdleWhileWaiting::stop_waiting(const CpuMask& allowed, int cpu, Ns now) {
  if (allowed == all_cpus_) {
    add_wide(-1, now);
    add_wide_here(cpu, -1, now);
    return;
  }
  for (int c : allowed)
    if (c != cpu) add_narrow_elsewhere(c, -1, now);
}

void IdleWhileWaiting::move_waiting(const CpuMask& allowed, int from, int to, Ns now) {
  if (allowed == all_cpus_) {
    add_wide_here(from, -1, now);
    add_wide_here(to, +1, now);
    return;
  }
  if (allowed.test(from)) add_narrow_elsewhere(from, +1, now);
  if (allowed.test(to)) add_narrow_elsewhere(to, -1, now);
}

void IdleWhileWaiting::set_idle(int cpu, bool idle, Ns now) {
  cpus_[static_cast<size_t>(cpu)].idle = idle;
  settle(cpu, now);
}

void IdleWhileWaiting::settle_all(Ns now) {
  for (size_t cpu = 0; cpu < cpus_.size(); ++cpu) settle(static_cast<int>(cpu), now);
}

}  // namespace scx
