// `--probe` series in the run's JSON: a "probes" section appended to format_run_json()'s
// document, {"interval_ns": N, "series": [{"name": ..., "time_ns": [...], "values": [...]}]}.
#pragma once

#include <string>
#include <vector>

#include "report/probe_series.h"

namespace scx {

// `run_json` is format_run_json()'s text; returned with the section added (unchanged without probes).
std::string add_probes_json(const std::string& run_json, const std::vector<ProbeSeries>& probes, Ns interval);

}  // namespace scx
