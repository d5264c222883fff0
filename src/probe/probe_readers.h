// A `--probe` resolved against the scheduler that runs: named readers of the current value,
// called by the sampler while the simulation is paused between steps (they only read).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "bpf/loader/object.h"
#include "policy/counters.h"
#include "probe/probe_spec.h"

namespace scx {

struct ProbeReader {
  std::string name;  // the series' name: the probe's text, "@cpuN" appended per CPU for @each
  std::function<int64_t()> read;
};

// A global (by BTF path, as --set finds it) or a map value of a BPF object. Unknown names are
// an error listing the object's closest names.
Result<std::vector<ProbeReader>> resolve_bpf_probe(const ProbeSpec& spec, bpf::BpfObject& obj);

// A counter a native policy exports (`counters` may be nullptr: the policy exports none).
Result<std::vector<ProbeReader>> resolve_native_probe(const ProbeSpec& spec, const ExportedCounters* counters,
                                                      const std::string& policy);

}  // namespace scx
