// Compact topology specs ("16", "nodes=2,cores=8,smt=2", "p=8,e=8,psmt=2") and the named
// presets, which are specs plus a realistic distance table.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "topo/topology.h"
#include "topo/topology_internal.h"

namespace scx {
namespace {

using topo_internal::CoreShape;

constexpr uint32_t kDefaultECoreCapacity = 512;

struct SpecKey {
  const char* name;
  bool capacity;  // 1..1024 rather than a count
  bool hybrid;    // only meaningful with p/e
  bool uniform;   // only meaningful without p/e
  bool per_core;  // threads of a hybrid core kind
};

constexpr SpecKey kSpecKeys[] = {
    {"nodes", false, false, false, false}, {"llcs", false, false, false, false},
    {"cores", false, false, true, false},  {"smt", false, false, true, false},
    {"cap", true, false, true, false},     {"p", false, true, false, false},
    {"e", false, true, false, false},      {"psmt", false, true, false, true},
    {"pcap", true, true, false, false},    {"esmt", false, true, false, true},
    {"ecap", true, true, false, false},
};

std::string key_list() {
  std::string out;
  for (const SpecKey& k : kSpecKeys) out += fmt::format("{}{}", out.empty() ? "" : ", ", k.name);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Digits only: a sign or a fraction is as wrong as a word here.
bool parse_count(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 9) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size() && *out >= 0;
}

Status spec_error(std::string_view spec, std::string reason) {
  return Status::Error(fmt::format("topology spec '{}'", spec), std::move(reason));
}

std::vector<CoreShape> hierarchy(int nodes, int llcs, const std::vector<CoreShape>& per_llc) {
  std::vector<CoreShape> cores;
  for (int n = 0; n < nodes; ++n) {
    for (int l = 0; l < llcs; ++l) {
      for (CoreShape c : per_llc) {
        c.node = n;
        c.package = n;
        c.llc = n * llcs + l;
        cores.push_back(std::move(c));
      }
    }
  }
  return cores;
}

Result<Topology> from_spec(std::string_view spec, std::string name, int remote_distance) {
  auto desc = topo_internal::spec_to_desc(spec);
  if (!desc.ok()) return desc.status();
  desc->name = std::move(name);
  int nodes = 0;
  for (const CpuInfo& c : desc->cpus) nodes = std::max(nodes, c.node + 1);
  desc->node_distance = topo_internal::uniform_distances(nodes, remote_distance);
  return Topology::build(std::move(desc).value());
}

struct Preset {
  TopologyPreset info;
  const char* spec;
  int remote_distance;
};

const std::vector<Preset>& presets() {
  // Distances 10/21 are what two-socket x86 SLIT tables usually say.
  static const std::vector<Preset> kPresets = {
      {{"laptop", "2 cores x 2 threads, one LLC (4 CPUs)"}, "cores=2,smt=2", 20},
      {{"desktop-hybrid",
        "8 P-cores x 2 threads (capacity 1024) + 8 E-cores (capacity 600), one LLC (24 CPUs)"},
       "p=8,psmt=2,e=8,ecap=600",
       20},
      {{"server-2s64", "2 sockets/nodes x 16 cores x 2 threads, one LLC per socket (64 CPUs)"},
       "nodes=2,cores=16,smt=2",
       21},
      {{"server-2s256", "2 sockets/nodes x 8 LLCs (CCX-like) x 8 cores x 2 threads (256 CPUs)"},
       "nodes=2,llcs=8,cores=8,smt=2",
       21},
  };
  return kPresets;
}

}  // namespace

namespace topo_internal {

std::vector<CpuInfo> layout_cores(const std::vector<CoreShape>& cores) {
  std::vector<CpuInfo> cpus;
  int max_threads = 0;
  for (const CoreShape& c : cores) max_threads = std::max(max_threads, c.threads);
  for (int t = 0; t < max_threads; ++t) {
    for (size_t i = 0; i < cores.size(); ++i) {
      const CoreShape& c = cores[i];
      if (t >= c.threads) continue;
      CpuInfo cpu;
      cpu.id = static_cast<int>(cpus.size());
      cpu.core = static_cast<int>(i);
      cpu.llc = c.llc;
      cpu.node = c.node;
      cpu.package = c.package;
      cpu.capacity = c.capacity;
      cpu.kind = c.kind;
      cpus.push_back(std::move(cpu));
    }
  }
  return cpus;
}

Result<TopologyDesc> spec_to_desc(std::string_view spec) {
  spec = trim(spec);
  if (spec.empty()) return spec_error(spec, "empty spec");

  std::map<std::string, int64_t> values;
  bool bare = spec.find_first_not_of("0123456789") == std::string_view::npos;
  if (bare) {
    int64_t n = 0;
    if (!parse_count(spec, &n) || n > kMaxCpus)
      return spec_error(spec, fmt::format("{} CPUs is more than the limit of {}", spec, kMaxCpus));
    values["cores"] = n;
  } else {
    size_t pos = 0;
    while (pos <= spec.size()) {
      size_t comma = std::min(spec.find(',', pos), spec.size());
      std::string_view item = trim(spec.substr(pos, comma - pos));
      pos = comma + 1;
      if (item.empty()) return spec_error(spec, "empty item");
      size_t eq = item.find('=');
      if (eq == std::string_view::npos)
        return spec_error(spec, fmt::format("'{}' is not key=value", item));
      std::string key(trim(item.substr(0, eq)));
      std::string_view text = trim(item.substr(eq + 1));
      const SpecKey* k = std::find_if(std::begin(kSpecKeys), std::end(kSpecKeys),
                                      [&](const SpecKey& sk) { return key == sk.name; });
      if (k == std::end(kSpecKeys))
        return spec_error(spec, fmt::format("unknown key '{}' (keys: {})", key, key_list()));
      if (values.count(key)) return spec_error(spec, fmt::format("key '{}' given twice", key));
      int64_t v = 0;
      if (!parse_count(text, &v))
        return spec_error(spec, fmt::format("{}: '{}' is not a number", key, text));
      if (k->capacity && (v < 1 || v > kCapacityScale))
        return spec_error(spec, fmt::format("{}={} is outside 1..{}", key, v, kCapacityScale));
      if (!k->capacity && v > kMaxCpus)
        return spec_error(spec,
                          fmt::format("{}={} is more than the limit of {} CPUs", key, v, kMaxCpus));
      if (v == 0 && k->per_core)
        return spec_error(spec, fmt::format("{}=0: a core needs at least 1 thread", key));
      if (v == 0 && !k->hybrid && !k->capacity)
        return spec_error(spec, fmt::format("describes 0 CPUs ({}=0)", key));
      values[key] = v;
    }
  }

  bool hybrid = false, uniform = false;
  for (const SpecKey& k : kSpecKeys) {
    if (!values.count(k.name)) continue;
    hybrid = hybrid || k.hybrid;
    uniform = uniform || k.uniform;
  }
  if (hybrid && uniform)
    return spec_error(
        spec, "cores/smt/cap cannot be combined with the hybrid keys p/e/psmt/pcap/esmt/ecap");
  auto get = [&](const char* key, int64_t def) {
    auto it = values.find(key);
    return it == values.end() ? def : it->second;
  };

  // Counts are each <= kMaxCpus, so these products cannot overflow int64.
  const int64_t nodes = get("nodes", 1), llcs = get("llcs", 1);
  const int64_t p = get("p", 0), e = get("e", 0), psmt = get("psmt", 1), esmt = get("esmt", 1);
  const int64_t cores = get("cores", 1), smt = get("smt", 1);
  const int64_t per_llc_cpus = hybrid ? p * psmt + e * esmt : cores * smt;
  const int64_t total = per_llc_cpus * nodes * llcs;
  if (total == 0) return spec_error(spec, "describes 0 CPUs");
  if (total > kMaxCpus)
    return spec_error(spec,
                      fmt::format("describes {} CPUs, more than the limit of {}", total, kMaxCpus));

  auto shape = [](int64_t threads, int64_t capacity, const char* kind) {
    return CoreShape{0, 0, 0, static_cast<int>(threads), static_cast<uint32_t>(capacity), kind};
  };
  std::vector<CoreShape> per_llc;
  if (hybrid) {
    per_llc.assign(p, shape(psmt, get("pcap", kCapacityScale), "P"));
    per_llc.insert(per_llc.end(), e, shape(esmt, get("ecap", kDefaultECoreCapacity), "E"));
  } else {
    per_llc.assign(cores, shape(smt, get("cap", kCapacityScale), ""));
  }

  TopologyDesc desc;
  desc.name = std::string(spec);
  desc.cpus = layout_cores(hierarchy(static_cast<int>(nodes), static_cast<int>(llcs), per_llc));
  return desc;
}

}  // namespace topo_internal

Result<Topology> parse_topology_spec(std::string_view spec) {
  auto desc = topo_internal::spec_to_desc(spec);
  if (!desc.ok()) return desc.status();
  return Topology::build(std::move(desc).value());
}

const std::vector<TopologyPreset>& topology_presets() {
  static const std::vector<TopologyPreset> kInfos = [] {
    std::vector<TopologyPreset> out;
    for (const Preset& p : presets()) out.push_back(p.info);
    return out;
  }();
  return kInfos;
}

Result<Topology> make_preset(std::string_view name) {
  for (const Preset& p : presets()) {
    if (p.info.name == name) return from_spec(p.spec, p.info.name, p.remote_distance);
  }
  std::string names;
  for (const Preset& p : presets()) names += (names.empty() ? "" : ", ") + p.info.name;
  return Status::Errorf("", "unknown topology preset '{}' (presets: {})", name, names);
}

}  // namespace scx
