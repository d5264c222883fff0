// scx_layered's pre-attach set-up, computed (see setup.h). Sources: scheds/rust/scx_layered/src/
// main.rs (init_layers, init_nodes, init_cpus, init_cpu_prox_map, init_single_prox_map_per_llc,
// init_node_prox_map, refresh_node_ctx, Scheduler::init) at 7a58a3a1a and 0f379644a.
#include "bpf/host/layered/setup.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <set>

namespace scx::bpf::layered {

namespace {

constexpr int64_t kMaxLayersId = kMaxLayers;  // "no layer" in the order arrays and cpu_ctx.layer_id

__extension__ typedef unsigned __int128 u128;  // wyrand's 128-bit product

uint64_t mul_high(uint64_t a, uint64_t b) { return static_cast<uint64_t>((static_cast<u128>(a) * b) >> 64); }

// enum layer_match_kind of src/bpf/intf.h, in order.
constexpr std::string_view kMatchEnums[] = {
    "MATCH_CGROUP_PREFIX", "MATCH_COMM_PREFIX", "MATCH_PCOMM_PREFIX", "MATCH_NICE_ABOVE", "MATCH_NICE_BELOW",
    "MATCH_NICE_EQUALS", "MATCH_USER_ID_EQUALS", "MATCH_GROUP_ID_EQUALS", "MATCH_PID_EQUALS", "MATCH_PPID_EQUALS",
    "MATCH_TGID_EQUALS", "MATCH_NSPID_EQUALS", "MATCH_NS_EQUALS", "MATCH_SCXCMD_JOIN", "MATCH_IS_GROUP_LEADER",
    "MATCH_IS_KTHREAD", "MATCH_USED_GPU_TID", "MATCH_USED_GPU_PID", "MATCH_AVG_RUNTIME", "MATCH_CGROUP_SUFFIX",
    "MATCH_CGROUP_CONTAINS", "MATCH_CGROUP_REGEX", "MATCH_HINT_EQUALS", "MATCH_SYSTEM_CPU_UTIL_BELOW",
    "MATCH_DSQ_INSERT_BELOW", "MATCH_NUMA_NODE"};

std::string_view match_enum_name(MatchKind k) {
  switch (k) {
    case MatchKind::CgroupPrefix: return "MATCH_CGROUP_PREFIX";
    case MatchKind::CgroupSuffix: return "MATCH_CGROUP_SUFFIX";
    case MatchKind::CgroupContains: return "MATCH_CGROUP_CONTAINS";
    case MatchKind::CgroupRegex: return "MATCH_CGROUP_REGEX";
    case MatchKind::CommPrefix: case MatchKind::CommPrefixExclude: return "MATCH_COMM_PREFIX";
    case MatchKind::PcommPrefix: case MatchKind::PcommPrefixExclude: return "MATCH_PCOMM_PREFIX";
    case MatchKind::NiceAbove: return "MATCH_NICE_ABOVE";
    case MatchKind::NiceBelow: return "MATCH_NICE_BELOW";
    case MatchKind::NiceEquals: return "MATCH_NICE_EQUALS";
    case MatchKind::UIDEquals: return "MATCH_USER_ID_EQUALS";
    case MatchKind::GIDEquals: return "MATCH_GROUP_ID_EQUALS";
    case MatchKind::PIDEquals: return "MATCH_PID_EQUALS";
    case MatchKind::PPIDEquals: return "MATCH_PPID_EQUALS";
    case MatchKind::TGIDEquals: return "MATCH_TGID_EQUALS";
    case MatchKind::NSPIDEquals: return "MATCH_NSPID_EQUALS";
    case MatchKind::NSEquals: return "MATCH_NS_EQUALS";
    case MatchKind::CmdJoin: return "MATCH_SCXCMD_JOIN";
    case MatchKind::IsGroupLeader: return "MATCH_IS_GROUP_LEADER";
    case MatchKind::IsKthread: return "MATCH_IS_KTHREAD";
    case MatchKind::UsedGpuTid: return "MATCH_USED_GPU_TID";
    case MatchKind::UsedGpuPid: return "MATCH_USED_GPU_PID";
    case MatchKind::AvgRuntime: return "MATCH_AVG_RUNTIME";
    case MatchKind::HintEquals: return "MATCH_HINT_EQUALS";
    case MatchKind::SystemCpuUtilBelow: return "MATCH_SYSTEM_CPU_UTIL_BELOW";
    case MatchKind::DsqInsertBelow: return "MATCH_DSQ_INSERT_BELOW";
    case MatchKind::NumaNode: return "MATCH_NUMA_NODE";
  }
  return "";
}

EnumName match_enum(MatchKind k) {
  const std::string_view n = match_enum_name(k);
  int64_t v = 0;
  while (kMatchEnums[v] != n) ++v;
  return EnumName{std::string(n), v};
}

EnumName growth_enum(GrowthAlgo g) {
  static const char* names[] = {
      "GROWTH_ALGO_STICKY", "GROWTH_ALGO_LINEAR", "GROWTH_ALGO_REVERSE", "GROWTH_ALGO_RANDOM",
      "GROWTH_ALGO_TOPO", "GROWTH_ALGO_ROUND_ROBIN", "GROWTH_ALGO_BIG_LITTLE", "GROWTH_ALGO_LITTLE_BIG",
      "GROWTH_ALGO_NODE_SPREAD", "GROWTH_ALGO_NODE_SPREAD_REVERSE", "GROWTH_ALGO_NODE_SPREAD_RANDOM",
      "GROWTH_ALGO_CPUSET_SPREAD", "GROWTH_ALGO_CPUSET_SPREAD_REVERSE", "GROWTH_ALGO_CPUSET_SPREAD_RANDOM",
      "GROWTH_ALGO_RANDOM_TOPO", "GROWTH_ALGO_STICKY_DYNAMIC"};
  return EnumName{names[static_cast<int>(g)], static_cast<int64_t>(g)};  // declared in enum order
}

EnumName kind_enum(LayerKind k) {
  static const char* names[] = {"LAYER_KIND_OPEN", "LAYER_KIND_GROUPED", "LAYER_KIND_CONFINED"};
  return EnumName{names[static_cast<int>(k)], static_cast<int64_t>(k)};
}

EnumName place_enum(Placement p) {
  static const char* names[] = {"PLACEMENT_STD", "PLACEMENT_STICK", "PLACEMENT_FLOAT"};
  return EnumName{names[static_cast<int>(p)], static_cast<int64_t>(p)};
}

// The members of one layer_match for `m` (under `at`, "layers[0].matches[1].matches[2]").
void match_fields(const LayerMatch& m, const std::string& at, int* regex_id, std::vector<FieldWrite>* out) {
  auto put = [&](const char* member, FieldValue v) { out->push_back({at + "." + member, std::move(v)}); };
  const bool exclude = m.kind == MatchKind::CommPrefixExclude || m.kind == MatchKind::PcommPrefixExclude;
  put("exclude", int64_t{exclude});
  put("kind", match_enum(m.kind));
  switch (m.kind) {
    case MatchKind::CgroupPrefix: put("cgroup_prefix", m.text); break;
    case MatchKind::CgroupSuffix: put("cgroup_suffix", m.text); break;
    case MatchKind::CgroupContains: put("cgroup_substr", m.text); break;
    case MatchKind::CgroupRegex: put("cgroup_regex_id", int64_t{(*regex_id)++}); break;
    case MatchKind::CommPrefix: case MatchKind::CommPrefixExclude: case MatchKind::CmdJoin:
      put("comm_prefix", m.text);
      break;
    case MatchKind::PcommPrefix: case MatchKind::PcommPrefixExclude: put("pcomm_prefix", m.text); break;
    case MatchKind::NiceAbove: case MatchKind::NiceBelow: case MatchKind::NiceEquals: put("nice", m.a); break;
    case MatchKind::UIDEquals: put("user_id", m.a); break;
    case MatchKind::GIDEquals: put("group_id", m.a); break;
    case MatchKind::PIDEquals: put("pid", m.a); break;
    case MatchKind::PPIDEquals: put("ppid", m.a); break;
    case MatchKind::TGIDEquals: put("tgid", m.a); break;
    case MatchKind::NSPIDEquals: put("nsid", m.a); put("pid", m.b); break;
    case MatchKind::NSEquals: put("nsid", m.a); break;
    case MatchKind::IsGroupLeader: put("is_group_leader", int64_t{m.flag}); break;
    case MatchKind::IsKthread: put("is_kthread", int64_t{m.flag}); break;
    case MatchKind::UsedGpuTid: put("used_gpu_tid", int64_t{m.flag}); break;
    case MatchKind::UsedGpuPid: put("used_gpu_pid", int64_t{m.flag}); break;
    case MatchKind::AvgRuntime: put("min_avg_runtime_us", m.a); put("max_avg_runtime_us", m.b); break;
    case MatchKind::HintEquals: put("hint", m.a); break;
    case MatchKind::SystemCpuUtilBelow:
      put("system_cpu_util_below", static_cast<int64_t>(m.ratio * 10000.0));
      break;
    case MatchKind::DsqInsertBelow: put("dsq_insert_below", static_cast<int64_t>(m.ratio * 10000.0)); break;
    case MatchKind::NumaNode: put("numa_node_id", m.a); break;
  }
}

int64_t after_ns(uint64_t us) { return us == UINT64_MAX ? -1 : static_cast<int64_t>(us * 1000); }

// init_layers()'s policy members of layers[i].
void policy_fields(const LayerSpec& s, const Topology& topo, const std::string& at, std::vector<FieldWrite>* out) {
  auto put = [&](const char* member, FieldValue v) { out->push_back({at + "." + member, std::move(v)}); };
  const int64_t slice_ns = static_cast<int64_t>(s.slice_us * 1000);
  put("nr_match_ors", static_cast<int64_t>(s.matches.size()));
  put("kind", kind_enum(s.kind));
  put("slice_ns", slice_ns);
  put("fifo", int64_t{s.fifo});
  put("min_exec_ns", static_cast<int64_t>(s.min_exec_us * 1000));
  put("yield_step_ns", s.yield_ignore > 0.999   ? 0
                       : s.yield_ignore < 0.001 ? slice_ns
                                                : static_cast<int64_t>(static_cast<double>(slice_ns) * (1.0 - s.yield_ignore)));
  put("name", s.name);
  put("preempt", int64_t{s.preempt});
  put("preempt_first", int64_t{s.preempt_first});
  put("excl", int64_t{s.exclusive});
  put("skip_remote_node", int64_t{s.skip_remote_node});
  put("prev_over_idle_core", int64_t{s.prev_over_idle_core});
  put("growth_algo", growth_enum(s.growth_algo));
  put("weight", int64_t{s.weight});
  put("member_expire_ms", static_cast<int64_t>(s.member_expire_ms));
  put("disallow_open_after_ns", after_ns(s.disallow_open_after_us.value_or(0)));
  put("disallow_preempt_after_ns", after_ns(s.disallow_preempt_after_us.value_or(0)));
  put("xllc_mig_min_ns", static_cast<int64_t>(s.xllc_mig_min_us * 1000.0));
  put("perf", static_cast<int64_t>(s.perf));
  put("task_place", place_enum(s.placement));
  put("is_protected", int64_t{s.kind != LayerKind::Open && s.is_protected});
  put("idle_confined", int64_t{s.kind == LayerKind::Grouped && s.idle_confined});
  put("has_cpuset", int64_t{0});  // no template cpuset: every CPU
  put("cpuset", std::vector<int64_t>(512 / 8, 0xff));
  // 0f379644a only: allow_node_aligned, and the layer's node and LLC bitmaps.
  put("allow_node_aligned", int64_t{s.allow_node_aligned.value_or(false)});
  int64_t node_mask = 0, llc_mask = 0;
  for (uint64_t n : s.nodes) node_mask |= int64_t{1} << n;
  for (int n = 0; n < topo.nr_nodes(); ++n) {
    if (!s.nodes.empty() && std::find(s.nodes.begin(), s.nodes.end(), static_cast<uint64_t>(n)) == s.nodes.end())
      continue;
    for (int l = 0; l < topo.nr_llcs(); ++l)
      if (topo.cpu(topo.llc_cpus(l).first()).node == n) llc_mask |= int64_t{1} << l;
  }
  put("node_mask", node_mask);
  put("llc_mask", llc_mask);
}

void layer_fields(const LayerSpec& s, size_t i, const Topology& topo, int* regex_id, std::vector<FieldWrite>* out) {
  const std::string at = fmt::format("layers[{}]", i);
  for (size_t o = 0; o < s.matches.size(); ++o) {
    for (size_t a = 0; a < s.matches[o].size(); ++a)
      match_fields(s.matches[o][a], fmt::format("{}.matches[{}].matches[{}]", at, o, a), regex_id, out);
    out->push_back({fmt::format("{}.matches[{}].nr_match_ands", at, o), static_cast<int64_t>(s.matches[o].size())});
  }
  policy_fields(s, topo, at, out);
}

size_t count_if_spec(const std::vector<LayerSpec>& specs, LayerKind k, bool preempt) {
  return static_cast<size_t>(std::count_if(specs.begin(), specs.end(),
                                           [&](const LayerSpec& s) { return s.kind == k && s.preempt == preempt; }));
}

std::vector<int64_t> ids_of(const std::vector<LayerSpec>& specs, LayerKind k, bool preempt) {
  std::vector<int64_t> ids;
  for (size_t i = 0; i < specs.size(); ++i)
    if (specs[i].kind == k && specs[i].preempt == preempt) ids.push_back(static_cast<int64_t>(i));
  return ids;
}

// The .rodata scalars and arrays of init() and init_layers() / init_nodes().
void global_fields(const std::vector<LayerSpec>& specs, const Topology& topo, uint64_t slice_dfl_ns, int nr_regexes,
                   std::vector<FieldWrite>* out) {
  auto put = [&](std::string name, FieldValue v) { out->push_back({std::move(name), std::move(v)}); };
  put("nr_layers", static_cast<int64_t>(specs.size()));
  put("nr_op_layers", static_cast<int64_t>(count_if_spec(specs, LayerKind::Open, true)));
  put("nr_on_layers", static_cast<int64_t>(count_if_spec(specs, LayerKind::Open, false)));
  put("nr_gp_layers", static_cast<int64_t>(count_if_spec(specs, LayerKind::Grouped, true)));
  put("nr_gn_layers", static_cast<int64_t>(count_if_spec(specs, LayerKind::Grouped, false)));
  put("nr_excl_layers", static_cast<int64_t>(std::count_if(specs.begin(), specs.end(), [](auto& s) { return s.exclusive; })));
  // The minimum over open layers in µs, written as is into the _ns globals (as main.rs does).
  uint64_t min_open = UINT64_MAX, min_preempt = UINT64_MAX;
  for (const LayerSpec& s : specs) {
    if (s.kind != LayerKind::Open) continue;
    min_open = std::min(min_open, s.disallow_open_after_us.value_or(UINT64_MAX));
    min_preempt = std::min(min_preempt, s.disallow_preempt_after_us.value_or(UINT64_MAX));
  }
  put("min_open_layer_disallow_open_after_ns",
      static_cast<int64_t>(min_open == UINT64_MAX ? 2 * slice_dfl_ns / 1000 : min_open));
  put("min_open_layer_disallow_preempt_after_ns",
      static_cast<int64_t>(min_preempt == UINT64_MAX ? 4 * slice_dfl_ns / 1000 : min_preempt));
  std::vector<int64_t> order(specs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return specs[a].weight < specs[b].weight; });
  put("layer_iteration_order", order);
  put("nr_cgroup_regexes", int64_t{nr_regexes});
  put("nr_nodes", int64_t{topo.nr_nodes()});
  put("nr_llcs", int64_t{topo.nr_llcs()});
  for (int n = 0; n < topo.nr_nodes(); ++n) {
    std::vector<int64_t> words;
    for (int w = 0; w * 64 < topo.nr_cpus(); ++w) words.push_back(static_cast<int64_t>(topo.node_cpus(n).words()[w]));
    put(fmt::format("numa_cpumasks[{}]", n), words);
  }
  std::vector<int64_t> llc_node, cpu_llc;
  for (int l = 0; l < topo.nr_llcs(); ++l) llc_node.push_back(topo.cpu(topo.llc_cpus(l).first()).node);
  for (int c = 0; c < topo.nr_cpus(); ++c) cpu_llc.push_back(topo.cpu(c).llc);
  put("llc_numa_id_map", llc_node);
  put("cpu_llc_id_map", cpu_llc);
}

std::vector<int64_t> padded(std::vector<int64_t> v) {
  v.resize(kMaxLayers, kMaxLayersId);
  return v;
}

// init_cpus(): each CPU's cpu_ctx.
MapWrite cpu_ctx_write(const std::vector<LayerSpec>& specs, const Topology& topo, int cpu) {
  MapWrite w{"cpu_ctxs", 0, cpu, {}};
  auto put = [&](std::string path, FieldValue v) { w.fields.push_back({std::move(path), std::move(v)}); };
  put("cpu", int64_t{cpu});
  put("layer_id", kMaxLayersId);
  put("is_big", int64_t{0});  // CoreType::Big{turbo: true} only on hybrid machines with turbo cores
  const std::vector<int64_t> op = ids_of(specs, LayerKind::Open, true), on = ids_of(specs, LayerKind::Open, false),
                             gp = ids_of(specs, LayerKind::Grouped, true), gn = ids_of(specs, LayerKind::Grouped, false);
  FastRand rng(static_cast<uint64_t>(cpu));
  std::vector<int64_t> ogp = op, ogn = on;
  ogp.insert(ogp.end(), gp.begin(), gp.end());
  ogn.insert(ogn.end(), gn.begin(), gn.end());
  std::vector<std::pair<const char*, std::vector<int64_t>>> orders = {
      {"ogp_layer_order", ogp}, {"ogn_layer_order", ogn}, {"op_layer_order", op},
      {"on_layer_order", on},   {"gp_layer_order", gp},   {"gn_layer_order", gn}};
  for (auto& [name, v] : orders) {
    rng.shuffle(v);
    put(name, padded(v));
  }
  const CpuProximity p = cpu_proximity(topo, cpu);
  put("prox_map.cpus", std::vector<int64_t>(p.order.begin(), p.order.end()));
  put("prox_map.core_end", int64_t{p.core_end});
  put("prox_map.llc_end", int64_t{p.llc_end});
  put("prox_map.node_end", int64_t{p.node_end});
  put("prox_map.sys_end", int64_t{p.sys_end});
  return w;
}

// init_single_prox_map_per_llc(): proximity map `k` of LLC `llc` (0f379644a has one, `prox_map`,
// seeded as map 0 is).
void llc_prox_fields(const Topology& topo, int llc, uint32_t k, const std::string& at, std::vector<FieldWrite>* out) {
  const int node = topo.cpu(topo.llc_cpus(llc).first()).node;
  std::vector<int64_t> node_order, sys_order;
  for (int l = 0; l < topo.nr_llcs(); ++l) {
    const bool same_node = topo.cpu(topo.llc_cpus(l).first()).node == node;
    if (!same_node) sys_order.push_back(l);
    else if (l != llc) node_order.push_back(l);
  }
  FastRand rng((uint64_t{k} << 32) | static_cast<uint64_t>(llc));
  rng.shuffle(sys_order);
  rng.shuffle(node_order);
  std::vector<int64_t> order = {llc};
  order.insert(order.end(), node_order.begin(), node_order.end());
  const int64_t node_end = static_cast<int64_t>(order.size());
  order.insert(order.end(), sys_order.begin(), sys_order.end());
  out->push_back({at + ".llcs", order});
  out->push_back({at + ".node_end", node_end});
  out->push_back({at + ".sys_end", static_cast<int64_t>(order.size())});
}

MapWrite llc_ctx_write(const Topology& topo, int llc) {
  MapWrite w{"llc_data", static_cast<uint32_t>(llc), -1, {}};
  for (uint32_t k = 0; k < kNumProximityMaps; ++k) llc_prox_fields(topo, llc, k, fmt::format("prox_maps[{}]", k), &w.fields);
  llc_prox_fields(topo, llc, 0, "prox_map", &w.fields);
  return w;
}

// init_node_prox_map(): the other nodes by distance (7a58a3a1a).
MapWrite node_ctx_write(const Topology& topo, int node) {
  std::vector<int64_t> others;
  for (int n = 0; n < topo.nr_nodes(); ++n)
    if (n != node) others.push_back(n);
  std::stable_sort(others.begin(), others.end(),
                   [&](int64_t a, int64_t b) { return topo.node_distance(node, a) < topo.node_distance(node, b); });
  MapWrite w{"node_data", static_cast<uint32_t>(node), -1, {}};
  w.fields.push_back({"prox_map.nodes", others});
  w.fields.push_back({"prox_map.sys_end", static_cast<int64_t>(others.size())});
  return w;
}

// The hint map: HintEquals value → its layer and thresholds (u64::MAX = none).
void hint_writes(const std::vector<LayerSpec>& specs, std::vector<MapWrite>* out) {
  std::set<int64_t> seen;
  for (size_t i = 0; i < specs.size(); ++i)
    for (const auto& ands : specs[i].matches) {
      std::optional<int64_t> hint;
      int64_t util = -1, dsq = -1;
      for (const LayerMatch& m : ands) {
        if (m.kind == MatchKind::HintEquals) hint = m.a;
        if (m.kind == MatchKind::SystemCpuUtilBelow) util = static_cast<int64_t>(m.ratio * 10000.0);
        if (m.kind == MatchKind::DsqInsertBelow) dsq = static_cast<int64_t>(m.ratio * 10000.0);
      }
      if (!hint || !seen.insert(*hint).second) continue;
      out->push_back(MapWrite{"hint_to_layer_id_map", static_cast<uint32_t>(*hint), -1,
                              {{"layer_id", static_cast<int64_t>(i)},
                               {"system_cpu_util_below", util},
                               {"dsq_insert_below", dsq}}});
    }
}

// refresh_node_ctx(init = 1) per node, every layer empty (init_node_ctx).
ProgRun node_ctx_run(const Topology& topo, int node, size_t nr_layers) {
  std::vector<int64_t> empty(nr_layers), llcs;
  for (size_t i = 0; i < nr_layers; ++i) empty[i] = static_cast<int64_t>(i);
  for (int l = 0; l < topo.nr_llcs(); ++l)
    if (topo.cpu(topo.llc_cpus(l).first()).node == node) llcs.push_back(l);
  ProgRun r{"refresh_node_ctx", "refresh_node_ctx_arg", {}, fmt::format("refresh_node_ctx(node={}, init)", node)};
  r.fields = {{"node_id", int64_t{node}},
              {"init", int64_t{1}},
              {"nr_empty_layer_ids", static_cast<int64_t>(nr_layers)},
              {"empty_layer_ids", padded(empty)},
              {"llcs", llcs},
              {"nr_llcs", static_cast<int64_t>(llcs.size())}};
  return r;
}

}  // namespace

uint64_t FastRand::next() {
  s_ += 0xa0761d6478bd642full;
  const u128 t = static_cast<u128>(s_) * (s_ ^ 0xe7037ed1a0b428dbull);
  return static_cast<uint64_t>(t >> 64) ^ static_cast<uint64_t>(t);
}

uint64_t FastRand::below(uint64_t n) {
  uint64_t r = next();
  uint64_t hi = mul_high(r, n), lo = r * n;
  if (lo < n) {
    const uint64_t t = (0 - n) % n;
    while (lo < t) {
      r = next();
      hi = mul_high(r, n);
      lo = r * n;
    }
  }
  return hi;
}

bool topology_disabled(const Topology& topo) { return topo.nr_nodes() == 1 && topo.nr_llcs() == 1; }

Status check_specs_for_machine(const std::vector<LayerSpec>& specs, const Topology& topo, const std::string& origin) {
  int regexes = 0;
  for (size_t i = 0; i < specs.size(); ++i) {
    const LayerSpec& s = specs[i];
    const std::string at = fmt::format("{}: [{}] (layer '{}')", origin, i, s.name);
    for (auto [list, what, count] : {std::tuple{&s.nodes, "nodes", topo.nr_nodes()}, {&s.llcs, "llcs", topo.nr_llcs()}}) {
      std::set<uint64_t> seen;
      for (uint64_t id : *list) {
        if (topology_disabled(topo)) break;
        if (id >= static_cast<uint64_t>(count))
          return Status::Errorf(at, "{} references {} which does not exist (the machine has {})", what, id, count);
        if (!seen.insert(id).second) return Status::Errorf(at, "{} contains {} twice", what, id);
      }
    }
    const bool spread = s.growth_algo == GrowthAlgo::NodeSpread || s.growth_algo == GrowthAlgo::NodeSpreadReverse ||
                        s.growth_algo == GrowthAlgo::NodeSpreadRandom;
    for (const auto& ands : s.matches)
      for (const LayerMatch& m : ands) {
        if (m.kind == MatchKind::CgroupRegex && ++regexes > kMaxCgroupRegexes)
          return Status::Errorf(at, "too many cgroup regex rules (at most {})", kMaxCgroupRegexes);
        if (m.kind != MatchKind::NumaNode) continue;
        if (m.a >= topo.nr_nodes())
          return Status::Errorf(at, "NumaNode {} does not exist (nodes 0-{})", m.a, topo.nr_nodes() - 1);
        if (spread) return Status::Error(at, "a NumaNode match cannot be combined with a NodeSpread* growth algorithm");
      }
  }
  return Status();
}

CpuProximity cpu_proximity(const Topology& topo, int cpu) {
  const CpuInfo& me = topo.cpu(cpu);
  std::vector<int> core, llc, node, sys;
  for (int c = 0; c < topo.nr_cpus(); ++c) {
    const CpuInfo& o = topo.cpu(c);
    if (c == cpu) continue;
    if (o.core == me.core) core.push_back(c);
    else if (o.llc == me.llc) llc.push_back(c);
    else if (o.node == me.node) node.push_back(c);
    else sys.push_back(c);
  }
  // Radiate out from this CPU: nearest core index first, then nearest CPU id (stable sorts).
  auto by_core_then_id = [&](std::vector<int>& v) {
    std::stable_sort(v.begin(), v.end(), [&](int a, int b) {
      auto key = [&](int x) { return std::pair{std::abs(me.core - topo.cpu(x).core), std::abs(cpu - x)}; };
      return key(a) < key(b);
    });
  };
  by_core_then_id(sys);
  by_core_then_id(llc);
  by_core_then_id(core);
  // The node group is sorted by distance of CPU id to the node id (main.rs passes the node id).
  std::stable_sort(node.begin(), node.end(),
                   [&](int a, int b) { return std::abs(me.node - a) < std::abs(me.node - b); });
  CpuProximity p;
  p.order.push_back(cpu);
  p.order.insert(p.order.end(), core.begin(), core.end());
  p.core_end = static_cast<uint32_t>(p.order.size());
  p.order.insert(p.order.end(), llc.begin(), llc.end());
  p.llc_end = static_cast<uint32_t>(p.order.size());
  p.order.insert(p.order.end(), node.begin(), node.end());
  p.node_end = static_cast<uint32_t>(p.order.size());
  p.order.insert(p.order.end(), sys.begin(), sys.end());
  p.sys_end = static_cast<uint32_t>(p.order.size());
  return p;
}

LayeredSetup compute_setup(const std::vector<LayerSpec>& specs, const Topology& topo, uint64_t slice_dfl_ns) {
  LayeredSetup out;
  int regex_id = 0;
  for (size_t i = 0; i < specs.size(); ++i) layer_fields(specs[i], i, topo, &regex_id, &out.globals);
  global_fields(specs, topo, slice_dfl_ns, regex_id, &out.globals);
  hint_writes(specs, &out.maps);
  for (int c = 0; c < topo.nr_cpus(); ++c) out.maps.push_back(cpu_ctx_write(specs, topo, c));
  for (int l = 0; l < topo.nr_llcs(); ++l) out.maps.push_back(llc_ctx_write(topo, l));
  for (int n = 0; n < topo.nr_nodes(); ++n) out.maps.push_back(node_ctx_write(topo, n));
  for (int n = 0; n < topo.nr_nodes(); ++n) out.runs.push_back(node_ctx_run(topo, n, specs.size()));
  out.runs.push_back(ProgRun{"initialize_pid_namespace", "", {}, "initialize_pid_namespace"});
  return out;
}

}  // namespace scx::bpf::layered
