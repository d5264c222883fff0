#include "report/metric_selection.h"

#include <fnmatch.h>

#include <cmath>
#include <sstream>

#include <fmt/format.h>

#include "report/compare.h"

namespace scx {
namespace {

bool matches(const std::string& pattern, const std::string& key) {
  return ::fnmatch(pattern.c_str(), key.c_str(), 0) == 0;
}

bool matches_any(const std::vector<std::string>& patterns, const std::string& key) {
  for (const std::string& p : patterns)
    if (matches(p, key)) return true;
  return false;
}

}  // namespace

const std::vector<std::string>& headline_metric_patterns() {
  static const std::vector<std::string> kHeadline = {
      kEjectedKey,
      "throughput.*",
      "workload.*",
      "wakeup_latency_us.p50",
      "wakeup_latency_us.p99",
      "run_delay_us.p99",
      "cpu.busy_pct",
      "switches.voluntary_per_s",
      "switches.involuntary_per_s",
      "migrations.total",
      "migrations.cross_llc",
      "migrations.cross_node",
      "fairness.jain_min",
      "deadline.timer_misses",
      "group.*.cpu_share_pct",
      "group.*.wakeup_latency_us.p99",
      "cgroup.*.cpu_share_pct",
  };
  return kHeadline;
}

Result<MetricSelection> MetricSelection::parse_list(const std::string& list) {
  MetricSelection s;
  s.mode = Mode::Listed;
  std::istringstream in(list);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) s.patterns.push_back(item);
  if (s.patterns.empty())
    return Status::Errorf("--metrics", "expected metric keys or globs, e.g. 'wakeup_latency_us.p99,group.*'; got '{}'",
                          list);
  return s;
}

bool MetricSelection::shows(const std::string& key, bool all_zero) const {
  switch (mode) {
    case Mode::All: return true;
    case Mode::Listed: return matches_any(patterns, key);
    case Mode::Headline: return !all_zero && matches_any(headline_metric_patterns(), key);
  }
  return true;
}

std::vector<std::string> MetricSelection::unmatched(const std::vector<std::string>& keys) const {
  std::vector<std::string> out;
  for (const std::string& p : patterns) {
    bool hit = false;
    for (const std::string& k : keys) hit = hit || matches(p, k);
    if (!hit) out.push_back(p);
  }
  return out;
}

std::string format_metric_value(const MetricDef& def, std::optional<double> v) {
  if (!v || def.unit != "count") return format_value(v);
  if (*v == std::floor(*v) || std::fabs(*v) >= 10) return fmt::format("{:.0f}", *v);
  return fmt::format("{:.1f}", *v);
}

std::string hidden_metrics_note(size_t hidden) {
  if (hidden == 0) return "";
  return fmt::format("({} more metric{}: --all shows every one, --metrics KEY,... picks some; "
                     "keys in docs/reports.md)\n", hidden, hidden == 1 ? "" : "s");
}

}  // namespace scx
