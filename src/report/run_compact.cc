#include "report/run_compact.h"

#include <algorithm>

#include <fmt/format.h>

#include "report/compare.h"

namespace scx {
namespace {

std::vector<ExtraFigure> extra_figures(const RunReport& r) {
  std::vector<ExtraFigure> out;
  for (const WorkloadFigure& f : r.workload_figures) out.push_back({f.name, f.value, f.unit, f.higher_is_better});
  return out;
}

bool is_zero(const MetricValue& v) { return !v.value || *v.value == 0; }

std::string metric_table(const std::vector<const MetricValue*>& rows) {
  size_t wm = 6;
  for (const MetricValue* v : rows) wm = std::max(wm, v->def.label.size());
  std::string out = fmt::format("{:<{}} {:<5} {:>10}\n", "metric", wm, "unit", "value");
  for (const MetricValue* v : rows) {
    std::string line = fmt::format("{:<{}} {:<5} {:>10}", v->def.label, wm, v->def.unit,
                                   format_metric_value(v->def, v->value));
    out += line + "\n";
  }
  return out;
}

// min, median (the lower middle), max of a column over the CPUs.
template <typename T>
std::string spread(std::vector<T> v, const char* fmt_one) {
  std::sort(v.begin(), v.end());
  return fmt::format(fmt::runtime(fmt_one), v.front()) + " / " + fmt::format(fmt::runtime(fmt_one), v[(v.size() - 1) / 2]) +
         " / " + fmt::format(fmt::runtime(fmt_one), v.back());
}

}  // namespace

std::string cpus_block(const RunSummary& s, size_t max_rows) {
  if (s.cpus.empty()) return "";
  if (s.cpus.size() <= max_rows) {
    std::string out = fmt::format("\nCPUs\n{:>4} {:>7} {:>9}\n", "cpu", "busy%", "switches");
    for (const CpuSummary& c : s.cpus) out += fmt::format("{:>4} {:>7.1f} {:>9}\n", c.cpu, c.busy_pct, c.switches);
    return out;
  }
  std::vector<double> busy;
  std::vector<uint64_t> switches;
  for (const CpuSummary& c : s.cpus) busy.push_back(c.busy_pct), switches.push_back(c.switches);
  auto by_busy = [](const CpuSummary& a, const CpuSummary& b) { return a.busy_pct < b.busy_pct; };
  const CpuSummary& least = *std::min_element(s.cpus.begin(), s.cpus.end(), by_busy);
  const CpuSummary& most = *std::max_element(s.cpus.begin(), s.cpus.end(), by_busy);
  return fmt::format("\nCPUs ({}; min / median / max): busy% {}, switches {}; least busy cpu {} ({:.1f}%), "
                     "busiest cpu {} ({:.1f}%); --all lists each CPU\n",
                     s.cpus.size(), spread(busy, "{:.1f}"), spread(switches, "{}"), least.cpu, least.busy_pct,
                     most.cpu, most.busy_pct);
}

std::string format_run_text(const RunReport& r, const MetricSelection& selection) {
  if (selection.mode == MetricSelection::Mode::All) return format_run_text(r);
  const RunSummary s = summarize(*r.metrics);
  const RunDigest d = make_metrics_digest(r.info.scheduler, r, s, extra_figures(r));
  std::vector<const MetricValue*> rows;
  for (const MetricValue& v : d.metrics)
    if (selection.shows(v.def.key, is_zero(v))) rows.push_back(&v);
  std::string out = format_run_header(r) + "\n" + metric_table(rows);
  out += hidden_metrics_note(d.metrics.size() - rows.size());
  out += cpus_block(s);
  if (!r.workload_figures_text.empty()) out += "\nWorkload figures\n" + r.workload_figures_text;
  return out;
}

}  // namespace scx
