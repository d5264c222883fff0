#include "report/html.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace scx {

std::string html_escape(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

namespace {

constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                                   "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
const char* color(size_t i) { return kColors[i % (sizeof(kColors) / sizeof(kColors[0]))]; }

std::string num(double v) { return fmt::format("{:.2f}", v); }

// Mean over seeds, element-wise, of equally long vectors (empty ones are skipped).
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

constexpr int kW = 720, kH = 300, kL = 60, kR = 20, kT = 20, kB = 40;

std::string legend(const CompareResult& r) {
  std::string s = "<p class=\"legend\">";
  for (size_t v = 0; v < r.variants.size(); ++v)
    s += fmt::format("<span style=\"color:{}\">&#9632; {}</span> ", color(v), html_escape(r.variants[v]));
  return s + "</p>\n";
}

std::string cdf_svg(const CompareResult& r) {
  std::vector<std::vector<double>> q(r.variants.size());
  double lo = 1e300, hi = 0;
  for (size_t v = 0; v < r.runs.size(); ++v) {
    std::vector<const std::vector<double>*> parts;
    for (const RunDigest& d : r.runs[v]) parts.push_back(&d.latency_quantiles);
    q[v] = mean_of(parts);
    for (double x : q[v]) {
      if (x > 0) lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
  }
  std::string s = fmt::format(
      "<svg id=\"cdf-svg\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "viewBox=\"0 0 {} {}\">\n",
      kW, kH, kW, kH);
  if (hi <= 0) return s + "<text x=\"20\" y=\"40\">no wake-up latency samples</text>\n</svg>\n";
  const double l0 = std::floor(std::log10(std::max(lo, 0.01))), l1 = std::ceil(std::log10(hi) + 1e-9);
  const double span = std::max(l1 - l0, 1.0);
  auto X = [&](double us) {
    const double l = std::log10(std::max(us, std::pow(10.0, l0)));
    return kL + (l - l0) / span * (kW - kL - kR);
  };
  auto Y = [&](double p) { return kT + (1.0 - p) * (kH - kT - kB); };
  s += fmt::format("<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#888\"/>\n",
                   kL, kT, kW - kL - kR, kH - kT - kB);
  for (double e = l0; e <= l1 + 1e-9; e += 1) {
    const double x = X(std::pow(10.0, e));
    s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#ddd\"/>", num(x), kT, num(x), kH - kB);
    s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n", num(x),
                     kH - kB + 14, format_value(std::pow(10.0, e)));
  }
  for (int p = 0; p <= 4; ++p) {
    const double y = Y(p / 4.0);
    s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>\n", kL - 4, num(y + 4),
                     p * 25);
  }
  s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">wake-up latency (us, log scale)</text>\n",
                   (kW + kL) / 2, kH - 6);
  s += fmt::format("<text x=\"14\" y=\"{}\" font-size=\"12\" transform=\"rotate(-90 14 {})\" text-anchor=\"middle\">% of wake-ups</text>\n",
                   kH / 2, kH / 2);
  for (size_t v = 0; v < q.size(); ++v) {
    if (q[v].empty()) continue;
    std::string pts;
    for (size_t i = 0; i < q[v].size(); ++i)
      pts += fmt::format("{}{},{}", i ? " " : "", num(X(q[v][i])), num(Y(static_cast<double>(i) / static_cast<double>(q[v].size() - 1))));
    s += fmt::format("<polyline class=\"cdf\" data-variant=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>\n",
                     html_escape(r.variants[v]), color(v), pts);
  }
  return s + "</svg>\n";
}

std::string heatmap_svg(const CompareResult& r, size_t v) {
  std::vector<std::vector<double>> busy;
  size_t n = 0;
  for (const RunDigest& d : r.runs[v]) {
    if (d.busy.empty()) continue;
    if (busy.empty()) busy.assign(d.busy.size(), std::vector<double>(d.busy[0].size(), 0.0));
    for (size_t c = 0; c < busy.size() && c < d.busy.size(); ++c)
      for (size_t b = 0; b < busy[c].size() && b < d.busy[c].size(); ++b) busy[c][b] += d.busy[c][b];
    ++n;
  }
  const size_t cpus = busy.size(), buckets = cpus ? busy[0].size() : 0;
  const int cell_h = cpus ? std::clamp(320 / static_cast<int>(cpus), 2, 16) : 0;
  const int plot_w = kW - kL - kR;
  const int h = kT + static_cast<int>(cpus) * cell_h + kB;
  std::string s = fmt::format(
      "<svg class=\"heatmap\" id=\"heatmap-{}\" data-variant=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" "
      "height=\"{}\" viewBox=\"0 0 {} {}\">\n",
      v, html_escape(r.variants[v]), kW, h, kW, h);
  if (!cpus || !buckets) return s + "<text x=\"20\" y=\"40\">no series</text>\n</svg>\n";
  const double cw = static_cast<double>(plot_w) / static_cast<double>(buckets);
  for (size_t c = 0; c < cpus; ++c) {
    if (cpus <= 32 || c % (cpus / 16) == 0)
      s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\">cpu{}</text>", kL - 4,
                       kT + static_cast<int>(c) * cell_h + cell_h / 2 + 4, c);
    for (size_t b = 0; b < buckets; ++b) {
      const double f = std::clamp(busy[c][b] / static_cast<double>(n), 0.0, 1.0);
      const int shade = static_cast<int>(std::lround(255 - 200 * f));
      s += fmt::format("<rect class=\"cell\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"rgb({},{},255)\"><title>cpu{} {}%</title></rect>",
                       num(kL + cw * static_cast<double>(b)), kT + static_cast<int>(c) * cell_h, num(cw + 0.05), cell_h,
                       shade, shade, c, static_cast<int>(std::lround(100 * f)));
    }
    s += "\n";
  }
  const RunDigest& d0 = r.runs[v][0];
  s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\">0</text><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>\n",
                   kL, h - kB + 14, kW - kR, h - kB + 14, html_escape(format_duration(d0.duration)));
  s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">simulated time (white = idle, blue = busy; bucket {})</text>\n",
                   (kW + kL) / 2, h - 6, html_escape(format_duration(d0.bucket)));
  return s + "</svg>\n";
}

std::string series_svg(const CompareResult& r, const std::string& id, const std::string& ylabel, bool dsq) {
  std::vector<std::vector<double>> ys(r.variants.size());
  double hi = 0;
  Ns duration = 0;
  for (size_t v = 0; v < r.runs.size(); ++v) {
    std::vector<const std::vector<double>*> parts;
    for (const RunDigest& d : r.runs[v]) {
      parts.push_back(dsq ? &d.dsq_depth : &d.queued);
      duration = std::max(duration, d.duration);
    }
    ys[v] = mean_of(parts);
    for (double y : ys[v]) hi = std::max(hi, y);
  }
  std::string s = fmt::format(
      "<svg id=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\">\n", id, kW,
      kH, kW, kH);
  const double top = hi > 0 ? hi * 1.1 : 1.0;
  auto Y = [&](double y) { return kT + (1.0 - y / top) * (kH - kT - kB); };
  s += fmt::format("<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#888\"/>\n",
                   kL, kT, kW - kL - kR, kH - kT - kB);
  for (int i = 0; i <= 4; ++i)
    s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>\n", kL - 4,
                     num(Y(top * i / 4.0) + 4), format_value(top * i / 4.0));
  s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\">0</text><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>\n",
                   kL, kH - kB + 14, kW - kR, kH - kB + 14, html_escape(format_duration(duration)));
  s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">{} (mean per bucket)</text>\n",
                   (kW + kL) / 2, kH - 6, html_escape(ylabel));
  for (size_t v = 0; v < ys.size(); ++v) {
    if (ys[v].empty()) continue;
    const double dx = static_cast<double>(kW - kL - kR) / static_cast<double>(ys[v].size());
    std::string pts;
    for (size_t i = 0; i < ys[v].size(); ++i)
      pts += fmt::format("{}{},{}", i ? " " : "", num(kL + dx * (static_cast<double>(i) + 0.5)), num(Y(ys[v][i])));
    s += fmt::format("<polyline class=\"series\" data-variant=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>\n",
                     html_escape(r.variants[v]), color(v), pts);
  }
  return s + "</svg>\n";
}

std::string table_html(const CompareResult& r) {
  std::string s = "<table id=\"compare-table\">\n<thead><tr><th>metric</th><th>unit</th>";
  for (size_t v = 0; v < r.variants.size(); ++v) {
    s += fmt::format("<th>{}</th>", html_escape(r.variants[v]));
    if (v > 0) s += "<th>change</th><th>verdict</th>";
  }
  s += "</tr></thead>\n<tbody>\n";
  for (const CompareRow& row : r.rows) {
    s += fmt::format("<tr data-key=\"{}\"><td>{}</td><td>{}</td>", html_escape(row.def.key),
                     html_escape(row.def.label), html_escape(row.def.unit));
    for (size_t v = 0; v < row.cells.size(); ++v) {
      const CompareCell& c = row.cells[v];
      std::string title;
      for (size_t i = 0; i < c.per_seed.size(); ++i)
        title += (i ? " " : "") + format_value(c.per_seed[i]);
      s += fmt::format("<td class=\"num\" title=\"per seed: {}\">{}</td>", html_escape(title), format_value(c.mean));
      if (v > 0) {
        const char* vn = verdict_name(c.verdict);
        const char* cls = c.verdict == Verdict::Better ? "better" : c.verdict == Verdict::Worse ? "worse" : "neutral";
        s += fmt::format("<td class=\"num\">{}</td><td class=\"{}\">{}</td>",
                         c.delta_pct ? fmt::format("{:+.1f}%", *c.delta_pct) : "-", cls, html_escape(vn));
      }
    }
    s += "</tr>\n";
  }
  return s + "</tbody>\n</table>\n";
}

// The cgroups of the run (the "cgroup.<path>.*" metrics of make_digest()): per cgroup and
// variant, the CPU share next to the share its weights entitle it to, and the throttled time.
std::string cgroups_html(const CompareResult& r) {
  auto mean = [&](const std::string& key, size_t v) -> std::string {
    for (const CompareRow& row : r.rows)
      if (row.def.key == key && v < row.cells.size()) return format_value(row.cells[v].mean);
    return "-";
  };
  std::string s;
  const std::string suffix = ".cpu_share_pct";
  for (const CompareRow& row : r.rows) {
    const std::string& k = row.def.key;
    if (k.rfind("cgroup.", 0) != 0 || k.size() < suffix.size() || k.compare(k.size() - suffix.size(), suffix.size(), suffix))
      continue;
    const std::string base = k.substr(0, k.size() - suffix.size());
    for (size_t v = 0; v < r.variants.size(); ++v)
      s += fmt::format("<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                       "<td class=\"num\">{}</td></tr>\n",
                       html_escape(base.substr(7)), html_escape(r.variants[v]), mean(k, v), mean(base + ".entitled_pct", v),
                       mean(base + ".throttled_ms", v));
  }
  if (s.empty()) return s;
  return "<section id=\"cgroups\">\n<h2>Cgroups</h2>\n<table id=\"cgroup-table\">\n<thead><tr><th>cgroup</th>"
         "<th>variant</th><th>CPU share %</th><th>entitled %</th><th>throttled ms</th></tr></thead>\n<tbody>\n" +
         s + "</tbody>\n</table>\n</section>\n";
}

}  // namespace

std::string format_html_report(const CompareResult& r, const std::string& title) {
  std::string s;
  s += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  s += "<title>" + html_escape(title) + "</title>\n";
  s += "<style>\nbody{font-family:sans-serif;margin:2em;max-width:1100px}\n"
       "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px}\n"
       "td.num{text-align:right;font-family:monospace}.better{background:#d8f5d8}.worse{background:#f8d7d7}\n"
       "th{background:#eee;cursor:pointer}.legend span{margin-right:1em;font-weight:bold}\n</style>\n</head>\n<body>\n";
  s += "<h1>" + html_escape(title) + "</h1>\n";
  s += "<p id=\"scenario\">" + html_escape(r.scenario) + "</p>\n";
  std::string seeds;
  for (uint64_t x : r.seeds) seeds += (seeds.empty() ? "" : ",") + std::to_string(x);
  s += "<ul id=\"variants\">\n";
  for (size_t v = 0; v < r.variants.size(); ++v)
    s += fmt::format("<li><b>{}</b>{}: {}</li>\n", html_escape(r.variants[v]), v == 0 ? " (baseline)" : "",
                     html_escape(v < r.variant_args.size() ? r.variant_args[v] : r.variants[v]));
  s += "</ul>\n<p>seeds: " + html_escape(seeds) + "; values are means over seeds (hover a cell for each seed)</p>\n";
  s += "<section id=\"compare\">\n<h2>Metrics</h2>\n" + table_html(r);
  s += "<p id=\"rule\">" + html_escape(kVerdictRule) + "</p>\n</section>\n";
  s += cgroups_html(r);  // empty without cgroups
  s += "<section id=\"latency-cdf\">\n<h2>Wake-up latency CDF</h2>\n" + legend(r) + cdf_svg(r) + "</section>\n";
  s += "<section id=\"heatmap\">\n<h2>CPU utilisation over time</h2>\n";
  for (size_t v = 0; v < r.variants.size(); ++v)
    s += "<h3>" + html_escape(r.variants[v]) + "</h3>\n" + heatmap_svg(r, v);
  s += "</section>\n";
  s += "<section id=\"rq-depth\">\n<h2>Runqueue depth over time</h2>\n" + legend(r) +
       series_svg(r, "depth-svg", "tasks waiting on runqueues, all CPUs", false) + "</section>\n";
  bool dsq = false;
  for (const auto& vr : r.runs)
    for (const RunDigest& d : vr) dsq |= !d.dsq_depth.empty();
  if (dsq)
    s += "<section id=\"dsq-depth\">\n<h2>DSQ depth over time</h2>\n" + legend(r) +
         series_svg(r, "dsq-svg", "tasks queued in sched_ext DSQs", true) + "</section>\n";
  // Click a header to sort the table by that column (numbers numerically).
  s += "<script>\n"
       "document.querySelectorAll('#compare-table th').forEach(function(th,i){th.onclick=function(){"
       "var tb=th.closest('table').tBodies[0];var rows=Array.from(tb.rows);"
       "var k=function(r){var t=r.cells[i].textContent;var n=parseFloat(t);return isNaN(n)?t:n;};"
       "rows.sort(function(a,b){var x=k(a),y=k(b);return x<y?-1:x>y?1:0;});"
       "rows.forEach(function(r){tb.appendChild(r);});};});\n"
       "</script>\n";
  s += "</body>\n</html>\n";
  return s;
}

}  // namespace scx
