// Which metrics a `run` or `compare` table shows: the headline set a scheduler author reads
// first (the default; rows that are zero for every variant are left out), every metric
// (--all), or the keys a --metrics LIST names. JSON and CSV always carry every metric.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace scx {

struct MetricDef;

struct MetricSelection {
  enum class Mode { Headline, All, Listed };
  Mode mode = Mode::Headline;
  std::vector<std::string> patterns;  // Listed: metric keys, or globs such as "group.*"

  // --metrics LIST: comma-separated keys or globs (fnmatch: *, ?, [..]).
  static Result<MetricSelection> parse_list(const std::string& list);
  static MetricSelection all() { return {Mode::All, {}}; }

  // Whether the row of `key` is shown; `all_zero`: its value is 0 or not measured everywhere.
  bool shows(const std::string& key, bool all_zero) const;
  // The patterns of a --metrics LIST that match none of `keys` (to warn about typos).
  std::vector<std::string> unmatched(const std::vector<std::string>& keys) const;
};

// The headline metrics' key patterns, in docs/reports.md's words: throughput and CPU share,
// wake-up latency p50/p99, run delay p99, context switches per second, migrations, fairness,
// deadline misses and sched_ext ejections.
const std::vector<std::string>& headline_metric_patterns();

// A table cell: counts as whole numbers (a mean below 10 that is not whole keeps one decimal),
// everything else by format_value (report/compare.h).
std::string format_metric_value(const MetricDef& def, std::optional<double> v);

// The line under a table that leaves rows out: how many, and how to see them.
std::string hidden_metrics_note(size_t hidden);

}  // namespace scx
