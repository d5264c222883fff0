#include "bpf/loader/inspect.h"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

namespace scx::bpf {
namespace {

const char* extern_kind(ExternKind k) {
  switch (k) {
    case ExternKind::kKfunc: return "kfunc";
    case ExternKind::kKsym: return "ksym";
    case ExternKind::kKconfig: return "kconfig";
  }
  return "?";
}

std::string basename(const std::string& p) {
  size_t s = p.rfind('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

}  // namespace

std::string decode_ops_flags(uint64_t flags) {
  static const std::pair<uint64_t, const char*> kFlags[] = {
      {1ULL << 0, "KEEP_BUILTIN_IDLE"}, {1ULL << 1, "ENQ_LAST"},       {1ULL << 2, "ENQ_EXITING"},
      {1ULL << 3, "SWITCH_PARTIAL"},    {1ULL << 4, "ENQ_MIGRATION_DISABLED"},
      {1ULL << 5, "ALLOW_QUEUED_WAKEUP"}, {1ULL << 6, "BUILTIN_IDLE_PER_NODE"},
      {1ULL << 16, "HAS_CGROUP_WEIGHT"}};
  if (!flags) return "0";
  std::string out;
  for (auto [bit, name] : kFlags)
    if (flags & bit) {
      out += out.empty() ? "" : "|";
      out += name;
      flags &= ~bit;
    }
  if (flags) out += fmt::format("{}{:#x}", out.empty() ? "" : "|", flags);
  return out;
}

std::string inspect_text(const BpfObject& obj) {
  std::string o;
  o += fmt::format("object: {}\n", basename(obj.path()));
  o += fmt::format("license: {}\n", obj.license().empty() ? "(none)" : obj.license());
  if (const auto& so = obj.struct_ops()) {
    o += fmt::format("ops: {} (struct_ops '{}', section {})\n", so->name, so->var_name, so->section);
    o += fmt::format("  flags: {:#x} ({})\n", so->flags, decode_ops_flags(so->flags));
    o += fmt::format("  timeout_ms: {}{}\n", so->timeout_ms, so->timeout_ms ? "" : " (default 30000)");
    o += fmt::format("  dispatch_max_batch: {}{}\n", so->dispatch_max_batch, so->dispatch_max_batch ? "" : " (default 32)");
    o += fmt::format("  exit_dump_len: {}{}\n", so->exit_dump_len, so->exit_dump_len ? "" : " (default 32768)");
    o += fmt::format("  hotplug_seq: {}\n", so->hotplug_seq);
    o += "  callbacks:\n";
    for (const auto& cb : so->callbacks) {
      const BpfProgram& p = obj.programs()[cb.program];
      o += fmt::format("    {:<20} {}{}\n", cb.member, p.name, p.sleepable ? " (sleepable)" : "");
    }
  } else {
    o += "ops: none (no struct_ops map)\n";
  }
  o += "programs:\n";
  for (const BpfProgram& p : obj.programs())
    o += fmt::format("  {:<24} {:<32} {:>5} insns ({} linked){}{}\n", p.name, p.section, p.own_insns,
                     p.program->size(), p.source_file.empty() ? "" : "  " + basename(p.source_file),
                     p.sleepable ? "  sleepable" : "");
  o += "maps:\n";
  for (const BpfMapInfo& m : obj.maps()) {
    if (!m.map) {
      o += fmt::format("  {:<24} (unsupported)\n", m.name);
      continue;
    }
    const MapSpec& s = m.map->spec();
    o += fmt::format("  {:<24} {:<16} key {:>3}  value {:>5}  max_entries {}{}\n", m.name, map_type_name(s.type),
                     s.key_size, s.value_size, s.max_entries, s.read_only ? "  read-only" : "");
  }
  o += "globals:\n";
  for (const GlobalVar& g : obj.globals())
    o += fmt::format("  {:<24} {:<16} {:>5} bytes  {}{}\n", g.name, g.section, g.size, g.type.empty() ? "?" : g.type,
                     g.read_only && g.settable ? "  (settable with --set)" : "");
  o += "externs:\n";
  for (const ExternInfo& e : obj.externs()) {
    std::string state = e.resolved ? (e.kind == ExternKind::kKconfig ? fmt::format("= {}", e.value) : "provided")
                                   : "not provided";
    o += fmt::format("  {:<8} {:<40} {}{}\n", extern_kind(e.kind), e.name, state, e.weak ? " (weak)" : "");
  }
  if (obj.unsupported().empty()) {
    o += "unsupported: none\n";
  } else {
    o += "unsupported:\n";
    for (const std::string& u : obj.unsupported()) o += "  " + u + "\n";
  }
  return o;
}

std::string inspect_json(const BpfObject& obj) {
  using json = nlohmann::ordered_json;
  json j;
  j["object"] = basename(obj.path());
  j["license"] = obj.license();
  if (const auto& so = obj.struct_ops()) {
    json ops;
    ops["name"] = so->name;
    ops["variable"] = so->var_name;
    ops["section"] = so->section;
    ops["flags"] = so->flags;
    ops["flags_decoded"] = decode_ops_flags(so->flags);
    ops["timeout_ms"] = so->timeout_ms;
    ops["dispatch_max_batch"] = so->dispatch_max_batch;
    ops["exit_dump_len"] = so->exit_dump_len;
    ops["hotplug_seq"] = so->hotplug_seq;
    json cbs = json::array();
    for (const auto& cb : so->callbacks) {
      const BpfProgram& p = obj.programs()[cb.program];
      cbs.push_back({{"member", cb.member}, {"program", p.name}, {"sleepable", p.sleepable}});
    }
    ops["callbacks"] = cbs;
    j["ops"] = ops;
  } else {
    j["ops"] = nullptr;
  }
  json progs = json::array();
  for (const BpfProgram& p : obj.programs())
    progs.push_back({{"name", p.name}, {"section", p.section}, {"insns", p.own_insns},
                     {"linked_insns", p.program->size()}, {"source", basename(p.source_file)},
                     {"sleepable", p.sleepable}, {"struct_ops_member", p.struct_ops_member}});
  j["programs"] = progs;
  json maps = json::array();
  for (const BpfMapInfo& m : obj.maps()) {
    if (!m.map) {
      maps.push_back({{"name", m.name}, {"supported", false}});
      continue;
    }
    const MapSpec& s = m.map->spec();
    maps.push_back({{"name", m.name}, {"type", map_type_name(s.type)}, {"key_size", s.key_size},
                    {"value_size", s.value_size}, {"max_entries", s.max_entries}, {"map_flags", s.map_flags},
                    {"read_only", s.read_only}, {"key_type", m.key_type}, {"value_type", m.value_type}});
  }
  j["maps"] = maps;
  json globals = json::array();
  for (const GlobalVar& g : obj.globals())
    globals.push_back({{"name", g.name}, {"section", g.section}, {"size", g.size}, {"type", g.type},
                       {"settable", g.read_only && g.settable}});
  j["globals"] = globals;
  json ext = json::array();
  for (const ExternInfo& e : obj.externs())
    ext.push_back({{"name", e.name}, {"kind", extern_kind(e.kind)}, {"weak", e.weak}, {"provided", e.resolved}});
  j["externs"] = ext;
  j["unsupported"] = obj.unsupported();
  return j.dump(2) + "\n";
}

Result<std::string> inspect_file(const std::string& path, bool json, const KfuncRegistry* kfuncs,
                                 const KsymTable* ksyms) {
  LoadOptions opts;
  opts.kfuncs = kfuncs;
  opts.ksyms = ksyms;
  opts.allow_missing_kfuncs = true;
  SCX_ASSIGN_OR_RETURN(std::unique_ptr<BpfObject> obj, load_bpf_object(path, opts));
  return json ? inspect_json(*obj) : inspect_text(*obj);
}

}  // namespace scx::bpf
