// `scxsim calibrate`: measures this host's scheduling and IPC costs (probes.h), repeats every
// measurement, and derives the cost model's values from the medians (see calibrate.cc for how
// each cost is derived). The result is a cost profile (cost_profile.h) for --cost-profile.
#pragma once

#include <cstdio>

#include "base/status.h"
#include "calibrate/cost_profile.h"

namespace scx {

struct CalibrateOptions {
  bool quick = false;             // fewer repetitions and samples (about a second in all)
  std::FILE* progress = nullptr;  // one line per repetition, if set
};

Result<CostProfile> calibrate_host(const CalibrateOptions& opts);

}  // namespace scx
