// The default view of one run (`scxsim run` without --all): the header, a table of the metrics
// a MetricSelection picks (the headline set unless --metrics), the CPUs (one line each up to 16,
// a summary beyond) and the workload's own figures. --all prints format_run_text instead.
#pragma once

#include <string>

#include "metrics/summary.h"
#include "report/metric_selection.h"
#include "report/run_report.h"

namespace scx {

std::string format_run_text(const RunReport& r, const MetricSelection& selection);

// The CPUs block: per CPU up to `max_rows` CPUs, else one summary line (busy% and switches:
// min, median, max, and the least and most busy CPU).
std::string cpus_block(const RunSummary& s, size_t max_rows = 16);

}  // namespace scx
