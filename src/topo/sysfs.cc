// Import of a machine's shape from a Linux sysfs tree (/sys, or a fixture directory in tests).
// Host CPU, core, LLC and node numbers are renumbered densely in order of first appearance by
// host CPU id; offline CPUs are left out.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "base/cpulist.h"
#include "topo/topology.h"

namespace scx {
namespace {

namespace fs = std::filesystem;

bool exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

Result<std::string> read_text(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return Status::Errorf(path, "cannot read: {}", std::strerror(errno));
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  bool failed = std::ferror(f);
  int err = errno;
  std::fclose(f);
  if (failed) return Status::Errorf(path, "cannot read: {}", std::strerror(err));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

bool to_int(std::string_view s, int* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && ec == std::errc() && ptr == s.data() + s.size();
}

Result<int> read_int(const std::string& path) {
  SCX_ASSIGN_OR_RETURN(std::string text, read_text(path));
  int v = 0;
  if (!to_int(text, &v)) return Status::Errorf(path, "expected an integer, got '{}'", text);
  return v;
}

Result<CpuMask> read_list(const std::string& path) {
  SCX_ASSIGN_OR_RETURN(std::string text, read_text(path));
  auto mask = parse_cpulist(text);
  if (!mask.ok()) return mask.status().within(path);
  return mask;
}

// Whitespace-separated integers, as in nodeN/distance.
Result<std::vector<int>> read_ints(const std::string& path) {
  SCX_ASSIGN_OR_RETURN(std::string text, read_text(path));
  std::vector<int> out;
  size_t pos = 0;
  while ((pos = text.find_first_not_of(" \t\n", pos)) != std::string::npos) {
    size_t end = std::min(text.find_first_of(" \t\n", pos), text.size());
    int v = 0;
    if (!to_int(std::string_view(text).substr(pos, end - pos), &v))
      return Status::Errorf(path, "expected integers, got '{}'", text);
    out.push_back(v);
    pos = end;
  }
  return out;
}

// What the tree says about one online host CPU, in host numbering.
struct HostCpu {
  int host_id = 0;
  int package = 0;
  CpuMask core_key;  // SMT siblings
  std::string core_file;
  CpuMask llc_key;       // shared_cpu_list of the highest cache level
  std::string llc_file;  // empty when the tree has no cache information
  int node = 0;          // sysfs node number
  uint32_t capacity = kCapacityScale;
  std::string kind;
};

// Assigns dense indices to keys in order of first use.
template <typename Key>
class DenseIds {
 public:
  int get(const Key& key) {
    for (size_t i = 0; i < keys_.size(); ++i)
      if (keys_[i] == key) return static_cast<int>(i);
    keys_.push_back(key);
    return static_cast<int>(keys_.size()) - 1;
  }

 private:
  std::vector<Key> keys_;
};

Result<HostCpu> read_cpu(const std::string& cpu_dir, int host_id, const CpuMask& online) {
  HostCpu cpu;
  cpu.host_id = host_id;
  const std::string dir = fmt::format("{}/cpu{}", cpu_dir, host_id);
  SCX_ASSIGN_OR_RETURN(cpu.package, read_int(dir + "/topology/physical_package_id"));
  // core_id is only unique within a package (and die); the sibling list identifies the core.
  SCX_RETURN_IF_ERROR(read_int(dir + "/topology/core_id").status());
  cpu.core_file = dir + "/topology/core_cpus_list";
  if (!exists(cpu.core_file)) cpu.core_file = dir + "/topology/thread_siblings_list";
  SCX_ASSIGN_OR_RETURN(CpuMask siblings, read_list(cpu.core_file));
  cpu.core_key = siblings & online;

  int best_level = -1;
  for (int k = 0;; ++k) {
    const std::string index = fmt::format("{}/cache/index{}", dir, k);
    if (!exists(index)) break;
    SCX_ASSIGN_OR_RETURN(int level, read_int(index + "/level"));
    if (level <= best_level) continue;
    SCX_ASSIGN_OR_RETURN(CpuMask shared, read_list(index + "/shared_cpu_list"));
    best_level = level;
    cpu.llc_key = shared & online;
    cpu.llc_file = index + "/shared_cpu_list";
  }

  const std::string capacity_file = dir + "/cpu_capacity";
  if (exists(capacity_file)) {
    SCX_ASSIGN_OR_RETURN(int capacity, read_int(capacity_file));
    if (capacity < 1 || capacity > static_cast<int>(kCapacityScale))
      return Status::Errorf(capacity_file, "capacity {} is outside 1..{}", capacity,
                            kCapacityScale);
    cpu.capacity = static_cast<uint32_t>(capacity);
  }
  return cpu;
}

// A group key (sibling or cache list) must contain its own CPU and agree with every CPU it lists,
// otherwise grouping by key would silently split or merge cores/LLCs.
Status check_group(const std::vector<HostCpu>& cpus, const std::vector<int>& dense_of_host,
                   const HostCpu& cpu, const CpuMask& key, const std::string& file,
                   CpuMask HostCpu::*member, const char* what) {
  if (!key.test(cpu.host_id))
    return Status::Errorf(file, "'{}' does not include cpu {} itself", key.to_list(), cpu.host_id);
  for (int other : key) {
    const CpuMask& other_key = cpus[dense_of_host[other]].*member;
    if (other_key != key)
      return Status::Errorf(file, "lists cpu {} as sharing its {}, but cpu {} says '{}'", other,
                            what, other, other_key.to_list());
  }
  return {};
}

}  // namespace

Result<Topology> import_sysfs_topology(const std::string& root) {
  const std::string cpu_dir = root + "/devices/system/cpu";
  const std::string node_dir = root + "/devices/system/node";

  std::string online_file = cpu_dir + "/online";
  if (!exists(online_file) && exists(cpu_dir + "/possible")) online_file = cpu_dir + "/possible";
  SCX_ASSIGN_OR_RETURN(CpuMask listed, read_list(online_file));
  // With only "possible" to go by, a CPU whose own online file says 0 is offline.
  CpuMask online;
  for (int c : listed) {
    const std::string flag = fmt::format("{}/cpu{}/online", cpu_dir, c);
    if (exists(flag)) {
      SCX_ASSIGN_OR_RETURN(int on, read_int(flag));
      if (!on) continue;
    }
    online.set(c);
  }
  if (online.empty()) return Status::Errorf(online_file, "no online CPUs");

  std::vector<HostCpu> cpus;
  std::vector<int> dense_of_host(kMaxCpus, -1);
  for (int c : online) {
    dense_of_host[c] = static_cast<int>(cpus.size());
    SCX_ASSIGN_OR_RETURN(HostCpu cpu, read_cpu(cpu_dir, c, online));
    cpus.push_back(std::move(cpu));
  }

  // NUMA nodes: nodeM directories; without any, the machine is one node.
  std::vector<int> node_ids;
  std::error_code ec;
  if (fs::is_directory(node_dir, ec)) {
    for (const auto& entry : fs::directory_iterator(node_dir, ec)) {
      std::string name = entry.path().filename().string();
      int id = 0;
      if (name.starts_with("node") && to_int(std::string_view(name).substr(4), &id) &&
          entry.is_directory(ec))
        node_ids.push_back(id);
    }
    if (ec) return Status::Errorf(node_dir, "cannot list: {}", ec.message());
  }
  std::sort(node_ids.begin(), node_ids.end());
  std::vector<std::vector<int>> raw_distance;
  if (!node_ids.empty()) {
    CpuMask placed;
    for (int id : node_ids) {
      const std::string dir = fmt::format("{}/node{}", node_dir, id);
      SCX_ASSIGN_OR_RETURN(CpuMask node_cpus, read_list(dir + "/cpulist"));
      for (int c : node_cpus& online) {
        if (placed.test(c))
          return Status::Errorf(dir + "/cpulist", "cpu {} is already in another node", c);
        placed.set(c);
        cpus[dense_of_host[c]].node = id;
      }
      SCX_ASSIGN_OR_RETURN(std::vector<int> row, read_ints(dir + "/distance"));
      if (row.size() != node_ids.size())
        return Status::Errorf(dir + "/distance", "has {} entries, expected {} (one per node)",
                              row.size(), node_ids.size());
      raw_distance.push_back(std::move(row));
    }
    CpuMask missing = online.and_not(placed);
    if (!missing.empty())
      return Status::Errorf(node_dir, "cpus {} are in no node's cpulist", missing.to_list());
  }

  // Intel hybrid parts expose their P- and E-cores as two PMUs.
  for (auto [pmu, kind] : {std::pair{"cpu_core", "P"}, std::pair{"cpu_atom", "E"}}) {
    const std::string file = fmt::format("{}/devices/{}/cpus", root, pmu);
    if (!exists(file)) continue;
    SCX_ASSIGN_OR_RETURN(CpuMask members, read_list(file));
    for (int c : members& online) cpus[dense_of_host[c]].kind = kind;
  }

  for (const HostCpu& cpu : cpus) {
    SCX_RETURN_IF_ERROR(check_group(cpus, dense_of_host, cpu, cpu.core_key, cpu.core_file,
                                    &HostCpu::core_key, "core"));
  }
  // Without cache information, take each package's share of a node as one LLC.
  for (HostCpu& cpu : cpus) {
    if (!cpu.llc_file.empty()) continue;
    CpuMask same;
    for (const HostCpu& other : cpus)
      if (other.package == cpu.package && other.node == cpu.node) same.set(other.host_id);
    cpu.llc_key = same;
  }
  for (const HostCpu& cpu : cpus) {
    if (cpu.llc_file.empty()) continue;
    SCX_RETURN_IF_ERROR(
        check_group(cpus, dense_of_host, cpu, cpu.llc_key, cpu.llc_file, &HostCpu::llc_key, "LLC"));
  }

  TopologyDesc desc;
  desc.name = root == "/sys" ? "host" : root;
  DenseIds<CpuMask> core_ids, llc_ids;
  DenseIds<int> node_dense, package_dense;
  for (const HostCpu& h : cpus) {
    CpuInfo cpu;
    cpu.id = static_cast<int>(desc.cpus.size());
    cpu.core = core_ids.get(h.core_key);
    cpu.llc = llc_ids.get(h.llc_key);
    cpu.node = node_dense.get(h.node);
    cpu.package = package_dense.get(h.package);
    cpu.capacity = h.capacity;
    cpu.kind = h.kind;
    desc.cpus.push_back(std::move(cpu));
  }
  if (!raw_distance.empty()) {
    // Keep only nodes with online CPUs (memory-only nodes have none), in dense order.
    std::vector<int> column;  // dense node -> position in node_ids
    for (const HostCpu& h : cpus) {
      int pos =
          static_cast<int>(std::find(node_ids.begin(), node_ids.end(), h.node) - node_ids.begin());
      if (std::find(column.begin(), column.end(), pos) == column.end()) column.push_back(pos);
    }
    for (int a : column) {
      std::vector<int> row;
      for (int b : column) row.push_back(raw_distance[a][b]);
      desc.node_distance.push_back(std::move(row));
    }
  }
  auto topo = Topology::build(std::move(desc));
  if (!topo.ok()) return topo.status().within(root);
  return topo;
}

}  // namespace scx
