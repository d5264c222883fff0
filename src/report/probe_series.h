// What `--probe` measured: one series of (simulated time, value) samples per probe, as the run
// report's JSON, the Perfetto counter tracks and the HTML report show them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/time.h"

namespace scx {

struct ProbeSample {
  Ns time = 0;
  int64_t value = 0;
};

struct ProbeSeries {
  std::string name;  // as the user wrote it (`--probe` text), with "@cpuN" for a per-CPU expansion
  std::vector<ProbeSample> samples;
};

}  // namespace scx
