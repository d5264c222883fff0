// The per-cgroup rows of a run's summary (summary.h), from the CgroupTracker's totals.
#include "metrics/summary.h"

namespace scx {

std::vector<CgroupSummary> summarize_cgroups(const CgroupTracker& t, Ns duration, int nr_cpus) {
  std::vector<CgroupSummary> rows;
  if (!t.present()) return rows;
  const double capacity = static_cast<double>(duration) * nr_cpus;
  for (const CgroupMetrics& g : t.cgroups()) {
    if (g.parent_id == 0) continue;  // the root: the whole machine, see the overall figures
    CgroupSummary s;
    s.path = g.path;
    s.id = g.id;
    s.weight = g.weight;
    s.tasks = g.pids.size();
    s.cpu_time = g.cpu_time;
    s.cpu_share_pct = capacity > 0 ? 100.0 * static_cast<double>(g.cpu_time) / capacity : 0.0;
    s.entitled_pct = duration ? static_cast<double>(100.0L * g.entitled_ns / static_cast<long double>(duration)) : 0.0;
    s.throttled_time = g.throttled_time;
    s.throttles = g.throttles;
    s.wakeup_latency = Dist::of(g.wakeup_latency);
    s.run_delay = Dist::of(g.run_delay);
    rows.push_back(std::move(s));
  }
  return rows;
}

}  // namespace scx
