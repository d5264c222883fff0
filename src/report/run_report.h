// The result of one `scxsim run`: what was simulated (inputs, cost model) and what was measured,
// rendered as the summary tables or as JSON. Values that were not measured are null in JSON and
// "-" in tables, never 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kernel/cost_model.h"
#include "kernel/kernel.h"
#include "metrics/metrics.h"
#include "topo/topology.h"
#include "workload/figures.h"

namespace scx {

struct RunInfo {
  std::string workload;
  std::string topology;      // as given
  std::string topology_summary;
  std::string scheduler;
  std::string kernel;  // "6.12" / "6.18": whose scheduler behaviour (--kernel)
  uint64_t seed = 0;
  Ns duration = 0;
  CostModel cost;
  NoiseModel noise;
  std::vector<std::string> counters;  // workload counter names, by id
  std::optional<std::string> fingerprint;
  std::vector<std::pair<std::string, std::string>> scheduler_state;  // e.g. sched_ext state
  // The sched_ext scheduler stopped during the run other than by --sched-unload-at (an error,
  // a failed load, or its own exit), e.g. "at 0.037332s: scx_bpf_error (forced failure 10)";
  // "" = it scheduled throughout (or there was none).
  std::string scheduler_ejected;
  // A run-until-done workload (hackbench) stopped by an explicit --duration: its tasks still
  // alive then; 0 = it finished (or runs for a fixed time).
  int64_t unfinished_tasks = 0;
};

// The scheduler_state key of the kernel log's lines (one entry per line, in order); JSON gives
// them as one array.
inline constexpr const char* kKernelLogKey = "kernel log";

struct RunReport {
  RunInfo info;
  KernelStats stats;
  const MetricsCollector* metrics = nullptr;
  // The workload's own figures of merit (workload/figures.h): hackbench's Time, schbench's
  // percentiles. Empty when the workload has none.
  std::string workload_figures_text;  // in the real tool's layout
  std::vector<WorkloadFigure> workload_figures;
  std::vector<std::string> workload_warnings;  // e.g. renamed duplicate rt-app keys
};

// Every table of the run (what `scxsim run --all` prints).
std::string format_run_text(const RunReport& r);
// The header lines every view starts with: scenario, cost model, noise, scheduler state, counters.
std::string format_run_header(const RunReport& r);
std::string format_run_json(const RunReport& r);

}  // namespace scx
