#include "probe/probe_readers.h"

#include <bpf/btf.h>
#include <linux/btf.h>

#include <cstring>

#include <fmt/format.h>

#include "base/suggest.h"
#include "bpf/maps/map.h"

namespace scx {
namespace {

constexpr size_t kCloseNames = 3;  // enough to spot the one meant, short enough for one line

std::string join(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

// "no global or map 'X' in OBJ; close names: a, b, map:c" over everything a probe can name.
Status unknown_name(const ProbeSpec& spec, std::string_view name, const bpf::BpfObject& obj) {
  std::vector<std::string> known;
  for (const bpf::GlobalVar& g : obj.globals()) known.push_back(g.name);
  for (const bpf::BpfMapInfo& m : obj.maps())
    if (!m.global_data && m.map) known.push_back("map:" + m.name);
  const std::string typed = spec.map ? "map:" + std::string(name) : std::string(name);
  return Status::Errorf("--probe " + spec.text, "no {} '{}' in {}; close names: {}", spec.map ? "map" : "global",
                        name, obj.path(), join(close_names(typed, known, kCloseNames)));
}

// A scalar of `size` bytes at `p` (little-endian), sign-extended when BTF says it is signed.
int64_t read_scalar(const uint8_t* p, uint64_t size, bool is_signed) {
  uint64_t v = 0;
  std::memcpy(&v, p, static_cast<size_t>(size));
  if (is_signed && size < 8 && (v >> (size * 8 - 1)) & 1) v |= ~((1ULL << (size * 8)) - 1);
  return static_cast<int64_t>(v);
}

bool is_signed_int(const bpf::Btf& btf, uint32_t type_id) {
  const btf_type* t = type_id ? btf.type(type_id) : nullptr;
  return t && btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_SIGNED);
}

Status check_scalar(const ProbeSpec& spec, uint64_t size, const std::string& what) {
  if (size == 1 || size == 2 || size == 4 || size == 8) return {};
  return Status::Errorf("--probe " + spec.text, "{} is {} bytes, not a number: name a member or an element", what,
                        size);
}

Result<std::vector<ProbeReader>> resolve_global(const ProbeSpec& spec, bpf::BpfObject& obj) {
  const std::string name = spec.path.substr(0, spec.path.find_first_of(".["));
  if (!obj.global(name)) return unknown_name(spec, name, obj);
  auto slot = obj.locate_global(spec.path);
  if (!slot.ok()) return slot.status().within("--probe " + spec.text);
  SCX_RETURN_IF_ERROR(check_scalar(spec, slot->size, "'" + spec.path + "'"));
  uint8_t* data = obj.global_data(slot->var->name);
  if (!data) return Status::Errorf("--probe " + spec.text, "'{}' has no backing memory", name);
  const uint8_t* at = data + slot->offset;
  const uint64_t size = slot->size;
  const bool is_signed = is_signed_int(obj.btf(), slot->type_id);
  return std::vector<ProbeReader>{{spec.text, [at, size, is_signed] { return read_scalar(at, size, is_signed); }}};
}

bool is_percpu(const bpf::Map& m) {
  return m.type() == bpf::kMapPercpuArray || m.type() == bpf::kMapPercpuHash || m.type() == bpf::kMapLruPercpuHash;
}

// Where in the map's value the probe reads (the whole value, or a member by BTF path).
Result<bpf::Btf::Field> value_field(const ProbeSpec& spec, const bpf::BpfObject& obj, const bpf::BpfMapInfo& info) {
  const uint32_t value_size = info.map->spec().value_size;
  if (spec.member.empty()) return bpf::Btf::Field{0, value_size, info.value_type_id};
  if (!info.value_type_id)
    return Status::Errorf("--probe " + spec.text, "map '{}' has no BTF value type to find '{}' in", spec.path,
                          spec.member);
  SCX_ASSIGN_OR_RETURN(std::optional<bpf::Btf::Field> f,
                       obj.btf().locate_path(info.value_type_id, value_size, spec.member, "--probe " + spec.text,
                                             true, spec.path));
  return *f;
}

Result<std::vector<ProbeReader>> resolve_map(const ProbeSpec& spec, bpf::BpfObject& obj) {
  const bpf::BpfMapInfo* info = nullptr;
  for (const bpf::BpfMapInfo& m : obj.maps())
    if (m.name == spec.path && !m.global_data && m.map) info = &m;
  if (!info) return unknown_name(spec, spec.path, obj);
  bpf::Map* map = info->map.get();
  const uint32_t key_size = map->spec().key_size;
  if (key_size == 0 || key_size > 8)
    return Status::Errorf("--probe " + spec.text, "map '{}' has {}-byte keys; probes take integer keys", spec.path,
                          key_size);
  if (key_size < 8 && spec.key >> (key_size * 8))
    return Status::Errorf("--probe " + spec.text, "key {} does not fit map '{}''s {}-byte keys", spec.key, spec.path,
                          key_size);
  SCX_ASSIGN_OR_RETURN(bpf::Btf::Field field, value_field(spec, obj, *info));
  SCX_RETURN_IF_ERROR(check_scalar(spec, field.size, fmt::format("the value of map '{}'", spec.path)));
  const uint32_t nr_cpus = is_percpu(*map) ? map->env().nr_cpus : 1;
  if (!is_percpu(*map) && spec.cpus != ProbeSpec::Cpus::kSum)
    return Status::Errorf("--probe " + spec.text, "map '{}' is not per-CPU ('@' applies to per-CPU maps)", spec.path);
  if (spec.cpus == ProbeSpec::Cpus::kOne && spec.cpu >= nr_cpus)
    return Status::Errorf("--probe " + spec.text, "CPU {} is past the map's {} CPUs", spec.cpu, nr_cpus);
  const bool is_signed = is_signed_int(obj.btf(), field.type_id);
  const uint64_t key = spec.key;
  // An absent element (a hash map's key not inserted yet) reads as 0.
  auto read_cpu = [map, key, field, is_signed](uint32_t cpu) -> int64_t {
    const auto* v = static_cast<const uint8_t*>(map->lookup_cpu(&key, cpu));
    return v ? read_scalar(v + field.offset, field.size, is_signed) : 0;
  };
  if (spec.cpus == ProbeSpec::Cpus::kOne) {
    const uint32_t cpu = spec.cpu;
    return std::vector<ProbeReader>{{spec.text, [read_cpu, cpu] { return read_cpu(cpu); }}};
  }
  if (spec.cpus == ProbeSpec::Cpus::kEach) {
    std::vector<ProbeReader> out;
    const std::string base = spec.text.substr(0, spec.text.rfind('@'));
    for (uint32_t c = 0; c < nr_cpus; ++c)
      out.push_back({fmt::format("{}@cpu{}", base, c), [read_cpu, c] { return read_cpu(c); }});
    return out;
  }
  return std::vector<ProbeReader>{{spec.text, [read_cpu, nr_cpus] {
                                     int64_t sum = 0;
                                     for (uint32_t c = 0; c < nr_cpus; ++c) sum += read_cpu(c);
                                     return sum;
                                   }}};
}

}  // namespace

Result<std::vector<ProbeReader>> resolve_bpf_probe(const ProbeSpec& spec, bpf::BpfObject& obj) {
  return spec.map ? resolve_map(spec, obj) : resolve_global(spec, obj);
}

Result<std::vector<ProbeReader>> resolve_native_probe(const ProbeSpec& spec, const ExportedCounters* counters,
                                                      const std::string& policy) {
  const std::vector<std::string> names = counters ? counters->counter_names() : std::vector<std::string>{};
  if (names.empty())
    return Status::Errorf("--probe " + spec.text, "the native policy '{}' exports no counters", policy);
  if (spec.map)
    return Status::Errorf("--probe " + spec.text, "the native policy '{}' has no maps; its counters: {}", policy,
                          join(names));
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == spec.path) return std::vector<ProbeReader>{{spec.text, [counters, i] { return counters->counter(i); }}};
  return Status::Errorf("--probe " + spec.text, "the native policy '{}' has no counter '{}'; close names: {}", policy,
                        spec.path, join(close_names(spec.path, names, kCloseNames)));
}

}  // namespace scx
