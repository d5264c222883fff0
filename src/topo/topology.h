// The simulated machine's shape: Node → LLC → Core → CPU (SMT siblings share a core), with a
// per-CPU capacity (1024 = the fastest CPU, as Linux's SCHED_CAPACITY_SCALE) and a NUMA
// distance table. A Topology is an immutable value built and validated once; everything else
// receives it by reference and never looks at the host.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/cpumask.h"
#include "base/status.h"

namespace scx {

inline constexpr uint32_t kCapacityScale = 1024;

struct CpuInfo {
  int id = 0;        // dense, 0..nr_cpus-1
  int core = 0;      // global core index (SMT siblings share it)
  int llc = 0;       // global LLC index
  int node = 0;      // NUMA node index
  int package = 0;   // socket
  uint32_t capacity = kCapacityScale;  // 1..1024
  std::string kind;  // "" for homogeneous machines, e.g. "P" / "E" on hybrid ones
};

// What a builder (preset, spec, JSON, /sys) describes; Topology::build validates it.
struct TopologyDesc {
  std::string name;
  std::vector<CpuInfo> cpus;          // in id order
  std::vector<std::vector<int>> node_distance;  // [node][node]; empty = 10 local, 20 remote
};

class Topology {
 public:
  // Validates and indexes a description. Rejects: no CPUs, more than kMaxCpus, ids that are not
  // 0..n-1 in order, duplicate ids, a core spread over two LLCs, an LLC spread over two nodes,
  // capacities outside 1..1024, a distance table of the wrong size, asymmetric, with local
  // distance != 10 or remote < local.
  static Result<Topology> build(TopologyDesc desc);

  const std::string& name() const { return name_; }
  int nr_cpus() const { return static_cast<int>(cpus_.size()); }
  int nr_cores() const { return static_cast<int>(core_cpus_.size()); }
  int nr_llcs() const { return static_cast<int>(llc_cpus_.size()); }
  int nr_nodes() const { return static_cast<int>(node_cpus_.size()); }
  int nr_packages() const { return static_cast<int>(package_cpus_.size()); }

  const CpuInfo& cpu(int id) const { return cpus_[id]; }
  const std::vector<CpuInfo>& cpus() const { return cpus_; }
  const CpuMask& all_cpus() const { return all_; }
  const CpuMask& core_cpus(int core) const { return core_cpus_[core]; }   // SMT siblings
  const CpuMask& llc_cpus(int llc) const { return llc_cpus_[llc]; }
  const CpuMask& node_cpus(int node) const { return node_cpus_[node]; }
  const CpuMask& package_cpus(int pkg) const { return package_cpus_[pkg]; }
  const CpuMask& smt_siblings(int cpu) const { return core_cpus_[cpus_[cpu].core]; }
  int smt_width(int cpu) const { return smt_siblings(cpu).weight(); }
  bool has_smt() const { return has_smt_; }
  bool is_asymmetric() const { return asymmetric_; }  // capacities differ
  int node_distance(int a, int b) const { return distance_[a][b]; }
  // Every node in order of increasing distance from `from` (itself first), ties by lower id:
  // the kernel's for_each_node_numadist() walk.
  std::vector<int> nodes_by_distance(int from) const;

  bool share_core(int a, int b) const { return cpus_[a].core == cpus_[b].core; }
  bool share_llc(int a, int b) const { return cpus_[a].llc == cpus_[b].llc; }
  bool share_node(int a, int b) const { return cpus_[a].node == cpus_[b].node; }

  // One line: "2 nodes, 4 LLCs, 32 cores, 64 CPUs (SMT2)" plus capacities when hybrid.
  std::string summary() const;
  // The JSON form read by load_topology_json (round-trips).
  std::string to_json() const;

 private:
  std::string name_;
  std::vector<CpuInfo> cpus_;
  CpuMask all_;
  std::vector<CpuMask> core_cpus_, llc_cpus_, node_cpus_, package_cpus_;
  std::vector<std::vector<int>> distance_;
  bool has_smt_ = false;
  bool asymmetric_ = false;
};

// --topology argument: a preset name, "host" (import this machine from /sys), a path to a JSON
// file (anything ending in .json or containing '/'), or the compact spec syntax.
// A file larger than max_file_bytes is refused (--max-topology-size): `--topology /dev/zero`
// would otherwise grow without end.
inline constexpr size_t kDefaultMaxTopologyFileBytes = size_t{16} << 20;
Result<Topology> resolve_topology(std::string_view arg, size_t max_file_bytes = kDefaultMaxTopologyFileBytes);

// Compact syntax. A bare number N: N single-thread cores sharing one LLC on one node.
// Otherwise comma-separated key=value: nodes=2,llcs=2,cores=8,smt=2 means 2 nodes, each with
// 2 LLCs of 8 cores of 2 threads (all counts per parent level), plus hybrid forms documented in
// docs/topology.md.
Result<Topology> parse_topology_spec(std::string_view spec);

struct TopologyPreset {
  std::string name;
  std::string description;
};
const std::vector<TopologyPreset>& topology_presets();
Result<Topology> make_preset(std::string_view name);

Result<Topology> load_topology_json(const std::string& path, size_t max_bytes = kDefaultMaxTopologyFileBytes);
Result<Topology> parse_topology_json(std::string_view text, const std::string& origin);

// Reads a sysfs tree rooted at `root` ("/sys" for the host; tests pass a fixture directory).
Result<Topology> import_sysfs_topology(const std::string& root);

}  // namespace scx
