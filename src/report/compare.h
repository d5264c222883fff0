// `scxsim compare`: the same scenario under several schedulers (or settings) and seeds, reduced
// to one table of metrics with the baseline (the first variant, EEVDF), each candidate's value,
// the change in % and a verdict per cell.
//
// Verdict rule (documented in docs/reports.md): per metric with a direction (lower or higher is
// better) and per candidate, the per-seed values of baseline and candidate are compared with
// Welch's two-sided t-test. The cell is "better" / "worse" when p < 0.05 AND the means differ by
// at least 1 % of the baseline mean (or the baseline mean is 0 and the candidate's is not);
// otherwise "~" (inconclusive). Fewer than 2 measured seeds on either side gives "~". When both
// sides have zero spread the difference is exact: any change of at least 1 % decides. Metrics
// without a direction (counts for context) get no verdict; a side with no measured value gives
// "n/a".
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "metrics/summary.h"
#include "report/html_data.h"
#include "report/metric_selection.h"
#include "report/run_report.h"

namespace scx {

// A metric of the comparison table: stable key (units in the key, e.g. "wakeup_latency_us.p99"),
// a label, a unit and which way is better (-1 lower, +1 higher, 0 no verdict).
struct MetricDef {
  std::string key;
  std::string label;
  std::string unit;
  int direction = 0;
};

struct MetricValue {
  MetricDef def;
  std::optional<double> value;  // nullopt = not measured
};

// What one run contributes to a comparison (small: no per-event data).
struct RunDigest {
  std::string variant;
  uint64_t seed = 0;
  Ns duration = 0;
  uint64_t events = 0;
  std::vector<MetricValue> metrics;
  std::vector<double> latency_quantiles;  // wake-up latency (us) at 0, 0.1, ..., 100 % (1001); empty = none
  Ns bucket = 0;                          // series bucket width
  std::vector<std::vector<double>> busy;  // [cpu][bucket] busy fraction 0..1
  std::vector<double> queued;             // [bucket] average number of waiting tasks, all CPUs
  std::vector<double> dsq_depth;          // [bucket] average tasks queued in DSQs; empty = no sched_ext
  std::string ejected;                    // RunInfo::scheduler_ejected: this run's metrics are left out
  std::shared_ptr<const HtmlRunData> html;  // timeline, tasks, probes for the HTML report; nullptr = none
  // An interrupted comparison (Ctrl-C): this run stopped early (its `duration` is how far it
  // got), or never started (no metrics).
  bool stopped_early = false;
  bool not_started = false;
};

// Extra figures a workload reports itself (WorkloadFiguresSink), passed through as metrics.
struct ExtraFigure {
  std::string name;
  std::optional<double> value;
  std::string unit;
  bool higher_is_better = false;
};

RunDigest make_digest(const std::string& variant, const RunReport& report, const RunSummary& summary,
                      const std::vector<ExtraFigure>& figures = {});
// The metrics alone, without the plot data (latency CDF, series) a text report never shows.
RunDigest make_metrics_digest(const std::string& variant, const RunReport& report, const RunSummary& summary,
                              const std::vector<ExtraFigure>& figures = {});

enum class Verdict { None, Better, Worse, Inconclusive, NotMeasured };
const char* verdict_name(Verdict v);  // "", "better", "worse", "~", "n/a"

struct CompareCell {
  int n = 0;                               // seeds with a measured value
  std::vector<std::optional<double>> per_seed;
  std::optional<double> mean, sd, min, max;
  std::optional<double> delta_pct;         // vs the baseline mean
  std::optional<double> p_value;           // Welch's t-test vs the baseline
  Verdict verdict = Verdict::None;
};

struct CompareRow {
  MetricDef def;
  std::vector<CompareCell> cells;  // one per variant; [0] = baseline
};

// The scenario every variant ran, as its first run saw it (the baseline's cost model and
// noise; a variant's own --cost/--noise are in its spec line).
struct CompareScenario {
  std::string workload, topology, topology_summary;
  Ns duration = 0;
  std::vector<std::string> kernels;  // of the variants, sorted
  CostModel cost;
  NoiseModel noise;
};

// compare's scenario line: "workload W on T [summary], 1s simulated, kernel 6.18" ("kernels
// 6.12, 6.18" when the variants differ).
std::string format_scenario_line(const CompareScenario& s);

struct CompareResult {
  std::vector<std::string> variants;       // [0] = baseline
  std::vector<std::string> variant_args;   // how each variant was specified
  std::vector<uint64_t> seeds;
  std::string scenario;                    // workload / topology / duration line
  std::vector<CompareRow> rows;
  std::vector<std::vector<RunDigest>> runs;  // [variant][seed]
  std::optional<CompareScenario> detail;     // set by run_compare: the header's cost model, JSON's scenario
};

// Builds rows from digests laid out [variant][seed] (every run of one variant must have the same
// seeds order). Metric order: first appearance scanning variants then seeds. A run whose
// sched_ext scheduler was ejected contributes no values (its seed is "not measured" in every
// row), only to the row `scx.ejected_pct` (100 for it, 0 for every other run), which exists
// when some run was ejected.
CompareResult build_compare(std::vector<std::string> variants, std::vector<std::string> variant_args,
                            std::vector<uint64_t> seeds, std::string scenario,
                            std::vector<std::vector<RunDigest>> runs);

// The verdict of one candidate cell against the baseline cell (see the rule above).
Verdict decide(int direction, const CompareCell& base, CompareCell& cand);
// Two-sided p-value of Welch's t-test; nullopt when undefined (n < 2).
std::optional<double> welch_p_value(const std::vector<double>& a, const std::vector<double>& b);
// Regularised incomplete beta I_x(a, b) (for the t distribution).
double incomplete_beta(double a, double b, double x);

// The table of the metrics `selection` shows (default: the headline set; report/metric_selection.h).
std::string format_compare_text(const CompareResult& r);
std::string format_compare_text(const CompareResult& r, const MetricSelection& selection);
// Whether every variant's mean of the row is 0 or not measured (the default table hides it).
bool row_is_all_zero(const CompareRow& row);
std::string format_compare_json(const CompareResult& r);
std::string format_compare_csv(const CompareResult& r);

// The row of the seeds whose sched_ext scheduler was ejected (in % of the seeds).
extern const char* const kEjectedKey;

// The rule, one paragraph (printed under tables and in the HTML report).
extern const char* const kVerdictRule;

// Value formatting shared by the reports: fixed decimals by magnitude, "-" for not measured.
std::string format_value(std::optional<double> v);

}  // namespace scx
