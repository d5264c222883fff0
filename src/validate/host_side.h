// The real side of a validation: the workload run by rt-app on this machine N times, as root,
// in a high-weight cpu cgroup, under tracefs; each trace replayed into scxsim's metrics. A run
// in which foreign tasks (neither rt-app's nor idle) took more than `foreign_limit_pct` of one
// CPU, or whose trace lost events, is discarded and rerun, up to `max_attempts` runs in all.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "topo/topology.h"
#include "validate/figures.h"
#include "validate/host_env.h"
#include "validate/host_facts.h"

namespace scx {

struct HostSideOptions {
  HostEnv env;
  std::string workload;           // rt-app JSON file
  std::optional<int64_t> calibration;  // its numeric calibration: each run gets a loop probe
  Ns duration = 0;                // the workload's global.duration
  int runs = 5;
  int max_attempts = 0;           // 0 = 3 x runs
  double foreign_limit_pct = 5;
  std::string keep_traces;        // directory for each run's raw trace ("" = none)
  const Topology* topology = nullptr;  // this machine's, for the replay
  std::function<void(const std::string&)> note;  // progress and discards, one line each
};

struct HostSide {
  HostFacts host;
  std::vector<RunFigures> kept;
  int attempts = 0;
  std::vector<std::string> discarded;  // why, one per discarded run
};

Result<HostSide> run_host_side(const HostSideOptions& o);

// Why a replayed run is not kept; "" = keep it.
std::string discard_reason(double foreign_cpu_pct, uint64_t lost_events, double limit_pct);

}  // namespace scx
