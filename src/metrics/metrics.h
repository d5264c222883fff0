// Per-task and per-CPU measurements, computed only from trace events (the kernel does not know
// this module exists). Units are nanoseconds throughout; formatting happens in reports.
// summary.h turns a collector into per-task / per-group / overall figures.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "base/cpumask.h"
#include "base/status.h"
#include "metrics/cgroup_metrics.h"
#include "metrics/idle_while_waiting.h"
#include "metrics/scx_metrics.h"
#include "sim/time.h"
#include "topo/topology.h"
#include "trace/trace.h"

namespace scx {

// Migration distance, from the topology: same core (SMT sibling), same LLC, same node, other node.
enum class MigrationLevel : uint8_t { Smt = 0, Llc = 1, CrossLlc = 2, CrossNode = 3 };
inline constexpr int kMigrationLevels = 4;
const char* migration_level_name(MigrationLevel l);

struct TaskMetrics {
  int pid = 0;
  int tgid = 0;
  std::string comm;
  std::string group;     // TaskSpec::group (rt-app taskgroup), else comm without its instance number
  int policy = 0;
  int prio = 0;
  bool kthread = false;
  CpuMask allowed;       // affinity at creation (TaskNew / fork); all CPUs when not traced
  Ns created = 0;
  Ns exited = kNever;
  Ns cpu_time = 0;       // time as some CPU's current task
  Ns wait_time = 0;      // runnable but not running (run delay)
  uint64_t nvcsw = 0;    // switched out while blocking
  uint64_t nivcsw = 0;   // switched out while still runnable (preempted)
  uint64_t wakeups = 0;
  uint64_t migrations[kMigrationLevels] = {};
  uint64_t timer_misses = 0;
  Ns timer_late_max = 0;           // largest TimerMiss lateness
  uint64_t phases = 0;             // PhaseEnd events
  uint64_t phase_misses = 0;       // PhaseEnd with negative slack
  std::vector<int64_t> counters;   // Mark sums by counter id
  std::vector<Ns> wakeup_latency;  // sched_waking -> running
  std::vector<Ns> run_delay;       // every runnable -> running interval
  uint64_t total_migrations() const;
  // Lifetime inside the run: [created, min(exited, end)).
  Ns lifetime(Ns end) const { return (exited == kNever || exited > end ? end : exited) - created; }
};

struct CpuMetrics {
  Ns busy = 0;
  Ns idle = 0;
  // Idle time during which at least one task allowed on this CPU was runnable and waiting on
  // another CPU's runqueue (work-conservation loss).
  Ns idle_while_waiting = 0;
  uint64_t switches = 0;
};

// Time-bucketed series for plots: per-CPU busy time and the time integral of the number of tasks
// waiting on each CPU's runqueue, per bucket of `width` ns.
struct MetricsSeries {
  Ns width = 0;                               // 0 = series disabled
  std::vector<std::vector<Ns>> busy;          // [cpu][bucket] busy ns
  std::vector<std::vector<uint64_t>> queued;  // [cpu][bucket] sum of waiting tasks x ns
  size_t buckets() const { return busy.empty() ? 0 : busy[0].size(); }
};

class MetricsCollector : public TraceSink {
 public:
  explicit MetricsCollector(const Topology& topo);
  // Enables the time series with buckets of `width` ns (call before the run starts).
  void enable_series(Ns width);
  // Latency samples (a wake-up latency and a run delay per context switch, kept for exact
  // percentiles) are what grows with a run's length: past `max` of them, `over` is called once
  // (the runner stops the run with its error) and no more are kept (--max-samples).
  static constexpr uint64_t kDefaultMaxSamples = uint64_t{1} << 28;
  void limit_samples(uint64_t max, std::function<void(const Status&)> over);
  // Room for `tasks` tasks with pids below `pid_end`, when the caller knows them before the
  // run: the per-task tables are then sized once instead of growing by doubling.
  void reserve_tasks(size_t tasks, int pid_end);

  void on_event(const TraceEvent& e) override;
  void on_finish(Ns end) override;

  const Topology& topology() const { return topo_; }
  Ns end_time() const { return end_; }
  // Tasks in creation order (kernel threads included, flagged).
  const std::vector<TaskMetrics>& tasks() const { return tasks_; }
  const std::vector<CpuMetrics>& cpus() const { return cpus_; }
  // Workload counters (Mark events) summed over tasks, by counter id.
  const std::vector<int64_t>& counters() const { return counters_; }
  uint64_t phases_completed() const { return phases_; }
  uint64_t deadline_misses() const { return misses_; }
  const MetricsSeries& series() const { return series_; }
  // sched_ext figures; filled from ext trace events (or directly by an ext class / tests).
  ScxMetrics& scx() { return scx_; }
  const ScxMetrics& scx() const { return scx_; }
  // Per-cgroup figures (cgroup_metrics.h); present() only when the run created cgroups.
  const CgroupTracker& cgroups() const { return cgroups_; }

 private:
  struct Live {
    int index = -1;          // into tasks_
    int running_on = -1;
    int queued_on = -1;      // CPU whose runqueue holds it while waiting
    Ns running_since = 0;
    Ns runnable_since = kNever;
    Ns wait_mark = 0;        // wait time is charged up to here (runs may close books early)
    Ns waking_since = kNever;
  };
  Live* live(int pid);
  TaskMetrics& add_task(const TraceEvent& e);
  void set_allowed(TaskMetrics& t, const char* cpus);
  // Waiting-task bookkeeping (queue depth and idle-while-waiting).
  void start_waiting(Live& l, int cpu, Ns now);
  void stop_waiting(Live& l, Ns now);
  void move_waiting(Live& l, int to, Ns now);
  void set_queued(int cpu, int64_t delta, Ns now);
  void add_busy_series(int cpu, Ns from, Ns to);

  const Topology& topo_;
  std::vector<TaskMetrics> tasks_;
  std::vector<Live> live_;  // index: pid (dense enough: pids are small and sequential)
  std::vector<CpuMetrics> cpus_;
  std::vector<int32_t> cpu_curr_;
  std::vector<Ns> cpu_since_;
  std::vector<int64_t> queued_;          // waiting tasks queued on each CPU
  std::vector<Ns> queued_since_;
  IdleWhileWaiting iww_;
  std::vector<int64_t> counters_;
  MetricsSeries series_;
  ScxMetrics scx_;
  CgroupTracker cgroups_;
  uint64_t phases_ = 0;
  uint64_t misses_ = 0;
  Ns end_ = 0;
  uint64_t samples_ = 0;
  uint64_t max_samples_ = kDefaultMaxSamples;
  std::function<void(const Status&)> samples_over_;
  // Counts one sample; false when it is past the limit (not kept).
  bool take_sample();
};

// Adds the interval [from, to) to per-bucket totals of `width` ns, growing `buckets` as needed;
// each ns counts `weight` times.
void add_to_buckets(std::vector<uint64_t>& buckets, Ns width, Ns from, Ns to, uint64_t weight = 1);

// 0-based position of the nearest-rank percentile `pct` among n > 0 sorted samples.
size_t percentile_index(size_t n, double pct);
// Nearest-rank percentiles `pcts` (any order) of unsorted samples, found by selection
// (std::nth_element, splitting at the middle one) rather than a full sort: the values are those
// of the sorted samples, in O(n log k) for k percentiles. Reorders `samples`; -1s for none.
std::vector<int64_t> select_percentiles(std::span<Ns> samples, std::span<const double> pcts);
std::vector<int64_t> select_percentiles(std::span<Ns> samples, std::initializer_list<double> pcts);
// Nearest-rank percentile of unsorted samples (taken by value, selected); -1 for no samples.
int64_t percentile(std::vector<Ns> samples, double pct);
// Nearest-rank percentile of sorted samples; -1 for no samples.
int64_t percentile_sorted(const std::vector<Ns>& sorted, double pct);

// Report grouping key for a task without a task group: its comm without a trailing instance
// number ("worker-3" -> "worker", "hog12" -> "hog").
std::string comm_family(const std::string& comm);

}  // namespace scx
