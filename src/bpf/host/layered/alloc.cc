// scx_layered's periodic CPU allocation (see alloc.h). Sources: scheds/rust/scx_layered/src/
// main.rs (calc_target_nr_cpus, resolve_cpus_pct_range, refresh_cpumasks, Layer::new), src/lib.rs
// (CpuPool) and src/layer_core_growth.rs (the growth algorithms' core orders), 7a58a3a1a.
#include "bpf/host/layered/alloc.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "bpf/host/layered/setup.h"

namespace scx::bpf::layered {

namespace {

int node_of_core(const Topology& t, int core) { return t.cpu(t.core_cpus(core).first()).node; }
int llc_of_core(const Topology& t, int core) { return t.cpu(t.core_cpus(core).first()).llc; }

// A node's cores in core_seq order (by LLC, then core index).
std::vector<int> node_cores(const Topology& t, int node) {
  std::vector<int> cores;
  for (int c = 0; c < t.nr_cores(); ++c)
    if (node_of_core(t, c) == node) cores.push_back(c);
  std::stable_sort(cores.begin(), cores.end(), [&](int a, int b) { return llc_of_core(t, a) < llc_of_core(t, b); });
  return cores;
}

std::vector<int> llcs_of_node(const Topology& t, int node) {
  std::vector<int> llcs;
  for (int l = 0; l < t.nr_llcs(); ++l)
    if (t.cpu(t.llc_cpus(l).first()).node == node) llcs.push_back(l);
  return llcs;
}

std::vector<int> llc_cores(const Topology& t, int llc) {
  std::vector<int> cores;
  for (int c = 0; c < t.nr_cores(); ++c)
    if (llc_of_core(t, c) == llc) cores.push_back(c);
  return cores;
}

// rotate_node_layer_offset(): layers start at different cores of a node.
void rotate_for_layer(std::vector<int>& v, size_t layer, size_t nr_layers) {
  if (v.empty()) return;
  const size_t chunk = (v.size() + nr_layers - 1) / nr_layers;
  const size_t by = std::min(chunk * layer, v.size());
  std::rotate(v.rbegin(), v.rbegin() + static_cast<std::ptrdiff_t>(by), v.rend());
}

std::vector<int> sticky_order(const Topology& t, int node, size_t layer, size_t nr_layers) {
  std::vector<int> order = node_cores(t, node);
  rotate_for_layer(order, layer, nr_layers);
  for (int llc : llcs_of_node(t, node)) {
    const size_t n = llc_cores(t, llc).size();
    if (n == 0 || order.empty()) continue;
    const size_t x = n + (layer << 1);
    const size_t rot = (x <= n ? x : x % n) % order.size();
    if (layer % 2 == 0) std::rotate(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(rot), order.end());
    else std::rotate(order.rbegin(), order.rbegin() + static_cast<std::ptrdiff_t>(rot), order.rend());
  }
  return order;
}

// Shuffled LLCs, each LLC's cores shuffled, then interleaved (grow_round_robin) or concatenated
// (grow_random_topo).
std::vector<int> shuffled_llc_order(const Topology& t, int node, FastRand& rng, bool interleave) {
  std::vector<int> llcs = llcs_of_node(t, node);
  rng.shuffle(llcs);
  std::vector<std::vector<int>> per_llc;
  for (int l : llcs) {
    per_llc.push_back(llc_cores(t, l));
    rng.shuffle(per_llc.back());
  }
  std::vector<int> out;
  if (!interleave) {
    for (auto& v : per_llc) out.insert(out.end(), v.begin(), v.end());
    return out;
  }
  for (size_t k = 0;; ++k) {
    bool any = false;
    for (auto& v : per_llc)
      if (k < v.size()) {
        out.push_back(v[k]);
        any = true;
      }
    if (!any) return out;
  }
}

}  // namespace

std::vector<int> layer_node_order(const std::vector<LayerSpec>& specs, size_t layer, const Topology& topo) {
  const LayerSpec& s = specs[layer];
  std::vector<int> nodes;
  if (!s.nodes.empty() && !topology_disabled(topo)) {
    for (uint64_t n : s.nodes) nodes.push_back(static_cast<int>(n));
    return nodes;
  }
  for (int n = 0; n < topo.nr_nodes(); ++n) nodes.push_back(n);
  if (nodes.size() <= 1) return nodes;
  std::rotate(nodes.begin(), nodes.begin() + static_cast<std::ptrdiff_t>(layer % nodes.size()), nodes.end());
  // Nodes other layers name go last, ranked by how many layers name them at each position.
  size_t max_rank = 0;
  for (const LayerSpec& o : specs) max_rank = std::max(max_rank, o.nodes.size());
  if (max_rank == 0) return nodes;
  auto rank = [&](int node) {
    std::vector<int> r(max_rank, 0);
    for (size_t i = 0; i < specs.size(); ++i)
      for (size_t p = 0; i != layer && p < specs[i].nodes.size(); ++p)
        if (specs[i].nodes[p] == static_cast<uint64_t>(node)) ++r[p];
    return r;
  };
  std::stable_sort(nodes.begin(), nodes.end(), [&](int a, int b) { return rank(a) < rank(b); });
  return nodes;
}

std::vector<std::vector<int>> layer_core_order(const std::vector<LayerSpec>& specs, size_t layer, const Topology& topo) {
  const LayerSpec& s = specs[layer];
  const bool no_llcs = s.llcs.empty() || topology_disabled(topo);
  const bool no_nodes = s.nodes.empty() || topology_disabled(topo);
  std::vector<std::vector<int>> out(static_cast<size_t>(topo.nr_nodes()));
  FastRand rng(layer);
  for (int node : layer_node_order(specs, layer, topo)) {
    std::vector<int> order = node_cores(topo, node);
    switch (s.growth_algo) {
      case GrowthAlgo::Sticky: case GrowthAlgo::StickyDynamic:
        order = sticky_order(topo, node, layer, specs.size());
        break;
      case GrowthAlgo::Random: case GrowthAlgo::NodeSpreadRandom: case GrowthAlgo::CpuSetSpreadRandom:
        rng.shuffle(order);
        break;
      case GrowthAlgo::RoundRobin:
        order = shuffled_llc_order(topo, node, rng, true);
        break;
      case GrowthAlgo::RandomTopo:
        order = shuffled_llc_order(topo, node, rng, false);
        break;
      case GrowthAlgo::Topo:
        if (no_llcs && no_nodes) {
          order = shuffled_llc_order(topo, node, rng, true);
        } else {  // the spec's LLCs first, no rotation
          std::stable_partition(order.begin(), order.end(), [&](int c) {
            return std::find(s.llcs.begin(), s.llcs.end(), static_cast<uint64_t>(llc_of_core(topo, c))) != s.llcs.end();
          });
        }
        break;
      case GrowthAlgo::Reverse: case GrowthAlgo::NodeSpreadReverse: case GrowthAlgo::CpuSetSpreadReverse:
        if (no_llcs) rotate_for_layer(order, layer, specs.size());
        std::reverse(order.begin(), order.end());
        break;
      default:  // Linear, NodeSpread, CpuSetSpread, BigLittle and LittleBig (one core type)
        if (no_llcs) rotate_for_layer(order, layer, specs.size());
        break;
    }
    out[static_cast<size_t>(node)] = std::move(order);
  }
  return out;
}

std::pair<int, int> resolve_cpus_range(const LayerSpec& s, int nr_cpus) {
  if (s.cpus_range) return {static_cast<int>(s.cpus_range->first), static_cast<int>(s.cpus_range->second)};
  if (s.cpus_range_frac) {
    const int lo = static_cast<int>(std::nearbyint(nr_cpus * s.cpus_range_frac->first));
    const int hi = static_cast<int>(std::nearbyint(nr_cpus * s.cpus_range_frac->second));
    return {std::max(lo, 1), std::min(std::max(hi, 1), nr_cpus)};
  }
  return {0, nr_cpus};
}

CpuAllocator::CpuAllocator(std::vector<LayerSpec> specs, const Topology& topo)
    : topo_(topo), available_(topo.all_cpus()), changed_(specs.size(), false) {
  unit_ = topo.core_cpus(0).weight();
  for (size_t i = 0; i < specs.size(); ++i) {
    Layer l;
    l.spec = specs[i];
    l.cpus_range = resolve_cpus_range(l.spec, topo.nr_cpus());
    const bool limited = !topology_disabled(topo) && (!l.spec.nodes.empty() || !l.spec.llcs.empty());
    l.allowed = limited ? CpuMask() : topo.all_cpus();
    for (uint64_t n : limited ? l.spec.nodes : std::vector<uint64_t>{}) l.allowed |= topo.node_cpus(static_cast<int>(n));
    for (uint64_t c : limited ? l.spec.llcs : std::vector<uint64_t>{}) l.allowed |= topo.llc_cpus(static_cast<int>(c));
    for (const std::vector<int>& node : layer_core_order(specs, i, topo))
      l.core_order.insert(l.core_order.end(), node.begin(), node.end());
    layers_.push_back(std::move(l));
  }
}

std::vector<std::pair<int, int>> CpuAllocator::targets(const std::vector<LayerUtil>& utils, uint64_t elapsed_ns) {
  std::vector<std::pair<int, int>> out;
  for (size_t i = 0; i < layers_.size(); ++i) {
    Layer& l = layers_[i];
    if (l.spec.kind == LayerKind::Open) {
      out.emplace_back(0, 0);
      continue;
    }
    const int cur = l.cpus.weight();
    double util = utils[i].owned;
    if (l.spec.util_includes_open_cputime || cur == 0) util += utils[i].open;
    if (util < 0.01) util = 0;
    double peak = util;
    if (l.spec.util_peak_half_life_ms) {
      const double decay = std::pow(0.5, static_cast<double>(elapsed_ns) / 1e6 / static_cast<double>(l.spec.util_peak_half_life_ms));
      peak = std::max(l.peak * decay, util);
    }
    l.peak = peak;
    const int low = static_cast<int>(std::ceil(util / l.spec.util_range.second));
    const int high = std::max(static_cast<int>(std::floor(std::max(util, peak) / l.spec.util_range.first)), low);
    int target = std::clamp(cur, low, high);
    target = std::clamp(target, l.cpus_range.first, std::max(l.cpus_range.first, l.cpus_range.second));
    if (target < cur) target = std::max(cur - (cur - target + 1) / 2, l.cpus_range.first);  // halved shrink
    out.emplace_back(target, l.cpus_range.first);
  }
  return out;
}

// Whole cores for each target; when they do not all fit, minimums first, then the rest shared by
// weight (a simplification of unified_alloc).
std::vector<int> CpuAllocator::budget(const std::vector<std::pair<int, int>>& targets) const {
  const int total = topo_.nr_cpus() / unit_;
  std::vector<int> want(targets.size()), got(targets.size(), 0);
  int sum = 0;
  for (size_t i = 0; i < targets.size(); ++i) sum += want[i] = (targets[i].first + unit_ - 1) / unit_;
  if (sum <= total) return want;
  int left = total;
  for (size_t i = 0; i < targets.size(); ++i) {
    got[i] = std::min(want[i], (targets[i].second + unit_ - 1) / unit_);
    left -= got[i];
  }
  while (left > 0) {
    double wsum = 0;
    for (size_t i = 0; i < targets.size(); ++i)
      if (got[i] < want[i]) wsum += layers_[i].spec.weight;
    if (wsum == 0) break;
    int given = 0;
    for (size_t i = 0; i < targets.size() && left - given > 0; ++i) {
      if (got[i] >= want[i]) continue;
      const int share = std::max(1, static_cast<int>(left * layers_[i].spec.weight / wsum));
      const int add = std::min({share, want[i] - got[i], left - given});
      got[i] += add;
      given += add;
    }
    left -= given;
    if (given == 0) break;
  }
  return got;
}

bool CpuAllocator::shrink(size_t i, int want) {
  Layer& l = layers_[i];
  bool freed = false;
  for (auto it = l.core_order.rbegin(); it != l.core_order.rend() && l.cpus.weight() > want; ++it) {
    const CpuMask mine = topo_.core_cpus(*it) & l.cpus;
    if (mine.empty()) continue;
    l.cpus = l.cpus.and_not(mine);
    available_ |= mine;
    freed = true;
  }
  return freed;
}

bool CpuAllocator::grow(size_t i, int want) {
  Layer& l = layers_[i];
  bool grew = false;
  for (int core : l.core_order) {
    if (l.cpus.weight() >= want) break;
    const CpuMask free = topo_.core_cpus(core) & l.allowed & available_;
    if (free.empty()) continue;
    l.cpus |= free;
    available_ = available_.and_not(free);
    grew = true;
  }
  return grew;
}

void CpuAllocator::refresh_open_layers() {
  for (size_t i = 0; i < layers_.size(); ++i) {
    if (layers_[i].spec.kind != LayerKind::Open) continue;
    layers_[i].cpus = available_ & layers_[i].allowed;
    changed_[i] = true;
  }
}

bool CpuAllocator::refresh(const std::vector<LayerUtil>& utils, uint64_t elapsed_ns) {
  std::fill(changed_.begin(), changed_.end(), false);
  const std::vector<std::pair<int, int>> t = targets(utils, elapsed_ns);
  const std::vector<int> units = budget(t);
  std::vector<size_t> asc(layers_.size());
  std::iota(asc.begin(), asc.end(), 0);
  std::stable_sort(asc.begin(), asc.end(), [&](size_t a, size_t b) { return units[a] < units[b]; });
  bool updated = false;
  for (auto it = asc.rbegin(); it != asc.rend(); ++it)
    if (layers_[*it].spec.kind != LayerKind::Open && shrink(*it, units[*it] * unit_)) changed_[*it] = updated = true;
  for (size_t i : asc)
    if (layers_[i].spec.kind != LayerKind::Open && grow(i, units[i] * unit_)) changed_[i] = updated = true;
  if (updated) refresh_open_layers();
  return updated;
}

int CpuAllocator::nr_cpus_in_llc(size_t layer, int llc) const { return (layers_[layer].cpus & topo_.llc_cpus(llc)).weight(); }

int CpuAllocator::nr_cpus_in_node(size_t layer, int node) const {
  return (layers_[layer].cpus & topo_.node_cpus(node)).weight();
}

int CpuAllocator::fallback_cpu(int node) const {
  const CpuMask free = available_ & topo_.node_cpus(node);
  return free.empty() ? topo_.node_cpus(node).first() : free.first();
}

bool CpuAllocator::fully_allocated() const {
  int owned = 0;
  for (const Layer& l : layers_) owned += l.cpus.weight();
  return owned >= topo_.nr_cpus();
}

}  // namespace scx::bpf::layered
