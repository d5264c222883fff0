// The pieces of the HTML report (html.h assembles them): shared SVG drawing (a plot frame with
// "nice number" axes, colours) and one function per section. Internal to src/report.
#pragma once

#include <string>
#include <vector>

#include "report/axis_ticks.h"
#include "report/compare.h"

namespace scx::html {

// Plot geometry in SVG user units; the SVGs scale to the page width (viewBox, width 100%).
inline constexpr int kW = 1100, kH = 300, kL = 70, kR = 20, kT = 20, kB = 44;

const char* color(size_t i);
std::string num(double v);  // two decimals, for coordinates
// <svg ...> that scales to the page width; `attrs` go inside the tag (id, class, data-*).
std::string svg_open(const std::string& attrs, int h);
// A frame around the plot area and a linear y axis from `y` (ticks, labels, grid lines).
std::string frame_and_y_axis(const AxisTicks& y, int h, const std::string& label);
// A linear x axis of simulated time in ms over [0, duration].
std::string time_x_axis(Ns duration, int h);
// The first run of each variant that has HTML data (nullptr per variant without).
std::vector<const HtmlRunData*> first_run_data(const CompareResult& r);
// One coloured square and name per variant.
std::string legend(const CompareResult& r);
// JSON text placed inside <script type="application/json">: "</" cannot close the element.
std::string script_safe(const std::string& json);

// Sections ("" when there is nothing to show).
std::string latency_section(const CompareResult& r);  // CDF and the tail (1 - CDF), log scales
std::string groups_section(const CompareResult& r);   // per task group: CPU share and latency bars
std::string timeline_section(const CompareResult& r);  // per-CPU timeline per variant, window selectable
std::string probes_section(const CompareResult& r);   // --probe series
std::string tasks_section(const CompareResult& r);    // per-task table (one variant: `run --html`)
// The page's script: sortable tables and the timeline's drawing.
std::string page_script();

}  // namespace scx::html

namespace scx::html {
// Element-wise mean over seeds of equally long vectors (empty ones are skipped).
std::vector<double> mean_of(const std::vector<const std::vector<double>*>& vs);
}  // namespace scx::html
