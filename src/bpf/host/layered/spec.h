// scx_layered's layer specs: the JSON a user gives scx_layered (a file or inline text, the
// `--run-example` built-in), parsed as its user space parses it (serde derives of LayerSpec,
// LayerMatch, LayerKind and LayerCommon in scheds/rust/scx_layered/src/config.rs), then given
// the defaults main() fills in (slice_us, weight, disallow_*_after_us) and checked as
// verify_layer_specs() checks them (scheds/rust/scx_layered/src/main.rs). Pure: no BPF object.
//
// As with serde, unknown keys are ignored and missing optional keys take their defaults. A
// template (cgroup-suffix layer expansion) finds no cgroups here (scxsim has no cgroupfs), so a
// templated spec stays one layer, as scx_layered does when no cgroup matches.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace scx::bpf::layered {

// Limits of the BPF side (src/bpf/intf.h `enum consts`, both commits).
inline constexpr int kMaxLayers = 16;
inline constexpr int kMaxLayerMatchOrs = 32;
inline constexpr int kNrLayerMatchKinds = 26;  // head; 0f379644a has fewer, checked against BTF
inline constexpr int kMaxComm = 16;
inline constexpr int kMaxPath = 4096;
inline constexpr int kMaxCgroupRegexes = 16;
inline constexpr uint32_t kMinLayerWeight = 1, kMaxLayerWeight = 10000, kDefaultLayerWeight = 100;

// LayerMatch's variants, spelled as in the JSON.
enum class MatchKind {
  CgroupPrefix, CgroupSuffix, CgroupContains, CgroupRegex, CommPrefix, CommPrefixExclude, PcommPrefix,
  PcommPrefixExclude, NiceAbove, NiceBelow, NiceEquals, UIDEquals, GIDEquals, PIDEquals, PPIDEquals,
  TGIDEquals, NSPIDEquals, NSEquals, CmdJoin, IsGroupLeader, IsKthread, UsedGpuTid, UsedGpuPid, AvgRuntime,
  HintEquals, SystemCpuUtilBelow, DsqInsertBelow, NumaNode,
};
std::string_view match_kind_name(MatchKind k);

struct LayerMatch {
  MatchKind kind = MatchKind::CommPrefix;
  std::string text;       // the string argument (prefixes, regex, CmdJoin's command)
  int64_t a = 0, b = 0;   // integer arguments: nice/ids/hint/node; NSPIDEquals (nsid, pid);
                          // AvgRuntime (min, max)
  double ratio = 0;       // SystemCpuUtilBelow, DsqInsertBelow
  bool flag = false;      // IsGroupLeader, IsKthread, UsedGpuTid, UsedGpuPid
};

enum class LayerKind { Open, Grouped, Confined };  // the BPF enum values are Open 0, Grouped 1, Confined 2

// LayerGrowthAlgo in declaration order: its index is the BPF enum layer_growth_algo value.
enum class GrowthAlgo {
  Sticky, Linear, Reverse, Random, Topo, RoundRobin, BigLittle, LittleBig, NodeSpread, NodeSpreadReverse,
  NodeSpreadRandom, CpuSetSpread, CpuSetSpreadReverse, CpuSetSpreadRandom, RandomTopo, StickyDynamic,
};
enum class Placement { Standard, Sticky, Floating };

struct LayerSpec {
  std::string name, comment;
  std::vector<std::vector<LayerMatch>> matches;  // OR of ANDs
  std::optional<LayerMatch> template_match;
  LayerKind kind = LayerKind::Open;
  // Confined / Grouped
  std::pair<double, double> util_range{0, 0};
  std::optional<std::pair<uint64_t, uint64_t>> cpus_range;
  std::optional<std::pair<double, double>> cpus_range_frac;
  std::optional<double> membw_gb;
  bool is_protected = false;
  bool util_includes_open_cputime = false;  // Grouped
  bool idle_confined = false;               // Grouped
  // LayerCommon
  uint64_t min_exec_us = 0;
  double yield_ignore = 0;
  uint64_t slice_us = 0;
  bool fifo = false, preempt = false, preempt_first = false, exclusive = false;
  std::optional<bool> allow_node_aligned;
  bool skip_remote_node = false, prev_over_idle_core = false;
  uint32_t weight = 0;
  std::optional<uint64_t> disallow_open_after_us, disallow_preempt_after_us;
  double xllc_mig_min_us = 0;
  GrowthAlgo growth_algo = GrowthAlgo::Sticky;
  uint64_t util_peak_half_life_ms = 0;
  uint64_t perf = 0;
  std::optional<uint32_t> idle_resume_us;
  std::vector<uint64_t> nodes, llcs;
  Placement placement = Placement::Standard;
  uint64_t member_expire_ms = 0;
  std::pair<double, double> xnuma_threshold{0.6, 0.7}, xnuma_threshold_delta{0.2, 0.3};
};

// Parses a layer config (a JSON array of specs). `origin` names the source in errors, which
// say where: "FILE: [1].kind.Confined.util_range: expected [number, number]", or "FILE: line
// L, column C: ..." for JSON syntax.
Result<std::vector<LayerSpec>> parse_layer_specs(std::string_view json_text, const std::string& origin);
Result<std::vector<LayerSpec>> load_layer_spec_file(const std::string& path);

// The spec `scx_layered --run-example` runs (EXAMPLE_CONFIG in main.rs; the same four layers at
// 7a58a3a1a and 0f379644a).
std::string_view example_spec_json();

// main()'s defaults: slice_us 0 → `default_slice_us` (-s), weight 0 → 100 then clamped to
// [1, 10000], a preempting layer's disallow_*_after_us → u64::MAX, others' unset ones →
// 2 × / 4 × SCX_SLICE_DFL in µs (`slice_dfl_ns`).
void apply_spec_defaults(std::vector<LayerSpec>* specs, uint64_t default_slice_us, uint64_t slice_dfl_ns);

// verify_layer_specs(): 1..16 layers, only the last with one empty match block, limits of the
// BPF match arrays and strings, HintEquals rules, cpus_range and util_range order.
Status verify_layer_specs(const std::vector<LayerSpec>& specs, const std::string& origin);

}  // namespace scx::bpf::layered
