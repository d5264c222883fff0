// What `scxsim validate` compares: per task group (as reports group tasks), a fixed list of
// metrics, each with its tolerance (or none: shown for information). One run, real or
// simulated, reduces to RunFigures; the reference files store exactly these.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "metrics/metrics.h"

namespace scx {

enum class ToleranceKind { None, Relative, Absolute };

struct ValidationMetric {
  const char* key;    // JSON key, units in the name
  const char* label;
  const char* unit;
  ToleranceKind kind;
  double tolerance;   // relative (0.10 = ±10 %) or absolute, in the metric's unit
  double floor;       // relative tolerances: differences up to this much always pass
  bool latency;       // a wake-up latency figure: judged only with enough wake-ups
};

// The metrics in table order.
const std::vector<ValidationMetric>& validation_metrics();
// Wake-up latency cells need at least this many wake-ups per run (real side mean) to be judged.
inline constexpr double kMinWakeupsForVerdict = 100;

struct GroupFigures {
  std::string group;
  uint64_t tasks = 0;
  uint64_t wakeups = 0;                      // wake-up latency samples
  std::vector<std::optional<double>> values;  // by validation_metrics() index; nullopt = not measured
};

struct RunFigures {
  Ns duration = 0;
  std::optional<double> foreign_cpu_pct;  // host runs: other tasks' CPU time, % of one CPU
  std::vector<GroupFigures> groups;       // sorted by name
};

// The figures of a finished run (user tasks only; kernel threads and foreign tasks left out).
RunFigures run_figures(const MetricsCollector& m);

nlohmann::json run_figures_json(const RunFigures& r);
Result<RunFigures> run_figures_from_json(const nlohmann::json& j);

}  // namespace scx
