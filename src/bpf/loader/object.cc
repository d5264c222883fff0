#include "bpf/loader/object.h"
#include "bpf/loader/tracing_sections.h"

#include <bpf/btf.h>
#include <elf.h>
#include <linux/btf.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>

#include <fmt/format.h>

#include "bpf/helpers/graph.h"
#include "bpf/helpers/helpers.h"
#include "bpf/loader/core.h"
#include "bpf/loader/elf.h"
#include "bpf/loader/lock_rules.h"
#include "bpf/loader/ref_rules.h"
#include "bpf/maps/arena.h"

namespace scx::bpf {

namespace detail {
extern const unsigned char kKernelBtf[];
extern const std::size_t kKernelBtf_size;
}  // namespace detail

std::span<const uint8_t> kernel_btf_bytes() { return {detail::kKernelBtf, detail::kKernelBtf_size}; }

const Btf& kernel_btf() {
  static const Btf* btf = [] {
    auto r = Btf::parse(kernel_btf_bytes(), "simulated kernel BTF");
    if (!r.ok()) {
      fmt::print(stderr, "scxsim: embedded kernel BTF is invalid: {}\n", r.status().message());
      std::abort();
    }
    return new Btf(std::move(r).value());
  }();
  return *btf;
}

const std::map<std::string, uint64_t>& default_kconfig() {
  static const std::map<std::string, uint64_t> kc = {
      {"LINUX_KERNEL_VERSION", (6u << 16) | (12u << 8) | 0u},
      {"LINUX_HAS_BPF_COOKIE", 1},
      {"LINUX_HAS_SYSCALL_WRAPPER", 1},
      {"CONFIG_HZ", 250},
      {"CONFIG_NR_CPUS", 8192},
      {"CONFIG_SMP", 1},  // 'y' is TRI_YES for tristate, 1 for bool
      {"CONFIG_SCHED_CLASS_EXT", 1},
      {"CONFIG_EXT_GROUP_SCHED", 1},
      {"CONFIG_BPF", 1},
      {"CONFIG_BPF_SYSCALL", 1},
      {"CONFIG_PREEMPT", 0},
      {"CONFIG_SCHED_SMT", 1},
      {"CONFIG_NUMA", 1},
  };
  return kc;
}

namespace {

// libbpf's adjust_ringbuf_sz: a ring buffer's size becomes the smallest power-of-2 multiple of
// the page size that holds it (0, and sizes that cannot be adjusted, pass through).
uint32_t ringbuf_size(uint32_t sz) {
  constexpr uint32_t kPage = 4096;
  if (sz == 0 || (sz % kPage == 0 && ((sz / kPage) & (sz / kPage - 1)) == 0)) return sz;
  for (uint64_t mul = 1; mul * kPage <= UINT32_MAX; mul <<= 1)
    if (mul * kPage > sz) return static_cast<uint32_t>(mul * kPage);
  return sz;
}

constexpr uint64_t kKfuncAddrTag = 0xfff0000000000000ULL;  // ld_imm64 of a resolved kfunc

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool is_data_section(std::string_view n) {
  return n == ".data" || n == ".rodata" || n == ".bss" || starts_with(n, ".data.") ||
         starts_with(n, ".rodata.") || starts_with(n, ".bss.");
}

bool sleepable_section(std::string_view n) {
  return starts_with(n, "struct_ops.s/") || n.find(".s/") != std::string_view::npos || n == "syscall" ||
         starts_with(n, "syscall/");
}

// The struct_ops members that may be sleepable (spec §3.2).
bool member_may_sleep(std::string_view m) {
  static const std::set<std::string_view> ok = {"init_task", "cgroup_init", "cgroup_exit", "cgroup_prep_move",
                                                "cpu_online", "cpu_offline", "init", "exit",
                                                "sub_attach", "sub_detach"};
  return ok.count(m) != 0;
}

}  // namespace

Result<std::string> peek_struct_ops_name(std::span<const uint8_t> bytes, const std::string& name) {
  auto elf = ElfFile::parse(bytes);
  if (!elf.ok()) return elf.status().within(name);
  const ElfSection* btf_sec = elf->find(".BTF");
  if (!btf_sec) return Status::Error(name, "no .BTF section");
  auto btf = Btf::parse(btf_sec->data, name + ": section .BTF");
  if (!btf.ok()) return btf.status();
  for (const ElfSection& sec : elf->sections()) {
    if (sec.name != ".struct_ops" && sec.name != ".struct_ops.link") continue;
    const uint32_t ds = btf->find(sec.name, BTF_KIND_DATASEC);
    const struct btf_type* dt = btf->type(ds);
    for (int i = 0; dt && i < btf_vlen(dt); ++i) {
      const struct btf_var_secinfo& v = btf_var_secinfos(dt)[i];
      const struct btf_type* vt = btf->type(v.type);
      const struct btf_type* st = vt && btf_is_var(vt) ? btf->type(btf->skip_mods(vt->type)) : nullptr;
      if (!st || !btf_is_struct(st)) continue;
      for (int m = 0; m < btf_vlen(st); ++m) {
        if (btf->str(btf_members(st)[m].name_off) != "name") continue;
        const uint64_t off = v.offset + btf_member_bit_offset(st, m) / 8;
        const int64_t len = btf->size_of(btf_members(st)[m].type);
        if (len <= 0 || !range_within(off, static_cast<uint64_t>(len), sec.data.size())) break;
        const char* p = reinterpret_cast<const char*>(sec.data.data() + off);
        return std::string(p, strnlen(p, static_cast<size_t>(len)));
      }
    }
  }
  return Status::Error(name, "no struct_ops variable with a name");
}

BpfObject::~BpfObject() { detach(); }

const BpfProgram* BpfObject::program(std::string_view name) const {
  for (const BpfProgram& p : programs_)
    if (p.name == name) return &p;
  return nullptr;
}

Map* BpfObject::map(std::string_view name) const {
  for (const BpfMapInfo& m : maps_)
    if (m.name == name) return m.map.get();
  return nullptr;
}

const GlobalVar* BpfObject::global(std::string_view name) const {
  for (const GlobalVar& g : globals_)
    if (g.name == name) return &g;
  return nullptr;
}

const BpfProgram* BpfObject::callback(std::string_view member) const {
  if (!struct_ops_) return nullptr;
  for (const StructOpsCallback& c : struct_ops_->callbacks)
    if (c.member == member) return &programs_[c.program];
  return nullptr;
}

uint8_t* BpfObject::global_data(std::string_view name) {
  const GlobalVar* g = global(name);
  if (!g) return nullptr;
  if (auto* am = dynamic_cast<ArenaMap*>(maps_[g->map_index].map.get()))  // .addr_space.1
    return am->arena()->host_ptr(am->arena()->user_vm_start() + g->offset, g->size);
  uint32_t zero = 0;
  auto* base = static_cast<uint8_t*>(maps_[g->map_index].map->lookup_cpu(&zero, 0));
  return base ? base + g->offset : nullptr;
}

Status BpfObject::set_global_bytes(std::string_view name, std::span<const uint8_t> bytes) {
  const GlobalVar* g = global(name);
  if (!g) return Status::Errorf(path_, "no global variable '{}'", name);
  if (!g->settable) return Status::Errorf(path_, "global '{}' cannot be set", name);
  if (bytes.size() > g->size)
    return Status::Errorf(path_, "global '{}' has {} bytes, value has {}", name, g->size, bytes.size());
  uint8_t* p = global_data(name);
  std::memset(p, 0, g->size);
  if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());  // an empty one has no data()
  return Status();
}

namespace {

// An integer of `size` bytes from text: decimal, 0x hex, negative, true/false (y/n).
Result<uint64_t> parse_int_value(std::string_view value, uint64_t size, const std::string& where) {
  uint64_t v = 0;
  const bool neg = !value.empty() && value[0] == '-';
  if (value == "true" || value == "y") {
    v = 1;
  } else if (value == "false" || value == "n") {
    v = 0;
  } else {
    std::string_view digits = neg ? value.substr(1) : value;
    int base = 10;
    if (starts_with(digits, "0x") || starts_with(digits, "0X")) {
      base = 16;
      digits.remove_prefix(2);
    }
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
    if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size())
      return Status::Errorf(where, "'{}' is not a number, true or false", value);
    if (neg) v = static_cast<uint64_t>(-static_cast<int64_t>(v));
  }
  if (size > 8 || size == 0) return Status::Errorf(where, "variable of {} bytes is not a scalar", size);
  if (size < 8) {
    uint64_t mask = (1ULL << (size * 8)) - 1;
    uint64_t hi = v & ~mask;
    if (hi != 0 && !(neg && hi == ~mask)) return Status::Errorf(where, "{} does not fit in {} bytes", value, size);
  }
  return v;
}

}  // namespace

Result<BpfObject::GlobalSlot> BpfObject::locate_global(std::string_view path) const {
  const size_t end = path.find_first_of(".[");
  const std::string_view name = path.substr(0, end);
  const GlobalVar* g = global(name);
  if (!g) return Status::Errorf(path_, "no global variable '{}'", name);
  const std::string_view rest = end == std::string_view::npos ? std::string_view() : path.substr(end);
  if (rest.empty()) return GlobalSlot{g, 0, g->size, g->btf_type_id ? btf_.skip_mods(g->btf_type_id) : 0};
  SCX_ASSIGN_OR_RETURN(std::optional<Btf::Field> f,
                       btf_.locate_path(g->btf_type_id, g->size, rest, fmt::format("{}: {}", path_, path), true, name));
  return GlobalSlot{g, f->offset, f->size, f->type_id};
}

Status BpfObject::set_global(std::string_view spec, std::string_view value) {
  // A final [INDEX] of an array is where a list starts; any other step leads to the target.
  std::string_view path = spec;
  std::optional<uint64_t> index;
  if (spec.ends_with("]")) {
    const size_t lb = spec.rfind('[');
    if (lb != std::string_view::npos && lb > 0) {
      auto prefix = locate_global(spec.substr(0, lb));
      const struct btf_type* pt = prefix.ok() && prefix->type_id ? btf_.type(prefix->type_id) : nullptr;
      if (prefix.ok() && (!pt || !btf_is_array(pt)))
        return Status::Errorf(fmt::format("{}: --set {}", path_, spec), "'{}' is not an array", spec.substr(0, lb));
      path = spec.substr(0, lb);
      SCX_ASSIGN_OR_RETURN(index, parse_int_value(spec.substr(lb + 1, spec.size() - lb - 2), 8,
                                                  fmt::format("{}: --set {}", path_, spec)));
    }
  }
  SCX_ASSIGN_OR_RETURN(GlobalSlot slot, locate_global(path));
  const GlobalVar* g = slot.var;
  const std::string where = fmt::format("{}: --set {}", path_, spec);
  if (!g->settable) return Status::Errorf(path_, "global '{}' cannot be set", g->name);
  const uint64_t size = slot.size;
  const uint32_t tid = slot.type_id;
  uint8_t* data = global_data(g->name);
  if (!data) return Status::Errorf(where, "'{}' has no backing memory", g->name);
  uint8_t* base = data + slot.offset;
  const struct btf_type* t = tid ? btf_.type(tid) : nullptr;
  if (!t || !btf_is_array(t)) {
    SCX_ASSIGN_OR_RETURN(uint64_t v, parse_int_value(value, size, where));
    std::memcpy(base, &v, static_cast<size_t>(size));
    return Status();
  }
  // Arrays of arrays (and of structs of integers) are filled row-major, element by innermost
  // integer (Btf::flat_element).
  const uint32_t elem_id = btf_.flat_element(tid);
  const int64_t elem = elem_id ? btf_.size_of(elem_id) : 0;
  if (elem <= 0 || elem > 8)
    return Status::Errorf(where, "'{}' is an array of {}, not of integers: give member paths ({}[0].MEMBER)", path,
                          btf_.type_name(btf_.array_element(tid)), path);
  if (elem == 1 && !index && btf_.type_name(btf_.array_element(tid)) == "char") {  // char[N]: a string
    if (value.size() + 1 > size) return Status::Errorf(where, "string longer than {} bytes", size - 1);
    std::memset(base, 0, static_cast<size_t>(size));
    std::memcpy(base, value.data(), value.size());
    return Status();
  }
  // A comma-separated list from element `index` on (the whole array, zero-filled, without one).
  const uint64_t n = size / static_cast<uint64_t>(elem);
  std::vector<uint8_t> out(base, base + size);
  if (!index) std::fill(out.begin(), out.end(), 0);
  uint64_t i = index.value_or(0);
  for (size_t pos = 0;; ++i) {
    size_t comma = value.find(',', pos);
    std::string_view item = value.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    if (i >= n) return Status::Errorf(where, "index {} is past the array's {} elements", i, n);
    SCX_ASSIGN_OR_RETURN(uint64_t v, parse_int_value(item, static_cast<uint64_t>(elem), where));
    std::memcpy(out.data() + i * static_cast<uint64_t>(elem), &v, static_cast<size_t>(std::min<int64_t>(elem, 8)));
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  std::memcpy(base, out.data(), out.size());  // all or nothing
  return Status();
}

void BpfObject::attach(Vm& vm) {
  if (attached_ == &vm) return;
  detach();
  attached_ = &vm;
  for (BpfMapInfo& m : maps_)
    if (m.map) m.map->attach(&vm.memory());
  if (graph_) graph_->attach(&vm.memory());
}

void BpfObject::detach() {
  if (!attached_) return;
  for (BpfMapInfo& m : maps_)
    if (m.map) m.map->detach();
  if (graph_) graph_->detach();
  if (map_env_) map_env_->memory = nullptr;
  attached_ = nullptr;
}

std::string BpfProgram::describe(size_t pc) const {
  auto it = std::upper_bound(lines.begin(), lines.end(), pc, [](size_t p, const LineInfo& l) { return p < l.pc; });
  if (it == lines.begin()) return "";
  const BtfExtLine* l = std::prev(it)->line;
  std::string file = l->file;
  size_t slash = file.rfind('/');
  if (slash != std::string::npos) file = file.substr(slash + 1);
  std::string text = l->line_text;
  size_t b = text.find_first_not_of(" \t");
  text = b == std::string::npos ? "" : text.substr(b);
  return fmt::format("{}:{}: {}", file, l->line, text);
}

// =============================================================================================
class ObjectLoader {
 public:
  ObjectLoader(std::string name, const LoadOptions& opts) : name_(std::move(name)), opts_(opts) {}
  Result<std::unique_ptr<BpfObject>> load(std::vector<uint8_t> bytes);

 private:
  Status err(const std::string& where, const std::string& reason) const {
    return Status::Error(where.empty() ? name_ : name_ + ": " + where, reason);
  }

  Status load_btf();
  Status collect_sections();
  Status load_btf_maps();
  Result<MapSpec> parse_map_def(uint32_t type_id, const std::string& map_name, BpfMapInfo* info,
                                std::vector<std::pair<uint32_t, uint32_t>>* values_member);
  Status load_data_maps();
  // The size of data section `s` once user space has resized its last array (s.size if not).
  Result<uint64_t> data_section_size(const ElfSection& s);
  // The number of elements user space gives array `var` (0: not resized).
  uint64_t requested_length(const ElfSection& s, const ElfSymbol& var, const struct btf_type* array) const;
  uint32_t struct_ops_exit_dump_len() const;
  Status check_prologue_names() const;
  Status load_arena();  // arena_loader.inc
  void add_arena_global(const ElfSymbol& sym, uint64_t data_off);
  Status load_externs();
  Status relocate_section(uint32_t sec);
  Status apply_core(uint32_t sec);
  Status build_programs();
  Status load_struct_ops();
  Status init_map_in_map();
  void note_unsupported();

  const BtfExtSection* ext_for(const std::string& sec) const {
    for (const BtfExtSection& e : obj_->ext_)
      if (e.name == sec) return &e;
    return nullptr;
  }
  // The BTF var/func named `name` in DATASEC `sec`, or 0.
  uint32_t datasec_var(std::string_view sec, std::string_view name, uint32_t* offset = nullptr) const;
  const ElfSymbol* func_containing(uint32_t sec, size_t idx) const;

  std::string name_;
  const LoadOptions& opts_;
  std::unique_ptr<BpfObject> obj_;
  ElfFile elf_;
  const Btf* target_ = nullptr;
  bool has_btf_ = false;

  std::map<uint32_t, std::vector<Insn>> code_;  // exec section → instructions
  struct Target {
    uint32_t sec;
    size_t idx;
  };
  std::map<std::pair<uint32_t, size_t>, Target> call_targets_;  // (sec, insn) → callee
  uint32_t maps_shndx_ = 0;
  uint32_t arena_shndx_ = 0;           // .addr_space.1 (arena globals), 0 if none
  size_t arena_map_ = SIZE_MAX;        // maps_ index of the BPF_MAP_TYPE_ARENA map
  uint64_t arena_data_off_ = 0;        // where the arena globals start in the arena
  std::map<uint64_t, size_t> btf_map_by_off_;   // .maps offset → maps_ index
  std::map<uint32_t, size_t> data_map_by_sec_;  // data section → maps_ index
  std::map<std::string, size_t> extern_by_name_;
  size_t kconfig_map_ = SIZE_MAX;
  std::map<std::string, uint64_t> kconfig_off_;  // kconfig extern → offset in its map
  std::map<std::string, uint64_t> resized_;      // array global → its new size in bytes
  std::set<std::string> compat_cleared_;         // programs of callbacks user space cleared
  uint64_t global_data_bytes_ = 0;
  std::vector<std::pair<size_t, std::vector<std::pair<uint32_t, uint32_t>>>> map_values_;  // outer, (slot, off)
};

uint32_t ObjectLoader::datasec_var(std::string_view sec, std::string_view name, uint32_t* offset) const {
  if (!has_btf_) return 0;
  const Btf& b = obj_->btf_;
  uint32_t ds = b.find(sec, BTF_KIND_DATASEC);
  if (!ds) return 0;
  const struct btf_type* t = b.type(ds);
  const struct btf_var_secinfo* v = btf_var_secinfos(t);
  for (int i = 0; i < btf_vlen(t); ++i) {
    const struct btf_type* vt = b.type(v[i].type);
    if (vt && b.str(vt->name_off) == name) {
      if (offset) *offset = v[i].offset;
      return v[i].type;
    }
  }
  return 0;
}

const ElfSymbol* ObjectLoader::func_containing(uint32_t sec, size_t idx) const {
  for (const ElfSymbol& s : elf_.symbols()) {
    if (s.shndx != sec || s.type != STT_FUNC || !elf_.symbol_data(s)) continue;
    uint64_t lo = s.value / 8, hi = (s.value + s.size) / 8;
    if (idx >= lo && idx < hi) return &s;
  }
  return nullptr;
}

Status ObjectLoader::load_btf() {
  const ElfSection* b = elf_.find(".BTF");
  if (!b) return Status();
  SCX_ASSIGN_OR_RETURN(obj_->btf_, Btf::parse(b->data, name_ + ": section .BTF"));
  has_btf_ = true;
  if (const ElfSection* e = elf_.find(".BTF.ext")) {
    auto r = parse_btf_ext(e->data, obj_->btf_);
    if (!r.ok()) return r.status().within(name_);
    obj_->ext_ = std::move(r).value();
  }
  return Status();
}

Status ObjectLoader::collect_sections() {
  for (const ElfSection& s : elf_.sections()) {
    const std::string& n = s.name;
    if (s.type == SHT_PROGBITS && (s.flags & SHF_EXECINSTR)) {
      if (s.size % 8) return err("section " + n, fmt::format("code size {} is not a multiple of 8", s.size));
      if (s.size == 0) continue;
      std::vector<Insn> v(s.size / 8);
      std::memcpy(v.data(), s.data.data(), s.size);
      code_[s.index] = std::move(v);
    } else if (n == "license") {
      // Up to its first NUL; an empty (or NOBITS) section has no data pointer at all.
      const std::string_view text(reinterpret_cast<const char*>(s.data.data()), s.data.size());
      obj_->license_ = std::string(text.substr(0, text.find('\0')));
    } else if (n == "maps") {
      return err("section maps", "legacy map definitions (SEC(\"maps\")) are not supported; use SEC(\".maps\")");
    } else if (n == ".maps") {
      maps_shndx_ = s.index;
    } else if (n == ".addr_space.1") {
      arena_shndx_ = s.index;
    } else if (starts_with(n, ".addr_space.")) {
      obj_->unsupported_.push_back("address space section " + n + " (only .addr_space.1, the arena)");
    }
  }
  return Status();
}

Result<MapSpec> ObjectLoader::parse_map_def(uint32_t type_id, const std::string& map_name, BpfMapInfo* info,
                                            std::vector<std::pair<uint32_t, uint32_t>>* values_member) {
  const Btf& b = obj_->btf_;
  const std::string where = fmt::format("map '{}'", map_name);
  uint32_t sid = b.skip_mods(type_id);
  const struct btf_type* st = b.type(sid);
  if (!st || !btf_is_struct(st)) return err(where, "definition is not a struct");
  MapSpec spec;
  spec.name = map_name;
  uint32_t key_tid = 0, value_tid = 0;
  bool has_key_size = false, has_value_size = false;
  auto uint_member = [&](const struct btf_member* m, uint64_t* out) -> Status {
    const struct btf_type* mt = b.type(b.skip_mods(m->type));
    if (mt && btf_is_ptr(mt)) {
      const struct btf_type* at = b.type(b.skip_mods(mt->type));
      if (at && btf_is_array(at)) {
        *out = btf_array(at)->nelems;
        return Status();
      }
    }
    if (mt && btf_is_any_enum(mt) && btf_vlen(mt) >= 1) {  // __ulong
      *out = btf_is_enum(mt) ? static_cast<uint32_t>(btf_enum(mt)[0].val) : btf_enum64_value(btf_enum64(mt));
      return Status();
    }
    return err(where, fmt::format("member '{}' is not a __uint() value", b.str(m->name_off)));
  };
  const struct btf_member* m = btf_members(st);
  for (int i = 0; i < btf_vlen(st); ++i, ++m) {
    std::string_view mn = b.str(m->name_off);
    uint64_t v = 0;
    if (mn == "type") {
      SCX_RETURN_IF_ERROR(uint_member(m, &v));
      spec.type = static_cast<uint32_t>(v);
    } else if (mn == "max_entries") {
      SCX_RETURN_IF_ERROR(uint_member(m, &v));
      spec.max_entries = static_cast<uint32_t>(v);
    } else if (mn == "map_flags") {
      SCX_RETURN_IF_ERROR(uint_member(m, &v));
      spec.map_flags = static_cast<uint32_t>(v);
    } else if (mn == "map_extra") {
      SCX_RETURN_IF_ERROR(uint_member(m, &v));
      spec.map_extra = v;
    } else if (mn == "numa_node" || mn == "pinning") {
      SCX_RETURN_IF_ERROR(uint_member(m, &v));  // ignored
    } else if (mn == "key_size" || mn == "value_size") {
      SCX_RETURN_IF_ERROR(uint_member(m, &v));
      if (mn == "key_size") {
        if (has_key_size && spec.key_size != v) return err(where, "conflicting key sizes");
        spec.key_size = static_cast<uint32_t>(v);
        has_key_size = true;
      } else {
        if (has_value_size && spec.value_size != v) return err(where, "conflicting value sizes");
        spec.value_size = static_cast<uint32_t>(v);
        has_value_size = true;
      }
    } else if (mn == "key" || mn == "value") {
      const struct btf_type* mt = b.type(b.skip_mods(m->type));
      if (!mt || !btf_is_ptr(mt)) return err(where, fmt::format("member '{}' is not a __type()", mn));
      int64_t sz = b.size_of(mt->type);
      if (sz < 0) return err(where, fmt::format("cannot size the {} type", mn));
      uint32_t& size = mn == "key" ? spec.key_size : spec.value_size;
      bool& has = mn == "key" ? has_key_size : has_value_size;
      if (has && size != static_cast<uint64_t>(sz))
        return err(where, fmt::format("{}_size {} conflicts with the {} type's size {}", mn, size, mn, sz));
      size = static_cast<uint32_t>(sz);
      has = true;
      (mn == "key" ? key_tid : value_tid) = mt->type;
    } else if (mn == "values") {
      const struct btf_type* mt = b.type(b.skip_mods(m->type));
      if (!mt || !btf_is_array(mt)) return err(where, "member 'values' is not an __array()");
      const struct btf_type* pt = b.type(b.skip_mods(btf_array(mt)->type));
      if (!pt || !btf_is_ptr(pt)) return err(where, "member 'values' is not an array of pointers");
      if (values_member) values_member->push_back({btf_member_bit_offset(st, i) / 8, 0});
      if (!info) continue;  // inner definitions: nothing nested
      SCX_ASSIGN_OR_RETURN(MapSpec inner, parse_map_def(pt->type, map_name + ".inner", nullptr, nullptr));
      spec.inner = std::make_shared<MapSpec>(std::move(inner));
      if (!has_value_size) spec.value_size = 4;  // an fd, as libbpf
      has_value_size = true;
    } else {
      return err(where, fmt::format("unknown map definition member '{}'", mn));
    }
  }
  if (spec.type == 0) return err(where, "missing map type");
  if (spec.type == kMapRingbuf || spec.type == kMapUserRingbuf) spec.max_entries = ringbuf_size(spec.max_entries);
  // Special fields of the value: a top-level bpf_spin_lock / bpf_timer.
  if (value_tid) {
    const struct btf_type* vt = b.type(b.skip_mods(value_tid));
    if (vt && btf_is_struct(vt)) {
      const struct btf_member* vm = btf_members(vt);
      for (int i = 0; i < btf_vlen(vt); ++i) {
        std::string tn = b.type_name(vm[i].type);
        uint32_t off = btf_member_bit_offset(vt, i) / 8;
        if (tn == "struct bpf_spin_lock") spec.spin_lock_off = static_cast<int32_t>(off);
        if (tn == "struct bpf_timer") spec.timer_off = static_cast<int32_t>(off);
      }
    }
    if (obj_->graph_) {
      auto vf = obj_->graph_->value_fields(value_tid);
      if (!vf.ok()) return err(where, vf.status().message());
      if (*vf) {
        spec.special_fields = std::move((*vf)->special);
        spec.owned_fields = std::move((*vf)->owned);
        spec.value_layout = std::move((*vf)->layout);
      }
    }
  }
  if (info) {
    info->key_type = key_tid ? b.type_name(key_tid) : "";
    info->value_type = value_tid ? b.type_name(value_tid) : "";
    info->key_type_id = key_tid;
    info->value_type_id = value_tid;
  }
  return spec;
}

Status ObjectLoader::load_btf_maps() {
  if (!maps_shndx_) return Status();
  if (!has_btf_) return err("section .maps", "BTF-defined maps need .BTF (compile with -g)");
  for (const ElfSymbol& s : elf_.symbols()) {
    if (s.shndx != maps_shndx_ || s.type == STT_SECTION || s.name.empty()) continue;
    uint32_t var = datasec_var(".maps", s.name);
    if (!var) return err("section .maps", fmt::format("map '{}' has no BTF description", s.name));
    const struct btf_type* vt = obj_->btf_.type(var);
    if (!vt || !btf_is_var(vt)) return err("section .maps", fmt::format("map '{}': BTF entry is not a variable", s.name));
    BpfMapInfo info;
    info.name = s.name;
    info.section = ".maps";
    std::vector<std::pair<uint32_t, uint32_t>> values;
    SCX_ASSIGN_OR_RETURN(MapSpec spec, parse_map_def(vt->type, s.name, &info, &values));
    if (auto me = opts_.map_max_entries.find(s.name); me != opts_.map_max_entries.end()) spec.max_entries = me->second;
    if (spec.type == kMapRingbuf || spec.type == kMapUserRingbuf) spec.max_entries = ringbuf_size(spec.max_entries);  // after a --map-size too
    if (!map_type_supported(spec.type)) {
      obj_->unsupported_.push_back(fmt::format("map '{}': type {}", s.name, map_type_name(spec.type)));
    } else {
      auto m = Map::create(spec, obj_->map_env_);
      if (!m.ok()) return m.status().within(name_);
      info.map = std::move(m).value();
    }
    btf_map_by_off_[s.value] = obj_->maps_.size();
    if (!values.empty()) map_values_.push_back({obj_->maps_.size(), values});
    obj_->maps_.push_back(std::move(info));
  }
  return Status();
}

Status ObjectLoader::load_data_maps() {
  for (const ElfSection& s : elf_.sections()) {
    if (!is_data_section(s.name) || (s.type != SHT_PROGBITS && s.type != SHT_NOBITS)) continue;
    if (s.size == 0) continue;
    SCX_ASSIGN_OR_RETURN(const uint64_t size, data_section_size(s));
    global_data_bytes_ += size;
    if (size > UINT32_MAX || global_data_bytes_ > opts_.max_global_data)
      return err("section " + s.name, fmt::format("global data would reach {} bytes, over the limit of {} "
                                                  "(raise it with --bpf-max-global-data)",
                                                  global_data_bytes_, opts_.max_global_data));
    const bool rodata = starts_with(s.name, ".rodata");
    MapSpec spec;
    spec.name = s.name;
    spec.type = kMapArray;
    spec.key_size = 4;
    spec.value_size = static_cast<uint32_t>(size);
    spec.max_entries = 1;
    spec.read_only = rodata;
    spec.eager_regions = true;
    if (obj_->graph_) {  // kptrs, list heads and rbtree roots among the section's variables
      std::vector<std::pair<uint32_t, uint32_t>> vars;
      for (const ElfSymbol& sym : elf_.symbols())
        if (sym.shndx == s.index && sym.type == STT_OBJECT && !sym.name.empty() && sym.value < s.size)
          if (uint32_t var = datasec_var(s.name, sym.name)) vars.emplace_back(var, static_cast<uint32_t>(sym.value));
      auto vf = obj_->graph_->datasec_fields(s.name, spec.value_size, vars);
      if (!vf.ok()) return err("section " + s.name, vf.status().message());
      if (*vf) {
        spec.special_fields = std::move((*vf)->special);
        spec.owned_fields = std::move((*vf)->owned);
        spec.value_layout = std::move((*vf)->layout);
      }
    }
    auto m = Map::create(spec, obj_->map_env_);
    if (!m.ok()) return m.status().within(name_);
    uint32_t zero = 0;
    auto* value = static_cast<uint8_t*>((*m)->lookup_cpu(&zero, 0));
    // A resized last array may make the map smaller than the section: as libbpf's resize, the
    // initial bytes that still fit are kept.
    if (s.type == SHT_PROGBITS && !s.data.empty())
      std::memcpy(value, s.data.data(), std::min<uint64_t>({s.size, s.data.size(), size}));
    BpfMapInfo info;
    info.name = s.name;
    info.section = s.name;
    info.map = std::move(m).value();
    info.global_data = true;
    data_map_by_sec_[s.index] = obj_->maps_.size();
    // Named variables of the section.
    const bool strings = starts_with(s.name, ".rodata.str") || s.name.find(".str") != std::string::npos;
    for (const ElfSymbol& sym : elf_.symbols()) {
      if (sym.shndx != s.index || sym.type != STT_OBJECT || sym.name.empty()) continue;
      if (!range_within(sym.value, sym.size, s.size))
        return err("symbol '" + sym.name + "'", "extends past its section");
      GlobalVar g;
      g.name = sym.name;
      g.section = s.name;
      g.map_index = obj_->maps_.size();
      g.offset = sym.value;
      g.size = resized_.count(sym.name) ? resized_[sym.name] : sym.size;
      g.btf_type_id = 0;
      if (uint32_t var = datasec_var(s.name, sym.name)) {
        const struct btf_type* vt = obj_->btf_.type(var);
        if (vt && btf_is_var(vt)) {
          g.btf_type_id = vt->type;
          g.type = obj_->btf_.type_name(vt->type);
        }
      }
      g.settable = !strings;
      g.read_only = rodata;
      obj_->globals_.push_back(std::move(g));
    }
    obj_->maps_.push_back(std::move(info));
  }
  return Status();
}

uint32_t ObjectLoader::struct_ops_exit_dump_len() const {
  for (const ElfSection& sec : elf_.sections()) {
    if (sec.name != ".struct_ops" && sec.name != ".struct_ops.link") continue;
    for (const ElfSymbol& vs : elf_.symbols()) {
      if (vs.shndx != sec.index || vs.type != STT_OBJECT) continue;
      const struct btf_type* vt = obj_->btf_.type(datasec_var(sec.name, vs.name));
      const struct btf_type* st = vt ? obj_->btf_.type(obj_->btf_.skip_mods(vt->type)) : nullptr;
      if (!st || !btf_is_struct(st)) continue;
      for (int i = 0; i < btf_vlen(st); ++i) {
        if (obj_->btf_.str(btf_members(st)[i].name_off) != "exit_dump_len") continue;
        uint64_t off = vs.value + btf_member_bit_offset(st, i) / 8;
        uint32_t v = 0;
        if (range_within(off, 4, sec.data.size())) std::memcpy(&v, sec.data.data() + off, 4);
        return v;
      }
    }
  }
  return 0;
}

uint64_t ObjectLoader::requested_length(const ElfSection& s, const ElfSymbol& var,
                                        const struct btf_type* array) const {
  if (auto it = opts_.array_lengths.find(var.name); it != opts_.array_lengths.end()) return it->second;
  const size_t dot = s.name.find('.', 1);
  const bool own_section = dot != std::string::npos && s.name.substr(dot + 1) == var.name;
  if (!own_section || btf_array(array)->nelems != 1) return 0;
  const bool uei_dump = var.name.size() > 5 && var.name.ends_with("_dump") && [&] {
    for (const ElfSymbol& g : elf_.symbols())
      if (g.name == var.name + "_len" && g.type == STT_OBJECT) return true;
    return false;
  }();
  if (uei_dump) {
    const uint32_t len = struct_ops_exit_dump_len();
    return len ? len : 32768;  // SCX_EXIT_DUMP_DFL_LEN
  }
  return opts_.resizable_array_length;
}

Result<uint64_t> ObjectLoader::data_section_size(const ElfSection& s) {
  const ElfSymbol* last = nullptr;
  for (const ElfSymbol& sym : elf_.symbols())
    if (sym.shndx == s.index && sym.type == STT_OBJECT && !sym.name.empty() && (!last || sym.value > last->value))
      last = &sym;
  for (const ElfSymbol& sym : elf_.symbols()) {
    auto it = opts_.array_lengths.find(sym.name);
    if (it != opts_.array_lengths.end() && sym.shndx == s.index && &sym != last)
      return err("--resize " + sym.name, fmt::format("is not the last variable of section {}", s.name));
  }
  if (!last || !has_btf_) return s.size;
  const struct btf_type* vt = obj_->btf_.type(datasec_var(s.name, last->name));
  const struct btf_type* at = vt && btf_is_var(vt) ? obj_->btf_.type(obj_->btf_.skip_mods(vt->type)) : nullptr;
  if (!at || !btf_is_array(at)) {
    if (opts_.array_lengths.count(last->name)) return err("--resize " + last->name, "is not an array");
    return s.size;
  }
  const uint64_t n = requested_length(s, *last, at);
  if (n == 0) return s.size;
  const int64_t elem = obj_->btf_.size_of(btf_array(at)->type);
  if (elem <= 0 || n > (1ULL << 40) / static_cast<uint64_t>(elem))
    return err("--resize " + last->name, fmt::format("{} elements of {} bytes is too large", n, elem));
  resized_[last->name] = n * static_cast<uint64_t>(elem);
  return last->value + n * static_cast<uint64_t>(elem);
}

Status ObjectLoader::check_prologue_names() const {
  for (const auto& [name, n] : opts_.map_max_entries)
    if (!obj_->map(name)) return err("--map-size " + name, "no such map in the object");
  for (const auto& [name, n] : opts_.array_lengths)
    if (!resized_.count(name)) return err("--resize " + name, "no such array in the object's data sections");
  return Status();
}

// ---- BPF arena (maps/arena.h): the arena map and the __arena globals of .addr_space.1 ----
// As libbpf: one arena map per object; the globals' initial bytes are written at the end of the
// arena (arena_data_off = mmap size - the section rounded up to pages, where libbpf puts them
// when the kernel takes full-range ld_imm64 offsets), faulting in their pages as libbpf's
// memcpy into the mmap does; an ld_imm64 of a global gets user_vm_start + offset.
Status ObjectLoader::load_arena() {
  for (size_t i = 0; i < obj_->maps_.size(); ++i) {
    if (!dynamic_cast<ArenaMap*>(obj_->maps_[i].map.get())) continue;
    if (arena_map_ != SIZE_MAX)
      return err("map '" + obj_->maps_[i].name + "'",
                 "only one arena map is supported (map '" + obj_->maps_[arena_map_].name + "' is one too)");
    arena_map_ = i;
  }
  if (!arena_shndx_) return Status();
  const ElfSection& sec = *elf_.section(arena_shndx_);
  if (arena_map_ == SIZE_MAX)
    return err("section .addr_space.1", "__arena globals need an arena map declared in SEC(\".maps\")");
  Arena& a = *static_cast<ArenaMap*>(obj_->maps_[arena_map_].map.get())->arena();
  const uint64_t alloc = (sec.size + Arena::kPageSize - 1) & ~(Arena::kPageSize - 1);
  if (alloc > a.size_bytes())
    return err("section .addr_space.1", fmt::format("arena '{}' ({} bytes) is too small for {} bytes of "
                                                    "__arena globals", a.name(), a.size_bytes(), sec.size));
  arena_data_off_ = a.size_bytes() - alloc;
  std::vector<uint8_t> init(sec.size, 0);
  if (sec.type == SHT_PROGBITS && !sec.data.empty())
    std::memcpy(init.data(), sec.data.data(), std::min<size_t>(sec.size, sec.data.size()));
  if (Status st = a.user_write(arena_data_off_, init.data(), init.size()); !st.ok()) return st.within(name_);
  for (const ElfSymbol& sym : elf_.symbols())
    if (sym.shndx == arena_shndx_ && sym.type == STT_OBJECT && !sym.name.empty()) add_arena_global(sym, arena_data_off_);
  return Status();
}

void ObjectLoader::add_arena_global(const ElfSymbol& sym, uint64_t data_off) {
  GlobalVar g;
  g.name = sym.name;
  g.section = ".addr_space.1";
  g.map_index = arena_map_;
  g.offset = data_off + sym.value;
  g.size = sym.size;
  if (uint32_t var = datasec_var(".addr_space.1", sym.name)) {
    const struct btf_type* vt = obj_->btf_.type(var);
    if (vt && btf_is_var(vt)) {
      g.btf_type_id = vt->type;
      g.type = obj_->btf_.type_name(vt->type);
    }
  }
  // The host writes it as user space would through the mapping; one within a page only.
  g.settable = sym.size > 0 && (g.offset % Arena::kPageSize) + sym.size <= Arena::kPageSize;
  obj_->globals_.push_back(std::move(g));
}

Status ObjectLoader::load_externs() {
  const Btf& b = obj_->btf_;
  std::vector<ExternInfo*> kconfigs;
  std::map<std::string, int> kfunc_index;  // essential name → index
  for (const ElfSymbol& s : elf_.symbols()) {
    if (s.shndx != SHN_UNDEF || s.name.empty() || (s.bind != STB_GLOBAL && s.bind != STB_WEAK)) continue;
    if (extern_by_name_.count(s.name)) continue;
    ExternInfo e;
    e.name = s.name;
    e.essential_name = s.name.substr(0, core_essential_name_len(s.name));
    e.weak = s.bind == STB_WEAK;
    uint32_t kc_type = datasec_var(".kconfig", s.name);
    uint32_t func = has_btf_ ? b.find(s.name, BTF_KIND_FUNC) : 0;
    if (kc_type) {
      e.kind = ExternKind::kKconfig;
    } else if (func || s.type == STT_FUNC) {
      e.kind = ExternKind::kKfunc;
    } else {
      e.kind = ExternKind::kKsym;
    }
    const std::string where = fmt::format("extern '{}'", s.name);
    switch (e.kind) {
      case ExternKind::kKfunc: {
        const KfuncRegistry* reg = opts_.kfuncs ? opts_.kfuncs : &global_kfunc_registry();
        const HostFn* fn = reg->find(e.name);
        if (!fn) fn = reg->find(e.essential_name);
        if (fn && !*fn) fn = nullptr;  // KfuncRegistry::add_absent
        if (!fn && !e.weak) {
          if (!opts_.allow_missing_kfuncs)
            return err(where, fmt::format("kfunc '{}' is not provided by scxsim", e.essential_name));
          obj_->unsupported_.push_back(fmt::format("kfunc '{}' is not provided by scxsim", e.essential_name));
        }
        auto it = kfunc_index.find(e.essential_name + (fn ? "" : "\x01"));
        if (it != kfunc_index.end()) {
          e.kfunc_index = it->second;
        } else {
          e.kfunc_index = static_cast<int>(obj_->kfunc_table_->size());
          if (fn) {
            obj_->kfunc_table_->set(static_cast<uint32_t>(e.kfunc_index), e.essential_name,
                                    with_reference_rule(e.essential_name,
                                                        bind_graph_kfunc(*fn, obj_->graph_)));
          } else {
            std::string msg = fmt::format("call to kfunc '{}', which scxsim does not provide (weak, unresolved)",
                                          e.essential_name);
            obj_->kfunc_table_->set(static_cast<uint32_t>(e.kfunc_index), e.essential_name,
                                    [msg](CallContext& cx, const HostArgs&) -> uint64_t {
                                      cx.fault(msg);
                                      return 0;
                                    });
          }
          kfunc_index[e.essential_name + (fn ? "" : "\x01")] = e.kfunc_index;
        }
        e.resolved = fn != nullptr;
        e.value = fn ? (kKfuncAddrTag | static_cast<uint64_t>(e.kfunc_index)) : 0;
        break;
      }
      case ExternKind::kKsym: {
        uint64_t addr = 0;
        bool found = false;
        if (opts_.ksyms) {
          auto it = opts_.ksyms->find(e.name);
          if (it == opts_.ksyms->end()) it = opts_.ksyms->find(e.essential_name);
          if (it != opts_.ksyms->end()) {
            addr = it->second;
            found = true;
          }
        }
        if (!found && !e.weak) return err(where, fmt::format("kernel symbol '{}' is not provided by scxsim", e.name));
        e.resolved = found;
        e.value = addr;
        break;
      }
      case ExternKind::kKconfig:
        break;  // below, once all are known
    }
    extern_by_name_[e.name] = obj_->externs_.size();
    obj_->externs_.push_back(std::move(e));
  }
  // .kconfig: one read-only map holding every kconfig extern.
  uint64_t off = 0;
  std::vector<std::pair<size_t, uint64_t>> layout;  // extern index → offset
  for (size_t i = 0; i < obj_->externs_.size(); ++i) {
    ExternInfo& e = obj_->externs_[i];
    if (e.kind != ExternKind::kKconfig) continue;
    uint32_t var = datasec_var(".kconfig", e.name);
    const struct btf_type* vt = b.type(var);
    int64_t sz = vt ? b.size_of(vt->type) : -1;
    if (sz <= 0 || sz > 4096) return err(fmt::format("kconfig '{}'", e.name), "cannot size the variable");
    uint64_t align = std::min<uint64_t>(8, static_cast<uint64_t>(sz));
    while (align & (align - 1)) --align;
    off = (off + align - 1) / align * align;
    layout.push_back({i, off});
    off += static_cast<uint64_t>(sz);
  }
  if (layout.empty()) return Status();
  MapSpec spec;
  spec.name = ".kconfig";
  spec.type = kMapArray;
  spec.key_size = 4;
  spec.value_size = static_cast<uint32_t>(off);
  spec.max_entries = 1;
  spec.read_only = true;
  spec.eager_regions = true;
  auto m = Map::create(spec, obj_->map_env_);
  if (!m.ok()) return m.status().within(name_);
  uint32_t zero = 0;
  auto* value = static_cast<uint8_t*>((*m)->lookup_cpu(&zero, 0));
  for (auto [i, o] : layout) {
    ExternInfo& e = obj_->externs_[i];
    const struct btf_type* vt = b.type(datasec_var(".kconfig", e.name));
    int64_t sz = b.size_of(vt->type);
    uint64_t v = 0;
    bool found = false;
    auto it = opts_.kconfig.find(e.name);
    if (it != opts_.kconfig.end()) {
      v = it->second;
      found = true;
    } else if (auto d = default_kconfig().find(e.name); d != default_kconfig().end()) {
      v = d->second;
      found = true;
    }
    if (!found && !e.weak) return err(fmt::format("kconfig '{}'", e.name), "value not known to scxsim (not weak)");
    if (sz <= 8) std::memcpy(value + o, &v, static_cast<size_t>(sz));
    e.resolved = found;
    e.value = found ? v : 0;
    kconfig_off_[e.name] = o;
  }
  BpfMapInfo info;
  info.name = ".kconfig";
  info.section = ".kconfig";
  info.map = std::move(m).value();
  info.global_data = true;
  kconfig_map_ = obj_->maps_.size();
  obj_->maps_.push_back(std::move(info));
  return Status();
}

Status ObjectLoader::relocate_section(uint32_t sec) {
  std::vector<Insn>& code = code_[sec];
  const std::string sname = elf_.section(sec)->name;
  auto rels_r = elf_.relocations_for(sec);
  if (!rels_r.ok()) return rels_r.status().within(name_);
  std::set<size_t> relocated;
  size_t ri = 0;
  for (const ElfRel& r : *rels_r) {
    const std::string where = fmt::format("section {}, relocation #{} (offset {:#x})", sname, ri++, r.offset);
    if (r.offset % 8 || r.offset / 8 >= code.size()) return err(where, "offset outside the section's instructions");
    size_t idx = r.offset / 8;
    relocated.insert(idx);
    Insn& in = code[idx];
    const ElfSymbol& sym = elf_.symbols()[r.sym];
    const std::string wsym = where + fmt::format(", insn {}, symbol '{}'", idx, sym.name);
    const bool is_call = in.code == (op::kJmp | op::kCall);
    const bool is_ld64 = in.code == op::kLdImm64;
    if (!is_call && !is_ld64) return err(wsym, fmt::format("relocation on an instruction that is neither a call nor ld_imm64 (opcode {:#04x})", in.code));
    if (is_ld64 && idx + 1 >= code.size()) return err(wsym, "ld_imm64 without its second slot");

    if (sym.shndx == SHN_UNDEF) {
      auto eit = extern_by_name_.find(sym.name);
      if (eit == extern_by_name_.end()) return err(wsym, "relocation against an unknown undefined symbol");
      const ExternInfo& e = obj_->externs_[eit->second];
      if (is_call) {
        if (e.kind != ExternKind::kKfunc) return err(wsym, "call to an extern that is not a kfunc");
        in.src = op::kCallKfunc;
        in.imm = e.kfunc_index;
        in.off = 0;
      } else if (e.kind == ExternKind::kKconfig) {
        uint32_t zero = 0;
        auto* base = static_cast<uint8_t*>(obj_->maps_[kconfig_map_].map->lookup_cpu(&zero, 0));
        set_ld_imm64(&in, reinterpret_cast<uint64_t>(base) + kconfig_off_[e.name]);
      } else {
        set_ld_imm64(&in, e.value);
      }
      continue;
    }
    if (sym.shndx >= SHN_LORESERVE) return err(wsym, "relocation against a special section index");
    if (code_.count(sym.shndx)) {  // code: a subprogram call or a callback address
      uint64_t target;
      if (is_call) {
        if (in.src != 1) return err(wsym, "call relocation on a helper call");
        int64_t t = static_cast<int64_t>(sym.value / 8) + in.imm + 1;
        if (sym.value % 8 || t < 0) return err(wsym, "misaligned call target");
        target = static_cast<uint64_t>(t);
      } else {
        int64_t t = static_cast<int64_t>(sym.value) + in.imm;
        if (sym.value % 8 || in.imm % 8 || t < 0) return err(wsym, "misaligned function address");
        target = static_cast<uint64_t>(t) / 8;
        in.src = op::kPseudoFunc;
      }
      if (target >= code_[sym.shndx].size()) return err(wsym, "call target outside its section");
      call_targets_[{sec, idx}] = Target{sym.shndx, static_cast<size_t>(target)};
      continue;
    }
    if (is_call) return err(wsym, "call to a non-code symbol");
    if (sym.shndx == maps_shndx_ && maps_shndx_) {
      auto mit = btf_map_by_off_.find(sym.value + (sym.type == STT_SECTION ? static_cast<uint32_t>(in.imm) : 0));
      if (mit == btf_map_by_off_.end()) return err(wsym, "reference to an unknown map");
      const BpfMapInfo& mi = obj_->maps_[mit->second];
      set_ld_imm64(&in, mi.map ? mi.map->handle() : 0);
      continue;
    }
    if (sym.shndx == arena_shndx_ && arena_shndx_) {  // an __arena global: its user address
      const Arena& a = *static_cast<ArenaMap*>(obj_->maps_[arena_map_].map.get())->arena();
      int64_t off = static_cast<int64_t>(arena_data_off_ + sym.value) + in.imm;
      if (off < 0 || static_cast<uint64_t>(off) > a.size_bytes())  // arena_map_direct_value_addr
        return err(wsym, fmt::format("offset {} outside arena '{}'", off, a.name()));
      set_ld_imm64(&in, a.user_vm_start() + static_cast<uint64_t>(off));
      continue;
    }
    if (auto dit = data_map_by_sec_.find(sym.shndx); dit != data_map_by_sec_.end()) {
      uint32_t zero = 0;
      Map* m = obj_->maps_[dit->second].map.get();
      auto* base = static_cast<uint8_t*>(m->lookup_cpu(&zero, 0));
      int64_t off = static_cast<int64_t>(sym.value) + in.imm;
      if (off < 0 || static_cast<uint64_t>(off) > m->spec().value_size)
        return err(wsym, fmt::format("offset {} outside section {}", off, m->name()));
      set_ld_imm64(&in, reinterpret_cast<uint64_t>(base) + static_cast<uint64_t>(off));
      continue;
    }
    const ElfSection* ts = elf_.section(sym.shndx);
    return err(wsym, fmt::format("relocation against section '{}', which is not maps, data or code",
                                 ts ? ts->name : "?"));
  }
  // pc-relative calls inside the section (static functions in the same section).
  for (size_t i = 0; i < code.size(); ++i) {
    const Insn& in = code[i];
    if (in.code == op::kLdImm64) {
      ++i;
      continue;
    }
    if (in.code == (op::kJmp | op::kCall) && in.src == op::kCallLocal && !relocated.count(i)) {
      int64_t t = static_cast<int64_t>(i) + in.imm + 1;
      if (t < 0 || static_cast<size_t>(t) >= code.size())
        return err(fmt::format("section {}, insn {}", sname, i), "call target outside the section");
      call_targets_[{sec, i}] = Target{sec, static_cast<size_t>(t)};
    }
  }
  return Status();
}

Status ObjectLoader::apply_core(uint32_t sec) {
  const std::string sname = elf_.section(sec)->name;
  const BtfExtSection* ext = ext_for(sname);
  if (!ext) return Status();
  std::vector<Insn>& code = code_[sec];
  for (const BtfExtCoreRelo& r : ext->relos) {
    const std::string where = fmt::format("section {}, insn {}, CO-RE relocation #{} ({})", sname, r.insn, r.index,
                                          core_relo_kind_name(r.kind));
    if (r.insn >= code.size()) return err(where, "instruction index out of range");
    auto res = core_calc_relo(obj_->btf_, *target_, r);
    if (!res.ok()) return err(where, res.status().reason());
    if (!res->poison) {
      Status s = core_patch_insn(code.data(), code.size(), r.insn, *res);
      if (!s.ok()) return err(where + ": " + res->description, s.reason());
      continue;
    }
    std::string msg = fmt::format("CO-RE relocation #{} ({} of {}) could not be satisfied against the simulated "
                                  "kernel: {}",
                                  r.index, core_relo_kind_name(r.kind), res->description, res->reason);
    if (opts_.strict_core) return err(where, res->description + ": " + res->reason);
    obj_->unsupported_.push_back(fmt::format("{} (section {}, insn {}; poisoned, faults if reached)", msg, sname,
                                             r.insn));
    // Poison like libbpf: the instruction becomes a call that faults with the explanation.
    uint32_t idx = static_cast<uint32_t>(obj_->kfunc_table_->size());
    obj_->kfunc_table_->set(idx, "core_relo_poison", [msg](CallContext& cx, const HostArgs&) -> uint64_t {
      cx.fault(msg);
      return 0;
    });
    Insn& in = code[r.insn];
    bool ld64 = in.code == op::kLdImm64 && r.insn + 1 < code.size();
    in = Insn{};
    in.code = op::kJmp | op::kCall;
    in.src = op::kCallKfunc;
    in.imm = static_cast<int32_t>(idx);
    if (ld64) {
      code[r.insn + 1] = Insn{};
      code[r.insn + 1].code = op::kJmp | op::kJa;  // goto +0 (never reached)
    }
  }
  return Status();
}

Status ObjectLoader::build_programs() {
  // Line info per section, sorted.
  std::map<uint32_t, std::vector<const BtfExtLine*>> lines;
  for (auto& [sec, code] : code_) {
    const BtfExtSection* ext = ext_for(elf_.section(sec)->name);
    if (!ext) continue;
    for (const BtfExtLine& l : ext->lines) lines[sec].push_back(&l);
    std::stable_sort(lines[sec].begin(), lines[sec].end(),
                     [](const BtfExtLine* a, const BtfExtLine* b) { return a->insn < b->insn; });
  }
  for (const ElfSymbol& s : elf_.symbols()) {
    if (s.type != STT_FUNC || !code_.count(s.shndx) || s.name.empty()) continue;
    const std::string& sname = elf_.section(s.shndx)->name;
    if (sname == ".text") continue;
    const std::string where = fmt::format("program '{}' (section {})", s.name, sname);
    if (s.value % 8 || s.size % 8 || s.size == 0 || !elf_.symbol_data(s))
      return err(where, "function symbol outside its section");
    BpfProgram p;
    p.name = s.name;
    p.section = sname;
    p.sleepable = sleepable_section(sname);
    p.own_insns = s.size / 8;

    struct Unit {
      uint32_t sec;
      size_t start, count, pos;
    };
    std::vector<Unit> units{{s.shndx, s.value / 8, s.size / 8, 0}};
    std::map<std::pair<uint32_t, size_t>, size_t> placed{{{s.shndx, s.value / 8}, 0}};
    std::vector<Insn> out;
    struct Fixup {
      size_t pc;
      uint32_t sec;
      size_t idx;
    };
    std::vector<Fixup> fixups;
    for (size_t u = 0; u < units.size(); ++u) {
      Unit unit = units[u];
      units[u].pos = out.size();
      if (out.size() + unit.count > 1'000'000) return err(where, "program too large");
      const std::vector<Insn>& code = code_[unit.sec];
      for (size_t i = unit.start; i < unit.start + unit.count; ++i) {
        size_t pc = out.size();
        out.push_back(code[i]);
        auto ct = call_targets_.find({unit.sec, i});
        if (ct == call_targets_.end()) continue;
        Target t = ct->second;
        size_t fstart, fcount;
        if (t.sec == unit.sec && t.idx >= unit.start && t.idx < unit.start + unit.count) {
          fstart = unit.start;
          fcount = unit.count;
        } else {
          const ElfSymbol* f = func_containing(t.sec, t.idx);
          if (!f) {
            return err(where, fmt::format("insn {}: call target {}:{} is not inside a function", pc,
                                          elf_.section(t.sec)->name, t.idx));
          }
          fstart = f->value / 8;
          fcount = f->size / 8;
        }
        if (!placed.count({t.sec, fstart})) {
          placed[{t.sec, fstart}] = units.size();
          units.push_back(Unit{t.sec, fstart, fcount, 0});
        }
        fixups.push_back(Fixup{pc, t.sec, t.idx});
      }
    }
    for (const Fixup& f : fixups) {
      const ElfSymbol* fs = func_containing(f.sec, f.idx);
      size_t fstart = fs ? fs->value / 8 : units[0].start;
      auto pit = placed.find({f.sec, fstart});
      if (pit == placed.end()) {  // a call within the entry unit without a function symbol
        pit = placed.find({units[0].sec, units[0].start});
        fstart = units[0].start;
      }
      const Unit& tu = units[pit->second];
      int64_t tpc = static_cast<int64_t>(tu.pos + (f.idx - tu.start));
      out[f.pc].imm = static_cast<int32_t>(tpc - static_cast<int64_t>(f.pc) - 1);
    }
    std::vector<LinkedFunction> functions;
    for (size_t u = 0; u < units.size(); ++u) {
      const ElfSymbol* fs = func_containing(units[u].sec, units[u].start);
      // libbpf turns hidden/internal global functions static before the verifier sees them.
      const bool global = u > 0 && fs && (fs->bind == STB_GLOBAL || fs->bind == STB_WEAK) && fs->visibility != STV_HIDDEN &&
                          fs->visibility != STV_INTERNAL;
      functions.push_back(LinkedFunction{units[u].pos, units[u].count, global, fs ? fs->name : s.name});
    }
    if (auto bad = find_global_call_under_lock(out, functions)) {
      return err(where, fmt::format("insn {}: calls global function '{}' while holding a bpf_spin_lock: the "
                                    "kernel's verifier rejects this (use a static function instead)",
                                    bad->pc, bad->callee));
    }
    for (const Unit& unit : units) {
      auto lit = lines.find(unit.sec);
      if (lit == lines.end()) continue;
      for (const BtfExtLine* l : lit->second)
        if (l->insn >= unit.start && l->insn < unit.start + unit.count)
          p.lines.push_back(LineInfo{unit.pos + (l->insn - unit.start), l});
    }
    std::stable_sort(p.lines.begin(), p.lines.end(), [](const LineInfo& a, const LineInfo& b) { return a.pc < b.pc; });
    if (!p.lines.empty()) p.source_file = p.lines.front().line->file;
    obj_->programs_.push_back(std::move(p));
    BpfProgram& bp = obj_->programs_.back();
    ProgramOptions po;
    auto created = Program::create(bp.name, std::move(out), po);
    if (!created.ok()) return err(where, created.status().message());
    bp.program = std::make_shared<Program>(std::move(created).value());
    bp.program->set_kfuncs(obj_->kfunc_table_);
    if (arena_map_ != SIZE_MAX)  // one arena per object, as libbpf allows
      bp.program->set_arena(static_cast<ArenaMap*>(obj_->maps_[arena_map_].map.get())->arena());
  }
  // describe_pc hooks need stable BpfProgram addresses: set them once the vector is final.
  for (BpfProgram& bp : obj_->programs_) {
    const BpfProgram* self = &bp;
    bp.program->set_describe_pc([self](size_t pc) { return self->describe(pc); });
  }
  return Status();
}

Status ObjectLoader::load_struct_ops() {
  const Btf& b = obj_->btf_;
  for (const ElfSection& sec : elf_.sections()) {
    if (sec.name != ".struct_ops" && sec.name != ".struct_ops.link") continue;
    if (!has_btf_) return err("section " + sec.name, "struct_ops needs .BTF");
    auto rels_r = elf_.relocations_for(sec.index);
    if (!rels_r.ok()) return rels_r.status().within(name_);
    for (const ElfSymbol& vs : elf_.symbols()) {
      if (vs.shndx != sec.index || vs.type != STT_OBJECT || vs.name.empty()) continue;
      const std::string where = fmt::format("struct_ops '{}' (section {})", vs.name, sec.name);
      if (obj_->struct_ops_) {
        obj_->unsupported_.push_back("more than one struct_ops map: '" + vs.name + "' ignored");
        continue;
      }
      uint32_t var = datasec_var(sec.name, vs.name);
      const struct btf_type* vt = b.type(var);
      if (!vt || !btf_is_var(vt)) return err(where, "no BTF description");
      uint32_t tid = b.skip_mods(vt->type);
      const struct btf_type* st = b.type(tid);
      std::string tname = b.type_name(vt->type);
      std::string_view sn = st ? b.str(st->name_off) : std::string_view();
      if (!st || !btf_is_struct(st) || sn.substr(0, core_essential_name_len(sn)) != "sched_ext_ops")
        return err(where, fmt::format("type is {}, not struct sched_ext_ops (the only struct_ops scxsim simulates)",
                                      tname));
      if (!range_within(vs.value, st->size, sec.data.size())) return err(where, "variable outside its section's data");
      const uint8_t* data = sec.data.data() + vs.value;
      uint32_t kid = target_->find("sched_ext_ops", BTF_KIND_STRUCT);
      const struct btf_type* kt = target_->type(kid);
      if (!kt) return err(where, "the target kernel BTF has no struct sched_ext_ops");
      StructOpsInfo so;
      so.var_name = vs.name;
      so.section = sec.name;
      so.type_name = "sched_ext_ops";
      // member offset → program
      std::map<uint64_t, const ElfSymbol*> ptrs;
      for (const ElfRel& r : *rels_r) {
        if (r.offset < vs.value || r.offset >= vs.value + st->size) continue;
        ptrs[r.offset - vs.value] = &elf_.symbols()[r.sym];
      }
      std::vector<std::pair<uint32_t, std::string>> cbs;  // kernel member index, name
      const struct btf_member* lm = btf_members(st);
      for (int i = 0; i < btf_vlen(st); ++i) {
        std::string mn(b.str(lm[i].name_off));
        uint32_t off = btf_member_bit_offset(st, i) / 8;
        int64_t lsz = b.size_of(lm[i].type);
        if (lsz < 0 || off + static_cast<uint64_t>(lsz) > st->size) return err(where + ", member " + mn, "bad layout");
        auto pit = ptrs.find(off);
        bool zero = std::all_of(data + off, data + off + lsz, [](uint8_t c) { return c == 0; });
        // The kernel's member of the same name.
        int kidx = -1;
        for (int j = 0; j < btf_vlen(kt); ++j)
          if (target_->str(btf_members(kt)[j].name_off) == mn) kidx = j;
        if (kidx < 0) {
          if (zero && pit == ptrs.end()) {
            so.ignored_members.push_back(mn);
            continue;
          }
          // SCX_OPS_OPEN clears the callbacks of later kernels when the kernel lacks them (and
          // sub_cgroup_id > 1 becomes 1, the root): user space loads the rest.
          static const std::set<std::string_view> cleared = {"cgroup_set_bandwidth", "cgroup_set_idle",
                                                             "sub_attach", "sub_detach", "sub_cgroup_id"};
          if (cleared.count(mn)) {
            so.ignored_members.push_back(mn);
            if (pit != ptrs.end()) compat_cleared_.insert(pit->second->name);
            continue;
          }
          return err(where + ", member " + mn, "not a member of the simulated kernel's sched_ext_ops");
        }
        const struct btf_member* km = btf_members(kt) + kidx;
        const struct btf_type* lmt = b.type(b.skip_mods(lm[i].type));
        const struct btf_type* kmt = target_->type(target_->skip_mods(km->type));
        bool lfn = lmt && btf_is_ptr(lmt) && b.type(b.skip_mods(lmt->type)) &&
                   btf_is_func_proto(b.type(b.skip_mods(lmt->type)));
        bool kfn = kmt && btf_is_ptr(kmt) && target_->type(target_->skip_mods(kmt->type)) &&
                   btf_is_func_proto(target_->type(target_->skip_mods(kmt->type)));
        if (lfn != kfn)
          return err(where + ", member " + mn, fmt::format("is {} here but {} in the kernel", lfn ? "a callback" : "data",
                                                           kfn ? "a callback" : "data"));
        if (lfn) {
          if (pit == ptrs.end()) {
            if (!zero) return err(where + ", member " + mn, "callback set without a relocation to a program");
            continue;
          }
          const ElfSymbol* ps = pit->second;
          if (!ps->in_section() || !code_.count(ps->shndx))
            return err(where + ", member " + mn, fmt::format("points to '{}', which is not in a code section", ps->name));
          size_t prog = SIZE_MAX;
          for (size_t k = 0; k < obj_->programs_.size(); ++k) {
            const ElfSymbol* f = nullptr;
            if (obj_->programs_[k].section == elf_.section(ps->shndx)->name) {
              f = ps;
              if (ps->type == STT_SECTION || obj_->programs_[k].name == ps->name) prog = k;
            }
            if (prog != SIZE_MAX) break;
            (void)f;
          }
          if (prog == SIZE_MAX)
            return err(where + ", member " + mn, fmt::format("points to '{}', which is not a program", ps->name));
          BpfProgram& p = obj_->programs_[prog];
          if (!starts_with(p.section, "struct_ops"))
            return err(where + ", member " + mn, fmt::format("program '{}' is in section {}, not struct_ops/", p.name, p.section));
          if (p.sleepable && !member_may_sleep(mn))
            return err(where + ", member " + mn, fmt::format("program '{}' is sleepable but ops.{} may not sleep", p.name, mn));
          if (!p.struct_ops_member.empty() && p.struct_ops_member != mn)
            return err(where + ", member " + mn, fmt::format("program '{}' already implements ops.{}", p.name,
                                                             p.struct_ops_member));
          p.struct_ops_member = mn;
          cbs.push_back({static_cast<uint32_t>(kidx), mn});
          so.callbacks.push_back(StructOpsCallback{mn, prog});
          continue;
        }
        if (pit != ptrs.end()) return err(where + ", member " + mn, "data member with a relocation");
        int64_t ksz = target_->size_of(km->type);
        if (ksz != lsz) return err(where + ", member " + mn, fmt::format("size {} differs from the kernel's {}", lsz, ksz));
        auto rd = [&](void* dst, size_t n) { std::memcpy(dst, data + off, std::min<size_t>(n, static_cast<size_t>(lsz))); };
        if (mn == "name") {
          so.name.assign(reinterpret_cast<const char*>(data + off),
                         strnlen(reinterpret_cast<const char*>(data + off), static_cast<size_t>(lsz)));
        } else if (mn == "flags") {
          rd(&so.flags, 8);
        } else if (mn == "timeout_ms") {
          rd(&so.timeout_ms, 4);
        } else if (mn == "dispatch_max_batch") {
          rd(&so.dispatch_max_batch, 4);
        } else if (mn == "exit_dump_len") {
          rd(&so.exit_dump_len, 4);
        } else if (mn == "hotplug_seq") {
          rd(&so.hotplug_seq, 8);
        } else if (!zero) {
          obj_->unsupported_.push_back(fmt::format("sched_ext_ops.{} is set but not simulated", mn));
        }
      }
      // Callbacks in the kernel's member order.
      std::vector<size_t> order(so.callbacks.size());
      for (size_t k = 0; k < order.size(); ++k) order[k] = k;
      std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return cbs[x].first < cbs[y].first; });
      std::vector<StructOpsCallback> sorted;
      for (size_t k : order) sorted.push_back(so.callbacks[k]);
      so.callbacks = std::move(sorted);
      obj_->struct_ops_ = std::move(so);
    }
  }
  return Status();
}

Status ObjectLoader::init_map_in_map() {
  // Initial inner maps of an outer map: relocations in .maps at `values` slots.
  if (map_values_.empty()) return Status();
  auto rels_r = elf_.relocations_for(maps_shndx_);
  if (!rels_r.ok()) return rels_r.status().within(name_);
  for (auto& [outer, members] : map_values_) {
    BpfMapInfo& mi = obj_->maps_[outer];
    auto* mom = dynamic_cast<MapOfMaps*>(mi.map.get());
    uint64_t base = 0;
    for (auto& [off, idx] : btf_map_by_off_)
      if (idx == outer) base = off;
    for (const ElfRel& r : *rels_r) {
      uint64_t values_off = base + members[0].first;
      if (r.offset < values_off || r.offset >= values_off + 8ULL * std::max<uint32_t>(1, mi.map ? mi.map->spec().max_entries : 1))
        continue;
      uint32_t slot = static_cast<uint32_t>((r.offset - values_off) / 8);
      const ElfSymbol& s = elf_.symbols()[r.sym];
      auto it = btf_map_by_off_.find(s.value);
      if (s.shndx != maps_shndx_ || it == btf_map_by_off_.end())
        return err(fmt::format("map '{}', values[{}]", mi.name, slot), "does not point to a map");
      if (!mom) continue;
      std::shared_ptr<Map> inner = obj_->maps_[it->second].map;
      if (!inner) continue;
      std::vector<uint8_t> key(mom->spec().key_size, 0);
      std::memcpy(key.data(), &slot, std::min<size_t>(4, key.size()));
      Status st = mom->set(key.data(), inner);
      if (!st.ok()) return st.within(name_);
    }
  }
  return Status();
}

void ObjectLoader::note_unsupported() {
  for (const BpfProgram& p : obj_->programs_) {
    const std::optional<TracingSection> tracing = parse_tracing_section(p.section);
    if (tracing && !tracing->autoload)
      obj_->unsupported_.push_back(fmt::format("program '{}': section '{}' (autoload off: never loaded, as libbpf "
                                               "leaves it unless user space asks)", p.name, p.section));
    else if (!tracing && !starts_with(p.section, "struct_ops") && p.section != "syscall")
      obj_->unsupported_.push_back(fmt::format("program '{}': section '{}' (scxsim runs struct_ops, syscall and "
                                               "tracing programs: tp_btf/, raw_tp/, fentry/, fexit/)", p.name, p.section));
    std::set<uint32_t> seen;
    for (size_t pc = 0; pc < p.program->size(); ++pc) {
      const Insn& in = p.program->insns()[pc];
      if (in.code == op::kLdImm64) {
        ++pc;
        continue;
      }
      if (in.code == (op::kJmp | op::kCall) && in.src == op::kCallHelper) {
        uint32_t id = static_cast<uint32_t>(in.imm);
        if (!helper_name(id) && seen.insert(id).second)
          obj_->unsupported_.push_back(fmt::format("program '{}': helper #{} is not implemented", p.name, id));
      }
    }
  }
  for (const BpfProgram& p : obj_->programs_)
    if (starts_with(p.section, "struct_ops") && p.struct_ops_member.empty() && obj_->struct_ops_ &&
        !compat_cleared_.count(p.name))
      obj_->unsupported_.push_back(fmt::format("program '{}' is not referenced by the struct_ops map", p.name));
}

Result<std::unique_ptr<BpfObject>> ObjectLoader::load(std::vector<uint8_t> bytes) {
  obj_.reset(new BpfObject());
  obj_->path_ = name_;
  obj_->bytes_ = std::move(bytes);
  obj_->kfunc_table_ = std::make_shared<HostTable>();
  obj_->map_env_ = opts_.map_env ? opts_.map_env : std::make_shared<MapEnv>();
  target_ = opts_.target_btf ? opts_.target_btf : &kernel_btf();
  auto e = ElfFile::parse(obj_->bytes_);
  if (!e.ok()) return e.status().within(name_);
  elf_ = std::move(e).value();
  SCX_RETURN_IF_ERROR(load_btf());
  if (has_btf_) obj_->graph_ = std::make_shared<GraphHeap>(obj_->btf_, obj_->map_env_, opts_.max_heap_bytes);
  SCX_RETURN_IF_ERROR(collect_sections());
  if (code_.empty()) return err("", "no code sections");
  if (!has_btf_ && !obj_->ext_.empty()) return err("", ".BTF.ext without .BTF");
  SCX_RETURN_IF_ERROR(load_btf_maps());
  SCX_RETURN_IF_ERROR(load_data_maps());
  SCX_RETURN_IF_ERROR(check_prologue_names());
  SCX_RETURN_IF_ERROR(load_arena());
  SCX_RETURN_IF_ERROR(load_externs());
  for (auto& [sec, code] : code_) {
    SCX_RETURN_IF_ERROR(apply_core(sec));
    SCX_RETURN_IF_ERROR(relocate_section(sec));
  }
  SCX_RETURN_IF_ERROR(build_programs());
  SCX_RETURN_IF_ERROR(load_struct_ops());
  SCX_RETURN_IF_ERROR(init_map_in_map());
  note_unsupported();
  return std::move(obj_);
}

Result<std::unique_ptr<BpfObject>> load_bpf_object(std::span<const uint8_t> bytes, const std::string& name,
                                                   const LoadOptions& options) {
  ObjectLoader l(name, options);
  return l.load(std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

Result<std::unique_ptr<BpfObject>> load_bpf_object(const std::string& path, const LoadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Errorf(path, "cannot open: {}", std::strerror(errno));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ObjectLoader l(path, options);
  return l.load(std::move(bytes));
}

}  // namespace scx::bpf
