// Parsing and checking of scx_layered layer specs (see spec.h; the format is the serde form of
// scheds/rust/scx_layered/src/config.rs, the defaults and checks those of main.rs).
#include "bpf/host/layered/spec.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "base/json_parse.h"

namespace scx::bpf::layered {

using json = nlohmann::json;

namespace {

constexpr std::array<std::string_view, 28> kMatchNames = {
    "CgroupPrefix", "CgroupSuffix", "CgroupContains", "CgroupRegex", "CommPrefix", "CommPrefixExclude",
    "PcommPrefix", "PcommPrefixExclude", "NiceAbove", "NiceBelow", "NiceEquals", "UIDEquals", "GIDEquals",
    "PIDEquals", "PPIDEquals", "TGIDEquals", "NSPIDEquals", "NSEquals", "CmdJoin", "IsGroupLeader", "IsKthread",
    "UsedGpuTid", "UsedGpuPid", "AvgRuntime", "HintEquals", "SystemCpuUtilBelow", "DsqInsertBelow", "NumaNode"};

constexpr std::array<std::string_view, 16> kGrowthNames = {
    "Sticky", "Linear", "Reverse", "Random", "Topo", "RoundRobin", "BigLittle", "LittleBig", "NodeSpread",
    "NodeSpreadReverse", "NodeSpreadRandom", "CpuSetSpread", "CpuSetSpreadReverse", "CpuSetSpreadRandom",
    "RandomTopo", "StickyDynamic"};

// Walks the JSON keeping the place for errors ("[1].kind.Confined.slice_us").
class Reader {
 public:
  explicit Reader(std::string origin) : origin_(std::move(origin)) {}

  Status err(const std::string& at, const std::string& why) const {
    return Status::Errorf(origin_, "{}: {}", at, why);
  }
  Result<uint64_t> u64(const json& v, const std::string& at, uint64_t max = UINT64_MAX) const {
    if (!v.is_number_integer() || (v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() < 0))
      return err(at, "expected a non-negative integer");
    const uint64_t x = v.get<uint64_t>();
    if (x > max) return err(at, fmt::format("{} is larger than {}", x, max));
    return x;
  }
  Result<int64_t> i32(const json& v, const std::string& at) const {
    if (!v.is_number_integer()) return err(at, "expected an integer");
    const int64_t x = v.is_number_unsigned() ? static_cast<int64_t>(std::min<uint64_t>(v.get<uint64_t>(), INT64_MAX))
                                             : v.get<int64_t>();
    if (x < INT32_MIN || x > INT32_MAX) return err(at, fmt::format("{} does not fit an i32", x));
    return x;
  }
  Result<double> f64(const json& v, const std::string& at) const {
    if (!v.is_number()) return err(at, "expected a number");
    return v.get<double>();
  }
  Result<bool> boolean(const json& v, const std::string& at) const {
    if (!v.is_boolean()) return err(at, "expected true or false");
    return v.get<bool>();
  }
  Result<std::string> str(const json& v, const std::string& at) const {
    if (!v.is_string()) return err(at, "expected a string");
    return v.get<std::string>();
  }
  Result<std::pair<double, double>> f64_pair(const json& v, const std::string& at) const {
    if (!v.is_array() || v.size() != 2 || !v[0].is_number() || !v[1].is_number())
      return err(at, "expected [number, number]");
    return std::pair{v[0].get<double>(), v[1].get<double>()};
  }
  Result<std::pair<uint64_t, uint64_t>> u64_pair(const json& v, const std::string& at) const {
    if (!v.is_array() || v.size() != 2) return err(at, "expected [integer, integer]");
    SCX_ASSIGN_OR_RETURN(uint64_t a, u64(v[0], at + "[0]"));
    SCX_ASSIGN_OR_RETURN(uint64_t b, u64(v[1], at + "[1]"));
    return std::pair{a, b};
  }
  Result<std::vector<uint64_t>> u64_list(const json& v, const std::string& at) const {
    if (!v.is_array()) return err(at, "expected a list of integers");
    std::vector<uint64_t> out;
    for (size_t i = 0; i < v.size(); ++i) {
      SCX_ASSIGN_OR_RETURN(uint64_t x, u64(v[i], fmt::format("{}[{}]", at, i)));
      out.push_back(x);
    }
    return out;
  }

  Result<LayerMatch> match(const json& v, const std::string& at) const;
  Status common(const json& k, const std::string& at, LayerSpec* s) const;
  Status kind(const json& v, const std::string& at, LayerSpec* s) const;
  Result<LayerSpec> spec(const json& v, const std::string& at) const;

 private:
  Status match_arg(const json& arg, const std::string& at, LayerMatch* m) const;
  std::string origin_;
};

Status Reader::match_arg(const json& arg, const std::string& at, LayerMatch* m) const {
  switch (m->kind) {
    case MatchKind::CgroupPrefix: case MatchKind::CgroupSuffix: case MatchKind::CgroupContains:
    case MatchKind::CgroupRegex: case MatchKind::CommPrefix: case MatchKind::CommPrefixExclude:
    case MatchKind::PcommPrefix: case MatchKind::PcommPrefixExclude: case MatchKind::CmdJoin: {
      SCX_ASSIGN_OR_RETURN(m->text, str(arg, at));
      return Status();
    }
    case MatchKind::NiceAbove: case MatchKind::NiceBelow: case MatchKind::NiceEquals: {
      SCX_ASSIGN_OR_RETURN(m->a, i32(arg, at));
      return Status();
    }
    case MatchKind::UIDEquals: case MatchKind::GIDEquals: case MatchKind::PIDEquals: case MatchKind::PPIDEquals:
    case MatchKind::TGIDEquals: case MatchKind::NSEquals: case MatchKind::NumaNode: {
      SCX_ASSIGN_OR_RETURN(uint64_t x, u64(arg, at, UINT32_MAX));
      m->a = static_cast<int64_t>(x);
      return Status();
    }
    case MatchKind::HintEquals: {
      SCX_ASSIGN_OR_RETURN(uint64_t x, u64(arg, at));
      m->a = static_cast<int64_t>(x);
      return Status();
    }
    case MatchKind::NSPIDEquals: case MatchKind::AvgRuntime: {
      SCX_ASSIGN_OR_RETURN(auto p, u64_pair(arg, at));
      if (m->kind == MatchKind::NSPIDEquals && p.second > UINT32_MAX) return err(at + "[1]", "does not fit a u32");
      m->a = static_cast<int64_t>(p.first);
      m->b = static_cast<int64_t>(p.second);
      return Status();
    }
    case MatchKind::IsGroupLeader: case MatchKind::IsKthread: case MatchKind::UsedGpuTid:
    case MatchKind::UsedGpuPid: {
      SCX_ASSIGN_OR_RETURN(m->flag, boolean(arg, at));
      return Status();
    }
    case MatchKind::SystemCpuUtilBelow: case MatchKind::DsqInsertBelow: {
      SCX_ASSIGN_OR_RETURN(m->ratio, f64(arg, at));
      return Status();
    }
  }
  return Status();
}

Result<LayerMatch> Reader::match(const json& v, const std::string& at) const {
  if (!v.is_object() || v.size() != 1) return err(at, "expected one {\"MatchKind\": argument}");
  const std::string name = v.begin().key();
  LayerMatch m;
  size_t k = 0;
  while (k < kMatchNames.size() && kMatchNames[k] != name) ++k;
  if (k == kMatchNames.size()) return err(at, fmt::format("unknown match '{}'", name));
  m.kind = static_cast<MatchKind>(k);
  SCX_RETURN_IF_ERROR(match_arg(v.begin().value(), at + "." + name, &m));
  return m;
}

// Optional members of LayerCommon; absent ones keep the serde defaults.
Status Reader::common(const json& k, const std::string& at, LayerSpec* s) const {
  auto has = [&](const char* n) { return k.contains(n) && !k[n].is_null(); };
  auto place = [&](const char* n) { return at + "." + n; };
  for (auto [n, dst] : {std::pair{"min_exec_us", &s->min_exec_us}, {"slice_us", &s->slice_us},
                        {"util_peak_half_life_ms", &s->util_peak_half_life_ms}, {"perf", &s->perf},
                        {"member_expire_ms", &s->member_expire_ms}})
    if (has(n)) { SCX_ASSIGN_OR_RETURN(*dst, u64(k[n], place(n))); }
  for (auto [n, dst] : {std::pair{"fifo", &s->fifo}, {"preempt", &s->preempt}, {"preempt_first", &s->preempt_first},
                        {"exclusive", &s->exclusive}, {"skip_remote_node", &s->skip_remote_node},
                        {"prev_over_idle_core", &s->prev_over_idle_core}})
    if (has(n)) { SCX_ASSIGN_OR_RETURN(*dst, boolean(k[n], place(n))); }
  for (auto [n, dst] : {std::pair{"yield_ignore", &s->yield_ignore}, {"xllc_mig_min_us", &s->xllc_mig_min_us}})
    if (has(n)) { SCX_ASSIGN_OR_RETURN(*dst, f64(k[n], place(n))); }
  for (auto [n, dst] : {std::pair{"disallow_open_after_us", &s->disallow_open_after_us},
                        {"disallow_preempt_after_us", &s->disallow_preempt_after_us}})
    if (has(n)) { SCX_ASSIGN_OR_RETURN(*dst, u64(k[n], place(n))); }
  for (auto [n, dst] : {std::pair{"nodes", &s->nodes}, {"llcs", &s->llcs}})
    if (has(n)) { SCX_ASSIGN_OR_RETURN(*dst, u64_list(k[n], place(n))); }
  for (auto [n, dst] : {std::pair{"xnuma_threshold", &s->xnuma_threshold},
                        {"xnuma_threshold_delta", &s->xnuma_threshold_delta}})
    if (has(n)) { SCX_ASSIGN_OR_RETURN(*dst, f64_pair(k[n], place(n))); }
  if (has("allow_node_aligned")) { SCX_ASSIGN_OR_RETURN(s->allow_node_aligned, boolean(k["allow_node_aligned"], place("allow_node_aligned"))); }
  if (has("weight")) {
    SCX_ASSIGN_OR_RETURN(uint64_t w, u64(k["weight"], place("weight"), UINT32_MAX));
    s->weight = static_cast<uint32_t>(w);
  }
  if (has("idle_resume_us")) {
    SCX_ASSIGN_OR_RETURN(uint64_t us, u64(k["idle_resume_us"], place("idle_resume_us"), UINT32_MAX));
    s->idle_resume_us = static_cast<uint32_t>(us);
  }
  if (has("growth_algo")) {
    SCX_ASSIGN_OR_RETURN(std::string g, str(k["growth_algo"], place("growth_algo")));
    size_t i = 0;
    while (i < kGrowthNames.size() && kGrowthNames[i] != g) ++i;
    if (i == kGrowthNames.size()) return err(place("growth_algo"), fmt::format("unknown growth algorithm '{}'", g));
    s->growth_algo = static_cast<GrowthAlgo>(i);
  }
  if (has("placement")) {
    SCX_ASSIGN_OR_RETURN(std::string p, str(k["placement"], place("placement")));
    if (p == "Standard") s->placement = Placement::Standard;
    else if (p == "Sticky") s->placement = Placement::Sticky;
    else if (p == "Floating") s->placement = Placement::Floating;
    else return err(place("placement"), fmt::format("unknown placement '{}' (Standard, Sticky, Floating)", p));
  }
  return Status();
}

Status Reader::kind(const json& v, const std::string& at, LayerSpec* s) const {
  if (!v.is_object() || v.size() != 1 || !v.begin().value().is_object())
    return err(at, "expected {\"Confined\" | \"Grouped\" | \"Open\": {...}}");
  const std::string name = v.begin().key();
  const json& k = v.begin().value();
  const std::string here = at + "." + name;
  if (name == "Open") s->kind = LayerKind::Open;
  else if (name == "Grouped") s->kind = LayerKind::Grouped;
  else if (name == "Confined") s->kind = LayerKind::Confined;
  else return err(at, fmt::format("unknown layer kind '{}' (Confined, Grouped, Open)", name));
  if (s->kind != LayerKind::Open) {
    if (!k.contains("util_range")) return err(here, "missing util_range");
    SCX_ASSIGN_OR_RETURN(s->util_range, f64_pair(k["util_range"], here + ".util_range"));
    if (k.contains("cpus_range") && !k["cpus_range"].is_null()) { SCX_ASSIGN_OR_RETURN(s->cpus_range, u64_pair(k["cpus_range"], here + ".cpus_range")); }
    if (k.contains("cpus_range_frac") && !k["cpus_range_frac"].is_null()) { SCX_ASSIGN_OR_RETURN(s->cpus_range_frac, f64_pair(k["cpus_range_frac"], here + ".cpus_range_frac")); }
    if (k.contains("membw_gb") && !k["membw_gb"].is_null()) { SCX_ASSIGN_OR_RETURN(s->membw_gb, f64(k["membw_gb"], here + ".membw_gb")); }
    if (k.contains("protected")) { SCX_ASSIGN_OR_RETURN(s->is_protected, boolean(k["protected"], here + ".protected")); }
  }
  if (s->kind == LayerKind::Grouped) {
    if (k.contains("util_includes_open_cputime")) { SCX_ASSIGN_OR_RETURN(s->util_includes_open_cputime,
                           boolean(k["util_includes_open_cputime"], here + ".util_includes_open_cputime")); }
    if (k.contains("idle_confined")) { SCX_ASSIGN_OR_RETURN(s->idle_confined, boolean(k["idle_confined"], here + ".idle_confined")); }
  }
  return common(k, here, s);
}

Result<LayerSpec> Reader::spec(const json& v, const std::string& at) const {
  if (!v.is_object()) return err(at, "expected a layer spec object");
  LayerSpec s;
  for (const char* req : {"name", "matches", "kind"})
    if (!v.contains(req)) return err(at, fmt::format("missing '{}'", req));
  SCX_ASSIGN_OR_RETURN(s.name, str(v["name"], at + ".name"));
  if (v.contains("comment") && !v["comment"].is_null()) { SCX_ASSIGN_OR_RETURN(s.comment, str(v["comment"], at + ".comment")); }
  if (v.contains("template") && !v["template"].is_null()) { SCX_ASSIGN_OR_RETURN(s.template_match, match(v["template"], at + ".template")); }
  const json& ors = v["matches"];
  if (!ors.is_array()) return err(at + ".matches", "expected a list of lists of matches");
  for (size_t o = 0; o < ors.size(); ++o) {
    const std::string oat = fmt::format("{}.matches[{}]", at, o);
    if (!ors[o].is_array()) return err(oat, "expected a list of matches");
    std::vector<LayerMatch> ands;
    for (size_t a = 0; a < ors[o].size(); ++a) {
      SCX_ASSIGN_OR_RETURN(LayerMatch m, match(ors[o][a], fmt::format("{}[{}]", oat, a)));
      ands.push_back(std::move(m));
    }
    s.matches.push_back(std::move(ands));
  }
  SCX_RETURN_IF_ERROR(kind(v["kind"], at + ".kind", &s));
  return s;
}

// "line L, column C" of byte offset `pos` in `text`.
std::string line_col(std::string_view text, size_t pos) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < pos && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return fmt::format("line {}, column {}", line, col);
}

}  // namespace

std::string_view match_kind_name(MatchKind k) { return kMatchNames[static_cast<size_t>(k)]; }

Result<std::vector<LayerSpec>> parse_layer_specs(std::string_view text, const std::string& origin) {
  json j;
  if (auto e = parse_json(text, &j)) {
    std::string why = e->number_out_of_range ? e->reason : e->what;
    if (const size_t p = why.find("parse error"); p != std::string::npos) why = why.substr(p);
    return Status::Errorf(origin, "{}: not valid JSON ({})", line_col(text, e->byte ? e->byte - 1 : 0), why);
  }
  if (!j.is_array()) return Status::Error(origin, "a layer config is a JSON list of layer specs");
  Reader r(origin);
  std::vector<LayerSpec> specs;
  for (size_t i = 0; i < j.size(); ++i) {
    SCX_ASSIGN_OR_RETURN(LayerSpec s, r.spec(j[i], fmt::format("[{}]", i)));
    specs.push_back(std::move(s));
  }
  return specs;
}

Result<std::vector<LayerSpec>> load_layer_spec_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(path, "cannot open the layer spec file");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_layer_specs(text, path);
}

std::string_view example_spec_json() {
  // EXAMPLE_CONFIG of scx_layered's main.rs, written out as its JSON (four layers: batch, immediate,
  // stress-ng, normal).
  return R"([
  {"name": "batch", "comment": "tasks under system.slice or tasks with nice value > 0",
   "matches": [[{"CgroupPrefix": "system.slice/"}], [{"NiceAbove": 0}]],
   "kind": {"Confined": {"util_range": [0.8, 0.9], "cpus_range": [0, 16], "min_exec_us": 1000,
                         "slice_us": 20000, "weight": 100, "xllc_mig_min_us": 1000.0, "perf": 1024}}},
  {"name": "immediate", "comment": "tasks under workload.slice with nice value < 0",
   "matches": [[{"CgroupPrefix": "workload.slice/"}, {"NiceBelow": 0}]],
   "kind": {"Open": {"min_exec_us": 100, "yield_ignore": 0.25, "slice_us": 20000, "preempt": true,
                     "exclusive": true, "prev_over_idle_core": true, "weight": 100, "perf": 1024}}},
  {"name": "stress-ng", "comment": "stress-ng test layer",
   "matches": [[{"CommPrefix": "stress-ng"}], [{"PcommPrefix": "stress-ng"}]],
   "kind": {"Confined": {"util_range": [0.2, 0.8], "min_exec_us": 800, "preempt": true, "slice_us": 800,
                         "weight": 100, "growth_algo": "Topo", "perf": 1024}}},
  {"name": "normal", "comment": "the rest", "matches": [[]],
   "kind": {"Grouped": {"util_range": [0.5, 0.6], "util_includes_open_cputime": true, "min_exec_us": 200,
                        "slice_us": 20000, "weight": 100, "xllc_mig_min_us": 100.0, "growth_algo": "Linear",
                        "perf": 1024}}}
])";
}

void apply_spec_defaults(std::vector<LayerSpec>* specs, uint64_t default_slice_us, uint64_t slice_dfl_ns) {
  for (LayerSpec& s : *specs) {
    if (s.slice_us == 0) s.slice_us = default_slice_us;
    if (s.weight == 0) s.weight = kDefaultLayerWeight;
    s.weight = std::clamp(s.weight, kMinLayerWeight, kMaxLayerWeight);
    if (s.preempt) {
      s.disallow_open_after_us = UINT64_MAX;
      s.disallow_preempt_after_us = UINT64_MAX;
      continue;
    }
    if (!s.disallow_open_after_us) s.disallow_open_after_us = 2 * slice_dfl_ns / 1000;
    if (!s.disallow_preempt_after_us) s.disallow_preempt_after_us = 4 * slice_dfl_ns / 1000;
  }
}

namespace {

// The HintEquals rules of one AND block; *hint is its HintEquals value, if any.
Status check_hint_block(const std::vector<LayerMatch>& ands, const std::string& fail_at,
                        std::optional<int64_t>* hint) {
  int hints = 0, util_below = 0, dsq_below = 0;
  for (const LayerMatch& m : ands) {
    if (m.kind == MatchKind::HintEquals) {
      ++hints;
      *hint = m.a;
    }
    util_below += m.kind == MatchKind::SystemCpuUtilBelow;
    dsq_below += m.kind == MatchKind::DsqInsertBelow;
  }
  auto fail = [&](const char* why) { return Status::Error(fail_at, why); };
  if (hints > 1) return fail("only 1 HintEquals match permitted per AND block");
  if (util_below + dsq_below > 0) {
    if (hints != 1) return fail("high-frequency matchers (SystemCpuUtilBelow, DsqInsertBelow) must be used with one HintEquals");
    if (util_below > 1) return fail("only 1 SystemCpuUtilBelow match permitted per AND block");
    if (dsq_below > 1) return fail("only 1 DsqInsertBelow match permitted per AND block");
    if (static_cast<int>(ands.size()) != hints + util_below + dsq_below)
      return fail("high-frequency matchers must be used only with HintEquals (no other matchers)");
  } else if (hints == 1 && ands.size() != 1) {
    return fail("HintEquals match cannot be in conjunction with other matches");
  }
  return Status();
}

Status check_match_values(const LayerMatch& m, const std::string& at) {
  auto too_long = [&](size_t max, const char* what) -> Status {
    if (m.text.size() > max) return Status::Errorf(at, "too long a {} ({} > {})", what, m.text.size(), max);
    return Status();
  };
  switch (m.kind) {
    case MatchKind::CgroupPrefix: return too_long(kMaxPath, "cgroup prefix");
    case MatchKind::CgroupSuffix: return too_long(kMaxPath, "cgroup suffix");
    case MatchKind::CgroupContains: return too_long(kMaxPath, "cgroup substr");
    case MatchKind::CommPrefix: return too_long(kMaxComm, "comm prefix");
    case MatchKind::PcommPrefix: return too_long(kMaxComm, "process name prefix");
    case MatchKind::SystemCpuUtilBelow: case MatchKind::DsqInsertBelow:
      if (m.ratio < 0 || m.ratio > 1) return Status::Errorf(at, "{} threshold outside [0.0, 1.0]", match_kind_name(m.kind));
      return Status();
    case MatchKind::HintEquals:
      if (m.a > 1024) return Status::Error(at, "hint value outside [0, 1024]");
      return Status();
    default: return Status();
  }
}

Status check_kind(const LayerSpec& s, const std::string& at) {
  if (s.kind == LayerKind::Open) return Status();
  if (s.cpus_range && s.cpus_range->first > s.cpus_range->second)
    return Status::Errorf(at, "invalid cpus_range ({}, {})", s.cpus_range->first, s.cpus_range->second);
  if (s.util_range.first >= s.util_range.second)
    return Status::Errorf(at, "invalid util_range ({}, {})", s.util_range.first, s.util_range.second);
  return Status();
}

}  // namespace

Status verify_layer_specs(const std::vector<LayerSpec>& specs, const std::string& origin) {
  if (specs.empty()) return Status::Error(origin, "no layer spec");
  if (specs.size() > static_cast<size_t>(kMaxLayers))
    return Status::Errorf(origin, "too many layer specs ({} > {})", specs.size(), kMaxLayers);
  std::map<int64_t, size_t> hint_owner;
  for (size_t i = 0; i < specs.size(); ++i) {
    const LayerSpec& s = specs[i];
    const std::string at = fmt::format("{}: [{}] (layer '{}')", origin, i, s.name);
    const bool last = i + 1 == specs.size();
    if (!last && s.matches.empty()) return Status::Error(at, "a non-terminal spec has no matches");
    if (last && (s.matches.size() != 1 || !s.matches[0].empty()))
      return Status::Error(at, "the terminal spec must have one empty match block ([[]])");
    if (s.matches.size() > static_cast<size_t>(kMaxLayerMatchOrs))
      return Status::Errorf(at, "too many ({}) OR match blocks", s.matches.size());
    for (size_t o = 0; o < s.matches.size(); ++o) {
      const std::string oat = fmt::format("{}.matches[{}]", at, o);
      if (s.matches[o].size() > static_cast<size_t>(kNrLayerMatchKinds))
        return Status::Errorf(oat, "too many ({}) match conditions", s.matches[o].size());
      for (const LayerMatch& m : s.matches[o]) SCX_RETURN_IF_ERROR(check_match_values(m, oat));
      std::optional<int64_t> hint;
      SCX_RETURN_IF_ERROR(check_hint_block(s.matches[o], oat, &hint));
      if (!hint) continue;
      auto [it, fresh] = hint_owner.emplace(*hint, i);
      if (!fresh && it->second != i)
        return Status::Errorf(oat, "hint value {} is already mapped to layer '{}'", *hint, specs[it->second].name);
    }
    SCX_RETURN_IF_ERROR(check_kind(s, at));
  }
  return Status();
}

}  // namespace scx::bpf::layered
