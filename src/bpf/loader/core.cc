#include "bpf/loader/core.h"

#include "bpf/vm/program.h"

#include <bpf/btf.h>
#include <linux/btf.h>

#include <climits>
#include <cstring>
#include <optional>
#include <vector>

#include <fmt/format.h>

namespace scx::bpf {
namespace {

constexpr int kMaxSpecLen = 64;
constexpr int kMaxDepth = 32;

struct Accessor {
  uint32_t type_id = 0;
  uint32_t idx = 0;
  std::string name;  // empty: array access
};

struct Spec {
  const Btf* btf = nullptr;
  uint32_t root_type_id = 0;
  uint32_t kind = 0;
  std::vector<Accessor> acc;
  std::vector<uint32_t> raw;
  uint64_t bit_offset = 0;
};

bool is_field_kind(uint32_t k) { return k <= kCoreFieldRshiftU64; }
bool is_type_kind(uint32_t k) {
  return k == kCoreTypeIdLocal || k == kCoreTypeIdTarget || k == kCoreTypeExists ||
         k == kCoreTypeSize || k == kCoreTypeMatches;
}
bool is_enum_kind(uint32_t k) { return k == kCoreEnumvalExists || k == kCoreEnumvalValue; }

bool essential_eq(std::string_view a, std::string_view b) {
  size_t la = core_essential_name_len(a), lb = core_essential_name_len(b);
  return la == lb && a.substr(0, la) == b.substr(0, lb);
}

bool kind_compat(const struct btf_type* a, const struct btf_type* b) {
  return btf_kind(a) == btf_kind(b) || (btf_is_any_enum(a) && btf_is_any_enum(b));
}

bool is_flex_arr(const Btf& btf, const Accessor* acc, const struct btf_array* arr) {
  if (!acc || acc->name.empty() || arr->nelems > 0) return false;
  const struct btf_type* t = btf.type(acc->type_id);
  return t && btf_is_composite(t) && acc->idx == static_cast<uint32_t>(btf_vlen(t) - 1);
}

Status parse_spec(const Btf& btf, uint32_t type_id, const std::string& access, uint32_t kind,
                  Spec* spec, const std::string& where) {
  spec->btf = &btf;
  spec->root_type_id = type_id;
  spec->kind = kind;
  // "0:1:2"
  size_t p = 0;
  while (p < access.size()) {
    size_t q = access.find(':', p);
    std::string part = access.substr(p, q == std::string::npos ? std::string::npos : q - p);
    if (part.empty() || part.size() > 9 || part.find_first_not_of("0123456789") != std::string::npos)
      return Status::Errorf(where, "bad access string '{}'", access);
    spec->raw.push_back(static_cast<uint32_t>(std::stoul(part)));
    if (spec->raw.size() > kMaxSpecLen) return Status::Errorf(where, "access string too long");
    if (q == std::string::npos) break;
    p = q + 1;
  }
  if (spec->raw.empty()) return Status::Errorf(where, "empty access string");
  if (!btf.type(type_id) || type_id == 0) return Status::Errorf(where, "bad local type id {}", type_id);

  if (is_type_kind(kind)) {
    if (spec->raw.size() != 1 || spec->raw[0] != 0)
      return Status::Errorf(where, "type relocation with access string '{}'", access);
    return Status();
  }
  if (is_enum_kind(kind)) {
    uint32_t id = btf.skip_mods(type_id);
    const struct btf_type* t = btf.type(id);
    if (!t || !btf_is_any_enum(t) || spec->raw.size() != 1 || spec->raw[0] >= btf_vlen(t))
      return Status::Errorf(where, "bad enum value relocation '{}'", access);
    uint32_t name_off = btf_is_enum(t) ? btf_enum(t)[spec->raw[0]].name_off : btf_enum64(t)[spec->raw[0]].name_off;
    spec->acc.push_back(Accessor{id, spec->raw[0], std::string(btf.str(name_off))});
    return Status();
  }
  if (!is_field_kind(kind)) return Status::Errorf(where, "unknown CO-RE relocation kind {}", kind);

  uint32_t id = btf.skip_mods(type_id);
  int64_t sz = btf.size_of(id);
  if (!id || sz < 0) return Status::Errorf(where, "cannot size local type #{}", type_id);
  spec->acc.push_back(Accessor{id, spec->raw[0], ""});
  spec->bit_offset = uint64_t{spec->raw[0]} * static_cast<uint64_t>(sz) * 8;
  for (size_t i = 1; i < spec->raw.size(); ++i) {
    uint32_t idx = spec->raw[i];
    id = btf.skip_mods(id);
    const struct btf_type* t = btf.type(id);
    if (!t) return Status::Errorf(where, "bad type in access path");
    if (btf_is_composite(t)) {
      if (idx >= btf_vlen(t)) return Status::Errorf(where, "member index {} out of range in '{}'", idx, access);
      const struct btf_member* m = btf_members(t) + idx;
      spec->bit_offset += btf_member_bit_offset(t, idx);
      std::string_view name = btf.str(m->name_off);
      if (!name.empty()) spec->acc.push_back(Accessor{id, idx, std::string(name)});
      id = m->type;
    } else if (btf_is_array(t)) {
      const struct btf_array* a = btf_array(t);
      bool flex = is_flex_arr(btf, spec->acc.empty() ? nullptr : &spec->acc.back(), a);
      id = btf.skip_mods(a->type);
      if (!id) return Status::Errorf(where, "bad array element type");
      if (!flex && idx >= a->nelems) return Status::Errorf(where, "array index {} out of range in '{}'", idx, access);
      spec->acc.push_back(Accessor{id, idx, ""});
      int64_t esz = btf.size_of(id);
      if (esz < 0) return Status::Errorf(where, "cannot size array element");
      spec->bit_offset += uint64_t{idx} * static_cast<uint64_t>(esz) * 8;
    } else {
      return Status::Errorf(where, "access '{}' goes through a non-struct, non-array type", access);
    }
  }
  return Status();
}

// bpf_core_types_are_compat.
bool types_compat(const Btf& l, uint32_t lid, const Btf& t, uint32_t tid, int depth = kMaxDepth) {
  while (depth-- > 0) {
    lid = l.skip_mods(lid);
    tid = t.skip_mods(tid);
    const struct btf_type* lt = l.type(lid);
    const struct btf_type* tt = t.type(tid);
    if (!lt || !tt) return false;
    if (!kind_compat(lt, tt)) return false;
    switch (btf_kind(lt)) {
      case 0: case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_ENUM: case BTF_KIND_ENUM64:
      case BTF_KIND_FWD: case BTF_KIND_FLOAT:
        return true;
      case BTF_KIND_INT:
        return btf_int_offset(lt) == 0 && btf_int_offset(tt) == 0;
      case BTF_KIND_PTR:
        lid = lt->type;
        tid = tt->type;
        continue;
      case BTF_KIND_ARRAY:
        lid = btf_array(lt)->type;
        tid = btf_array(tt)->type;
        continue;
      case BTF_KIND_FUNC_PROTO: {
        if (btf_vlen(lt) != btf_vlen(tt)) return false;
        for (int i = 0; i < btf_vlen(lt); ++i)
          if (!types_compat(l, btf_params(lt)[i].type, t, btf_params(tt)[i].type, depth)) return false;
        lid = lt->type;
        tid = tt->type;
        continue;
      }
      default:
        return false;
    }
  }
  return false;
}

// bpf_core_types_match (stricter: names, sizes, signedness, members).
bool types_match(const Btf& l, uint32_t lid, const Btf& t, uint32_t tid, bool behind_ptr, int depth) {
  if (depth <= 0) return false;
  lid = l.skip_mods(lid);
  tid = t.skip_mods(tid);
  const struct btf_type* lt = l.type(lid);
  const struct btf_type* tt = t.type(tid);
  if (!lt || !tt) return false;
  std::string_view ln = l.str(lt->name_off), tn = t.str(tt->name_off);
  int lk = btf_kind(lt), tk = btf_kind(tt);
  if (lk == BTF_KIND_FWD || tk == BTF_KIND_FWD) {
    if (!behind_ptr) return false;
    return essential_eq(ln, tn);
  }
  if (!kind_compat(lt, tt)) return false;
  switch (lk) {
    case 0: return true;
    case BTF_KIND_INT:
      return lt->size == tt->size && (btf_int_encoding(lt) & BTF_INT_SIGNED) == (btf_int_encoding(tt) & BTF_INT_SIGNED);
    case BTF_KIND_FLOAT: return lt->size == tt->size;
    case BTF_KIND_ENUM: case BTF_KIND_ENUM64: {
      if (!essential_eq(ln, tn) || lt->size != tt->size) return false;
      for (int i = 0; i < btf_vlen(lt); ++i) {
        uint32_t lno = btf_is_enum(lt) ? btf_enum(lt)[i].name_off : btf_enum64(lt)[i].name_off;
        bool found = false;
        for (int j = 0; j < btf_vlen(tt) && !found; ++j) {
          uint32_t tno = btf_is_enum(tt) ? btf_enum(tt)[j].name_off : btf_enum64(tt)[j].name_off;
          found = essential_eq(l.str(lno), t.str(tno));
        }
        if (!found) return false;
      }
      return true;
    }
    case BTF_KIND_STRUCT: case BTF_KIND_UNION: {
      if (!essential_eq(ln, tn)) return false;
      if (behind_ptr) return true;
      for (int i = 0; i < btf_vlen(lt); ++i) {
        const struct btf_member* lm = btf_members(lt) + i;
        bool found = false;
        for (int j = 0; j < btf_vlen(tt) && !found; ++j) {
          const struct btf_member* tm = btf_members(tt) + j;
          if (l.str(lm->name_off) == t.str(tm->name_off)) {
            if (!types_match(l, lm->type, t, tm->type, false, depth - 1)) return false;
            found = true;
          }
        }
        if (!found) return false;
      }
      return true;
    }
    case BTF_KIND_PTR: return types_match(l, lt->type, t, tt->type, true, depth - 1);
    case BTF_KIND_ARRAY:
      return btf_array(lt)->nelems == btf_array(tt)->nelems &&
             types_match(l, btf_array(lt)->type, t, btf_array(tt)->type, behind_ptr, depth - 1);
    case BTF_KIND_FUNC_PROTO: {
      if (btf_vlen(lt) != btf_vlen(tt)) return false;
      for (int i = 0; i < btf_vlen(lt); ++i)
        if (!types_match(l, btf_params(lt)[i].type, t, btf_params(tt)[i].type, behind_ptr, depth - 1)) return false;
      return types_match(l, lt->type, t, tt->type, behind_ptr, depth - 1);
    }
    default: return false;
  }
}

// bpf_core_fields_are_compat.
bool fields_compat(const Btf& l, uint32_t lid, const Btf& t, uint32_t tid, int depth = kMaxDepth) {
  while (depth-- > 0) {
    lid = l.skip_mods(lid);
    tid = t.skip_mods(tid);
    const struct btf_type* lt = l.type(lid);
    const struct btf_type* tt = t.type(tid);
    if (!lt || !tt) return false;
    if (btf_is_composite(lt) && btf_is_composite(tt)) return true;
    if (!kind_compat(lt, tt)) return false;
    switch (btf_kind(lt)) {
      case BTF_KIND_PTR: case BTF_KIND_FLOAT: return true;
      case BTF_KIND_FWD: case BTF_KIND_ENUM: case BTF_KIND_ENUM64:
        return essential_eq(l.str(lt->name_off), t.str(tt->name_off));
      case BTF_KIND_INT: return btf_int_offset(lt) == 0 && btf_int_offset(tt) == 0;
      case BTF_KIND_ARRAY:
        lid = btf_array(lt)->type;
        tid = btf_array(tt)->type;
        continue;
      default: return false;
    }
  }
  return false;
}

// bpf_core_match_member: 1 found, 0 not found / incompatible.
int match_member(const Btf& l, const Accessor& lacc, const Btf& t, uint32_t tid, Spec* ts,
                 uint32_t* next_tid, int depth) {
  if (depth <= 0) return 0;
  tid = t.skip_mods(tid);
  const struct btf_type* tt = t.type(tid);
  if (!tt || !btf_is_composite(tt)) return 0;
  const struct btf_type* lt = l.type(lacc.type_id);
  const struct btf_member* lm = btf_members(lt) + lacc.idx;
  for (int i = 0; i < btf_vlen(tt); ++i) {
    const struct btf_member* m = btf_members(tt) + i;
    uint32_t bit = btf_member_bit_offset(tt, i);
    if (ts->raw.size() >= kMaxSpecLen) return 0;
    ts->bit_offset += bit;
    ts->raw.push_back(static_cast<uint32_t>(i));
    std::string_view tn = t.str(m->name_off);
    if (tn.empty()) {
      int found = match_member(l, lacc, t, m->type, ts, next_tid, depth - 1);
      if (found) return found;
    } else if (tn == lacc.name) {
      if (!fields_compat(l, lm->type, t, m->type)) return 0;
      ts->acc.push_back(Accessor{tid, static_cast<uint32_t>(i), std::string(tn)});
      *next_tid = m->type;
      return 1;
    }
    ts->bit_offset -= bit;
    ts->raw.pop_back();
  }
  return 0;
}

bool spec_match(const Spec& ls, const Btf& t, uint32_t tid, Spec* ts) {
  ts->btf = &t;
  ts->root_type_id = tid;
  ts->kind = ls.kind;
  const Btf& l = *ls.btf;
  if (is_type_kind(ls.kind)) {
    if (ls.kind == kCoreTypeMatches) return types_match(l, ls.root_type_id, t, tid, false, kMaxDepth);
    return types_compat(l, ls.root_type_id, t, tid);
  }
  if (is_enum_kind(ls.kind)) {
    uint32_t id = t.skip_mods(tid);
    const struct btf_type* tt = t.type(id);
    if (!tt || !btf_is_any_enum(tt)) return false;
    for (int i = 0; i < btf_vlen(tt); ++i) {
      uint32_t no = btf_is_enum(tt) ? btf_enum(tt)[i].name_off : btf_enum64(tt)[i].name_off;
      std::string_view n = t.str(no);
      if (!n.empty() && essential_eq(ls.acc[0].name, n)) {
        ts->acc.push_back(Accessor{id, static_cast<uint32_t>(i), std::string(n)});
        ts->raw.push_back(static_cast<uint32_t>(i));
        return true;
      }
    }
    return false;
  }
  for (size_t i = 0; i < ls.acc.size(); ++i) {
    const Accessor& la = ls.acc[i];
    if (i == 0) {
      int64_t sz = t.size_of(tid);
      if (sz < 0) return false;
      ts->acc.push_back(Accessor{tid, la.idx, ""});
      ts->raw.push_back(la.idx);
      ts->bit_offset = uint64_t{la.idx} * static_cast<uint64_t>(sz) * 8;
      continue;
    }
    if (!la.name.empty()) {
      if (match_member(l, la, t, tid, ts, &tid, kMaxDepth) <= 0) return false;
    } else {
      tid = t.skip_mods(tid);
      const struct btf_type* tt = t.type(tid);
      if (!tt || !btf_is_array(tt)) return false;
      const struct btf_array* a = btf_array(tt);
      bool flex = is_flex_arr(t, ts->acc.empty() ? nullptr : &ts->acc.back(), a);
      if (!flex && la.idx >= a->nelems) return false;
      tid = t.skip_mods(a->type);
      if (!tid || ts->raw.size() >= kMaxSpecLen) return false;
      ts->acc.push_back(Accessor{tid, la.idx, ""});
      ts->raw.push_back(la.idx);
      int64_t sz = t.size_of(tid);
      if (sz < 0) return false;
      ts->bit_offset += uint64_t{la.idx} * static_cast<uint64_t>(sz) * 8;
    }
  }
  return true;
}

// bpf_core_calc_field_relo. Returns an error string (empty = ok).
std::string calc_field(const Spec* spec, uint32_t kind, uint64_t* val, uint32_t* field_sz,
                       uint32_t* type_id, bool* validate) {
  if (kind == kCoreFieldExists) {
    *val = spec ? 1 : 0;
    return {};
  }
  if (!spec) return "no matching target field";
  const Btf& btf = *spec->btf;
  const Accessor& acc = spec->acc.back();
  const struct btf_type* t = btf.type(acc.type_id);
  if (acc.name.empty()) {  // a[n]
    int64_t sz = btf.size_of(acc.type_id);
    if (sz < 0) return "cannot size array element";
    if (kind == kCoreFieldByteOffset) {
      *val = spec->bit_offset / 8;
      *field_sz = static_cast<uint32_t>(sz);
      *type_id = acc.type_id;
    } else if (kind == kCoreFieldByteSize) {
      *val = static_cast<uint64_t>(sz);
    } else {
      return "relocation kind cannot be applied to an array access";
    }
    if (validate) *validate = true;
    return {};
  }
  const struct btf_member* m = btf_members(t) + acc.idx;
  uint32_t mtid = btf.skip_mods(m->type);
  const struct btf_type* mt = btf.type(mtid);
  if (!mt) return "bad member type";
  uint64_t bit_off = spec->bit_offset;
  uint32_t bit_sz = btf_member_bitfield_size(t, acc.idx);
  bool bitfield = bit_sz > 0;
  uint64_t byte_sz, byte_off;
  if (bitfield) {
    byte_sz = mt->size;
    if (byte_sz == 0) return "bad bitfield size";
    byte_off = bit_off / 8 / byte_sz * byte_sz;
    while (bit_off + bit_sz - byte_off * 8 > byte_sz * 8) {
      if (byte_sz >= 8) return "bitfield cannot be read with a 64-bit load";
      byte_sz *= 2;
      byte_off = bit_off / 8 / byte_sz * byte_sz;
    }
  } else {
    int64_t sz = btf.size_of(mtid);
    if (sz < 0) return "cannot size field";
    byte_sz = static_cast<uint64_t>(sz);
    byte_off = spec->bit_offset / 8;
    bit_sz = static_cast<uint32_t>(byte_sz * 8);
  }
  if (validate) *validate = !bitfield;
  switch (kind) {
    case kCoreFieldByteOffset:
      *val = byte_off;
      if (!bitfield) {
        *field_sz = static_cast<uint32_t>(byte_sz);
        *type_id = mtid;
      }
      break;
    case kCoreFieldByteSize: *val = byte_sz; break;
    case kCoreFieldSigned:
      *val = (btf_is_any_enum(mt) && btf_kflag(mt)) || (btf_is_int(mt) && (btf_int_encoding(mt) & BTF_INT_SIGNED));
      if (validate) *validate = true;
      break;
    case kCoreFieldLshiftU64: *val = 64 - (bit_off + bit_sz - byte_off * 8); break;
    case kCoreFieldRshiftU64:
      *val = 64 - bit_sz;
      if (validate) *validate = true;
      break;
    default: return "unknown field relocation kind";
  }
  return {};
}

std::string calc_type(const Spec* spec, uint32_t kind, uint64_t* val) {
  if (!spec) {
    if (kind == kCoreTypeExists || kind == kCoreTypeMatches) {
      *val = 0;
      return {};
    }
    return "no matching target type";
  }
  switch (kind) {
    case kCoreTypeIdTarget: *val = spec->root_type_id; break;
    case kCoreTypeExists: case kCoreTypeMatches: *val = 1; break;
    case kCoreTypeSize: {
      int64_t sz = spec->btf->size_of(spec->root_type_id);
      if (sz < 0) return "cannot size type";
      *val = static_cast<uint64_t>(sz);
      break;
    }
    default: return "unexpected type relocation kind";
  }
  return {};
}

std::string calc_enum(const Spec* spec, uint32_t kind, uint64_t* val) {
  if (!spec) {
    if (kind == kCoreEnumvalExists) {
      *val = 0;
      return {};
    }
    return "no matching target enum value";
  }
  if (kind == kCoreEnumvalExists) {
    *val = 1;
    return {};
  }
  const struct btf_type* t = spec->btf->type(spec->acc[0].type_id);
  uint32_t i = spec->acc[0].idx;
  if (btf_is_enum64(t)) {
    *val = btf_enum64_value(btf_enum64(t) + i);
  } else {
    int32_t v = btf_enum(t)[i].val;
    *val = btf_kflag(t) ? static_cast<uint64_t>(static_cast<int64_t>(v)) : static_cast<uint32_t>(v);
  }
  return {};
}

std::string calc(const Spec* spec, uint32_t kind, uint64_t* val, uint32_t* sz, uint32_t* tid, bool* validate) {
  if (is_field_kind(kind)) return calc_field(spec, kind, val, sz, tid, validate);
  if (is_type_kind(kind)) return calc_type(spec, kind, val);
  return calc_enum(spec, kind, val);
}

std::string describe_spec(const Spec& s) {
  const Btf& b = *s.btf;
  std::string out = b.type_name(s.root_type_id);
  if (is_enum_kind(s.kind)) return out + "::" + (s.acc.empty() ? "?" : s.acc[0].name);
  for (size_t i = 0; i < s.acc.size(); ++i) {
    if (i == 0) {
      if (s.acc[0].idx) out += fmt::format("[{}]", s.acc[0].idx);
      continue;
    }
    out += s.acc[i].name.empty() ? fmt::format("[{}]", s.acc[i].idx) : "." + s.acc[i].name;
  }
  return out;
}

}  // namespace

const char* core_relo_kind_name(uint32_t kind) {
  static const char* const kNames[] = {"byte_off", "byte_sz", "field_exists", "signed", "lshift_u64",
                                       "rshift_u64", "local_type_id", "target_type_id", "type_exists",
                                       "type_size", "enumval_exists", "enumval_value", "type_matches"};
  return kind < 13 ? kNames[kind] : "unknown";
}

size_t core_essential_name_len(std::string_view name) {
  size_t n = name.size();
  if (n < 5) return n;
  for (size_t i = n - 5 + 1; i-- > 0;) {
    const char* s = name.data() + i;
    if (s[0] != '_' && s[1] == '_' && s[2] == '_' && s[3] == '_' && s[4] != '_') return i + 1;
  }
  return n;
}

Result<CoreResult> core_calc_relo(const Btf& local, const Btf& target, const BtfExtCoreRelo& relo) {
  const std::string where = fmt::format("CO-RE relocation #{} ({})", relo.index, core_relo_kind_name(relo.kind));
  if (relo.kind > kCoreTypeMatches) return Status::Errorf(where, "unknown relocation kind {}", relo.kind);
  Spec ls;
  SCX_RETURN_IF_ERROR(parse_spec(local, relo.type_id, relo.access, relo.kind, &ls, where));
  CoreResult res;
  res.description = fmt::format("{} ({})", describe_spec(ls), relo.access);
  if (relo.kind == kCoreTypeIdLocal) {
    res.orig_val = res.new_val = relo.type_id;
    return res;
  }
  uint32_t dummy_tid = 0, lsz = 0;
  std::string err = calc(&ls, relo.kind, &res.orig_val, &lsz, &dummy_tid, &res.validate);
  if (!err.empty()) return Status::Errorf(where, "{}: {}", res.description, err);
  res.orig_sz = lsz;
  uint32_t orig_type = dummy_tid;

  std::string_view lname = local.name(relo.type_id);
  if (lname.empty()) return Status::Errorf(where, "{}: relocation against an anonymous type", res.description);
  const struct btf_type* lt = local.type(relo.type_id);
  size_t llen = core_essential_name_len(lname);

  bool found = false;
  uint64_t new_val = 0;
  uint32_t new_sz = 0, new_type = 0;
  uint32_t n = target.count();
  for (uint32_t id = 1; id < n; ++id) {
    const struct btf_type* tt = target.type(id);
    if (!tt || !kind_compat(lt, tt)) continue;
    std::string_view tn = target.str(tt->name_off);
    if (tn.empty() || core_essential_name_len(tn) != llen || tn.substr(0, llen) != lname.substr(0, llen)) continue;
    Spec ts;
    if (!spec_match(ls, target, id, &ts)) continue;
    uint64_t v = 0;
    uint32_t sz = 0, tid = 0;
    std::string e = calc(&ts, relo.kind, &v, &sz, &tid, nullptr);
    if (!e.empty()) return Status::Errorf(where, "{}: {}", res.description, e);
    if (found) {
      if (v != new_val) {
        return Status::Errorf(where, "{}: ambiguous: target candidates give {} and {}", res.description, new_val, v);
      }
      continue;
    }
    found = true;
    new_val = v;
    new_sz = sz;
    new_type = tid;
  }
  if (!found) {
    std::string e = calc(nullptr, relo.kind, &new_val, &new_sz, &new_type, nullptr);
    if (!e.empty()) {
      res.poison = true;
      res.reason = e;
      return res;
    }
  }
  res.new_val = new_val;
  res.new_sz = new_sz;
  if (is_field_kind(relo.kind) && found && relo.kind == kCoreFieldByteOffset && res.orig_sz != res.new_sz) {
    const struct btf_type* ot = local.type(orig_type);
    const struct btf_type* nt = target.type(new_type);
    bool ok = ot && nt &&
              ((btf_is_ptr(ot) && btf_is_ptr(nt)) ||
               (btf_is_int(ot) && btf_is_int(nt) && !(btf_int_encoding(ot) & BTF_INT_SIGNED) &&
                !(btf_int_encoding(nt) & BTF_INT_SIGNED)));
    res.fail_memsz_adjust = !ok;
  }
  return res;
}

Status core_patch_insn(Insn* insns, size_t n, size_t idx, const CoreResult& res) {
  Insn& in = insns[idx];
  const uint8_t cls = op::cls(in.code);
  switch (cls) {
    case op::kAlu:
    case op::kAlu64: {
      if (op::src_bit(in.code) != op::kK)
        return Status::Error("", "CO-RE relocation on an ALU instruction with a register source");
      if (res.validate && static_cast<uint32_t>(in.imm) != static_cast<uint32_t>(res.orig_val))
        return Status::Errorf("", "unexpected immediate {} (expected {})", in.imm, res.orig_val);
      if (res.new_val > UINT32_MAX) return Status::Errorf("", "value {} does not fit an immediate", res.new_val);
      in.imm = static_cast<int32_t>(static_cast<uint32_t>(res.new_val));
      return Status();
    }
    case op::kLdx:
    case op::kSt:
    case op::kStx: {
      if (res.validate && static_cast<uint64_t>(static_cast<int64_t>(in.off)) != res.orig_val &&
          static_cast<uint64_t>(static_cast<uint16_t>(in.off)) != res.orig_val)
        return Status::Errorf("", "unexpected memory offset {} (expected {})", in.off, res.orig_val);
      if (res.new_val > SHRT_MAX) return Status::Errorf("", "offset {} too big for a memory instruction", res.new_val);
      if (res.fail_memsz_adjust) return Status::Error("", "field size changed and the access cannot be adjusted");
      in.off = static_cast<int16_t>(res.new_val);
      if (res.orig_sz && res.new_sz && res.orig_sz != res.new_sz) {
        if (op::size_bytes(in.code) != static_cast<int>(res.orig_sz))
          return Status::Errorf("", "memory access size {} does not match field size {}", op::size_bytes(in.code),
                                res.orig_sz);
        uint8_t sz;
        switch (res.new_sz) {
          case 1: sz = op::kB; break;
          case 2: sz = op::kH; break;
          case 4: sz = op::kW; break;
          case 8: sz = op::kDW; break;
          default: return Status::Errorf("", "field size {} cannot be accessed", res.new_sz);
        }
        in.code = static_cast<uint8_t>((in.code & ~0x18) | sz);
      }
      return Status();
    }
    case op::kLd: {
      if (in.code != op::kLdImm64 || idx + 1 >= n)
        return Status::Error("", "CO-RE relocation on a non-ld_imm64 load");
      uint64_t cur = static_cast<uint32_t>(in.imm) | (uint64_t{static_cast<uint32_t>(insns[idx + 1].imm)} << 32);
      if (res.validate && cur != res.orig_val)
        return Status::Errorf("", "unexpected ld_imm64 value {} (expected {})", cur, res.orig_val);
      set_ld_imm64(&in, res.new_val);
      return Status();
    }
    default:
      return Status::Errorf("", "cannot relocate instruction with opcode {:#04x}", in.code);
  }
}

}  // namespace scx::bpf
