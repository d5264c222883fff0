// BTF-driven writes of scx_layered's set-up into a BPF object (see writer.h).
#include "bpf/host/layered/writer.h"

#include <bpf/btf.h>
#include <fmt/format.h>

#include <cstring>

#include "bpf/maps/map.h"

namespace scx::bpf::layered {

namespace {

bool is_scalar(const Btf& btf, uint32_t t) {
  const struct btf_type* bt = btf.type(t);
  return bt && (btf_is_int(bt) || btf_is_any_enum(bt) || btf_is_ptr(bt));
}

int64_t enum_value(const Btf& btf, const EnumName& e) {
  std::optional<uint64_t> v = btf.enum_value("", e.name);
  return v ? static_cast<int64_t>(*v) : e.value;
}

Status put_scalar(const Btf& btf, const Btf::Field& f, std::span<uint8_t> bytes, int64_t v, const std::string& path) {
  const uint32_t t = btf.skip_mods(f.type_id);
  if (!is_scalar(btf, t) || f.size == 0 || f.size > 8) return Status::Errorf(path, "is not an integer member");
  std::memcpy(bytes.data() + f.offset, &v, f.size);
  return Status();
}

Status put_string(const Btf& btf, const Btf::Field& f, std::span<uint8_t> bytes, const std::string& s,
                  const std::string& path) {
  const uint32_t t = btf.array_element(f.type_id);
  if (btf.size_of(t) != 1 || t == btf.skip_mods(f.type_id)) return Status::Errorf(path, "is not a char array");
  const size_t n = std::min<size_t>(s.size(), f.size - 1);
  std::memset(bytes.data() + f.offset, 0, f.size);
  std::memcpy(bytes.data() + f.offset, s.data(), n);
  return Status();
}

Status put_array(const Btf& btf, const Btf::Field& f, std::span<uint8_t> bytes, const std::vector<int64_t>& v,
                 const std::string& path) {
  const uint32_t t = btf.array_element(f.type_id);
  const int64_t es = btf.size_of(t);
  if (!is_scalar(btf, t) || es <= 0 || es > 8) return Status::Errorf(path, "is not an array of integers");
  if (v.size() * static_cast<size_t>(es) > f.size)
    return Status::Errorf(path, "holds {} element(s), {} given", f.size / static_cast<size_t>(es), v.size());
  for (size_t k = 0; k < v.size(); ++k)
    std::memcpy(bytes.data() + f.offset + k * static_cast<size_t>(es), &v[k], static_cast<size_t>(es));
  return Status();
}

const BpfMapInfo* map_info(const BpfObject& obj, std::string_view name) {
  for (const BpfMapInfo& m : obj.maps())
    if (m.name == name) return &m;
  return nullptr;
}

// The value of `w.key` (of CPU w.cpu for a per-CPU map), inserted zeroed when missing.
uint8_t* map_value(Map& m, const MapWrite& w) {
  const uint32_t key = w.key;
  if (w.cpu >= 0) return static_cast<uint8_t*>(m.lookup_percpu(&key, static_cast<uint32_t>(w.cpu)));
  if (void* v = m.lookup(&key)) return static_cast<uint8_t*>(v);
  std::vector<uint8_t> zero(m.spec().value_size, 0);
  if (m.update(&key, zero.data(), kBpfAny) < 0) return nullptr;
  return static_cast<uint8_t*>(m.lookup(&key));
}

}  // namespace

Result<std::optional<Btf::Field>> locate(const Btf& btf, uint32_t type_id, std::string_view path) {
  return btf.locate_path(type_id, static_cast<uint64_t>(std::max<int64_t>(0, btf.size_of(type_id))), path,
                         std::string(path), false);
}

Result<bool> write_field(const Btf& btf, uint32_t type_id, std::span<uint8_t> bytes, const FieldWrite& w) {
  SCX_ASSIGN_OR_RETURN(std::optional<Btf::Field> f, locate(btf, type_id, w.path));
  if (!f) return false;
  if (f->offset + f->size > bytes.size()) return Status::Errorf(w.path, "lies past the object's {} bytes", bytes.size());
  if (const auto* e = std::get_if<EnumName>(&w.value)) {
    SCX_RETURN_IF_ERROR(put_scalar(btf, *f, bytes, enum_value(btf, *e), w.path));
  } else if (const auto* i = std::get_if<int64_t>(&w.value)) {
    SCX_RETURN_IF_ERROR(put_scalar(btf, *f, bytes, *i, w.path));
  } else if (const auto* s = std::get_if<std::string>(&w.value)) {
    SCX_RETURN_IF_ERROR(put_string(btf, *f, bytes, *s, w.path));
  } else {
    SCX_RETURN_IF_ERROR(put_array(btf, *f, bytes, std::get<std::vector<int64_t>>(w.value), w.path));
  }
  return true;
}

Status write_globals(BpfObject& obj, const std::vector<FieldWrite>& writes) {
  for (const FieldWrite& w : writes) {
    const size_t end = w.path.find_first_of(".[");
    const std::string name = w.path.substr(0, end);
    const GlobalVar* g = obj.global(name);
    uint8_t* data = g ? obj.global_data(name) : nullptr;
    if (!g || !data || !g->settable) continue;  // a global this commit lacks
    const std::span<uint8_t> bytes(data, g->size);
    const FieldWrite rel{end == std::string::npos ? "" : w.path.substr(w.path[end] == '.' ? end + 1 : end), w.value};
    Result<bool> r = write_field(obj.btf(), g->btf_type_id, bytes, rel);
    if (!r.ok()) return r.status().within(fmt::format("{}: global {}", obj.path(), w.path));
  }
  return Status();
}

Status write_maps(BpfObject& obj, const std::vector<MapWrite>& writes) {
  for (const MapWrite& w : writes) {
    const BpfMapInfo* info = map_info(obj, w.map);
    Map* m = obj.map(w.map);
    if (!info || !m) continue;  // a map this commit lacks
    const std::string where = fmt::format("{}: map {} key {}{}", obj.path(), w.map, w.key,
                                          w.cpu >= 0 ? fmt::format(" cpu {}", w.cpu) : std::string());
    uint8_t* value = map_value(*m, w);
    if (!value) return Status::Error(where, "no such entry");
    const std::span<uint8_t> bytes(value, m->spec().value_size);
    for (const FieldWrite& f : w.fields) {
      Result<bool> r = write_field(obj.btf(), info->value_type_id, bytes, f);
      if (!r.ok()) return r.status().within(where);
    }
  }
  return Status();
}

Result<std::vector<uint8_t>> build_ctx(const Btf& btf, const ProgRun& run) {
  if (run.ctx_type.empty()) return std::vector<uint8_t>();
  const uint32_t t = btf.find(run.ctx_type, BTF_KIND_STRUCT);
  if (!t) return Status::Errorf(run.what, "the object has no struct {}", run.ctx_type);
  std::vector<uint8_t> ctx(static_cast<size_t>(btf.size_of(t)), 0);
  for (const FieldWrite& f : run.fields) {
    Result<bool> r = write_field(btf, t, ctx, f);
    if (!r.ok()) return r.status().within(run.what);
  }
  return ctx;
}

std::optional<uint64_t> read_u64(const Btf& btf, uint32_t type_id, std::span<const uint8_t> bytes,
                                 std::string_view path) {
  Result<std::optional<Btf::Field>> f = locate(btf, type_id, path);
  if (!f.ok() || !*f || (*f)->size > 8 || (*f)->offset + (*f)->size > bytes.size()) return std::nullopt;
  uint64_t v = 0;
  std::memcpy(&v, bytes.data() + (*f)->offset, (*f)->size);
  return v;
}

}  // namespace scx::bpf::layered
