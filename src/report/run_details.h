// The detailed sections of one run's report, added after the summary tables of run_report.cc:
// schbench-style latency blocks (overall), task groups, fairness among equal-weight tasks, work
// conservation (idle while tasks waited), deadlines, throughput and sched_ext. Not measured =
// "-" in text and null in JSON.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "metrics/summary.h"
#include "report/run_report.h"

namespace scx {

std::string format_run_details_text(const RunReport& r, const RunSummary& s);
nlohmann::ordered_json run_details_json(const RunReport& r, const RunSummary& s);
nlohmann::ordered_json dist_json(const Dist& d);  // {"samples", "min", "mean", "p50", ..., "max"} in ns
nlohmann::ordered_json cgroups_json(const RunSummary& s);  // the per-cgroup rows
nlohmann::ordered_json scx_json(const ScxMetrics& x);  // null when no sched_ext event was seen

}  // namespace scx
