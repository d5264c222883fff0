// Per-task and per-CPU measurements, computed only from trace events (the kernel does not know
// this module exists). Units are nanoseconds throughout; formatting happens in reports.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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
  int policy = 0;
  int prio = 0;
  bool kthread = false;
  Ns created = 0;
  Ns exited = kNever;
  Ns cpu_time = 0;       // time as some CPU's current task
  Ns wait_time = 0;      // runnable but not running (run delay)
  uint64_t nvcsw = 0;    // switched out while blocking
  uint64_t nivcsw = 0;   // switched out while still runnable (preempted)
  uint64_t wakeups = 0;
  uint64_t migrations[kMigrationLevels] = {};
  uint64_t timer_misses = 0;
  std::vector<Ns> wakeup_latency;  // sched_waking -> running
  std::vector<Ns> run_delay;       // every runnable -> running interval
  uint64_t total_migrations() const;
};

struct CpuMetrics {
  Ns busy = 0;
  Ns idle = 0;
  uint64_t switches = 0;
};

class MetricsCollector : public TraceSink {
 public:
  explicit MetricsCollector(const Topology& topo);
  void on_event(const TraceEvent& e) override;
  void on_finish(Ns end) override;

  Ns end_time() const { return end_; }
  // Tasks in creation order (kernel threads included, flagged).
  const std::vector<TaskMetrics>& tasks() const { return tasks_; }
  const std::vector<CpuMetrics>& cpus() const { return cpus_; }
  // Workload counters (Mark events) summed over tasks, by counter id.
  const std::vector<int64_t>& counters() const { return counters_; }
  uint64_t phases_completed() const { return phases_; }
  uint64_t deadline_misses() const { return misses_; }

 private:
  struct Live {
    int index = -1;          // into tasks_
    int running_on = -1;
    Ns running_since = 0;
    Ns runnable_since = kNever;
    Ns waking_since = kNever;
  };
  Live* live(int pid);
  TaskMetrics& add_task(const TraceEvent& e);

  const Topology& topo_;
  std::vector<TaskMetrics> tasks_;
  std::vector<Live> live_;  // index: pid (dense enough: pids are small and sequential)
  std::vector<CpuMetrics> cpus_;
  std::vector<int32_t> cpu_curr_;
  std::vector<Ns> cpu_since_;
  std::vector<int64_t> counters_;
  uint64_t phases_ = 0;
  uint64_t misses_ = 0;
  Ns end_ = 0;
};

// Nearest-rank percentile of unsorted samples (copied and sorted); -1 for no samples.
int64_t percentile(std::vector<Ns> samples, double pct);

}  // namespace scx
