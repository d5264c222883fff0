// Assembles one simulation from command-line level choices (topology, workload, scheduler,
// seed, costs) and runs it. `scxsim run` prints its result; `scxsim compare` runs many.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "kernel/kernel.h"
#include "metrics/metrics.h"
#include "report/run_report.h"
#include "topo/topology.h"

namespace scx {

struct RunOptions {
  std::string topology = "laptop";
  std::string workload = "demo";
  std::optional<Ns> duration;        // default: the workload's own, else 1s
  uint64_t seed = 1;
  std::string sched = "eevdf";
  std::vector<std::string> costs;    // NAME=VALUE
  std::vector<std::string> fair;     // fair tunables/features NAME=VALUE
  std::string trace_path;            // ftrace-style text log ("-" = stdout)
  bool trace_ticks = false;
  bool fingerprint = false;
  bool check = false;                // check kernel invariants every simulated ms
};

struct RunOutput {
  std::unique_ptr<Topology> topology;
  std::unique_ptr<MetricsCollector> metrics;
  RunReport report;
};

// Known --sched names with one-line descriptions.
struct SchedulerInfo {
  std::string name;
  std::string description;
};
std::vector<SchedulerInfo> available_schedulers();

Result<RunOutput> run_simulation(const RunOptions& opts);

}  // namespace scx
