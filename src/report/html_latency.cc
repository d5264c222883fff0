// Wake-up latency: the CDF (linear y) and its tail, 1 - CDF on a log y axis, both on a log
// latency axis. Zero latencies (a wake-up that ran at once) cannot sit on a log axis: they get
// their own column left of it, marked "0", so that the share of zeros shows as the CDF's jump.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "report/html.h"
#include "report/html_parts.h"

namespace scx::html {
namespace {

constexpr int kZeroColumn = 40;  // width of the "0" column left of the log axis
constexpr int kTailDecades = 3;  // 1 - CDF down to 0.1 %: the resolution of 1001 quantiles

struct LatencyAxis {
  bool zeros = false;
  std::vector<double> decades;
  double x(double us) const {
    const double left = kL + (zeros ? kZeroColumn : 0);
    if (us <= 0) return kL + kZeroColumn / 2.0;
    const double e0 = std::log10(decades.front()), e1 = std::log10(decades.back());
    const double l = std::clamp(std::log10(us), e0, e1);
    return left + (l - e0) / (e1 - e0) * (kW - kR - left);
  }
};

LatencyAxis latency_axis(const std::vector<std::vector<double>>& q) {
  LatencyAxis a;
  double lo = 1e300, hi = 0;
  for (const auto& v : q)
    for (double x : v) {
      if (x <= 0) a.zeros = true;
      else lo = std::min(lo, x), hi = std::max(hi, x);
    }
  if (hi <= 0) lo = 1, hi = 10;  // only zeros
  a.decades = decade_ticks(lo, hi);
  return a;
}

std::string x_axis(const LatencyAxis& a, int h) {
  std::string s;
  auto tick = [&](double x, const std::string& label) {
    s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#ddd\"/>", num(x), kT, num(x), h - kB);
    s += fmt::format("<text class=\"xtick\" x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n",
                     num(x), h - kB + 14, label);
  };
  if (a.zeros) {
    tick(a.x(0), "0");
    s += fmt::format("<line class=\"axis-break\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888\" "
                     "stroke-dasharray=\"3,3\"/>\n", kL + kZeroColumn, kT, kL + kZeroColumn, h - kB);
  }
  for (double d : a.decades) tick(a.x(d), tick_label(d, d));
  s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">wake-up latency (us, log scale{})"
                   "</text>\n", (kW + kL) / 2, h - 6, a.zeros ? "; zero latencies in the column marked 0" : "");
  return s;
}

std::vector<std::vector<double>> mean_quantiles(const CompareResult& r) {
  std::vector<std::vector<double>> q(r.variants.size());
  for (size_t v = 0; v < r.runs.size() && v < q.size(); ++v) {
    std::vector<const std::vector<double>*> parts;
    for (const RunDigest& d : r.runs[v]) parts.push_back(&d.latency_quantiles);
    q[v] = mean_of(parts);
  }
  return q;
}

std::string cdf_svg(const CompareResult& r, const std::vector<std::vector<double>>& q, const LatencyAxis& a) {
  std::string s = svg_open("id=\"cdf-svg\"", kH);
  const AxisTicks y = nice_ticks(0, 100, 6);
  s += frame_and_y_axis(y, kH, "% of wake-ups") + x_axis(a, kH);
  auto Y = [](double p) { return kT + (1.0 - p) * (kH - kT - kB); };
  for (size_t v = 0; v < q.size(); ++v) {
    if (q[v].empty()) continue;
    std::string pts;
    const double last = static_cast<double>(q[v].size() - 1);
    for (size_t i = 0; i < q[v].size(); ++i)
      pts += fmt::format("{}{},{}", i ? " " : "", num(a.x(q[v][i])), num(Y(static_cast<double>(i) / last)));
    s += fmt::format("<polyline class=\"cdf\" data-variant=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" "
                     "points=\"{}\"/>\n", html_escape(r.variants[v]), color(v), pts);
  }
  return s + "</svg>\n";
}

// 1 - CDF: the share of wake-ups that waited at least this long, 100 % down to 0.1 %.
std::string tail_svg(const CompareResult& r, const std::vector<std::vector<double>>& q, const LatencyAxis& a) {
  std::string s = svg_open("id=\"tail-svg\"", kH);
  s += fmt::format("<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#888\"/>\n",
                   kL, kT, kW - kL - kR, kH - kT - kB);
  auto Y = [](double frac) { return kT + -std::log10(frac) / kTailDecades * (kH - kT - kB); };
  for (int e = 0; e <= kTailDecades; ++e) {
    const double frac = std::pow(10.0, -e), y = Y(frac);
    s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#eee\"/>", kL, num(y), kW - kR, num(y));
    s += fmt::format("<text class=\"ytick\" x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}%</text>\n", kL - 4,
                     num(y + 4), tick_label(100 * frac, 100 * frac));
  }
  s += fmt::format("<text x=\"14\" y=\"{}\" font-size=\"12\" transform=\"rotate(-90 14 {})\" text-anchor=\"middle\">"
                   "% waiting longer (log)</text>\n", kH / 2, kH / 2);
  s += x_axis(a, kH);
  for (size_t v = 0; v < q.size(); ++v) {
    if (q[v].size() < 2) continue;
    std::string pts;
    const double last = static_cast<double>(q[v].size() - 1);
    for (size_t i = 0; i + 1 < q[v].size(); ++i)  // the last quantile has nothing beyond it
      pts += fmt::format("{}{},{}", i ? " " : "", num(a.x(q[v][i])), num(Y(1.0 - static_cast<double>(i) / last)));
    s += fmt::format("<polyline class=\"tail\" data-variant=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" "
                     "points=\"{}\"/>\n", html_escape(r.variants[v]), color(v), pts);
  }
  return s + "</svg>\n";
}

}  // namespace

std::string latency_section(const CompareResult& r) {
  const std::vector<std::vector<double>> q = mean_quantiles(r);
  bool any = false;
  for (const auto& v : q) any |= !v.empty();
  std::string s = "<section id=\"latency-cdf\">\n<h2>Wake-up latency</h2>\n" + legend(r);
  if (!any) return s + "<p>no wake-up latency samples</p>\n</section>\n";
  const LatencyAxis a = latency_axis(q);
  s += "<h3>CDF</h3>\n" + cdf_svg(r, q, a);
  s += "<h3>Tail: share of wake-ups waiting at least this long (1 &#8722; CDF)</h3>\n" + tail_svg(r, q, a);
  return s + "</section>\n";
}

}  // namespace scx::html
