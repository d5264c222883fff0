// Delta debugging of a failing scenario: tries smaller variants one at a time (fewer tasks,
// instances, phases and events, fewer CPUs, a shorter run, smaller numbers) and keeps each one
// that still fails the same way, until no variant does.
#pragma once

#include <functional>
#include <vector>

#include "schedfuzz/scenario.h"

namespace scx::fuzz {

struct ShrinkOptions {
  bool topology_fixed = false;  // --topology was given: keep the machine
  bool duration_fixed = false;  // --duration was given: keep the run length
  int max_tries = 400;          // runs of the predicate, at most
  std::function<bool()> out_of_time;  // asked before each run: true stops shrinking (none: never)
};

// The scenarios one step smaller than `s`, biggest steps first. Each is strictly smaller (a
// task, key or CPU fewer, or a number halved down to a floor), so shrinking ends.
std::vector<FuzzScenario> smaller_variants(const FuzzScenario& s, const ShrinkOptions& opts);

struct ShrinkResult {
  FuzzScenario scenario;  // the smallest scenario found that still fails
  int tries = 0;          // predicate runs
  int accepted = 0;       // variants kept
  bool minimal = false;   // no variant of `scenario` fails (not stopped by max_tries or time)
};

// `still_fails` says whether a variant fails as the original did. Sweeps the variant list,
// staying at the same position after a success (the list is rebuilt for the smaller scenario),
// until a whole sweep keeps nothing, max_tries runs are spent or out_of_time() says so.
ShrinkResult shrink_scenario(const FuzzScenario& failing, const std::function<bool(const FuzzScenario&)>& still_fails,
                             const ShrinkOptions& opts = {});

}  // namespace scx::fuzz
