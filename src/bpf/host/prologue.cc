#include "bpf/host/prologue.h"

#include <elf.h>
#include <linux/btf.h>
#include <bpf/btf.h>

#include <filesystem>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "bpf/loader/elf.h"

namespace scx::bpf {

void apply_open_prologue(const OpenPrologue& p, LoadOptions* lo) {
  lo->resizable_array_length = p.nr_cpu_ids;
  lo->array_lengths = p.array_lengths;
  lo->map_max_entries = p.map_max_entries;
}

namespace {

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The names of an object's variables, maps and functions (its STT_OBJECT and STT_FUNC symbols).
std::set<std::string> object_names(std::span<const uint8_t> bytes) {
  std::set<std::string> names;
  auto elf = ElfFile::parse(bytes);
  if (elf.ok())
    for (const ElfSymbol& sym : elf->symbols())
      if (sym.type == STT_OBJECT || sym.type == STT_FUNC) names.insert(sym.name);
  return names;
}

// How many of the names a profile sets the object lacks (fewer = written for a closer commit).
size_t missing_names(const Profile& p, const std::set<std::string>& names) {
  size_t n = 0;
  const ProfileSettings& s = p.settings;
  for (const auto* m : {&s.resize, &s.map_size, &s.globals}) {
    for (const auto& kv : *m) n += !names.count(kv.first.substr(0, kv.first.find_first_of(".[")));
  }
  for (const auto& kv : s.arrays) n += !names.count(kv.first);
  return n;
}

// A bundled profile describes a scheduler's user space at one commit; an object built from
// another commit may lack some of its globals, maps or syscall programs, which user space of
// that commit would not touch either: those entries are dropped (a --profile file is taken as
// written).
void drop_names_not_in(const std::set<std::string>& names, ResolvedProfile* r) {
  std::erase_if(r->resize, [&](const auto& kv) { return !names.count(kv.first); });
  std::erase_if(r->map_size, [&](const auto& kv) { return !names.count(kv.first); });
  std::erase_if(r->globals, [&](const auto& kv) { return !names.count(kv.first.substr(0, kv.first.find_first_of(".["))); });
  std::erase_if(r->syscalls, [&](const SyscallRun& run) { return !names.count(run.program); });
  if (!names.count("arena_init")) r->arena_lib_task_ctx_size.reset();
  for (auto it = r->map_entries.begin(); it != r->map_entries.end();)
    it = names.count(it->first) ? std::next(it) : r->map_entries.erase(it);
}

// --profile CHOICE: a file, or a bundled profile's name.
Result<Profile> explicit_profile(const std::string& choice) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(choice, ec) ||
      (choice.find(".json") != std::string::npos && !bundled_profile_named(choice)))
    return load_profile_file(choice);
  if (std::optional<Profile> b = bundled_profile_named(choice)) return std::move(*b);
  std::string known;
  for (const std::string& f : bundled_profile_files()) known += (known.empty() ? "" : ", ") + f;
  return Status::Errorf("--profile", "'{}' is neither a file nor a bundled profile ({})", choice, known);
}

}  // namespace

Result<ResolvedProfile> choose_profile(const std::string& path, const std::string& choice,
                                       const std::vector<std::string>& options, const Topology& topo,
                                       std::string* origin) {
  origin->clear();
  if (choice == "none") {
    if (!options.empty()) return Status::Error("--sched-opt", "needs a profile (--profile none was given)");
    return ResolvedProfile{};
  }
  const std::vector<uint8_t> bytes = read_bytes(path);
  const std::set<std::string> names = object_names(bytes);
  std::optional<Profile> p;
  if (!choice.empty()) {
    SCX_ASSIGN_OR_RETURN(p, explicit_profile(choice));
  } else if (Result<std::string> ops = peek_struct_ops_name(bytes, path); ops.ok()) {
    // Of the bundled profiles for this ops name, the one written for the closest commit.
    size_t best = SIZE_MAX;
    for (BundledProfile& b : bundled_profiles_for(*ops)) {
      const size_t miss = missing_names(b.profile, names);
      if (miss < best) {
        best = miss;
        p = std::move(b.profile);
      }
    }
  }
  if (!p) {
    if (!options.empty()) return Status::Errorf("--sched-opt", "{} has no bundled profile; give one with --profile", path);
    return ResolvedProfile{};
  }
  *origin = p->origin;
  // The object's BTF answers the profile's sizeof(struct NAME).
  std::optional<Btf> object_btf;
  if (auto elf = ElfFile::parse(bytes); elf.ok())
    if (const ElfSection* sec = elf->find(".BTF"))
      if (auto b = Btf::parse(sec->data, path + ": section .BTF"); b.ok()) object_btf = std::move(b).value();
  SCX_ASSIGN_OR_RETURN(ResolvedProfile r,
                       resolve_profile(*p, options, topo, kernel_btf(), object_btf ? &*object_btf : nullptr));
  if (choice.empty() || !std::filesystem::is_regular_file(choice)) drop_names_not_in(names, &r);
  return r;
}

std::vector<SyscallRun> conventional_syscalls(const BpfObject& obj, const std::vector<SyscallRun>& listed) {
  std::vector<SyscallRun> runs;
  const Btf& btf = obj.btf();
  for (const BpfProgram& p : obj.programs()) {
    if (p.section != "syscall") continue;
    bool named = false;
    for (const SyscallRun& r : listed) named |= r.program == p.name;
    const struct btf_type* fn = btf.type(btf.find(p.name, BTF_KIND_FUNC));
    const struct btf_type* proto = fn ? btf.type(fn->type) : nullptr;
    if (named || !proto || !btf_is_func_proto(proto) || btf_vlen(proto) != 0) continue;
    runs.push_back(SyscallRun{p.name, {}, p.name});
  }
  return runs;
}

Result<int> fill_enum_globals(BpfObject& obj, const Btf& kernel) {
  int written = 0;
  for (const GlobalVar& g : obj.globals()) {
    const std::string_view n = g.name;
    if (!g.settable || n.size() < 3 || !(n.starts_with("__SCX_") || n.starts_with("__scx_"))) continue;
    // A name the kernel lacks stays 0, as __ENUM_set leaves it.
    std::optional<uint64_t> v = kernel.enum_value("", n.substr(2));
    if (!v) continue;
    if (g.size != 8 && g.size != 4) return Status::Errorf(obj.path(), "enum global '{}' has {} bytes", n, g.size);
    SCX_RETURN_IF_ERROR(obj.set_global_bytes(n, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&*v), g.size)));
    ++written;
  }
  return written;
}

namespace {

// A map key or value of `size` bytes: a number (little-endian, up to 8 bytes), or struct
// members laid out from the BTF type `type_id` (every other byte 0).
Result<std::vector<uint8_t>> lay_out(const Btf& btf, uint32_t type_id, uint32_t size, const ResolvedBytes& b,
                                     const std::string& where) {
  std::vector<uint8_t> out(size, 0);
  if (!b.is_struct) {
    if (size > 8) return Status::Errorf(where, "{} bytes: give its members ({{\"member\": ...}})", size);
    std::memcpy(out.data(), &b.scalar, size);
    return out;
  }
  const struct btf_type* t = type_id ? btf.type(btf.skip_mods(type_id)) : nullptr;
  if (!t || !btf_is_composite(t)) return Status::Error(where, "members given, but its BTF type is not a struct");
  for (const auto& [path, values] : b.members) {
    std::optional<Btf::Field> f = btf.field(type_id, path);
    if (!f) return Status::Errorf(where, "{} has no member '{}'", btf.type_name(type_id), path);
    // An integer, or an array (of arrays) of integers filled element by element from 0.
    const uint32_t elem = btf.array_element(f->type_id);
    const struct btf_type* et = btf.type(elem);
    const int64_t es = btf.size_of(elem);
    if (!et || !(btf_is_int(et) || btf_is_any_enum(et) || btf_is_ptr(et)) || es <= 0 || es > 8)
      return Status::Errorf(where, "member '{}' is not an integer or an array of integers", path);
    const size_t n = f->size / static_cast<size_t>(es);
    if (values.size() > n)
      return Status::Errorf(where, "member '{}' holds {} element(s), {} given", path, n, values.size());
    for (size_t k = 0; k < values.size(); ++k)
      std::memcpy(out.data() + f->offset + k * static_cast<size_t>(es), &values[k], static_cast<size_t>(es));
  }
  return out;
}

// User space's bpf_map_create() of an inner map: the object's template with the fields given.
MapSpec inner_spec(const MapSpec& tmpl, const ResolvedInnerMap& given, std::string name) {
  MapSpec s = tmpl;
  s.name = std::move(name);
  s.type = given.type.value_or(s.type);
  s.key_size = given.key_size.value_or(s.key_size);
  s.value_size = given.value_size.value_or(s.value_size);
  s.max_entries = given.max_entries.value_or(s.max_entries);
  s.map_flags = given.map_flags.value_or(s.map_flags);
  return s;
}

// One entry: its value written (BPF_ANY), or a new inner map stored under its key.
Status fill_entry(BpfObject& obj, const BpfMapInfo& info, size_t i, const ResolvedMapEntry& e) {
  Map& m = *info.map;
  const MapSpec& spec = m.spec();
  const std::string where = fmt::format("{}: map '{}', entry {}", obj.path(), info.name, i);
  SCX_ASSIGN_OR_RETURN(std::vector<uint8_t> key, lay_out(obj.btf(), info.key_type_id, spec.key_size, e.key, where + ", key"));
  if (e.inner_map) {
    auto* outer = dynamic_cast<MapOfMaps*>(&m);
    if (!outer || !spec.inner)
      return Status::Errorf(where, "inner_map: a {} map is not a map of maps", map_type_name(spec.type));
    const MapSpec s = inner_spec(*spec.inner, *e.inner_map, fmt::format("{}[{}]", info.name, i));
    return outer->create_inner(key.data(), s).within(where);
  }
  SCX_ASSIGN_OR_RETURN(std::vector<uint8_t> value,
                       lay_out(obj.btf(), info.value_type_id, spec.value_size, e.value, where + ", value"));
  if (long rc = m.update(key.data(), value.data(), kBpfAny); rc < 0)
    return Status::Errorf(where, "writing it failed ({})", rc);
  return Status();
}

}  // namespace

Status fill_map_entries(BpfObject& obj, const std::map<std::string, std::vector<ResolvedMapEntry>>& entries) {
  for (const auto& [name, list] : entries) {
    const BpfMapInfo* info = nullptr;
    for (const BpfMapInfo& m : obj.maps())
      if (m.name == name && m.map) info = &m;
    if (!info) return Status::Errorf(obj.path(), "map '{}': no such map", name);
    for (size_t i = 0; i < list.size(); ++i) SCX_RETURN_IF_ERROR(fill_entry(obj, *info, i, list[i]));
  }
  return Status();
}

Status fill_dump_len_globals(BpfObject& obj) {
  for (const GlobalVar& g : obj.globals()) {
    if (!g.name.ends_with("_dump_len") || !g.settable || g.size != 4) continue;
    const GlobalVar* buf = obj.global(std::string_view(g.name).substr(0, g.name.size() - 4));
    if (!buf) continue;
    const uint32_t len = static_cast<uint32_t>(buf->size);
    SCX_RETURN_IF_ERROR(obj.set_global_bytes(g.name, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&len), 4)));
  }
  return Status();
}

Status fill_topology_globals(BpfObject& obj, const Topology& topo) {
  const Btf& btf = obj.btf();
  // Writes `values` into the u32/int global `name` if the object declares it.
  auto put = [&](const char* name, const std::vector<uint32_t>& values, bool array) -> Status {
    const GlobalVar* g = obj.global(name);
    if (!g) return Status();
    const std::string where = fmt::format("{}: topology global '{}'", obj.path(), name);
    if (!g->settable) return Status::Error(where, "is not in a host-writable section");
    const uint32_t elem = g->btf_type_id ? btf.array_element(g->btf_type_id) : 0;
    const bool is_array = elem != (g->btf_type_id ? btf.skip_mods(g->btf_type_id) : 0);
    const int64_t elem_size = elem ? btf.size_of(elem) : 0;
    if (!array && !is_array && (elem_size == 4 || elem_size == 8))
      return obj.set_global(name, std::to_string(values[0]));
    if (elem_size != 4 || is_array != array)
      return Status::Errorf(where, "must be {}", array ? "an array of u32" : "a 32- or 64-bit integer");
    if (values.size() * 4 > g->size)
      return Status::Errorf(where, "holds {} entries, the machine needs {}", g->size / 4, values.size());
    return obj.set_global_bytes(name, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(values.data()),
                                                               values.size() * 4));
  };
  const int ncpu = topo.nr_cpus(), nnode = topo.nr_nodes();
  std::vector<uint32_t> llc(ncpu), node(ncpu), dist;
  for (int c = 0; c < ncpu; ++c) {
    llc[c] = static_cast<uint32_t>(topo.cpu(c).llc);
    node[c] = static_cast<uint32_t>(topo.cpu(c).node);
  }
  for (int a = 0; a < nnode; ++a)
    for (int b = 0; b < nnode; ++b) dist.push_back(static_cast<uint32_t>(topo.node_distance(a, b)));
  SCX_RETURN_IF_ERROR(put("nr_cpu_ids", {static_cast<uint32_t>(ncpu)}, false));
  SCX_RETURN_IF_ERROR(put("nr_llcs", {static_cast<uint32_t>(topo.nr_llcs())}, false));
  SCX_RETURN_IF_ERROR(put("nr_nodes", {static_cast<uint32_t>(nnode)}, false));
  SCX_RETURN_IF_ERROR(put("cpu_llc_id", llc, true));
  SCX_RETURN_IF_ERROR(put("cpu_node_id", node, true));
  SCX_RETURN_IF_ERROR(put("node_distance", dist, true));
  return Status();
}

}  // namespace scx::bpf
