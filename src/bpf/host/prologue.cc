#include "bpf/host/prologue.h"

#include <elf.h>
#include <linux/btf.h>
#include <bpf/btf.h>

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

// A bundled profile describes a scheduler's user space at one commit; an object built from
// another commit may lack some of its globals or maps, which user space of that commit would
// not set either: those entries are dropped (a --profile file is taken as written).
void drop_names_not_in_object(const std::string& path, ResolvedProfile* r) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto elf = ElfFile::parse(bytes);
  if (!elf.ok()) return;  // the load reports it
  std::set<std::string> names;
  for (const ElfSymbol& sym : elf->symbols())
    if (sym.type == STT_OBJECT) names.insert(sym.name);
  std::erase_if(r->resize, [&](const auto& kv) { return !names.count(kv.first); });
  std::erase_if(r->map_size, [&](const auto& kv) { return !names.count(kv.first); });
  std::erase_if(r->globals, [&](const auto& kv) { return !names.count(kv.first.substr(0, kv.first.find('['))); });
}

}  // namespace

Result<ResolvedProfile> choose_profile(const std::string& path, const std::string& choice,
                                       const std::vector<std::string>& options, const Topology& topo,
                                       std::string* origin) {
  origin->clear();
  std::optional<Profile> p;
  if (choice == "none") {
    if (!options.empty()) return Status::Error("--sched-opt", "needs a profile (--profile none was given)");
    return ResolvedProfile{};
  }
  if (!choice.empty()) {
    SCX_ASSIGN_OR_RETURN(p, load_profile_file(choice));
  } else {
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Result<std::string> ops_name = peek_struct_ops_name(bytes, path);
    if (ops_name.ok()) p = bundled_profile(*ops_name);
  }
  if (!p) {
    if (!options.empty()) return Status::Errorf("--sched-opt", "{} has no bundled profile; give one with --profile", path);
    return ResolvedProfile{};
  }
  *origin = p->origin;
  SCX_ASSIGN_OR_RETURN(ResolvedProfile r, resolve_profile(*p, options, topo, kernel_btf()));
  if (choice.empty()) drop_names_not_in_object(path, &r);
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
    uint32_t elem = g->btf_type_id ? btf.skip_mods(g->btf_type_id) : 0;
    bool is_array = false;
    while (const struct btf_type* t = elem ? btf.type(elem) : nullptr) {
      if (!btf_is_array(t)) break;
      is_array = true;
      elem = btf.skip_mods(btf_array(t)->type);
    }
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
