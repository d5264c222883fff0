#include "validate/verdict.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

namespace scx {

SideStats side_stats(const std::vector<RunFigures>& runs, const std::string& group, size_t metric) {
  SideStats s;
  double wakeups = 0;
  for (const RunFigures& r : runs) {
    auto g = std::find_if(r.groups.begin(), r.groups.end(), [&](const GroupFigures& x) { return x.group == group; });
    if (g == r.groups.end()) continue;
    wakeups += static_cast<double>(g->wakeups);
    if (metric < g->values.size() && g->values[metric]) s.values.push_back(*g->values[metric]);
  }
  s.n = static_cast<int>(s.values.size());
  if (!runs.empty()) s.wakeups_mean = wakeups / static_cast<double>(runs.size());
  if (s.values.empty()) return s;
  double sum = 0;
  for (double v : s.values) sum += v;
  s.mean = sum / s.n;
  if (s.n >= 2) {
    double sq = 0;
    for (double v : s.values) sq += (v - *s.mean) * (v - *s.mean);
    s.sd = std::sqrt(sq / (s.n - 1));
  }
  return s;
}

const char* cell_verdict_name(CellVerdict v) {
  switch (v) {
    case CellVerdict::Pass: return "pass";
    case CellVerdict::Fail: return "FAIL";
    case CellVerdict::Info: return "info";
    case CellVerdict::NotJudged: return "n/a";
  }
  return "?";
}

CellVerdict judge(const ValidationMetric& m, const SideStats& real, const SideStats& sim) {
  if (m.kind == ToleranceKind::None) return CellVerdict::Info;
  if (!real.mean) return CellVerdict::NotJudged;
  if (m.latency && real.wakeups_mean < kMinWakeupsForVerdict) return CellVerdict::NotJudged;
  if (!sim.mean) return CellVerdict::Fail;
  const double diff = std::fabs(*sim.mean - *real.mean);
  const double allowed = m.kind == ToleranceKind::Relative ? std::max(m.tolerance * std::fabs(*real.mean), m.floor)
                                                           : m.tolerance;
  return diff <= allowed * (1 + 1e-12) ? CellVerdict::Pass : CellVerdict::Fail;
}

std::vector<ValidationCell> build_cells(const std::vector<RunFigures>& real, const std::vector<RunFigures>& sim) {
  std::set<std::string> groups;
  for (const auto* side : {&real, &sim})
    for (const RunFigures& r : *side)
      for (const GroupFigures& g : r.groups) groups.insert(g.group);
  std::vector<ValidationCell> cells;
  for (const std::string& g : groups) {
    for (size_t m = 0; m < validation_metrics().size(); ++m) {
      ValidationCell c;
      c.group = g;
      c.metric = m;
      c.real = side_stats(real, g, m);
      c.sim = side_stats(sim, g, m);
      c.verdict = judge(validation_metrics()[m], c.real, c.sim);
      cells.push_back(std::move(c));
    }
  }
  return cells;
}

CellCount count_cells(const std::vector<ValidationCell>& cells) {
  CellCount n;
  for (const ValidationCell& c : cells) {
    n.passed += c.verdict == CellVerdict::Pass;
    n.judged += c.verdict == CellVerdict::Pass || c.verdict == CellVerdict::Fail;
  }
  return n;
}

std::string tolerance_text(const ValidationMetric& m) {
  switch (m.kind) {
    case ToleranceKind::None: return "-";
    case ToleranceKind::Relative: return fmt::format("±{:g}%", m.tolerance * 100);
    case ToleranceKind::Absolute: return fmt::format("±{:.2f}", m.tolerance);
  }
  return "?";
}

}  // namespace scx
