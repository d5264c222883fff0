#include <fmt/format.h>

#include "report/html.h"
#include "report/html_parts.h"

namespace scx::html {

const char* color(size_t i) {
  static constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                                            "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
  return kColors[i % (sizeof(kColors) / sizeof(kColors[0]))];
}

std::string num(double v) { return fmt::format("{:.2f}", v); }

std::string svg_open(const std::string& attrs, int h) {
  return fmt::format("<svg {} xmlns=\"http://www.w3.org/2000/svg\" width=\"100%\" viewBox=\"0 0 {} {}\">\n", attrs,
                     kW, h);
}

std::string frame_and_y_axis(const AxisTicks& y, int h, const std::string& label) {
  std::string s = fmt::format(
      "<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#888\"/>\n", kL, kT,
      kW - kL - kR, h - kT - kB);
  for (double v : y.ticks) {
    const double py = kT + (1.0 - (v - y.lo) / (y.hi - y.lo)) * (h - kT - kB);
    s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#eee\"/>", kL, num(py), kW - kR, num(py));
    s += fmt::format("<text class=\"ytick\" x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>\n", kL - 4,
                     num(py + 4), tick_label(v, y.step));
  }
  s += fmt::format(
      "<text x=\"14\" y=\"{}\" font-size=\"12\" transform=\"rotate(-90 14 {})\" text-anchor=\"middle\">{}</text>\n",
      h / 2, h / 2, html_escape(label));
  return s;
}

std::string time_x_axis(Ns duration, int h) {
  const double ms = static_cast<double>(duration) / 1e6;
  const AxisTicks x = nice_ticks(0, ms > 0 ? ms : 1, 10);
  std::string s;
  for (double v : x.ticks) {
    if (v > ms * (1 + 1e-9)) break;  // the axis ends with the run
    const double px = kL + v / (ms > 0 ? ms : 1) * (kW - kL - kR);
    s += fmt::format("<text class=\"xtick\" x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>", num(px),
                     h - kB + 14, tick_label(v, x.step));
  }
  return s + fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">simulated time (ms)</text>\n",
                         (kW + kL) / 2, h - 6);
}

std::vector<const HtmlRunData*> first_run_data(const CompareResult& r) {
  std::vector<const HtmlRunData*> out(r.variants.size(), nullptr);
  for (size_t v = 0; v < r.runs.size() && v < out.size(); ++v)
    for (const RunDigest& d : r.runs[v])
      if (d.html && !out[v]) out[v] = d.html.get();
  return out;
}

std::string legend(const CompareResult& r) {
  std::string s = "<p class=\"legend\">";
  for (size_t v = 0; v < r.variants.size(); ++v)
    s += fmt::format("<span style=\"color:{}\">&#9632; {}</span> ", color(v), html_escape(r.variants[v]));
  return s + "</p>\n";
}

std::vector<double> mean_of(const std::vector<const std::vector<double>*>& vs) {
  std::vector<double> out;
  size_t n = 0;
  for (const auto* v : vs) {
    if (v->empty()) continue;
    if (out.empty()) out.assign(v->size(), 0.0);
    for (size_t i = 0; i < out.size() && i < v->size(); ++i) out[i] += (*v)[i];
    ++n;
  }
  for (double& x : out) x /= static_cast<double>(n ? n : 1);
  return out;
}

std::string script_safe(const std::string& json) {
  std::string s;
  for (size_t i = 0; i < json.size(); ++i) {
    if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/') {
      s += "<\\/";
      ++i;
    } else {
      s += json[i];
    }
  }
  return s;
}

}  // namespace scx::html
