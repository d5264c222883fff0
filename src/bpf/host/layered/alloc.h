// scx_layered's run-time CPU allocation: every interval (-i, 0.1 s) its user space sizes each
// confined and grouped layer from the layer's utilization over the last interval, frees and
// allocates whole cores in the layer's growth order, gives the CPUs left to the open layers,
// and writes the result into the BPF side (Scheduler::refresh_cpumasks in scheds/rust/
// scx_layered/src/main.rs; CpuPool in src/lib.rs; core orders in src/layer_core_growth.rs).
// Pure computation; runtime.h does the reading and writing.
//
// Modelled as scx_layered does it: the targets (calc_target_nr_cpus: util / util_range, the
// cpus_range / cpus_range_frac clamp, the peak hold, the halved shrink of 7a58a3a1a), core-unit
// allocation from a shared pool, freeing from the end of a layer's core order and growing from
// its start, open layers taking what is left, per-node fallback CPUs. Simplified: when the
// targets exceed the machine, what each layer gets is a weighted share (unified_alloc's
// per-node demand solver and StickyDynamic's LLC trading are not reproduced); memory-bandwidth
// limits (membw_gb) are ignored; the CpuSetSpread* orders use the whole machine as one cpuset.
#pragma once

#include <cstdint>
#include <vector>

#include "base/cpumask.h"
#include "bpf/host/layered/spec.h"
#include "topo/topology.h"

namespace scx::bpf::layered {

// A layer's utilization over the last interval, in CPUs (1.0 = one CPU busy all the time).
struct LayerUtil {
  double owned = 0, open = 0;
};

class CpuAllocator {
 public:
  CpuAllocator(std::vector<LayerSpec> specs, const Topology& topo);

  // One refresh_cpumasks(): `elapsed_ns` since the last one (for the peak hold). Returns whether
  // any layer's CPUs changed (then open layers were refreshed too).
  bool refresh(const std::vector<LayerUtil>& utils, uint64_t elapsed_ns);

  const CpuMask& cpus(size_t layer) const { return layers_[layer].cpus; }
  // Layers whose CPUs the last refresh changed (written to BPF then).
  const std::vector<bool>& changed() const { return changed_; }
  size_t nr_layers() const { return layers_.size(); }
  int nr_cpus_in_llc(size_t layer, int llc) const;
  int nr_cpus_in_node(size_t layer, int node) const;
  // Each node's fallback CPU: its first CPU no layer owns, else its first CPU.
  int fallback_cpu(int node) const;
  bool fully_allocated() const;
  const CpuMask& available() const { return available_; }
  // The layer's core order (global core indices, nodes in its node order).
  const std::vector<int>& core_order(size_t layer) const { return layers_[layer].core_order; }
  // (target CPUs, minimum CPUs) of each layer for these utilizations (calc_target_nr_cpus).
  std::vector<std::pair<int, int>> targets(const std::vector<LayerUtil>& utils, uint64_t elapsed_ns);

 private:
  struct Layer {
    LayerSpec spec;
    CpuMask allowed, cpus;
    std::vector<int> core_order;
    std::pair<int, int> cpus_range{0, 0};
    double peak = 0;
  };
  std::vector<int> budget(const std::vector<std::pair<int, int>>& targets) const;
  bool shrink(size_t i, int want);
  bool grow(size_t i, int want);
  void refresh_open_layers();

  const Topology& topo_;
  std::vector<Layer> layers_;
  CpuMask available_;
  std::vector<bool> changed_;
  int unit_ = 1;  // CPUs per core: whole cores are allocated
};

// The core orders of layer_core_growth.rs for `layer` of `specs`, per node (global core indices).
std::vector<std::vector<int>> layer_core_order(const std::vector<LayerSpec>& specs, size_t layer, const Topology& topo);
// node_order(): the layer's nodes (its spec's, or all rotated by the layer index, nodes other
// layers name put last).
std::vector<int> layer_node_order(const std::vector<LayerSpec>& specs, size_t layer, const Topology& topo);
// (low, high) cpus_range after cpus_range_frac (resolve_cpus_pct_range).
std::pair<int, int> resolve_cpus_range(const LayerSpec& s, int nr_cpus);

}  // namespace scx::bpf::layered
