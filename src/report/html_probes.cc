// `--probe` series: one plot per probe (the scheduler's own state over simulated time), a line
// per variant that has it (first seed), with "nice number" axes.
#include <algorithm>

#include <fmt/format.h>

#include "report/html.h"
#include "report/html_parts.h"

namespace scx::html {
namespace {

constexpr int kProbeH = 220;

std::string probe_svg(const CompareResult& r, const std::vector<const HtmlRunData*>& data, const std::string& name,
                      size_t index) {
  double lo = 0, hi = 0;
  Ns end = 0;
  for (const HtmlRunData* d : data)
    if (d)
      for (const ProbeSeries& p : d->probes)
        if (p.name == name)
          for (const ProbeSample& x : p.samples) {
            lo = std::min(lo, static_cast<double>(x.value));
            hi = std::max(hi, static_cast<double>(x.value));
            end = std::max(end, x.time);
          }
  const AxisTicks y = nice_ticks(lo, hi, 5);
  std::string s = svg_open(fmt::format("class=\"probe\" id=\"probe-{}\" data-probe=\"{}\"", index, html_escape(name)),
                           kProbeH);
  s += frame_and_y_axis(y, kProbeH, name) + time_x_axis(end, kProbeH);
  auto X = [&](Ns t) { return kL + static_cast<double>(t) / static_cast<double>(std::max<Ns>(end, 1)) * (kW - kL - kR); };
  auto Y = [&](double v) { return kT + (1.0 - (v - y.lo) / (y.hi - y.lo)) * (kProbeH - kT - kB); };
  for (size_t v = 0; v < data.size(); ++v) {
    if (!data[v]) continue;
    for (const ProbeSeries& p : data[v]->probes) {
      if (p.name != name) continue;
      std::string pts;
      for (const ProbeSample& x : p.samples)
        pts += fmt::format("{}{},{}", pts.empty() ? "" : " ", num(X(x.time)), num(Y(static_cast<double>(x.value))));
      s += fmt::format("<polyline class=\"probe-line\" data-variant=\"{}\" fill=\"none\" stroke=\"{}\" "
                       "stroke-width=\"1.5\" points=\"{}\"/>\n", html_escape(r.variants[v]), color(v), pts);
    }
  }
  return s + "</svg>\n";
}

}  // namespace

std::string probes_section(const CompareResult& r) {
  const std::vector<const HtmlRunData*> data = first_run_data(r);
  std::vector<std::string> names;
  for (const HtmlRunData* d : data)
    if (d)
      for (const ProbeSeries& p : d->probes)
        if (std::find(names.begin(), names.end(), p.name) == names.end()) names.push_back(p.name);
  if (names.empty()) return "";
  std::string s = "<section id=\"probes\">\n<h2>Probes</h2>\n<p>the scheduler's own values (--probe), sampled over "
                  "simulated time; first seed of each variant</p>\n";
  for (size_t i = 0; i < names.size(); ++i) s += "<h3>" + html_escape(names[i]) + "</h3>\n" + probe_svg(r, data, names[i], i);
  return s + "</section>\n";
}

}  // namespace scx::html
