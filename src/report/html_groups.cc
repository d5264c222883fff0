// Per task group (the group.* rows of the comparison, make_digest()): CPU share and wake-up /
// run-delay p99 as horizontal bars, one bar per variant; and the per-task table of `run --html`.
#include <fmt/format.h>

#include "report/html.h"
#include "report/html_parts.h"

namespace scx::html {
namespace {

constexpr int kBar = 9, kGroupGap = 6, kNameW = 160;

// The mean of row `key` per variant (nullopt: not measured).
std::vector<std::optional<double>> row_means(const CompareResult& r, const std::string& key) {
  std::vector<std::optional<double>> out(r.variants.size());
  for (const CompareRow& row : r.rows)
    if (row.def.key == key)
      for (size_t v = 0; v < row.cells.size() && v < out.size(); ++v) out[v] = row.cells[v].mean;
  return out;
}

std::vector<std::string> group_names(const CompareResult& r) {
  const std::string prefix = "group.", suffix = ".cpu_share_pct";
  std::vector<std::string> names;
  for (const CompareRow& row : r.rows) {
    const std::string& k = row.def.key;
    if (k.rfind(prefix, 0) == 0 && k.size() > prefix.size() + suffix.size() &&
        k.compare(k.size() - suffix.size(), suffix.size(), suffix) == 0)
      names.push_back(k.substr(prefix.size(), k.size() - prefix.size() - suffix.size()));
  }
  return names;
}

std::string bars_svg(const CompareResult& r, const std::vector<std::string>& groups, const std::string& metric,
                     const std::string& label) {
  const size_t nv = r.variants.size();
  std::vector<std::vector<std::optional<double>>> vals;
  double hi = 0;
  for (const std::string& g : groups) {
    vals.push_back(row_means(r, "group." + g + "." + metric));
    for (const auto& x : vals.back()) hi = std::max(hi, x.value_or(0));
  }
  const int row_h = static_cast<int>(nv) * kBar + kGroupGap;
  const int h = kT + static_cast<int>(groups.size()) * row_h + kB;
  const AxisTicks x = nice_ticks(0, hi > 0 ? hi : 1, 8);
  const int left = kL + kNameW;
  auto X = [&](double v) { return left + v / x.hi * (kW - kR - left); };
  std::string s = svg_open(fmt::format("class=\"bars\" data-metric=\"{}\"", metric), h);
  for (double t : x.ticks) {
    s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#eee\"/>", num(X(t)), kT, num(X(t)), h - kB);
    s += fmt::format("<text class=\"xtick\" x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n",
                     num(X(t)), h - kB + 14, tick_label(t, x.step));
  }
  for (size_t g = 0; g < groups.size(); ++g) {
    const int y0 = kT + static_cast<int>(g) * row_h;
    s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>\n", left - 6,
                     y0 + row_h / 2, html_escape(groups[g]));
    for (size_t v = 0; v < nv; ++v) {
      const std::optional<double> val = vals[g][v];
      const int y = y0 + static_cast<int>(v) * kBar;
      if (!val) continue;
      s += fmt::format("<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{} {}: {}"
                       "</title></rect>\n", left, y, num(X(*val) - left), kBar - 2, color(v), html_escape(groups[g]),
                       html_escape(r.variants[v]), format_value(*val));
    }
  }
  return s + fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">{}</text>\n</svg>\n",
                         (kW + left) / 2, h - 6, html_escape(label));
}

std::string us(const std::optional<double>& ns) { return ns ? format_value(*ns / 1000.0) : "-"; }

}  // namespace

std::string groups_section(const CompareResult& r) {
  const std::vector<std::string> groups = group_names(r);
  if (groups.empty()) return "";
  return "<section id=\"groups\">\n<h2>Task groups</h2>\n" + legend(r) +
         bars_svg(r, groups, "cpu_share_pct", "CPU share of all user tasks (%, mean over seeds)") +
         bars_svg(r, groups, "wakeup_latency_us.p99", "wake-up latency p99 (us, mean over seeds)") +
         bars_svg(r, groups, "run_delay_us.p99", "run delay p99 (us, mean over seeds)") + "</section>\n";
}

std::string tasks_section(const CompareResult& r) {
  const std::vector<const HtmlRunData*> data = first_run_data(r);
  if (r.variants.size() != 1 || !data[0] || data[0]->tasks.empty()) return "";
  std::string s = "<section id=\"tasks\">\n<h2>Tasks</h2>\n<table id=\"task-table\" class=\"sortable\">\n<thead><tr>"
                  "<th>task</th><th>pid</th><th>policy</th><th>prio</th><th>CPU ms</th><th>share %</th><th>wake-ups</th>"
                  "<th>wake-up p50 us</th><th>wake-up p99 us</th><th>wake-up max us</th><th>run delay p99 us</th>"
                  "<th>migrations</th><th>preempted</th></tr></thead>\n<tbody>\n";
  for (const EntitySummary& t : data[0]->tasks)
    s += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}"
                     "</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}"
                     "</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}"
                     "</td></tr>\n",
                     html_escape(t.name), t.pid, policy_short_name(t.policy), t.prio,
                     format_value(static_cast<double>(t.cpu_time) / 1e6), format_value(t.share_pct), t.wakeups,
                     us(t.wakeup_latency.p50), us(t.wakeup_latency.p99), us(t.wakeup_latency.max), us(t.run_delay.p99),
                     t.total_migrations(), t.nivcsw);
  return s + "</tbody>\n</table>\n</section>\n";
}

}  // namespace scx::html
