// Per-entity load tracking (Linux 6.12 kernel/sched/pelt.c, pelt.h, sched-pelt.h): the
// geometric series of 1024-us periods with y^32 = 1/2, for tasks and per-CPU cfs_rqs.
// Pure arithmetic on a SchedAvg; the fair class decides when to call it (update_load_avg() and
// friends live in fair_class.cc, as they do in fair.c).
#pragma once

#include <cstdint>

#include "sim/time.h"

namespace scx::fair {

inline constexpr uint32_t kLoadAvgPeriod = 32;    // LOAD_AVG_PERIOD: y^32 = 1/2
inline constexpr uint32_t kLoadAvgMax = 47742;    // LOAD_AVG_MAX = 1024 * sum(y^n)
inline constexpr uint32_t kPeltMinDivider = kLoadAvgMax - 1024;  // PELT_MIN_DIVIDER
inline constexpr uint32_t kSchedCapacityShift = 10;
// util_est: MSB flags "util_avg unchanged since the last enqueue" (UTIL_AVG_UNCHANGED).
inline constexpr uint32_t kUtilAvgUnchanged = 0x80000000u;
inline constexpr uint32_t kUtilEstWeightShift = 2;  // UTIL_EST_WEIGHT_SHIFT: ewma weight 1/4
inline constexpr uint32_t kUtilEstMargin = 1024 / 100;  // UTIL_EST_MARGIN

// struct sched_avg.
struct SchedAvg {
  uint64_t last_update_time = 0;  // in 1024-ns units shifted back to ns (a multiple of 1024)
  uint64_t load_sum = 0;
  uint64_t runnable_sum = 0;
  uint32_t util_sum = 0;
  uint32_t period_contrib = 0;
  uint64_t load_avg = 0;
  uint64_t runnable_avg = 0;
  uint64_t util_avg = 0;
  uint32_t util_est = 0;  // task: EWMA | kUtilAvgUnchanged; cfs_rq: sum over enqueued tasks
};

// decay_load(): val * y^n, with the kernel's 32-entry 0.32 fixed-point table.
uint64_t decay_load(uint64_t val, uint64_t n);
// __accumulate_pelt_segments(): d1*y^p + 1024*sum_{n=1}^{p-1} y^n + d3.
uint32_t accumulate_pelt_segments(uint64_t periods, uint32_t d1, uint32_t d3);
// get_pelt_divider().
inline uint32_t get_pelt_divider(const SchedAvg& sa) { return kPeltMinDivider + sa.period_contrib; }
// ___update_load_sum(): accumulate [last_update_time, now] with the given state. Returns true
// when at least one period boundary was crossed (the *_avg must then be refreshed).
bool update_load_sum(Ns now, SchedAvg& sa, uint64_t load, uint64_t runnable, bool running);
// ___update_load_avg(): averages from the sums; `load` is the entity weight (1 for a cfs_rq).
void update_load_avg_from_sums(SchedAvg& sa, uint64_t load);
// Both steps (the __update_load_avg_*() wrappers). Returns true if the averages changed.
inline bool pelt_update(Ns now, SchedAvg& sa, uint64_t load_state, uint64_t runnable, bool running,
                        uint64_t weight) {
  if (!update_load_sum(now, sa, load_state, runnable, running)) return false;
  update_load_avg_from_sums(sa, weight);
  return true;
}

}  // namespace scx::fair
