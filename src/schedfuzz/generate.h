// Random scenarios for `scxsim fuzz`: rt-app workloads with phases, sleeps and timers,
// affinity and nice changes between phases, short RT bursts, forks of short-lived children,
// late starts and exits, on machines of 1 to 8 CPUs. The same seed gives the same scenario.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "schedfuzz/scenario.h"

namespace scx::fuzz {

struct GenerateOptions {
  std::optional<std::string> topology;  // fixed --topology (else one of a few small machines)
  int topology_cpus = 0;                // its CPU count (with `topology`)
  std::optional<Ns> duration;           // fixed run length (else 500ms, 1s or 2s)
  int max_tasks = 6;                    // task entries (each with 1-3 instances)
};

FuzzScenario generate_scenario(uint64_t seed, const GenerateOptions& opts);

}  // namespace scx::fuzz
