#include "report/interval_stats.h"

#include <algorithm>

#include <fmt/format.h>

#include "metrics/metrics.h"

namespace scx {

Status check_stats_interval(Ns interval, Ns floor) {
  constexpr Ns kCeiling = 1'000'000 * kNsPerSec;
  if (interval <= 0) return Status::Error("--stats", "must be positive");
  if (floor <= 0) return Status::Error("--stats-floor", "must be positive");
  if (interval < floor)
    return Status::Errorf("--stats", "{} is shorter than the floor of {} (lower it with --stats-floor)",
                          format_duration(interval), format_duration(floor));
  if (interval > kCeiling)
    return Status::Errorf("--stats", "{} is longer than {}", format_duration(interval), format_duration(kCeiling));
  return Status();
}

std::string format_run_cost(const RunCost& c) {
  const double sim_s = static_cast<double>(c.simulated) / 1e9;
  auto per_sim_s = [&](double s) { return sim_s > 0 ? fmt::format("{:.3f}", s / sim_s) : std::string("-"); };
  const std::string rate =
      c.wall_s > 0 ? fmt::format("{:.3f} M", static_cast<double>(c.events) / c.wall_s / 1e6) : std::string("-");
  return fmt::format("cost: {} events in {} simulated, {:.3f} s wall ({} per simulated second), {:.3f} s CPU ({} "
                     "per simulated second), {} events/s of wall time\n",
                     c.events, format_duration(c.simulated), c.wall_s, per_sim_s(c.wall_s), c.cpu_s,
                     per_sim_s(c.cpu_s), rate);
}

IntervalStatsSink::IntervalStatsSink(int nr_cpus, Ns interval, std::FILE* out)
    : interval_(std::max<Ns>(interval, 1)), out_(out), curr_(nr_cpus, 0), since_(nr_cpus, 0) {}

// Charges busy and waiting time up to t (t within the current interval).
void IntervalStatsSink::charge(Ns t) {
  for (size_t c = 0; c < curr_.size(); ++c) {
    if (curr_[c] != 0 && t > since_[c]) busy_ += t - std::max(since_[c], start_);
    since_[c] = std::max(since_[c], t);
  }
  if (t > waiting_since_) waiting_ns_ += (t - std::max(waiting_since_, start_)) * static_cast<uint64_t>(nr_waiting_);
  waiting_since_ = std::max(waiting_since_, t);
}

void IntervalStatsSink::close_interval(Ns end, bool partial) {
  charge(end);
  const Ns len = end - start_;
  if (len == 0) return;
  std::sort(lat_.begin(), lat_.end());
  auto us = [&](double p) {
    int64_t v = percentile_sorted(lat_, p);
    return v < 0 ? std::string("-") : fmt::format("{:.1f}", static_cast<double>(v) / 1e3);
  };
  std::string row;
  if (rows_ % 20 == 0)
    row += fmt::format("{:>11} {:>6} {:>9} {:>8} {:>6} {:>8} {:>9} {:>9} {:>9}\n", "time", "busy%", "switches",
                       "wakeups", "migr", "waiting", "lat_p50", "lat_p99", "lat_max");
  const double busy = 100.0 * static_cast<double>(busy_) / (static_cast<double>(len) * static_cast<double>(curr_.size()));
  row += fmt::format("{:>10}{} {:>6.1f} {:>9} {:>8} {:>6} {:>8.2f} {:>9} {:>9} {:>9}\n", format_seconds(end),
                     partial ? "*" : " ", busy, switches_, wakeups_, migrations_,
                     static_cast<double>(waiting_ns_) / static_cast<double>(len), us(50), us(99), us(100));
  ++rows_;
  text_ += row;
  if (out_) std::fputs(row.c_str(), out_);
  start_ = end;
  busy_ = 0;
  waiting_ns_ = 0;
  switches_ = wakeups_ = migrations_ = 0;
  lat_.clear();
}

void IntervalStatsSink::advance(Ns t) {
  while (t >= start_ + interval_) close_interval(start_ + interval_, false);
}

void IntervalStatsSink::on_event(const TraceEvent& e) {
  advance(e.time);
  auto slot = [&](int pid) -> size_t {
    if (static_cast<size_t>(pid) >= waking_.size()) {
      waking_.resize(pid + 1, kNever);
      waiting_.resize(pid + 1, 0);
    }
    return static_cast<size_t>(pid);
  };
  auto set_waiting = [&](int pid, bool w) {
    if (pid <= 0) return;
    size_t i = slot(pid);
    if (waiting_[i] == w) return;
    charge(e.time);
    waiting_[i] = w;
    nr_waiting_ += w ? 1 : -1;
  };
  switch (e.type) {
    case TraceType::SchedSwitch: {
      charge(e.time);
      curr_[e.cpu] = e.pid2;
      ++switches_;
      set_waiting(e.pid, static_cast<SwitchState>(e.arg) == SwitchState::Running);
      set_waiting(e.pid2, false);
      if (e.pid2 > 0) {
        size_t i = slot(e.pid2);
        if (waking_[i] != kNever) {
          lat_.push_back(e.time - waking_[i]);
          waking_[i] = kNever;
        }
      }
      break;
    }
    case TraceType::SchedWaking:
      ++wakeups_;
      if (e.pid > 0 && waking_[slot(e.pid)] == kNever) waking_[slot(e.pid)] = e.time;
      break;
    case TraceType::SchedWakeup:
    case TraceType::SchedWakeupNew:
      set_waiting(e.pid, true);
      break;
    case TraceType::SchedMigrateTask:
      ++migrations_;
      break;
    default:
      break;
  }
}

void IntervalStatsSink::on_finish(Ns end) {
  advance(end);
  last_end_ = std::max(last_end_, end);
}

void IntervalStatsSink::print_tail() {
  // Runs may close their books several times (--check); the partial tail is printed once, here.
  if (last_end_ > start_) close_interval(last_end_, true);
}

}  // namespace scx
