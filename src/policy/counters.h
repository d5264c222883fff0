// The counters a native policy exports to `--probe` (the native counterpart of a BPF
// scheduler's globals): a policy implements this beside ScxOps, and the probe sampler reads
// the values by name while the simulation is paused between steps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace scx {

class ExportedCounters {
 public:
  virtual ~ExportedCounters() = default;
  // Names, in a fixed order; counter(i) is the current value of names()[i].
  virtual std::vector<std::string> counter_names() const = 0;
  virtual int64_t counter(size_t i) const = 0;
};

}  // namespace scx
