// Helpers shared by the topology builders (spec/presets, JSON, /sys). Not part of the public API.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "topo/topology.h"

namespace scx::topo_internal {

// One core of a generated machine, listed in global core order.
struct CoreShape {
  int llc = 0;
  int node = 0;
  int package = 0;
  int threads = 1;
  uint32_t capacity = kCapacityScale;
  std::string kind;
};

// Lays CPUs out like Linux on x86: the first thread of every core in core order, then every
// core's second thread, and so on (so on a uniform SMT2 machine cpu i and i + ncores are
// siblings).
std::vector<CpuInfo> layout_cores(const std::vector<CoreShape>& cores);

// The description a compact spec stands for; errors name the spec.
Result<TopologyDesc> spec_to_desc(std::string_view spec);

// Default NUMA table: 10 local, `remote` elsewhere.
std::vector<std::vector<int>> uniform_distances(int nodes, int remote);

}  // namespace scx::topo_internal
