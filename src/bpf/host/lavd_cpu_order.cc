// scx_lavd's CpuOrder for a simulated machine (lavd_cpu_order.h): scx_utils' view of every CPU,
// the two CPU preference orders, the compute domains and the fake performance-vs-CPU-order
// table, each step in its own function below, in the order CpuOrder::new takes them.
#include "bpf/host/lavd_cpu_order.h"

#include <algorithm>
#include <climits>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <tuple>

namespace scx::bpf {

namespace {

// What scx_utils derives from the raw capacities of all CPUs (get_capacity_source): the
// simulated kernel shows a CPU's capacity as its cpu_capacity file.
struct CapacityFacts {
  uint32_t max = 0, min = UINT32_MAX, avg = 0;
  bool biglittle = false;  // a gap of at least 1.3x between the slowest and the fastest
};

CapacityFacts capacity_facts(const Topology& topo) {
  CapacityFacts f;
  uint64_t sum = 0;
  for (const CpuInfo& c : topo.cpus()) {
    f.max = std::max(f.max, c.capacity);
    f.min = std::min(f.min, c.capacity);
    sum += c.capacity;
  }
  f.avg = static_cast<uint32_t>(sum / static_cast<uint64_t>(topo.nr_cpus()));
  f.biglittle = static_cast<float>(f.max) >= 1.3f * static_cast<float>(f.min);
  return f;
}

// The order scx_utils visits nodes in when it numbers LLCs and cores: that of the glob of
// /sys/devices/system/node/node*, by name (node10 before node2).
std::vector<int> nodes_in_sysfs_order(int nr_nodes) {
  std::vector<int> nodes(static_cast<size_t>(nr_nodes));
  std::iota(nodes.begin(), nodes.end(), 0);
  std::sort(nodes.begin(), nodes.end(), [](int a, int b) { return std::to_string(a) < std::to_string(b); });
  return nodes;
}

// scx_utils' LLC and core ids: numbered system-wide in first-seen order over each node's CPUs
// (increasing CPU id), keyed by (node, package, kernel id).
struct ScxIds {
  std::vector<int> llc, core;  // per CPU
  int nr_llcs = 0;
};

ScxIds first_seen_ids(const Topology& topo) {
  ScxIds ids;
  ids.llc.assign(static_cast<size_t>(topo.nr_cpus()), 0);
  ids.core.assign(static_cast<size_t>(topo.nr_cpus()), 0);
  std::map<std::tuple<int, int, int>, int> llcs, cores;
  auto id_of = [](std::map<std::tuple<int, int, int>, int>& m, std::tuple<int, int, int> key) {
    const int next = static_cast<int>(m.size());
    return m.emplace(key, next).first->second;
  };
  for (int node : nodes_in_sysfs_order(topo.nr_nodes())) {
    for (int cpu : topo.node_cpus(node)) {
      const CpuInfo& c = topo.cpu(cpu);
      ids.llc[static_cast<size_t>(cpu)] = id_of(llcs, {node, c.package, c.llc});
      ids.core[static_cast<size_t>(cpu)] = id_of(cores, {node, c.package, c.core});
    }
  }
  ids.nr_llcs = static_cast<int>(llcs.size());
  return ids;
}

// Rank of `v` in the sorted set `s`.
int rank_in(const std::set<int>& s, int v) { return static_cast<int>(std::distance(s.begin(), s.find(v))); }

// Every CPU's CpuId fields but the capacity-derived ones.
std::vector<LavdCpu> place_cpus(const Topology& topo, const ScxIds& ids) {
  std::map<int, std::set<int>> llcs_of_node, cores_of_llc, cpus_of_core;
  for (int cpu = 0; cpu < topo.nr_cpus(); ++cpu) {
    const size_t i = static_cast<size_t>(cpu);
    llcs_of_node[topo.cpu(cpu).node].insert(ids.llc[i]);
    cores_of_llc[ids.llc[i]].insert(ids.core[i]);
    cpus_of_core[ids.core[i]].insert(cpu);
  }
  std::vector<LavdCpu> cpus(static_cast<size_t>(topo.nr_cpus()));
  for (int cpu = 0; cpu < topo.nr_cpus(); ++cpu) {
    const size_t i = static_cast<size_t>(cpu);
    LavdCpu& c = cpus[i];
    c.cpu = cpu;
    c.node = topo.cpu(cpu).node;
    c.llc_adx = c.pd = ids.llc[i];
    c.llc_rdx = rank_in(llcs_of_node[c.node], c.llc_adx);
    c.llc_kernel_id = topo.cpu(cpu).llc;
    c.core_rdx = rank_in(cores_of_llc[c.llc_adx], ids.core[i]);
    const std::set<int>& siblings = cpus_of_core[ids.core[i]];
    c.cpu_rdx = rank_in(siblings, cpu);
    c.smt_level = static_cast<int>(siblings.size());
    // sibling_cpus(): the first two CPUs of a core name each other; any other has none.
    if (siblings.size() >= 2 && c.cpu_rdx < 2)
      c.sibling = static_cast<uint32_t>(*std::next(siblings.begin(), 1 - c.cpu_rdx));
  }
  return cpus;
}

// Capacity scaled to the fastest CPU and the core type (create_insert_cpu).
void set_capacities(const Topology& topo, const CapacityFacts& f, std::vector<LavdCpu>* cpus) {
  for (LavdCpu& c : *cpus) {
    const uint32_t rcap = topo.cpu(c.cpu).capacity;
    c.capacity = static_cast<uint32_t>(uint64_t{rcap} * kCapacityScale / f.max);
    c.turbo = f.avg < f.max && rcap == f.max;
    c.big = c.turbo || !f.biglittle || rcap >= f.avg;
  }
}

// build_topo_order(): CPU ids sorted by the performance or the powersave preference.
std::vector<int> topo_order(const std::vector<LavdCpu>& cpus, bool powersave, bool biglittle) {
  using Key = std::tuple<int, int, int64_t, int64_t, int, int, int, int, int>;
  auto key = [&](const LavdCpu& c) -> Key {
    const int64_t cap = c.capacity, cache = static_cast<int64_t>(c.cache_size);
    if (!powersave)  // non-SMT threads first, LLC by LLC, most capable first
      return {c.cpu_rdx, c.node, c.llc_rdx, -cap, -cache, c.smt_level, c.pd, c.core_rdx, c.cpu};
    // within each LLC; big first without little cores, little first with them; SMT cores first
    return {c.node, c.llc_rdx, biglittle ? cap : -cap, -cache, c.pd, c.core_rdx, -c.smt_level, c.cpu_rdx, c.cpu};
  };
  std::vector<int> order(cpus.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return key(cpus[static_cast<size_t>(a)]) < key(cpus[static_cast<size_t>(b)]);
  });
  return order;
}

using CpdomKey = std::tuple<int, int, int, int, bool>;  // ComputeDomainId's fields, its order

CpdomKey key_of(const LavdCpdom& d) { return {d.node, d.llc_adx, d.llc_rdx, d.llc_kernel_id, d.is_big}; }

// build_cpdom()'s first step: a domain per (node, LLC, core type), ids in first-seen order.
std::vector<LavdCpdom> group_cpdoms(const std::vector<LavdCpu>& cpus, const std::vector<int>& perf_order) {
  std::map<CpdomKey, int> ids;
  std::vector<LavdCpdom> doms;
  for (int cpu : perf_order) {
    const LavdCpu& c = cpus[static_cast<size_t>(cpu)];
    const CpdomKey key{c.node, c.llc_adx, c.llc_rdx, c.llc_kernel_id, c.big};
    auto [it, added] = ids.emplace(key, static_cast<int>(doms.size()));
    if (added) {
      LavdCpdom d;
      d.id = d.alt_id = it->second;
      std::tie(d.node, d.llc_adx, d.llc_rdx, d.llc_kernel_id, d.is_big) = key;
      doms.push_back(d);
    }
    doms[static_cast<size_t>(it->second)].cpus.push_back(cpu);
  }
  return doms;
}

// Every other domain grouped by distance (nearest first), each group circularly sorted.
void link_neighbors(std::vector<LavdCpdom>* doms) {
  for (LavdCpdom& from : *doms) {
    std::map<int, std::vector<int>> by_dist;
    for (const LavdCpdom& to : *doms)
      if (to.id != from.id) by_dist[lavd_cpdom_distance(from, to)].push_back(to.id);
    from.neighbors.clear();
    for (const auto& [d, ids] : by_dist) from.neighbors.push_back(lavd_circular_sort(from.id, ids));
  }
}

// The nearest neighbour of `d` (by distance, then circular order) whose type is `is_big`, or
// -1.
int nearest_of_type(const std::vector<LavdCpdom>& doms, const LavdCpdom& d, bool is_big) {
  for (const std::vector<int>& group : d.neighbors)
    for (int n : group)
      if (doms[static_cast<size_t>(n)].is_big == is_big) return n;
  return -1;
}

// The domain of the other core type under the same node and LLC, else the nearest one of
// that type, else the domain itself.
void set_alt_ids(std::vector<LavdCpdom>* doms) {
  std::map<CpdomKey, int> id_of;
  for (const LavdCpdom& d : *doms) id_of[key_of(d)] = d.id;
  for (LavdCpdom& d : *doms) {
    CpdomKey other = key_of(d);
    std::get<4>(other) = !d.is_big;
    const auto it = id_of.find(other);
    const int alt = it != id_of.end() ? it->second : nearest_of_type(*doms, d, !d.is_big);
    if (alt >= 0) d.alt_id = alt;
  }
}

// fake_pco(): the first CPU of `order` primary, the rest overflow.
LavdPco fake_pco(uint32_t perf_cap, const std::vector<int>& order) {
  LavdPco p;
  p.perf_cap = perf_cap;
  p.primary.assign(order.begin(), order.begin() + 1);
  p.overflow.assign(order.begin() + 1, order.end());
  return p;
}

// get_fake_perf_cpu_order_table(): the performance order bounded by the capacity of all CPUs,
// the powersave one by that of its first CPU; keyed by the bound (the later one wins a tie).
std::vector<LavdPco> fake_pco_table(const LavdCpuOrder& o) {
  uint32_t total = 0;
  for (const LavdCpu& c : o.cpus) total += c.capacity;
  std::map<uint32_t, LavdPco> by_cap;
  by_cap[total] = fake_pco(total, o.perf_order);
  const uint32_t first_cap = o.cpus[static_cast<size_t>(o.powersave_order.front())].capacity;
  by_cap[first_cap] = fake_pco(first_cap, o.powersave_order);
  std::vector<LavdPco> table;
  for (auto& [cap, p] : by_cap) table.push_back(std::move(p));
  return table;
}

}  // namespace

std::vector<int> lavd_circular_sort(int start, const std::vector<int>& rest) {
  std::vector<int> all = rest;
  all.push_back(start);
  std::sort(all.begin(), all.end());
  const int n = static_cast<int>(all.size());
  const int s = static_cast<int>(std::lower_bound(all.begin(), all.end(), start) - all.begin());
  auto dist = [&](int x) {
    const int d = (x + n - s) % n;
    return std::min(d, n - d);
  };
  std::vector<int> pos(all.size());
  std::iota(pos.begin(), pos.end(), 0);
  std::sort(pos.begin(), pos.end(), [&](int a, int b) { return std::pair(dist(a), a) < std::pair(dist(b), b); });
  std::vector<int> out;
  for (size_t k = 1; k < pos.size(); ++k) out.push_back(all[static_cast<size_t>(pos[k])]);
  return out;
}

int lavd_cpdom_distance(const LavdCpdom& a, const LavdCpdom& b) {
  int d = 0;
  if (a.is_big != b.is_big) d += 100;
  if (a.node != b.node) return d + 10;
  if (a.llc_rdx != b.llc_rdx) d += 1;
  if (a.llc_kernel_id != b.llc_kernel_id) d += 1;
  return d;
}

LavdCpuOrder lavd_cpu_order(const Topology& topo) {
  LavdCpuOrder o;
  const ScxIds ids = first_seen_ids(topo);
  o.cpus = place_cpus(topo, ids);
  set_capacities(topo, capacity_facts(topo), &o.cpus);
  o.nr_llcs = ids.nr_llcs;
  o.smt_enabled = topo.has_smt();
  // has_little_cores(): a core takes the type of its first CPU.
  o.has_biglittle =
      std::any_of(o.cpus.begin(), o.cpus.end(), [](const LavdCpu& c) { return c.cpu_rdx == 0 && !c.big; });
  o.perf_order = topo_order(o.cpus, false, o.has_biglittle);
  o.powersave_order = topo_order(o.cpus, true, o.has_biglittle);
  o.cpdoms = group_cpdoms(o.cpus, o.perf_order);
  link_neighbors(&o.cpdoms);
  set_alt_ids(&o.cpdoms);
  o.pco = fake_pco_table(o);
  return o;
}

}  // namespace scx::bpf
