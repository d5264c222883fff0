#include "report/html.h"

#include "report/html_parts.h"

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

using html::color;
using html::num;
using html::kW;
using html::kH;
using html::kL;
using html::kR;
using html::kT;
using html::kB;

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
  std::string s = html::svg_open(fmt::format("class=\"heatmap\" id=\"heatmap-{}\" data-variant=\"{}\"", v,
                                             html_escape(r.variants[v])), h);
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
  s += html::time_x_axis(static_cast<Ns>(buckets) * d0.bucket, h - 14);
  s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">white = idle, blue = busy; bucket {}</text>\n",
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
    ys[v] = html::mean_of(parts);
    for (double y : ys[v]) hi = std::max(hi, y);
  }
  std::string s = html::svg_open(fmt::format("id=\"{}\"", id), kH);
  const AxisTicks y = nice_ticks(0, hi > 0 ? hi : 1, 6);
  auto Y = [&](double v) { return kT + (1.0 - v / y.hi) * (kH - kT - kB); };
  s += html::frame_and_y_axis(y, kH, ylabel + " (mean per bucket)") + html::time_x_axis(duration, kH);
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
  std::string s = "<table id=\"compare-table\" class=\"sortable\">\n<thead><tr><th>metric</th><th>unit</th>";
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
  s += "<meta name=\"viewport\" content=\"width=device-width\">\n";
  s += "<title>" + html_escape(title) + "</title>\n";
  s += "<style>\nbody{font-family:sans-serif;margin:1em 2em}\nsvg,canvas.timeline{display:block;width:100%}\n"
       "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px}\n"
       "td.num{text-align:right;font-family:monospace}.better{background:#d8f5d8}.worse{background:#f8d7d7}\n"
       "th{background:#eee;cursor:pointer}.legend span{margin-right:1em;font-weight:bold}\n"
       ".tip{position:absolute;display:none;background:#fff;border:1px solid #888;padding:2px 6px;font-size:12px;"
       "pointer-events:none}\n.controls input{width:7em}.note{color:#a00}\n</style>\n</head>\n<body>\n";
  s += "<h1>" + html_escape(title) + "</h1>\n";
  s += "<p id=\"scenario\">" + html_escape(r.scenario) + "</p>\n";
  std::string seeds;
  for (uint64_t x : r.seeds) seeds += (seeds.empty() ? "" : ",") + std::to_string(x);
  s += "<ul id=\"variants\">\n";
  for (size_t v = 0; v < r.variants.size(); ++v)
    s += fmt::format("<li><b style=\"color:{}\">{}</b>{}: {}</li>\n", color(v), html_escape(r.variants[v]),
                     v == 0 ? " (baseline)" : "", html_escape(v < r.variant_args.size() ? r.variant_args[v] : r.variants[v]));
  s += "</ul>\n<p>seeds: " + html_escape(seeds) + "; values are means over seeds (hover a cell for each seed)</p>\n";
  // The table can be folded away to see the plots (the page opened as report.html#plots folds it).
  s += "<section id=\"compare\">\n<h2>Metrics</h2>\n<details class=\"metrics\" open=\"\">\n"
       "<summary>table (click a header to sort)</summary>\n" + table_html(r);
  s += "<p id=\"rule\">" + html_escape(kVerdictRule) + "</p>\n</details>\n</section>\n";
  s += cgroups_html(r);  // empty without cgroups
  s += html::groups_section(r);  // empty without task groups
  s += html::latency_section(r);
  s += html::timeline_section(r);  // empty without recorded timelines
  s += "<section id=\"heatmap\">\n<h2>CPU utilisation over time</h2>\n";
  for (size_t v = 0; v < r.variants.size(); ++v)
    s += "<h3>" + html_escape(r.variants[v]) + "</h3>\n" + heatmap_svg(r, v);
  s += "</section>\n";
  s += "<section id=\"rq-depth\">\n<h2>Runqueue depth over time</h2>\n" + html::legend(r) +
       series_svg(r, "depth-svg", "tasks waiting on runqueues, all CPUs", false) + "</section>\n";
  bool dsq = false;
  for (const auto& vr : r.runs)
    for (const RunDigest& d : vr) dsq |= !d.dsq_depth.empty();
  if (dsq)
    s += "<section id=\"dsq-depth\">\n<h2>DSQ depth over time</h2>\n" + html::legend(r) +
         series_svg(r, "dsq-svg", "tasks queued in sched_ext DSQs", true) + "</section>\n";
  s += html::probes_section(r);  // empty without --probe
  s += html::tasks_section(r);   // `run --html` only
  s += html::page_script();
  s += "</body>\n</html>\n";
  return s;
}

}  // namespace scx
