// One fuzz scenario: an rt-app document (the workload, readable by `scxsim run -w`) and the
// run's other choices (machine, seed, duration). Generated from a seed (generate.h), run and
// classified (outcome.h), shrunk when it fails (shrink.h).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "sim/time.h"

namespace scx::fuzz {

using Json = nlohmann::ordered_json;

struct FuzzScenario {
  Json workload;         // an rt-app document: {"global": {...}, "tasks": {...}}
  std::string topology;  // a --topology value: a CPU count ("4") or a spec
  int nr_cpus = 1;       // the CPUs of `topology` (affinities in `workload` stay below it)
  uint64_t seed = 1;     // --seed of the run
  Ns duration = kNsPerSec;
};

// The rt-app file's text (indented, keys in document order).
std::string scenario_json_text(const FuzzScenario& s);

// The threads the workload starts: each task's instances ("instance": 0, a fork target,
// counts once, as it runs when forked).
int scenario_task_count(const FuzzScenario& s);

}  // namespace scx::fuzz
