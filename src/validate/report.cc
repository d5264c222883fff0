#include "validate/report.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "report/compare.h"

namespace scx {
namespace {

using ojson = nlohmann::ordered_json;

std::string side_text(const SideStats& s) {
  if (!s.mean) return "-";
  return s.sd ? fmt::format("{} ± {}", format_value(s.mean), format_value(s.sd)) : format_value(s.mean);
}

// Display width: code points (the table has "±" and "≤").
size_t width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

std::string render(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right) {
  std::vector<size_t> w(rows[0].size(), 0);
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) w[i] = std::max(w[i], width(row[i]));
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      const std::string pad(w[i] - width(row[i]), ' ');
      line += (i ? "  " : "") + (right[i] ? pad + row[i] : row[i] + pad);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string seeds_text(const std::vector<uint64_t>& seeds) {
  std::string s;
  for (uint64_t x : seeds) s += (s.empty() ? "" : ",") + std::to_string(x);
  return s;
}

std::string real_line(const ValidationReport& r) {
  std::string line = fmt::format("real:   {} ({}): {} run{} kept of {}", r.reference.empty() ? "this host" : "reference " + r.reference,
                                 host_facts_text(r.host), r.runs_kept, r.runs_kept == 1 ? "" : "s", r.runs_attempted);
  if (!r.discarded.empty()) line += fmt::format(" ({} discarded: {})", r.discarded.size(), r.discarded.front());
  return line + "\n";
}

std::string sim_line(const ValidationReport& r) {
  std::string line = fmt::format("scxsim: {} on {} [{}], seeds {}", r.sched, r.topology, r.topology_summary, seeds_text(r.seeds));
  for (const std::string& c : r.costs) line += " --cost " + c;
  for (const std::string& f : r.fair) line += " --fair " + f;
  return line + "\n";
}

ojson side_json(const SideStats& s) {
  return {{"n", s.n},
          {"mean", s.mean ? ojson(*s.mean) : ojson()},
          {"sd", s.sd ? ojson(*s.sd) : ojson()},
          {"values", s.values},
          {"wakeups_per_run", s.wakeups_mean}};
}

ojson tolerance_json(const ValidationMetric& m) {
  if (m.kind == ToleranceKind::None) return ojson();
  ojson t = {{"kind", m.kind == ToleranceKind::Relative ? "relative" : "absolute"}, {"value", m.tolerance}};
  if (m.floor > 0) t["floor"] = m.floor;
  return t;
}

}  // namespace

std::string format_validation_text(const ValidationReport& r) {
  std::string out = fmt::format("scxsim validate {}\n", r.workload) + real_line(r) + sim_line(r) + "\n";
  std::vector<std::vector<std::string>> rows = {{"group", "metric", "unit", "real", "scxsim", "tolerance", "verdict"}};
  for (const ValidationCell& c : r.cells) {
    const ValidationMetric& m = validation_metrics()[c.metric];
    rows.push_back({c.group, m.label, m.unit, side_text(c.real), side_text(c.sim), tolerance_text(m),
                    c.verdict == CellVerdict::Info ? "" : cell_verdict_name(c.verdict)});
  }
  out += render(rows, {false, false, false, true, true, true, false});
  const CellCount n = count_cells(r.cells);
  out += fmt::format("\n{} of {} cells pass\n", n.passed, n.judged);
  out += fmt::format("values: mean ± standard deviation over the real runs and over the seeds; a cell is judged when the "
                     "real side measured it (wake-up latency: at least {:g} wake-ups per run); relative tolerances on "
                     "switch rates also accept a difference of up to 1 per second per task\n",
                     kMinWakeupsForVerdict);
  return out;
}

std::string format_validation_json(const ValidationReport& r) {
  ojson j;
  j["workload"] = r.workload;
  j["real"] = {{"source", r.reference.empty() ? "host" : "reference"},
               {"reference", r.reference.empty() ? ojson() : ojson(r.reference)},
               {"host", ojson::parse(host_facts_json(r.host).dump())},
               {"runs_kept", r.runs_kept},
               {"runs_attempted", r.runs_attempted},
               {"discarded", r.discarded}};
  j["scxsim"] = {{"sched", r.sched}, {"topology", r.topology}, {"topology_summary", r.topology_summary},
                 {"seeds", r.seeds}, {"costs", r.costs}, {"fair", r.fair}};
  ojson cells = ojson::array();
  for (const ValidationCell& c : r.cells) {
    const ValidationMetric& m = validation_metrics()[c.metric];
    cells.push_back({{"group", c.group}, {"metric", m.key}, {"label", m.label}, {"unit", m.unit},
                     {"tolerance", tolerance_json(m)}, {"real", side_json(c.real)}, {"scxsim", side_json(c.sim)},
                     {"verdict", c.verdict == CellVerdict::Fail ? "fail" : cell_verdict_name(c.verdict)}});
  }
  j["cells"] = cells;
  const CellCount n = count_cells(r.cells);
  j["passed"] = n.passed;
  j["judged"] = n.judged;
  return j.dump(2) + "\n";
}

}  // namespace scx
