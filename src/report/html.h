// One self-contained HTML file (no network, no libraries; a few lines of inline JS) with the
// comparison table and plots drawn by us as inline SVG: wake-up latency CDFs (one line per
// variant), a CPU x time utilisation heatmap per variant, and the runqueue depth over time (and
// the DSQ depth when sched_ext ran). `scxsim run --html` uses it with one variant and one seed.
#pragma once

#include <string>

#include "report/compare.h"

namespace scx {

std::string format_html_report(const CompareResult& r, const std::string& title);

// Escapes &, <, >, " and ' for HTML text and attributes.
std::string html_escape(const std::string& s);

}  // namespace scx
