#include "bpf/host/profile.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <linux/btf.h>

#include "base/json_parse.h"
#include "bpf/host/native_setup.h"
#include "bpf/loader/btf.h"
#include "bpf/maps/map.h"

namespace scx::bpf {

namespace detail {
struct EmbeddedJson {
  const char* name;
  const char* text;
};
extern const EmbeddedJson kBundledProfiles[];
extern const std::size_t kBundledProfilesCount;
}  // namespace detail

// ---- expressions ---------------------------------------------------------------------------
namespace {

class ExprParser {
 public:
  ExprParser(std::string_view text, const ExprEnv& env) : s_(text), env_(env) {}

  Result<int64_t> parse() {
    SCX_ASSIGN_OR_RETURN(int64_t v, conditional());
    skip_ws();
    if (pos_ != s_.size()) return error(fmt::format("unexpected '{}'", s_.substr(pos_)));
    return v;
  }

 private:
  Status error(const std::string& why) const { return Status::Errorf(fmt::format("expression '{}'", s_), "{}", why); }
  void skip_ws() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool eat(std::string_view tok) {
    skip_ws();
    if (s_.substr(pos_, tok.size()) != tok) return false;
    pos_ += tok.size();
    return true;
  }
  // c ? a : b, lowest of all (right-associative), as in C.
  Result<int64_t> conditional() {
    SCX_ASSIGN_OR_RETURN(int64_t c, binary(0));
    if (!eat("?")) return c;
    SCX_ASSIGN_OR_RETURN(int64_t a, conditional());
    if (!eat(":")) return error("missing ':'");
    SCX_ASSIGN_OR_RETURN(int64_t b, conditional());
    return c ? a : b;
  }
  // Precedence climbing over C's binary operators (lowest first).
  static int precedence(std::string_view op) {
    if (op == "||") return 1;
    if (op == "&&") return 2;
    if (op == "|") return 3;
    if (op == "&") return 4;
    if (op == "==" || op == "!=") return 5;
    if (op == "<" || op == "<=" || op == ">" || op == ">=") return 6;
    if (op == "<<" || op == ">>") return 7;
    if (op == "+" || op == "-") return 8;
    if (op == "*" || op == "/" || op == "%") return 9;
    return -1;
  }
  std::string_view peek_op() {
    skip_ws();
    for (std::string_view op : {"||", "&&", "==", "!=", "<<", ">>", "<=", ">=", "<", ">", "|", "&", "+", "-", "*",
                                "/", "%"})
      if (s_.substr(pos_, op.size()) == op) return op;
    return {};
  }
  Result<int64_t> binary(int min_prec) {
    SCX_ASSIGN_OR_RETURN(int64_t lhs, unary());
    for (;;) {
      std::string_view op = peek_op();
      int prec = precedence(op);
      if (op.empty() || prec < min_prec) return lhs;
      pos_ += op.size();
      SCX_ASSIGN_OR_RETURN(int64_t rhs, binary(prec + 1));
      SCX_ASSIGN_OR_RETURN(lhs, apply(op, lhs, rhs));
    }
  }
  Result<int64_t> apply(std::string_view op, int64_t a, int64_t b) const {
    const auto ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
    if ((op == "/" || op == "%") && b == 0) return error("division by zero");
    if ((op == "<<" || op == ">>") && (b < 0 || b > 63)) return error("shift out of range");
    if (op == "+") return static_cast<int64_t>(ua + ub);
    if (op == "-") return static_cast<int64_t>(ua - ub);
    if (op == "*") return static_cast<int64_t>(ua * ub);
    if (op == "/") return a / b;
    if (op == "%") return a % b;
    if (op == "<<") return static_cast<int64_t>(ua << b);
    if (op == ">>") return static_cast<int64_t>(ua >> b);
    if (op == "&") return static_cast<int64_t>(ua & ub);
    if (op == "|") return static_cast<int64_t>(ua | ub);
    if (op == "||") return a || b;
    if (op == "&&") return a && b;
    if (op == "==") return a == b;
    if (op == "!=") return a != b;
    if (op == "<") return a < b;
    if (op == "<=") return a <= b;
    if (op == ">") return a > b;
    return a >= b;
  }
  Result<int64_t> unary() {
    if (eat("-")) {
      SCX_ASSIGN_OR_RETURN(int64_t v, unary());
      return static_cast<int64_t>(-static_cast<uint64_t>(v));
    }
    if (eat("!")) {
      SCX_ASSIGN_OR_RETURN(int64_t v, unary());
      return !v;
    }
    if (eat("~")) {
      SCX_ASSIGN_OR_RETURN(int64_t v, unary());
      return ~v;
    }
    if (eat("(")) {
      SCX_ASSIGN_OR_RETURN(int64_t v, conditional());
      if (!eat(")")) return error("missing ')'");
      return v;
    }
    skip_ws();
    if (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) return number();
    return name();
  }
  Result<int64_t> number() {
    size_t start = pos_;
    int base = 10;
    if (s_.substr(pos_, 2) == "0x" || s_.substr(pos_, 2) == "0X") {
      base = 16;
      pos_ += 2;
      start = pos_;
    }
    while (pos_ < s_.size() && std::isxdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    std::string digits(s_.substr(start, pos_ - start));
    try {
      size_t used = 0;
      uint64_t v = std::stoull(digits, &used, base);
      if (used != digits.size()) return error(fmt::format("bad number '{}'", digits));
      return static_cast<int64_t>(v);
    } catch (const std::exception&) {
      return error(fmt::format("bad number '{}'", digits));
    }
  }
  Result<int64_t> name() {
    size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) ++pos_;
    std::string id(s_.substr(start, pos_ - start));
    if (id.empty()) return error(pos_ < s_.size() ? fmt::format("unexpected '{}'", s_[pos_]) : "unexpected end");
    if (id == "sizeof" && eat("(")) return size_of_type();
    if (eat("(")) {
      std::vector<int64_t> args;
      do {
        SCX_ASSIGN_OR_RETURN(int64_t a, conditional());
        args.push_back(a);
      } while (eat(","));
      if (!eat(")")) return error("missing ')'");
      return function(id, args);
    }
    if (auto it = env_.vars.find(id); it != env_.vars.end()) return it->second;
    const bool upper = std::none_of(id.begin(), id.end(), [](char c) { return std::islower(static_cast<unsigned char>(c)); });
    if (!upper) return error(fmt::format("unknown variable '{}'", id));
    // An enum value of the simulated kernel; a kernel without it gives 0 (__COMPAT_ENUM_OR_ZERO).
    std::optional<uint64_t> v = env_.kernel ? env_.kernel->enum_value("", id) : std::nullopt;
    return static_cast<int64_t>(v.value_or(0));
  }
  Result<int64_t> function(const std::string& fn, const std::vector<int64_t>& args) const {
    const Topology* t = env_.topo;
    if (!t) return error("no machine to evaluate " + fn);
    static const std::map<std::string, size_t> arity = {
        {"core_of", 1},           {"llc_of", 1},           {"package_of", 1},           {"node_of", 1},           {"capacity_of", 1},
        {"smt_sibling_of", 1},    {"cpu_by_capacity", 1},  {"llc_cpumask_word", 2},  {"node_cpumask_word", 2},
        {"core_cpumask_word", 2}, {"all_cpumask_word", 1}, {"first_cpu_of_core", 1}, {"first_cpu_of_llc", 1},
        {"first_cpu_of_node", 1}, {"nr_cpus_of_core", 1},  {"nr_cpus_of_llc", 1},    {"nr_cpus_of_node", 1},
        {"nr_cores_of_llc", 1},   {"nr_cores_of_node", 1}, {"nr_llcs_of_node", 1},   {"node_distance", 2}};
    auto a = arity.find(fn);
    if (a == arity.end()) return error(fmt::format("unknown function '{}'", fn));
    if (args.size() != a->second) return error(fmt::format("{} takes {} argument(s)", fn, a->second));
    if (fn.ends_with("_cpumask_word")) return mask_word(fn, args[0], a->second == 2 ? args[1] : args[0]);
    if (fn.find("_of_") != std::string::npos) return domain_fact(fn, args[0]);
    if (fn == "node_distance") {
      for (int64_t n : args)
        if (n < 0 || n >= t->nr_nodes()) return error(fmt::format("node_distance: no node {}", n));
      return t->node_distance(static_cast<int>(args[0]), static_cast<int>(args[1]));
    }
    const int64_t x = args[0];
    if (x < 0 || x >= t->nr_cpus()) return error(fmt::format("{}({}): no such CPU", fn, x));
    const CpuInfo& c = t->cpu(static_cast<int>(x));
    if (fn == "core_of") return c.core;
    if (fn == "llc_of") return c.llc;
    if (fn == "node_of") return c.node;
    if (fn == "package_of") return c.package;
    if (fn == "capacity_of") return c.capacity;
    if (fn == "cpu_by_capacity") return by_capacity(x);
    // The first other CPU of x's core, -1 without SMT.
    for (int s = t->smt_siblings(c.id).first(); s >= 0; s = t->smt_siblings(c.id).next(s + 1))
      if (s != c.id) return s;
    return -1;
  }
  // The CPU mask of a core, LLC or node (`id`), or of the whole machine.
  Result<const CpuMask*> domain_mask(const std::string& fn, const std::string& kind, int64_t id) const {
    const Topology* t = env_.topo;
    if (kind == "all") return &t->all_cpus();
    const int n = kind == "core" ? t->nr_cores() : kind == "llc" ? t->nr_llcs() : t->nr_nodes();
    if (id < 0 || id >= n) return error(fmt::format("{}({}, ...): no such {}", fn, id, kind == "llc" ? "LLC" : kind));
    const int k = static_cast<int>(id);
    return kind == "core" ? &t->core_cpus(k) : kind == "llc" ? &t->llc_cpus(k) : &t->node_cpus(k);
  }
  // first_cpu_of_X, nr_cpus_of_X, nr_cores_of_X, nr_llcs_of_X for a core, LLC or node X.
  Result<int64_t> domain_fact(const std::string& fn, int64_t id) const {
    const std::string kind = fn.substr(fn.rfind('_') + 1), what = fn.substr(0, fn.find("_of_"));
    SCX_ASSIGN_OR_RETURN(const CpuMask* m, domain_mask(fn, kind, id));
    if (what == "first_cpu") return m->first();
    if (what == "nr_cpus") return m->weight();
    std::set<int> seen;
    for (int c = m->first(); c >= 0; c = m->next(c + 1))
      seen.insert(what == "nr_cores" ? env_.topo->cpu(c).core : env_.topo->cpu(c).llc);
    return static_cast<int64_t>(seen.size());
  }
  // sizeof(struct NAME) (or union NAME) in the object's BTF, as user space's generated types
  // (libbpf-cargo's skeleton types, bindgen of the scheduler's header) have it.
  Result<int64_t> size_of_type() {
    auto word = [&]() {
      skip_ws();
      const size_t start = pos_;
      while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) ++pos_;
      return std::string(s_.substr(start, pos_ - start));
    };
    std::string kw = word(), type = kw;
    if (kw == "struct" || kw == "union") type = word();
    if (type.empty() || !eat(")")) return error("expected sizeof(struct NAME)");
    if (!env_.object) return error(fmt::format("sizeof(struct {}) needs the BPF object", type));
    const int kind = kw == "union" ? BTF_KIND_UNION : BTF_KIND_STRUCT;
    const uint32_t id = env_.object->find(type, kind);
    const int64_t size = id ? env_.object->size_of(id) : -1;
    if (size < 0) return error(fmt::format("sizeof({} {}): not in the object's BTF", kind == BTF_KIND_UNION ? "union" : "struct", type));
    return size;
  }
  // The CPUs ordered by capacity, highest first, ties by id: the i-th.
  int64_t by_capacity(int64_t i) const {
    std::vector<int> order(static_cast<size_t>(env_.topo->nr_cpus()));
    for (size_t k = 0; k < order.size(); ++k) order[k] = static_cast<int>(k);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return env_.topo->cpu(a).capacity > env_.topo->cpu(b).capacity; });
    return order[static_cast<size_t>(i)];
  }
  // 64-bit word `w` of a core's, LLC's or node's CPU mask, or of all CPUs' (all_cpumask_word(w)).
  Result<int64_t> mask_word(const std::string& fn, int64_t id, int64_t w) const {
    const std::string kind = fn.substr(0, fn.find('_'));
    SCX_ASSIGN_OR_RETURN(const CpuMask* m, domain_mask(fn, kind, id));
    if (w < 0 || w >= CpuMask::kWords) return 0;
    return static_cast<int64_t>(m->words()[static_cast<size_t>(w)]);
  }

  std::string_view s_;
  const ExprEnv& env_;
  size_t pos_ = 0;
};

}  // namespace

Result<int64_t> eval_profile_expr(std::string_view expr, const ExprEnv& env) { return ExprParser(expr, env).parse(); }

// ---- parsing -------------------------------------------------------------------------------
namespace {

using json = nlohmann::json;

Status want(bool ok, const std::string& origin, const std::string& key, const char* what) {
  return ok ? Status() : Status::Errorf(origin, "key '{}': {}", key, what);
}

// A number or a string expression, kept as text.
Result<std::string> expr_text(const json& v, const std::string& origin, const std::string& key) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return v.dump();
  if (v.is_boolean()) return std::string(v.get<bool>() ? "1" : "0");
  return Status::Errorf(origin, "key '{}': expected an expression (string or integer)", key);
}

Result<std::map<std::string, std::string>> expr_map(const json& v, const std::string& origin, const std::string& key) {
  SCX_RETURN_IF_ERROR(want(v.is_object(), origin, key, "expected an object"));
  std::map<std::string, std::string> out;
  for (auto& [k, e] : v.items()) {
    SCX_ASSIGN_OR_RETURN(out[k], expr_text(e, origin, key + "." + k));
  }
  return out;
}

// {"length": EXPR, "value": EXPR}
Result<ProfileArray> array_def(const json& def, const std::string& origin, const std::string& key) {
  SCX_RETURN_IF_ERROR(want(def.is_object() && def.size() == 2 && def.contains("length") && def.contains("value"),
                           origin, key, "expected {\"length\": ..., \"value\": ...}"));
  ProfileArray arr;
  SCX_ASSIGN_OR_RETURN(arr.length, expr_text(def["length"], origin, key + ".length"));
  SCX_ASSIGN_OR_RETURN(arr.value, expr_text(def["value"], origin, key + ".value"));
  return arr;
}

// A map key or value: an expression, or an object of member paths → expression or array.
Result<ProfileBytes> map_bytes(const json& v, const std::string& origin, const std::string& key) {
  ProfileBytes b;
  if (!v.is_object()) {
    SCX_ASSIGN_OR_RETURN(b.scalar, expr_text(v, origin, key));
    return b;
  }
  SCX_RETURN_IF_ERROR(want(!v.empty(), origin, key, "expected member paths"));
  b.is_struct = true;
  for (auto& [path, e] : v.items()) {
    ProfileArray m;
    if (e.is_object()) {
      SCX_ASSIGN_OR_RETURN(m, array_def(e, origin, key + "." + path));
    } else {
      SCX_ASSIGN_OR_RETURN(m.value, expr_text(e, origin, key + "." + path));
    }
    b.members.emplace_back(path, std::move(m));
  }
  return b;
}

// {"type": NAME, "key_size": EXPR, "value_size": EXPR, "max_entries": EXPR, "map_flags": EXPR},
// every field optional (the template's).
Result<ProfileInnerMap> inner_map_def(const json& v, const std::string& origin, const std::string& key) {
  SCX_RETURN_IF_ERROR(want(v.is_object(), origin, key, "expected an object (type, key_size, value_size, "
                                                       "max_entries, map_flags; {} = the template)"));
  ProfileInnerMap m;
  for (auto& [k, e] : v.items()) {
    const std::string where = key + "." + k;
    if (k == "type") {
      const bool known = e.is_string() && map_type_by_name(e.get<std::string>()) != 0;
      SCX_RETURN_IF_ERROR(want(known, origin, where, "expected a supported map type's name (queue, stack, hash, array, ...)"));
      m.type = e.get<std::string>();
      continue;
    }
    std::string* dst = k == "key_size" ? &m.key_size : k == "value_size" ? &m.value_size
                       : k == "max_entries" ? &m.max_entries : k == "map_flags" ? &m.map_flags : nullptr;
    if (!dst)
      return Status::Errorf(origin, "key '{}': not an inner map field (type, key_size, value_size, max_entries, "
                                    "map_flags)", where);
    SCX_ASSIGN_OR_RETURN(*dst, expr_text(e, origin, where));
  }
  return m;
}

// {"count": N, "key": K, "value": V}, or "inner_map" in place of "value" for a map of maps.
Result<ProfileMapFill> map_fill(const json& def, const std::string& origin, const std::string& key) {
  const bool inner = def.is_object() && def.contains("inner_map");
  const bool ok = def.is_object() && def.size() == 3 && def.contains("count") && def.contains("key") &&
                  (inner || def.contains("value"));
  SCX_RETURN_IF_ERROR(want(ok, origin, key, "expected {\"count\": ..., \"key\": ..., \"value\": ...} or, for a map "
                                            "of maps, {\"count\": ..., \"key\": ..., \"inner_map\": {...}}"));
  ProfileMapFill f;
  SCX_ASSIGN_OR_RETURN(f.count, expr_text(def["count"], origin, key + ".count"));
  SCX_ASSIGN_OR_RETURN(f.key, map_bytes(def["key"], origin, key + ".key"));
  if (inner) {
    SCX_ASSIGN_OR_RETURN(f.inner_map, inner_map_def(def["inner_map"], origin, key + ".inner_map"));
  } else {
    SCX_ASSIGN_OR_RETURN(f.value, map_bytes(def["value"], origin, key + ".value"));
  }
  return f;
}

Result<ProfileSettings> parse_settings(const json& j, const std::string& origin, const std::string& prefix) {
  ProfileSettings s;
  for (const char* k : {"resize", "map_size", "globals", "ops", "usersched_args"}) {
    if (!j.contains(k)) continue;
    auto& dst = std::string(k) == "resize" ? s.resize : std::string(k) == "map_size" ? s.map_size
                : std::string(k) == "globals" ? s.globals : std::string(k) == "ops" ? s.ops : s.usersched_args;
    SCX_ASSIGN_OR_RETURN(dst, expr_map(j[k], origin, prefix + k));
  }
  for (auto [k, dst] : {std::pair{"layered_spec", &s.layered_spec}, {"cell_parent_cgroup", &s.cell_parent_cgroup}})
    if (j.contains(k)) {
      SCX_RETURN_IF_ERROR(want(j[k].is_string(), origin, prefix + k, "expected a string"));
      *dst = j[k].get<std::string>();
    }
  static const std::set<std::string> ops_fields = {"flags", "timeout_ms", "dispatch_max_batch", "exit_dump_len"};
  for (const auto& [k, e] : s.ops)
    if (!ops_fields.count(k))
      return Status::Errorf(origin, "key '{}ops.{}': not a sched_ext_ops field user space sets "
                                    "(flags, timeout_ms, dispatch_max_batch, exit_dump_len)", prefix, k);
  if (j.contains("maps")) {
    const json& m = j["maps"];
    SCX_RETURN_IF_ERROR(want(m.is_object(), origin, prefix + "maps", "expected an object"));
    for (auto& [name, def] : m.items()) {
      SCX_ASSIGN_OR_RETURN(s.maps[name], map_fill(def, origin, prefix + "maps." + name));
    }
  }
  if (j.contains("arrays")) {
    const json& a = j["arrays"];
    SCX_RETURN_IF_ERROR(want(a.is_object(), origin, prefix + "arrays", "expected an object"));
    for (auto& [name, def] : a.items()) {
      const std::string key = prefix + "arrays." + name;
      SCX_ASSIGN_OR_RETURN(s.arrays[name], array_def(def, origin, key));
    }
  }
  return s;
}

Result<ProfileSyscall> parse_syscall(const json& j, const std::string& origin, const std::string& key) {
  SCX_RETURN_IF_ERROR(want(j.is_object() && j.contains("program") && j["program"].is_string(), origin, key,
                           "expected {\"program\": NAME, ...}"));
  ProfileSyscall sc;
  sc.program = j["program"].get<std::string>();
  if (j.contains("for_each")) {
    SCX_RETURN_IF_ERROR(want(j["for_each"].is_string(), origin, key + ".for_each", "expected a string"));
    sc.for_each = j["for_each"].get<std::string>();
    static const std::set<std::string> kinds = {"once", "cpu", "core", "smt_sibling", "llc_sibling", "node_sibling"};
    if (!kinds.count(sc.for_each))
      return Status::Errorf(origin, "key '{}.for_each': '{}' is not one of once, cpu, core, smt_sibling, "
                                    "llc_sibling, node_sibling", key, sc.for_each);
  }
  if (j.contains("when")) {
    SCX_RETURN_IF_ERROR(want(j["when"] == "before_init" || j["when"] == "after_attach", origin, key + ".when",
                             "expected \"before_init\" or \"after_attach\""));
    sc.after_attach = j["when"] == "after_attach";
  }
  if (j.contains("ctx")) {
    SCX_RETURN_IF_ERROR(want(j["ctx"].is_array(), origin, key + ".ctx", "expected a list of [type, expression]"));
    for (const json& f : j["ctx"]) {
      SCX_RETURN_IF_ERROR(want(f.is_array() && f.size() == 2 && f[0].is_string(), origin, key + ".ctx",
                               "expected [type, expression] pairs"));
      SCX_ASSIGN_OR_RETURN(std::string e, expr_text(f[1], origin, key + ".ctx"));
      sc.ctx.emplace_back(f[0].get<std::string>(), std::move(e));
    }
  }
  return sc;
}

// "native_setup": a list of the names native_setup.h knows.
Result<std::vector<std::string>> parse_native_setup(const json& j, const std::string& origin) {
  std::string known;
  for (const std::string& n : native_setup_names()) known += (known.empty() ? "" : ", ") + n;
  const std::string list = "expected a list of names (" + known + ")";
  SCX_RETURN_IF_ERROR(want(j.is_array(), origin, "native_setup", list.c_str()));
  std::vector<std::string> names;
  for (const json& n : j) {
    const std::string unknown = "unknown step " + n.dump() + " (known: " + known + ")";
    SCX_RETURN_IF_ERROR(want(n.is_string() && is_native_setup(n.get<std::string>()), origin, "native_setup",
                             unknown.c_str()));
    names.push_back(n.get<std::string>());
  }
  return names;
}

}  // namespace

Result<Profile> parse_profile(std::string_view text, const std::string& origin) {
  json j;
  if (auto e = parse_json(text, &j)) {
    if (!e->number_out_of_range) return Status::Error(origin, "not valid JSON");
    return Status::Error(origin + ": " + line_column(text, e->byte), e->reason);
  }
  if (!j.is_object()) return Status::Error(origin, "a profile is a JSON object");
  static const std::set<std::string> known = {"ops_name", "scheduler", "source", "notes", "resize", "map_size",
                                              "globals", "arrays", "maps", "ops", "syscall", "options",
                                              "loader_cpu", "usersched", "usersched_args", "arena_lib",
                                              "layered_spec", "native_setup", "cell_parent_cgroup"};
  for (auto& [k, v] : j.items())
    if (!known.count(k)) return Status::Errorf(origin, "unknown key '{}'", k);
  Profile p;
  p.origin = origin;
  SCX_RETURN_IF_ERROR(want(j.contains("ops_name") && j["ops_name"].is_string(), origin, "ops_name", "required string"));
  p.ops_name = j["ops_name"].get<std::string>();
  for (auto [k, dst] : {std::pair{"scheduler", &p.scheduler}, {"source", &p.source}, {"notes", &p.notes},
                        {"usersched", &p.usersched}})
    if (j.contains(k)) {
      SCX_RETURN_IF_ERROR(want(j[k].is_string(), origin, k, "expected a string"));
      *dst = j[k].get<std::string>();
    }
  SCX_ASSIGN_OR_RETURN(p.settings, parse_settings(j, origin, ""));
  if (j.contains("loader_cpu")) {
    SCX_ASSIGN_OR_RETURN(p.loader_cpu, expr_text(j["loader_cpu"], origin, "loader_cpu"));
  }
  if (j.contains("arena_lib")) {
    const json& a = j["arena_lib"];
    SCX_RETURN_IF_ERROR(want(a.is_object() && a.size() == 1 && a.contains("task_ctx_size"), origin, "arena_lib",
                             "expected {\"task_ctx_size\": ...}"));
    SCX_ASSIGN_OR_RETURN(p.arena_lib_task_ctx_size, expr_text(a["task_ctx_size"], origin, "arena_lib.task_ctx_size"));
  }
  if (j.contains("native_setup")) {
    SCX_ASSIGN_OR_RETURN(p.native_setup, parse_native_setup(j["native_setup"], origin));
  }
  if (j.contains("syscall")) {
    SCX_RETURN_IF_ERROR(want(j["syscall"].is_array(), origin, "syscall", "expected a list"));
    for (size_t i = 0; i < j["syscall"].size(); ++i) {
      SCX_ASSIGN_OR_RETURN(ProfileSyscall sc, parse_syscall(j["syscall"][i], origin, fmt::format("syscall[{}]", i)));
      p.syscalls.push_back(std::move(sc));
    }
  }
  if (j.contains("options")) {
    SCX_RETURN_IF_ERROR(want(j["options"].is_object(), origin, "options", "expected an object"));
    for (auto& [name, o] : j["options"].items()) {
      SCX_RETURN_IF_ERROR(want(o.is_object(), origin, "options." + name, "expected an object"));
      ProfileOption opt;
      if (o.contains("help") && o["help"].is_string()) opt.help = o["help"].get<std::string>();
      SCX_ASSIGN_OR_RETURN(opt.settings, parse_settings(o, origin, "options." + name + "."));
      p.options[name] = std::move(opt);
    }
  }
  return p;
}

Result<Profile> load_profile_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Errorf(path, "cannot open the profile");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > (1u << 20)) return Status::Error(path, "profile larger than 1 MiB");
  return parse_profile(text, path);
}

namespace {

std::vector<BundledProfile> all_bundled() {
  std::vector<BundledProfile> out;
  for (std::size_t i = 0; i < detail::kBundledProfilesCount; ++i) {
    const detail::EmbeddedJson& e = detail::kBundledProfiles[i];
    Result<Profile> p = parse_profile(e.text, fmt::format("bundled profile {}", e.name));
    if (p.ok()) out.push_back(BundledProfile{e.name, std::move(p).value()});  // a test parses them all
  }
  return out;
}

}  // namespace

std::vector<BundledProfile> bundled_profiles_for(std::string_view ops_name) {
  std::vector<BundledProfile> out;
  for (BundledProfile& b : all_bundled())
    if (b.profile.ops_name == ops_name && !b.file.starts_with("alt/")) out.push_back(std::move(b));
  std::stable_sort(out.begin(), out.end(), [](const BundledProfile& a, const BundledProfile& b) {
    return (a.file.find('/') == std::string::npos) > (b.file.find('/') == std::string::npos);
  });
  return out;
}

std::optional<Profile> bundled_profile_named(std::string_view name) {
  std::vector<BundledProfile> all = all_bundled();
  // With its folder ("alt/rlfifo", "0f379644a/scx_cake") first; then, for a name without one,
  // a profile in a folder ("rlfifo" is alt/scx_rlfifo.json), top level ones having matched first.
  for (bool ignore_dir : {false, true}) {
    for (BundledProfile& b : all) {
      const std::string stem = b.file.substr(0, b.file.size() - 5);  // without .json
      const size_t slash = stem.rfind('/');
      const std::string dir = slash == std::string::npos || ignore_dir ? "" : stem.substr(0, slash + 1);
      const std::string base = stem.substr(slash == std::string::npos ? 0 : slash + 1);
      if (name == b.file || name == dir + base || (base.starts_with("scx_") && name == dir + base.substr(4)))
        return std::move(b.profile);
    }
  }
  return std::nullopt;
}

std::vector<std::string> bundled_profile_files() {
  std::vector<std::string> files;
  for (std::size_t i = 0; i < detail::kBundledProfilesCount; ++i) files.push_back(detail::kBundledProfiles[i].name);
  std::sort(files.begin(), files.end());
  return files;
}

// ---- resolving -----------------------------------------------------------------------------
namespace {

class Resolver {
 public:
  Resolver(const Profile& p, const Topology& topo, const Btf& kernel, const Btf* object) : p_(p), topo_(topo) {
    env_.topo = &topo;
    env_.kernel = &kernel;
    env_.object = object;
    env_.vars = {{"nr_cpu_ids", topo.nr_cpus()},
                 {"nr_cores", topo.nr_cores()},
                 {"nr_llcs", topo.nr_llcs()},
                 {"nr_nodes", topo.nr_nodes()},
                 {"nr_cpus_per_llc", topo.llc_cpus(0).weight()}};
  }

  Status apply(const ProfileSettings& s, const std::string& where) {
    for (const auto& [name, e] : s.resize) {
      SCX_ASSIGN_OR_RETURN(out_.resize[name], nonneg(e, where + "resize." + name));
    }
    for (const auto& [name, e] : s.map_size) {
      SCX_ASSIGN_OR_RETURN(uint64_t v, nonneg(e, where + "map_size." + name));
      if (v > UINT32_MAX) return err(where + "map_size." + name, fmt::format("{} is too large", v));
      out_.map_size[name] = static_cast<uint32_t>(v);
    }
    for (const auto& [name, e] : s.globals) {
      SCX_ASSIGN_OR_RETURN(int64_t v, eval(e, where + "globals." + name));
      set_global(name, std::to_string(v));
    }
    for (const auto& [name, arr] : s.arrays) SCX_RETURN_IF_ERROR(apply_array(name, arr, where + "arrays." + name));
    for (const auto& [name, fill] : s.maps) SCX_RETURN_IF_ERROR(apply_map(name, fill, where + "maps." + name));
    for (const auto& [name, e] : s.ops) {
      SCX_ASSIGN_OR_RETURN(int64_t v, eval(e, where + "ops." + name));
      out_.ops[name] = static_cast<uint64_t>(v);
    }
    for (const auto& [name, e] : s.usersched_args) {
      SCX_ASSIGN_OR_RETURN(out_.usersched_args[name], eval(e, where + "usersched_args." + name));
    }
    if (!s.layered_spec.empty()) out_.layered_spec = s.layered_spec == "value" ? option_text_ : s.layered_spec;
    if (!s.cell_parent_cgroup.empty())
      out_.cell_parent_cgroup = s.cell_parent_cgroup == "value" ? option_text_ : s.cell_parent_cgroup;
    return Status();
  }

  Status apply_option(const std::string& spec) {
    const size_t eq = spec.find('=');
    const std::string name = spec.substr(0, eq);
    auto it = p_.options.find(name);
    if (it == p_.options.end()) {
      std::string known;
      for (const auto& [n, o] : p_.options) known += (known.empty() ? "" : ", ") + n;
      return Status::Errorf(p_.origin, "--sched-opt {}: not an option of {} (known: {})", name,
                            p_.scheduler.empty() ? p_.ops_name : p_.scheduler, known.empty() ? "none" : known);
    }
    int64_t value = 1;
    option_text_ = eq == std::string::npos ? std::string() : spec.substr(eq + 1);
    const ProfileSettings& set = it->second.settings;
    if (set.layered_spec == "value" || set.cell_parent_cgroup == "value") {  // a file or a path, not an expression
      if (option_text_.empty())
        return err("options." + name, fmt::format("needs a value (--sched-opt {}={})", name,
                                                  set.layered_spec == "value" ? "FILE" : "PATH"));
      return apply(it->second.settings, "options." + name + ".");
    }
    if (eq != std::string::npos) {
      ExprEnv plain;
      SCX_ASSIGN_OR_RETURN(value, eval_profile_expr(spec.substr(eq + 1), plain));
    }
    env_.vars["value"] = value;
    Status st = apply(it->second.settings, "options." + name + ".");
    env_.vars.erase("value");
    return st;
  }

  Status syscalls() {
    for (size_t k = 0; k < p_.syscalls.size(); ++k) {
      const ProfileSyscall& sc = p_.syscalls[k];
      const std::string where = fmt::format("syscall[{}] ({})", k, sc.program);
      for (const auto& [cpu, sibling] : iterations(sc.for_each)) {
        env_.vars["cpu"] = cpu;
        env_.vars["sibling"] = sibling;
        SyscallRun run;
        run.program = sc.program;
        run.after_attach = sc.after_attach;
        run.what = sc.for_each == "once" ? sc.program
                   : sibling < 0         ? fmt::format("{}(cpu={})", sc.program, cpu)
                                         : fmt::format("{}(cpu={}, sibling={})", sc.program, cpu, sibling);
        SCX_RETURN_IF_ERROR(build_ctx(sc, where, &run.ctx));
        out_.syscalls.push_back(std::move(run));
      }
    }
    env_.vars.erase("cpu");
    env_.vars.erase("sibling");
    return Status();
  }

  Status arena_lib() {
    if (p_.arena_lib_task_ctx_size.empty()) return Status();
    SCX_ASSIGN_OR_RETURN(int64_t size, eval(p_.arena_lib_task_ctx_size, "arena_lib.task_ctx_size"));
    if (size <= 0) return err("arena_lib.task_ctx_size", fmt::format("{} is not a size", size));
    out_.arena_lib_task_ctx_size = static_cast<uint64_t>(size);
    return Status();
  }

  Status loader_cpu() {
    if (p_.loader_cpu.empty()) return Status();
    SCX_ASSIGN_OR_RETURN(int64_t cpu, eval(p_.loader_cpu, "loader_cpu"));
    if (cpu < 0 || cpu >= topo_.nr_cpus()) return err("loader_cpu", fmt::format("CPU {} does not exist", cpu));
    out_.loader_cpu = cpu;
    return Status();
  }

  ResolvedProfile take() { return std::move(out_); }
  void set_usersched(const std::string& name) { out_.usersched = name; }

 private:
  Status err(const std::string& key, const std::string& why) const {
    return Status::Errorf(p_.origin, "key '{}': {}", key, why);
  }
  Result<int64_t> eval(const std::string& e, const std::string& key) const {
    Result<int64_t> v = eval_profile_expr(e, env_);
    if (!v.ok()) return err(key, v.status().message());
    return v;
  }
  Result<uint64_t> nonneg(const std::string& e, const std::string& key) const {
    SCX_ASSIGN_OR_RETURN(int64_t v, eval(e, key));
    if (v < 0) return err(key, fmt::format("{} is negative", v));
    return static_cast<uint64_t>(v);
  }
  void set_global(const std::string& name, std::string value) {
    for (auto& [n, v] : out_.globals)
      if (n == name) {
        v = std::move(value);
        return;
      }
    out_.globals.emplace_back(name, std::move(value));
  }
  Status apply_array(const std::string& name, const ProfileArray& arr, const std::string& key) {
    SCX_ASSIGN_OR_RETURN(uint64_t n, nonneg(arr.length, key + ".length"));
    if (n > (1u << 20)) return err(key + ".length", fmt::format("{} elements is too many", n));
    std::string list;
    for (uint64_t i = 0; i < n; ++i) {
      env_.vars["i"] = static_cast<int64_t>(i);
      Result<int64_t> v = eval(arr.value, key + ".value");
      if (!v.ok()) {
        env_.vars.erase("i");
        return v.status();
      }
      list += (i ? "," : "") + std::to_string(*v);
    }
    env_.vars.erase("i");
    if (n > 0) set_global(name, list);
    return Status();
  }
  Status apply_map(const std::string& name, const ProfileMapFill& f, const std::string& key) {
    SCX_ASSIGN_OR_RETURN(uint64_t n, nonneg(f.count, key + ".count"));
    if (n > (1u << 20)) return err(key + ".count", fmt::format("{} entries is too many", n));
    std::vector<ResolvedMapEntry>& out = out_.map_entries[name];
    out.clear();
    Status st;
    for (uint64_t i = 0; i < n && st.ok(); ++i) {
      env_.vars["i"] = static_cast<int64_t>(i);
      ResolvedMapEntry e;
      st = resolve_bytes(f.key, key + ".key", &e.key);
      if (st.ok() && f.inner_map) st = resolve_inner_map(*f.inner_map, key + ".inner_map", &e.inner_map.emplace());
      else if (st.ok()) st = resolve_bytes(f.value, key + ".value", &e.value);
      out.push_back(std::move(e));
    }
    env_.vars.erase("i");
    env_.vars.erase("j");
    return st;
  }
  Status resolve_inner_map(const ProfileInnerMap& m, const std::string& key, ResolvedInnerMap* out) {
    if (!m.type.empty()) out->type = map_type_by_name(m.type);
    for (auto [text, dst, name] : {std::tuple{&m.key_size, &out->key_size, "key_size"},
                                   {&m.value_size, &out->value_size, "value_size"},
                                   {&m.max_entries, &out->max_entries, "max_entries"},
                                   {&m.map_flags, &out->map_flags, "map_flags"}}) {
      if (text->empty()) continue;
      SCX_ASSIGN_OR_RETURN(uint64_t v, nonneg(*text, key + "." + name));
      if (v > UINT32_MAX) return err(key + "." + name, fmt::format("{} is too large", v));
      *dst = static_cast<uint32_t>(v);
    }
    return Status();
  }
  Status resolve_bytes(const ProfileBytes& b, const std::string& key, ResolvedBytes* out) {
    out->is_struct = b.is_struct;
    if (!b.is_struct) {
      SCX_ASSIGN_OR_RETURN(out->scalar, eval(b.scalar, key));
      return Status();
    }
    for (const auto& [path, m] : b.members) {
      std::vector<int64_t> values;
      if (m.length.empty()) {
        SCX_ASSIGN_OR_RETURN(int64_t v, eval(m.value, key + "." + path));
        values.push_back(v);
      } else {
        SCX_ASSIGN_OR_RETURN(uint64_t len, nonneg(m.length, key + "." + path + ".length"));
        if (len > (1u << 16)) return err(key + "." + path + ".length", fmt::format("{} elements is too many", len));
        for (uint64_t j = 0; j < len; ++j) {
          env_.vars["j"] = static_cast<int64_t>(j);
          SCX_ASSIGN_OR_RETURN(int64_t v, eval(m.value, key + "." + path + ".value"));
          values.push_back(v);
        }
        env_.vars.erase("j");
      }
      out->members.emplace_back(path, std::move(values));
    }
    return Status();
  }
  // (cpu, sibling) pairs of a for_each kind; sibling -1 where there is none.
  std::vector<std::pair<int, int>> iterations(const std::string& kind) const {
    std::vector<std::pair<int, int>> out;
    const int n = topo_.nr_cpus();
    if (kind == "once") return {{-1, -1}};
    for (int c = 0; c < n; ++c) {
      if (kind == "cpu") out.emplace_back(c, -1);
      if (kind == "core" && topo_.smt_siblings(c).first() == c) out.emplace_back(c, -1);
      for (int s = 0; s < n && kind.ends_with("_sibling"); ++s) {
        if (s == c) continue;
        const bool shared = kind == "smt_sibling" ? topo_.share_core(c, s)
                            : kind == "llc_sibling" ? topo_.share_llc(c, s) : topo_.share_node(c, s);
        if (shared) out.emplace_back(c, s);
      }
    }
    return out;
  }
  Status build_ctx(const ProfileSyscall& sc, const std::string& where, std::vector<uint8_t>* bytes) const {
    static const std::map<std::string, int> sizes = {{"u8", 1},  {"s8", 1},  {"u16", 2}, {"s16", 2}, {"u32", 4},
                                                     {"s32", 4}, {"int", 4}, {"u64", 8}, {"s64", 8}};
    size_t align = 1;
    for (const auto& [type, e] : sc.ctx) {
      auto t = sizes.find(type);
      if (t == sizes.end()) return err(where + ".ctx", fmt::format("unknown type '{}'", type));
      const size_t sz = static_cast<size_t>(t->second);
      align = std::max(align, sz);
      bytes->resize((bytes->size() + sz - 1) / sz * sz);
      SCX_ASSIGN_OR_RETURN(int64_t v, eval(e, where + ".ctx"));
      const size_t off = bytes->size();
      bytes->resize(off + sz);
      std::memcpy(bytes->data() + off, &v, sz);  // little-endian: the low bytes
    }
    bytes->resize((bytes->size() + align - 1) / align * align);
    return Status();
  }

  const Profile& p_;
  const Topology& topo_;
  ExprEnv env_;
  ResolvedProfile out_;
  std::string option_text_;  // the VALUE of the option being applied
};

}  // namespace

Result<ResolvedProfile> resolve_profile(const Profile& p, const std::vector<std::string>& options,
                                        const Topology& topo, const Btf& kernel, const Btf* object) {
  Resolver r(p, topo, kernel, object);
  r.set_usersched(p.usersched);
  SCX_RETURN_IF_ERROR(r.apply(p.settings, ""));
  for (const std::string& o : options) SCX_RETURN_IF_ERROR(r.apply_option(o));
  SCX_RETURN_IF_ERROR(r.syscalls());
  SCX_RETURN_IF_ERROR(r.arena_lib());
  SCX_RETURN_IF_ERROR(r.loader_cpu());
  ResolvedProfile out = r.take();
  out.native_setup = p.native_setup;
  return out;
}

}  // namespace scx::bpf
