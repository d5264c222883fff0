// Derived figures of one run, per task, per task group and overall, computed from a
// MetricsCollector after the run. Every optional is "not measured" (no samples, no baseline):
// reports print it as null / "-", never as 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "metrics/metrics.h"

namespace scx {

// A latency distribution in ns: nearest-rank percentiles over `n` samples.
struct Dist {
  uint64_t n = 0;
  std::optional<double> min, mean, p50, p90, p99, p999, max;
  static Dist of(std::vector<Ns> samples);  // owns the samples: reorders them (selection)
};

// One row of the task / group / overall tables.
struct EntitySummary {
  std::string name;        // comm, group key, or "all"
  int pid = 0;             // tasks only
  int policy = 0;          // tasks only
  int prio = 0;            // tasks only
  uint64_t tasks = 0;
  Ns cpu_time = 0;
  double cpu_pct = 0;      // cpu_time / run length x 100 (top-style; a group can exceed 100)
  std::optional<double> share_pct;  // cpu_time / CPU time of all user tasks x 100
  Ns wait_time = 0;        // total run delay
  uint64_t wakeups = 0;
  Dist wakeup_latency;     // sched_waking -> running
  Dist run_delay;          // each runnable -> running interval
  uint64_t nvcsw = 0, nivcsw = 0;
  uint64_t migrations[kMigrationLevels] = {};
  uint64_t timer_misses = 0;
  std::optional<Ns> timer_late_max;
  uint64_t phases = 0, phase_misses = 0;
  std::vector<int64_t> counters;  // Mark sums by counter id
  uint64_t total_migrations() const;
};

// Fairness among the user tasks of one class: the same task group (same behaviour), the same
// weight (policy, prio) and the same interval in the run (created and gone at the same times),
// i.e. tasks that wanted the same CPU. Share = CPU time / lifetime in the run.
struct FairnessClass {
  int policy = 0;
  int prio = 0;
  std::string label;        // "hog normal/nice0": group, policy, nice
  uint64_t tasks = 0;
  double min_share = 0, max_share = 0, mean_share = 0;
  std::optional<double> max_min_ratio;  // null when some task got no CPU at all
  std::optional<double> jain;           // (sum x)^2 / (n sum x^2); 1 = perfectly even
  std::optional<double> gini;           // 0 = perfectly even
  uint64_t starved = 0;                 // tasks with no CPU time
};

struct CpuSummary {
  int cpu = 0;
  Ns busy = 0, idle = 0, idle_while_waiting = 0;
  double busy_pct = 0;
  uint64_t switches = 0;
};

// One cgroup's row (docs/reports.md, "Cgroups"): figures cover its tasks and its descendants'.
struct CgroupSummary {
  std::string path;
  uint64_t id = 0;
  uint32_t weight = 0;          // cpu.weight at the end of the run
  uint64_t tasks = 0;           // distinct tasks that were in it or below
  Ns cpu_time = 0;
  double cpu_share_pct = 0;     // cpu_time / (run length x CPUs) x 100
  double entitled_pct = 0;      // time average of its entitled fraction of the machine x 100
  Ns throttled_time = 0;
  uint64_t throttles = 0;
  Dist wakeup_latency;
  Dist run_delay;
};

struct RunSummary {
  Ns duration = 0;
  int nr_cpus = 0;
  std::vector<EntitySummary> tasks;   // user tasks (and kernel threads that ran), creation order
  std::vector<EntitySummary> groups;  // user-task groups, sorted by name
  EntitySummary overall;              // all user tasks
  std::vector<CpuSummary> cpus;
  Ns busy = 0, idle = 0, idle_while_waiting = 0;
  double busy_pct = 0;
  uint64_t switches = 0;
  std::vector<FairnessClass> fairness;  // classes with >= 2 tasks, ordered by (group, policy, prio, interval)
  std::vector<int64_t> counters;        // by counter id
  std::vector<std::optional<double>> counter_rates;  // per second of simulated time
  uint64_t timer_misses = 0, phases = 0, phase_misses = 0;
  std::vector<CgroupSummary> cgroups;  // non-root cgroups in creation order; empty without cgroups
};

RunSummary summarize(const MetricsCollector& m);
// The cgroup rows (summary.cc calls it; tests may call it on a tracker fed by hand).
std::vector<CgroupSummary> summarize_cgroups(const CgroupTracker& t, Ns duration, int nr_cpus);

const char* policy_short_name(int policy);  // "normal", "fifo", ...

// Statistics helpers shared by reports.
double jain_index(const std::vector<double>& x);  // requires sum > 0
double gini_coefficient(std::vector<double> x);   // requires sum > 0

}  // namespace scx
