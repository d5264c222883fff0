// CPU time this process has used (all its threads), for reporting what a run cost; never part
// of a deterministic output.
#pragma once

#include <ctime>

namespace scx {

inline double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace scx
