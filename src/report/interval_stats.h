// `scxsim run --stats SECS`: a periodic one-line table in simulated time, in the spirit of the
// sched_ext schedulers' --stats output. Each row covers one interval [t - SECS, t):
//   time     end of the interval (simulated seconds)
//   busy%    CPU time used by non-idle tasks / (interval x CPUs)
//   switches context switches            wakeups   sched_waking events
//   migr     task migrations             waiting   mean number of runnable tasks not running
//   lat_p50/lat_p99/lat_max  wake-up latency (us) of the wake-ups that completed in the interval
// The header is repeated every 20 rows. Rows are printed as the simulation crosses each
// boundary and at the end (a final partial interval is marked with '*').
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "base/status.h"
#include "trace/trace.h"

namespace scx {

// --stats INTERVAL below a millisecond is a flood, not a table (1e-12 s printed 680k lines in
// 20 s): refused unless --stats-floor lowers the floor; never above 1e6 s.
inline constexpr Ns kStatsFloor = kNsPerMs;
Status check_stats_interval(Ns interval, Ns floor);

// What a run cost this machine, printed under the --stats table (stderr: wall time never enters
// a deterministic output): scheduler events, wall and CPU seconds, and both per simulated second.
struct RunCost {
  uint64_t events = 0;
  Ns simulated = 0;
  double wall_s = 0;
  double cpu_s = 0;
};
std::string format_run_cost(const RunCost& c);

class IntervalStatsSink : public TraceSink {
 public:
  IntervalStatsSink(int nr_cpus, Ns interval, std::FILE* out);
  void on_event(const TraceEvent& e) override;
  void on_finish(Ns end) override;
  // Prints the last, partial interval (call once after the run).
  void print_tail();
  // Everything printed so far (also kept for tests).
  const std::string& text() const { return text_; }

 private:
  void advance(Ns t);
  void close_interval(Ns end, bool partial);
  void charge(Ns t);

  Ns interval_;
  std::FILE* out_;
  std::vector<int> curr_;
  std::vector<Ns> since_;
  std::vector<Ns> waking_;        // by pid
  std::vector<uint8_t> waiting_;  // by pid: runnable, not running
  int64_t nr_waiting_ = 0;
  Ns waiting_since_ = 0;
  Ns start_ = 0;
  Ns busy_ = 0;
  uint64_t waiting_ns_ = 0;
  uint64_t switches_ = 0, wakeups_ = 0, migrations_ = 0;
  std::vector<Ns> lat_;
  int rows_ = 0;
  Ns last_end_ = 0;
  std::string text_;
};

}  // namespace scx
