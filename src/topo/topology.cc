#include "topo/topology.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>
#include <tuple>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/suggest.h"
#include "topo/topology_internal.h"

namespace scx {
namespace {

constexpr int kLocalDistance = 10;

std::string plural(int n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

// Groups CPUs by one index field into masks. The indices must be 0..k-1 without gaps, so that
// every group is non-empty and nr_cores() etc. count real things.
Result<std::vector<CpuMask>> group_dense(const std::vector<CpuInfo>& cpus, int CpuInfo::*field,
                                         const char* what) {
  std::set<int> used;
  for (const CpuInfo& c : cpus) {
    if (c.*field < 0) return Status::Errorf("", "cpu {} has negative {} {}", c.id, what, c.*field);
    used.insert(c.*field);
  }
  int expect = 0;
  for (int v : used) {
    if (v != expect)
      return Status::Errorf("", "{} ids must be dense: no CPU is in {} {} (highest is {})", what,
                            what, expect, *used.rbegin());
    ++expect;
  }
  std::vector<CpuMask> groups(used.size());
  for (const CpuInfo& c : cpus) groups[c.*field].set(c.id);
  return groups;
}

// Every CPU of each inner group (e.g. a core) must share the outer index (e.g. its LLC).
Status check_nested(const std::vector<CpuInfo>& cpus, const std::vector<CpuMask>& inner,
                    int CpuInfo::*outer, const char* inner_name, const char* outer_name) {
  for (size_t i = 0; i < inner.size(); ++i) {
    int first = inner[i].first();
    for (int c : inner[i]) {
      if (cpus[c].*outer != cpus[first].*outer)
        return Status::Errorf("", "{} {} spans {}s {} and {} (cpus {} and {})", inner_name, i,
                              outer_name, cpus[first].*outer, cpus[c].*outer, first, c);
    }
  }
  return {};
}

Status check_distances(const std::vector<std::vector<int>>& d, int nodes) {
  if (static_cast<int>(d.size()) != nodes)
    return Status::Errorf("", "node distance table has {} rows, expected {} (one per node)",
                          d.size(), nodes);
  for (int a = 0; a < nodes; ++a) {
    if (static_cast<int>(d[a].size()) != nodes)
      return Status::Errorf("", "node distance row {} has {} entries, expected {}", a, d[a].size(),
                            nodes);
  }
  for (int a = 0; a < nodes; ++a) {
    if (d[a][a] != kLocalDistance)
      return Status::Errorf("", "node distance [{}][{}] is {}, local distance must be {}", a, a,
                            d[a][a], kLocalDistance);
    for (int b = 0; b < nodes; ++b) {
      if (d[a][b] != d[b][a])
        return Status::Errorf("", "node distance is asymmetric: [{}][{}] is {} but [{}][{}] is {}",
                              a, b, d[a][b], b, a, d[b][a]);
      if (a != b && d[a][b] < kLocalDistance)
        return Status::Errorf("", "node distance [{}][{}] is {}, less than the local distance {}",
                              a, b, d[a][b], kLocalDistance);
    }
  }
  return {};
}

std::string quoted(const std::string& s) {
  return nlohmann::json(s).dump();
}

bool looks_like_spec(std::string_view arg) {
  return (!arg.empty() && arg.front() >= '0' && arg.front() <= '9') ||
         arg.find('=') != std::string_view::npos;
}

std::string preset_names() {
  std::string out;
  for (const TopologyPreset& p : topology_presets()) {
    if (!out.empty()) out += ", ";
    out += p.name;
  }
  return out;
}

}  // namespace

namespace topo_internal {

std::vector<std::vector<int>> uniform_distances(int nodes, int remote) {
  std::vector<std::vector<int>> d(nodes, std::vector<int>(nodes, remote));
  for (int i = 0; i < nodes; ++i) d[i][i] = kLocalDistance;
  return d;
}

}  // namespace topo_internal

Result<Topology> Topology::build(TopologyDesc desc) {
  const int n = static_cast<int>(desc.cpus.size());
  if (n == 0) return Status::Error("", "topology has no CPUs");
  if (n > kMaxCpus)
    return Status::Errorf("", "topology has {} CPUs, more than the limit of {}", n, kMaxCpus);

  // Duplicates first: they are the likelier mistake and explain a later ordering error.
  std::vector<bool> seen(n, false);
  for (const CpuInfo& c : desc.cpus) {
    if (c.id >= 0 && c.id < n) {
      if (seen[c.id]) return Status::Errorf("", "duplicate cpu id {}", c.id);
      seen[c.id] = true;
    }
  }
  for (int i = 0; i < n; ++i) {
    if (desc.cpus[i].id != i)
      return Status::Errorf("", "cpu ids must be 0..{} in order, but entry {} has id {}", n - 1, i,
                            desc.cpus[i].id);
  }
  for (const CpuInfo& c : desc.cpus) {
    if (c.capacity < 1 || c.capacity > kCapacityScale)
      return Status::Errorf("", "cpu {} has capacity {}, outside 1..{}", c.id, c.capacity,
                            kCapacityScale);
  }

  Topology t;
  SCX_ASSIGN_OR_RETURN(t.core_cpus_, group_dense(desc.cpus, &CpuInfo::core, "core"));
  SCX_ASSIGN_OR_RETURN(t.llc_cpus_, group_dense(desc.cpus, &CpuInfo::llc, "LLC"));
  SCX_ASSIGN_OR_RETURN(t.node_cpus_, group_dense(desc.cpus, &CpuInfo::node, "node"));
  SCX_ASSIGN_OR_RETURN(t.package_cpus_, group_dense(desc.cpus, &CpuInfo::package, "package"));
  SCX_RETURN_IF_ERROR(check_nested(desc.cpus, t.core_cpus_, &CpuInfo::llc, "core", "LLC"));
  SCX_RETURN_IF_ERROR(check_nested(desc.cpus, t.core_cpus_, &CpuInfo::package, "core", "package"));
  SCX_RETURN_IF_ERROR(check_nested(desc.cpus, t.llc_cpus_, &CpuInfo::node, "LLC", "node"));
  SCX_RETURN_IF_ERROR(check_nested(desc.cpus, t.llc_cpus_, &CpuInfo::package, "LLC", "package"));

  const int nodes = static_cast<int>(t.node_cpus_.size());
  if (desc.node_distance.empty()) desc.node_distance = topo_internal::uniform_distances(nodes, 20);
  SCX_RETURN_IF_ERROR(check_distances(desc.node_distance, nodes));

  t.name_ = std::move(desc.name);
  t.cpus_ = std::move(desc.cpus);
  t.distance_ = std::move(desc.node_distance);
  t.all_ = CpuMask::first_n(n);
  for (const CpuMask& core : t.core_cpus_) t.has_smt_ = t.has_smt_ || core.weight() > 1;
  for (const CpuInfo& c : t.cpus_)
    t.asymmetric_ = t.asymmetric_ || c.capacity != t.cpus_[0].capacity;
  return t;
}

std::vector<int> Topology::nodes_by_distance(int from) const {
  std::vector<int> order{from};
  for (int n = 0; n < nr_nodes(); ++n)
    if (n != from) order.push_back(n);
  std::stable_sort(order.begin() + 1, order.end(),
                   [&](int a, int b) { return distance_[from][a] < distance_[from][b]; });
  return order;
}

std::string Topology::summary() const {
  int smt = 1;
  for (const CpuMask& core : core_cpus_) smt = std::max(smt, core.weight());
  std::string out = fmt::format(
      "{}, {}, {}, {}", plural(nr_nodes(), "node", "nodes"), plural(nr_llcs(), "LLC", "LLCs"),
      plural(nr_cores(), "core", "cores"), plural(nr_cpus(), "CPU", "CPUs"));
  if (smt > 1) out += fmt::format(" (SMT{})", smt);
  if (asymmetric_) {
    // Fastest first, then by kind, so the line reads "16 P @1024, 8 E @600".
    std::vector<std::tuple<uint32_t, std::string, int>> groups;
    for (const CpuInfo& c : cpus_) {
      auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) {
        return std::get<0>(g) == c.capacity && std::get<1>(g) == c.kind;
      });
      if (it == groups.end()) {
        groups.emplace_back(c.capacity, c.kind, 1);
      } else {
        ++std::get<2>(*it);
      }
    }
    std::stable_sort(groups.begin(), groups.end(),
                     [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
    out += "; capacities:";
    for (size_t i = 0; i < groups.size(); ++i) {
      const auto& [cap, kind, count] = groups[i];
      out += fmt::format("{} {}{} @{}", i ? "," : "", count, kind.empty() ? "" : " " + kind, cap);
    }
  }
  return out;
}

std::string Topology::to_json() const {
  // Hand-formatted so that each CPU is one line: easy to read and to diff.
  std::string out = "{\n  \"name\": " + quoted(name_) + ",\n  \"cpus\": [\n";
  for (const CpuInfo& c : cpus_) {
    out += fmt::format(
        "    {{\"id\": {}, \"core\": {}, \"llc\": {}, \"node\": {}, \"package\": {}, "
        "\"capacity\": {}",
        c.id, c.core, c.llc, c.node, c.package, c.capacity);
    if (!c.kind.empty()) out += ", \"kind\": " + quoted(c.kind);
    out += c.id + 1 < nr_cpus() ? "},\n" : "}\n";
  }
  out += "  ],\n  \"node_distance\": [";
  for (size_t a = 0; a < distance_.size(); ++a) {
    out += a ? ", [" : "[";
    for (size_t b = 0; b < distance_[a].size(); ++b)
      out += fmt::format("{}{}", b ? ", " : "", distance_[a][b]);
    out += "]";
  }
  out += "]\n}\n";
  return out;
}

Result<Topology> resolve_topology(std::string_view arg, size_t max_file_bytes) {
  if (arg.empty()) return Status::Error("--topology", "empty topology argument");
  if (arg == "host") return import_sysfs_topology("/sys");
  const std::string path(arg);
  if (arg.ends_with(".json") || arg.find('/') != std::string_view::npos)
    return load_topology_json(path, max_file_bytes);
  for (const TopologyPreset& p : topology_presets()) {
    if (p.name == arg) return make_preset(arg);
  }
  if (looks_like_spec(arg)) return parse_topology_spec(arg);
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) return load_topology_json(path, max_file_bytes);
  std::vector<std::string> known{"host"};
  for (const TopologyPreset& p : topology_presets()) known.push_back(p.name);
  return Status::Errorf("--topology",
                        "unknown topology '{}'{}: not a preset ({}), 'host', a JSON file or a spec "
                        "such as 'nodes=2,cores=8,smt=2'",
                        path, did_you_mean(arg, known), preset_names());
}

}  // namespace scx
