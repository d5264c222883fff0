#include "bpf/loader/btf.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/btf.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>

#include <fmt/format.h>

namespace scx::bpf {
namespace {

int quiet_print(enum libbpf_print_level, const char*, va_list) { return 0; }

void silence_libbpf() {
  static bool done = [] {
    libbpf_set_print(quiet_print);
    return true;
  }();
  (void)done;
}

}  // namespace

void Btf::Deleter::operator()(struct btf* b) const { btf__free(b); }

Result<Btf> Btf::parse(std::span<const uint8_t> data, const std::string& where) {
  silence_libbpf();
  if (data.size() < 24) return Status::Error(where, "BTF data too short for a header");
  uint16_t magic;
  std::memcpy(&magic, data.data(), 2);
  if (magic != 0xeB9F) return Status::Errorf(where, "bad BTF magic {:#x}", magic);
  struct btf* b = btf__new(data.data(), static_cast<uint32_t>(data.size()));
  if (!b) return Status::Errorf(where, "malformed BTF ({})", std::strerror(errno));
  Btf out;
  out.btf_ = std::shared_ptr<struct btf>(b, Deleter{});
  // Validate every reference so later lookups can trust ids (libbpf 1.1 checks sizes only).
  uint32_t n = out.count();
  for (uint32_t id = 1; id < n; ++id) {
    const struct btf_type* t = btf__type_by_id(b, id);
    if (!t) return Status::Errorf(where, "type #{} unreadable", id);
    if (!btf__name_by_offset(b, t->name_off)) return Status::Errorf(where, "type #{}: bad name offset", id);
    auto ref_ok = [&](uint32_t ref) { return ref < n; };
    switch (btf_kind(t)) {
      case BTF_KIND_PTR: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE: case BTF_KIND_CONST:
      case BTF_KIND_RESTRICT: case BTF_KIND_FUNC: case BTF_KIND_VAR: case BTF_KIND_TYPE_TAG:
      case BTF_KIND_DECL_TAG:
        if (!ref_ok(t->type)) return Status::Errorf(where, "type #{} refers to missing type #{}", id, t->type);
        break;
      case BTF_KIND_ARRAY: {
        const struct btf_array* a = btf_array(t);
        if (!ref_ok(a->type) || !ref_ok(a->index_type))
          return Status::Errorf(where, "array type #{} refers to a missing type", id);
        break;
      }
      case BTF_KIND_STRUCT: case BTF_KIND_UNION: {
        const struct btf_member* m = btf_members(t);
        for (int i = 0; i < btf_vlen(t); ++i) {
          if (!ref_ok(m[i].type)) return Status::Errorf(where, "struct type #{} member {} refers to missing type", id, i);
          if (!btf__name_by_offset(b, m[i].name_off)) return Status::Errorf(where, "type #{}: bad member name", id);
        }
        break;
      }
      case BTF_KIND_FUNC_PROTO: {
        if (!ref_ok(t->type)) return Status::Errorf(where, "func proto #{} returns a missing type", id);
        const struct btf_param* p = btf_params(t);
        for (int i = 0; i < btf_vlen(t); ++i)
          if (!ref_ok(p[i].type)) return Status::Errorf(where, "func proto #{} param {} has a missing type", id, i);
        break;
      }
      case BTF_KIND_DATASEC: {
        const struct btf_var_secinfo* v = btf_var_secinfos(t);
        for (int i = 0; i < btf_vlen(t); ++i)
          if (!ref_ok(v[i].type)) return Status::Errorf(where, "datasec #{} entry {} has a missing type", id, i);
        break;
      }
      case BTF_KIND_ENUM: case BTF_KIND_ENUM64: {
        for (int i = 0; i < btf_vlen(t); ++i) {
          uint32_t off = btf_is_enum(t) ? btf_enum(t)[i].name_off : btf_enum64(t)[i].name_off;
          if (!btf__name_by_offset(b, off)) return Status::Errorf(where, "enum #{}: bad enumerator name", id);
        }
        break;
      }
      default:
        break;
    }
  }
  return out;
}

uint32_t Btf::count() const { return btf__type_cnt(btf_.get()); }

const struct btf_type* Btf::type(uint32_t id) const { return btf__type_by_id(btf_.get(), id); }

int Btf::kind(uint32_t id) const {
  const struct btf_type* t = type(id);
  return t ? btf_kind(t) : -1;
}

std::string_view Btf::str(uint32_t off) const {
  const char* s = btf__str_by_offset(btf_.get(), off);
  return s ? std::string_view(s) : std::string_view();
}

std::string_view Btf::name(uint32_t id) const {
  const struct btf_type* t = type(id);
  return t ? str(t->name_off) : std::string_view();
}

uint32_t Btf::skip_mods(uint32_t id, bool typedefs) const {
  for (int depth = 0; depth < 64; ++depth) {
    const struct btf_type* t = type(id);
    if (!t) return 0;
    int k = btf_kind(t);
    if (k == BTF_KIND_CONST || k == BTF_KIND_VOLATILE || k == BTF_KIND_RESTRICT ||
        k == BTF_KIND_TYPE_TAG || (typedefs && k == BTF_KIND_TYPEDEF)) {
      id = t->type;
      continue;
    }
    return id;
  }
  return 0;
}

int64_t Btf::size_of(uint32_t id) const { return btf__resolve_size(btf_.get(), id); }

std::string Btf::type_name(uint32_t id) const {
  std::string suffix;
  for (int depth = 0; depth < 32; ++depth) {
    const struct btf_type* t = type(id);
    if (!t) return "?" + suffix;
    std::string_view n = str(t->name_off);
    switch (btf_kind(t)) {
      case 0: return "void" + suffix;
      case BTF_KIND_INT: case BTF_KIND_FLOAT: case BTF_KIND_TYPEDEF:
        return std::string(n) + suffix;
      case BTF_KIND_STRUCT: return "struct " + std::string(n.empty() ? "(anon)" : n) + suffix;
      case BTF_KIND_UNION: return "union " + std::string(n.empty() ? "(anon)" : n) + suffix;
      case BTF_KIND_ENUM: case BTF_KIND_ENUM64:
        return "enum " + std::string(n.empty() ? "(anon)" : n) + suffix;
      case BTF_KIND_FWD: return (btf_kflag(t) ? "union " : "struct ") + std::string(n) + suffix;
      case BTF_KIND_PTR: suffix = " *" + suffix; id = t->type; break;
      case BTF_KIND_CONST: case BTF_KIND_VOLATILE: case BTF_KIND_RESTRICT: case BTF_KIND_TYPE_TAG:
        id = t->type;
        break;
      case BTF_KIND_ARRAY:
        suffix = fmt::format("[{}]", btf_array(t)->nelems) + suffix;
        id = btf_array(t)->type;
        break;
      case BTF_KIND_FUNC_PROTO: return "func" + suffix;
      case BTF_KIND_FUNC: case BTF_KIND_VAR: return std::string(n);
      default: return "?" + suffix;
    }
  }
  return "?";
}

uint32_t Btf::find(std::string_view name, int kind) const {
  uint32_t n = count();
  for (uint32_t id = 1; id < n; ++id) {
    const struct btf_type* t = type(id);
    if (t && btf_kind(t) == kind && str(t->name_off) == name) return id;
  }
  return 0;
}

std::optional<uint64_t> Btf::enum_value(std::string_view enum_type, std::string_view enumerator) const {
  uint32_t n = count();
  for (uint32_t id = 1; id < n; ++id) {
    const struct btf_type* t = type(id);
    if (!t || !btf_is_any_enum(t) || (!enum_type.empty() && str(t->name_off) != enum_type)) continue;
    for (int i = 0; i < btf_vlen(t); ++i) {
      if (btf_is_enum(t) && str(btf_enum(t)[i].name_off) == enumerator)
        return btf_kflag(t) ? static_cast<uint64_t>(static_cast<int64_t>(btf_enum(t)[i].val))
                            : static_cast<uint32_t>(btf_enum(t)[i].val);
      if (btf_is_enum64(t) && str(btf_enum64(t)[i].name_off) == enumerator) return btf_enum64_value(btf_enum64(t) + i);
    }
  }
  return std::nullopt;
}

namespace {

// An [INDEX]'s text: decimal or 0x hex.
std::optional<uint64_t> parse_index(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && (text.substr(0, 2) == "0x" || text.substr(0, 2) == "0X")) {
    base = 16;
    text.remove_prefix(2);
  }
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

uint32_t Btf::array_element(uint32_t type_id) const {
  uint32_t t = skip_mods(type_id);
  while (const struct btf_type* at = type(t)) {
    if (!btf_is_array(at)) break;
    t = skip_mods(btf_array(at)->type);
  }
  return t;
}

namespace {
bool is_integer_like(const struct btf_type* t) { return t && (btf_is_int(t) || btf_is_any_enum(t) || btf_is_ptr(t)); }
}  // namespace

uint32_t Btf::flat_element(uint32_t type_id) const {
  const uint32_t elem = array_element(type_id);
  const struct btf_type* t = type(elem);
  if (is_integer_like(t)) return elem;
  if (!t || !btf_is_struct(t)) return 0;
  // The members must tile the struct with integers of one size, as a C array would.
  uint32_t leaf = 0;
  uint64_t end = 0;
  const struct btf_member* m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); ++i) {
    const uint32_t li = array_element(m[i].type);
    const int64_t member_size = size_of(m[i].type);
    if (btf_member_bitfield_size(t, i) != 0 || btf_member_bit_offset(t, i) != end * 8 ||
        !is_integer_like(type(li)) || member_size <= 0 || (leaf && size_of(li) != size_of(leaf)))
      return 0;
    if (!leaf) leaf = li;
    end += static_cast<uint64_t>(member_size);
  }
  return leaf && static_cast<int64_t>(end) == size_of(elem) ? leaf : 0;
}

Result<std::optional<Btf::Field>> Btf::locate_path(uint32_t type_id, uint64_t size, std::string_view path,
                                                   const std::string& where, bool missing_is_error,
                                                   std::string_view object) const {
  Field s{0, static_cast<uint32_t>(size), skip_mods(type_id)};
  // A path may start with a member name without its dot: walk ".path", show it without.
  std::string first;
  if (!path.empty() && path[0] != '[' && path[0] != '.') first = "." + std::string(path);
  const std::string_view full = first.empty() ? path : std::string_view(first);
  std::string_view rest = full;
  while (!rest.empty()) {
    const std::string_view done = full.substr(0, full.size() - rest.size());
    const std::string shown = fmt::format("{}{}", object, !first.empty() && !done.empty() ? done.substr(1) : done);
    if (rest[0] == '.') {
      const size_t next = rest.find_first_of(".[", 1);
      const std::string_view member = rest.substr(1, next == std::string_view::npos ? next : next - 1);
      std::optional<Field> f = s.type_id ? field(s.type_id, member) : std::nullopt;
      if (!f) {
        if (!missing_is_error) return std::optional<Field>();
        return Status::Errorf(where, "'{}' has no member '{}'", shown, member);
      }
      s = Field{s.offset + f->offset, f->size, skip_mods(f->type_id)};
      rest = next == std::string_view::npos ? std::string_view() : rest.substr(next);
      continue;
    }
    const size_t close = rest.find(']');
    if (rest[0] != '[' || close == std::string_view::npos)
      return Status::Errorf(where, "expected .MEMBER or [INDEX] after '{}'", shown);
    const std::optional<uint64_t> index = parse_index(rest.substr(1, close - 1));
    if (!index) return Status::Errorf(where, "'{}' is not an index", rest.substr(1, close - 1));
    const struct btf_type* t = s.type_id ? type(s.type_id) : nullptr;
    if (!t || !btf_is_array(t)) return Status::Errorf(where, "'{}' is not an array", shown);
    const uint32_t elem = skip_mods(btf_array(t)->type);
    const int64_t es = size_of(elem);
    if (es <= 0) return Status::Errorf(where, "cannot size the elements of '{}'", shown);
    const uint64_t n = s.size / static_cast<uint64_t>(es);
    if (*index >= n) return Status::Errorf(where, "index {} is past the array's {} elements", *index, n);
    s = Field{static_cast<uint32_t>(s.offset + *index * static_cast<uint64_t>(es)), static_cast<uint32_t>(es), elem};
    rest = rest.substr(close + 1);
  }
  return std::optional<Field>(s);
}

std::optional<Btf::Field> Btf::field(uint32_t struct_id, std::string_view path) const {
  uint32_t id = skip_mods(struct_id);
  uint32_t base = 0;
  while (!path.empty()) {
    size_t dot = path.find('.');
    std::string_view part = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    // Search, descending into anonymous members.
    std::optional<Field> found;
    auto search = [&](auto&& self, uint32_t sid, uint32_t off, int depth) -> void {
      const struct btf_type* t = type(sid);
      if (!t || !btf_is_composite(t) || depth > 8) return;
      const struct btf_member* m = btf_members(t);
      for (int i = 0; i < btf_vlen(t) && !found; ++i) {
        std::string_view mn = str(m[i].name_off);
        uint32_t bit = btf_member_bit_offset(t, i);
        if (mn.empty()) {
          self(self, skip_mods(m[i].type), off + bit / 8, depth + 1);
        } else if (mn == part && btf_member_bitfield_size(t, i) == 0 && bit % 8 == 0) {
          int64_t sz = size_of(m[i].type);
          if (sz >= 0) found = Field{off + bit / 8, static_cast<uint32_t>(sz), m[i].type};
        }
      }
    };
    search(search, id, base, 0);
    if (!found) return std::nullopt;
    base = found->offset;
    if (path.empty()) return found;
    id = skip_mods(found->type_id);
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
Result<std::vector<BtfExtSection>> parse_btf_ext(std::span<const uint8_t> d, const Btf& btf) {
  const std::string where = ".BTF.ext";
  auto u32 = [&](size_t off, uint32_t* v) {
    if (off > d.size() || d.size() - off < 4) return false;
    std::memcpy(v, d.data() + off, 4);
    return true;
  };
  if (d.size() < 8) return Status::Error(where, "too short for a header");
  uint16_t magic;
  std::memcpy(&magic, d.data(), 2);
  if (magic != 0xeB9F) return Status::Errorf(where, "bad magic {:#x}", magic);
  if (d[2] != 1) return Status::Errorf(where, "unsupported version {}", d[2]);
  uint32_t hdr_len = 0;
  u32(4, &hdr_len);
  if (hdr_len < 24 || hdr_len > d.size()) return Status::Errorf(where, "bad header length {}", hdr_len);
  uint32_t fi_off = 0, fi_len = 0, li_off = 0, li_len = 0, cr_off = 0, cr_len = 0;
  u32(8, &fi_off);
  u32(12, &fi_len);
  u32(16, &li_off);
  u32(20, &li_len);
  if (hdr_len >= 32) {
    u32(24, &cr_off);
    u32(28, &cr_len);
  }
  std::map<std::string, BtfExtSection> secs;
  std::vector<std::string> order;
  auto sec_for = [&](const std::string& n) -> BtfExtSection& {
    auto it = secs.find(n);
    if (it == secs.end()) {
      order.push_back(n);
      it = secs.emplace(n, BtfExtSection{n, {}, {}, {}}).first;
    }
    return it->second;
  };
  // Walks one info block; rec(sec, base, i) reads record i at d[base].
  auto walk = [&](const char* what, uint32_t off, uint32_t len, uint32_t min_rec,
                  auto&& rec) -> Status {
    if (len == 0) return Status();
    uint64_t start = uint64_t{hdr_len} + off, end = start + len;
    if (end > d.size()) return Status::Errorf(where, "{} [{}, +{}) exceeds the section", what, start, len);
    uint32_t rec_size = 0;
    if (!u32(start, &rec_size) || rec_size < min_rec || rec_size > 1024)
      return Status::Errorf(where, "{}: bad record size", what);
    uint64_t p = start + 4;
    uint32_t index = 0;
    while (p < end) {
      uint32_t name_off = 0, num = 0;
      if (p + 8 > end || !u32(p, &name_off) || !u32(p + 4, &num))
        return Status::Errorf(where, "{}: truncated section header", what);
      p += 8;
      std::string_view sn = btf.str(name_off);
      if (sn.empty()) return Status::Errorf(where, "{}: bad section name offset {}", what, name_off);
      if (num == 0 || uint64_t{num} * rec_size > end - p)
        return Status::Errorf(where, "{} for section {}: {} records overflow the block", what, sn, num);
      BtfExtSection& s = sec_for(std::string(sn));
      for (uint32_t i = 0; i < num; ++i, p += rec_size, ++index) SCX_RETURN_IF_ERROR(rec(s, p, index));
    }
    return Status();
  };
  SCX_RETURN_IF_ERROR(walk("func info", fi_off, fi_len, 8, [&](BtfExtSection& s, uint64_t p, uint32_t) {
    uint32_t off = 0, tid = 0;
    u32(p, &off);
    u32(p + 4, &tid);
    if (off % 8) return Status::Errorf(where, "func info for {}: unaligned insn offset {}", s.name, off);
    s.funcs.push_back(BtfExtFunc{off / 8, tid});
    return Status();
  }));
  SCX_RETURN_IF_ERROR(walk("line info", li_off, li_len, 16, [&](BtfExtSection& s, uint64_t p, uint32_t) {
    uint32_t off = 0, file_off = 0, line_off = 0, lc = 0;
    u32(p, &off);
    u32(p + 4, &file_off);
    u32(p + 8, &line_off);
    u32(p + 12, &lc);
    if (off % 8) return Status::Errorf(where, "line info for {}: unaligned insn offset {}", s.name, off);
    s.lines.push_back(BtfExtLine{off / 8, std::string(btf.str(file_off)), std::string(btf.str(line_off)),
                                 lc >> 10, lc & 0x3ff});
    return Status();
  }));
  SCX_RETURN_IF_ERROR(walk("CO-RE relocations", cr_off, cr_len, 16, [&](BtfExtSection& s, uint64_t p, uint32_t i) {
    uint32_t off = 0, tid = 0, acc = 0, kind = 0;
    u32(p, &off);
    u32(p + 4, &tid);
    u32(p + 8, &acc);
    u32(p + 12, &kind);
    if (off % 8) return Status::Errorf(where, "CO-RE relocation #{} in {}: unaligned insn offset", i, s.name);
    std::string_view a = btf.str(acc);
    if (a.empty()) return Status::Errorf(where, "CO-RE relocation #{} in {}: bad access string", i, s.name);
    s.relos.push_back(BtfExtCoreRelo{off / 8, tid, std::string(a), kind, i});
    return Status();
  }));
  std::vector<BtfExtSection> out;
  for (auto& n : order) out.push_back(std::move(secs[n]));
  return out;
}

}  // namespace scx::bpf
