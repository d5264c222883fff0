// Per-cgroup measurements, learned from the cgroup trace events (CgroupNew/Remove/Write/Attach,
// CgroupThrottle/Unthrottle) and from the task events the MetricsCollector already follows. A
// cgroup's figures are hierarchical, like the kernel's cpu.stat: they cover the tasks in it and
// in every cgroup below it. The definitions are in docs/reports.md ("Cgroups").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/cpumask.h"
#include "sim/time.h"

namespace scx {

struct ThrottleSlice {
  int cpu = 0;
  Ns start = 0;
  Ns end = kNever;  // kNever: still throttled when the run ended (closed by finish())
};

struct CgroupMetrics {
  uint64_t id = 0;
  uint64_t parent_id = 0;  // 0 for the root
  std::string path;
  int level = 0;
  uint32_t weight = 100;  // cpu.weight now (cpu.weight.nice converted)
  bool idle = false;      // cpu.idle now
  CpuMask effective_cpus; // cpuset.cpus within the parent's, like the kernel's effective set
  CpuMask cpuset;         // cpuset.cpus as written (empty: unset)
  Ns created = 0;
  Ns removed = kNever;
  Ns cpu_time = 0;               // CPU time of its tasks and its descendants' tasks
  long double entitled_ns = 0;   // time integral of its entitled fraction of the machine
  Ns throttled_time = 0;         // summed over CPUs, as cpu.stat's throttled_usec
  uint64_t throttles = 0;        // CgroupThrottle events (one per CPU runqueue throttled)
  std::vector<int> pids;         // distinct tasks that were in it or below, first-seen order
  std::vector<Ns> wakeup_latency;
  std::vector<Ns> run_delay;
  std::vector<ThrottleSlice> throttle_slices;
  // Tasks of the cgroup itself (not below) that are runnable now; state for the entitlement.
  int runnable_here = 0;
};

class CgroupTracker {
 public:
  explicit CgroupTracker(const CpuMask& all_cpus);

  // True once the run created a cgroup: only then do reports show a cgroups section.
  bool present() const { return groups_.size() > 1; }
  // All cgroups seen, the root first, then in creation order.
  const std::vector<CgroupMetrics>& cgroups() const { return groups_; }
  const CgroupMetrics* find(uint64_t id) const;
  uint64_t cgroup_of(int pid) const;  // the root's id (1) for a task never attached

  // Cgroup events.
  void created(Ns now, uint64_t id, uint64_t parent_id, std::string_view path);
  void removed(Ns now, uint64_t id);
  void written(Ns now, uint64_t id, std::string_view file, std::string_view value);
  void attached(Ns now, int pid, uint64_t id);
  void throttled(Ns now, uint64_t id, int cpu);
  void unthrottled(Ns now, uint64_t id, int cpu, Ns throttled_ns);

  // Task events, charged to the task's cgroup and its ancestors.
  void ran(int pid, Ns ns);
  void woke_after(int pid, Ns latency);
  void waited(int pid, Ns delay);
  void set_runnable(Ns now, int pid, bool runnable);

  void finish(Ns end);

 private:
  CgroupMetrics* group(uint64_t id);
  // Visits the task's cgroup and each of its ancestors, the root last.
  template <typename F>
  void for_lineage(int pid, F&& f);
  void note_pid(CgroupMetrics& g, int pid);
  // Entitlement: integrate the current fractions up to `now`, then recompute them.
  void advance(Ns now);
  void recompute();
  void distribute(size_t parent, long double amount, const std::vector<int>& runnable_below);

  CpuMask all_cpus_;
  std::vector<CgroupMetrics> groups_;
  std::unordered_map<uint64_t, size_t> index_;  // cgroup id -> groups_ index
  std::vector<int> parent_index_;      // per groups_ index; -1 for the root
  std::vector<long double> fraction_;  // entitled fraction of the machine, per groups_ index
  std::vector<uint64_t> task_cgroup_;  // by pid
  std::vector<bool> task_runnable_;    // by pid
  Ns integrated_to_ = 0;
};

}  // namespace scx
