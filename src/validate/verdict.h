// Cells of the validation table: one per (task group, metric), the real runs against the
// simulated seeds, each side as mean ± sample standard deviation, and a verdict.
//
// Rule (docs/validate.md): a metric without a tolerance is shown for information. A cell is
// judged when the real side measured it (and, for wake-up latency figures, saw at least
// kMinWakeupsForVerdict wake-ups per run); it passes when the simulated mean lies within the
// tolerance of the real mean: relative (|sim − real| ≤ tol × |real|, or within the metric's
// floor), or absolute (|sim − real| ≤ tol). A judged cell the simulator did not measure fails.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "validate/figures.h"

namespace scx {

struct SideStats {
  int n = 0;                     // runs that measured it
  std::vector<double> values;    // one per measuring run
  std::optional<double> mean, sd;  // sd: sample standard deviation (n >= 2)
  double wakeups_mean = 0;       // the group's wake-ups per run
};

SideStats side_stats(const std::vector<RunFigures>& runs, const std::string& group, size_t metric);

enum class CellVerdict { Pass, Fail, Info, NotJudged };
const char* cell_verdict_name(CellVerdict v);  // "pass", "FAIL", "info", "n/a"

CellVerdict judge(const ValidationMetric& m, const SideStats& real, const SideStats& sim);

struct ValidationCell {
  std::string group;
  size_t metric = 0;  // index into validation_metrics()
  SideStats real, sim;
  CellVerdict verdict = CellVerdict::Info;
};

// Every group of either side (sorted) × every metric.
std::vector<ValidationCell> build_cells(const std::vector<RunFigures>& real, const std::vector<RunFigures>& sim);

struct CellCount {
  int passed = 0;
  int judged = 0;  // passed + failed
};
CellCount count_cells(const std::vector<ValidationCell>& cells);

// "±10%", "±0.10", "-" (no tolerance).
std::string tolerance_text(const ValidationMetric& m);

}  // namespace scx
