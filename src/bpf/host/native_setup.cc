// The native setup steps of native_setup.h. The lavd writer stores lavd_cpu_order.h's tables
// the way scx_lavd's main.rs (init_cpus, init_pco_tuple, init_cpdoms) does, through
// BpfObject::set_global's member paths, so every offset comes from the object's BTF.
#include "bpf/host/native_setup.h"

#include <linux/btf.h>
#include <bpf/btf.h>

#include <algorithm>
#include <functional>
#include <map>

#include <fmt/format.h>

namespace scx::bpf {

namespace {

// "a,b,c" for set_global.
template <typename T>
std::string list_text(const std::vector<T>& values) {
  std::string text;
  for (const T& v : values) text += (text.empty() ? "" : ",") + std::to_string(v);
  return text;
}

// Writes `path` from a list (an array from its first element, or a scalar from one value),
// skipping a path whose global or member the object lacks.
class GlobalWriter {
 public:
  explicit GlobalWriter(BpfObject& obj) : obj_(obj) {}
  bool has(std::string_view path) const { return obj_.locate_global(path).ok(); }
  template <typename T>
  Status put(const std::string& path, const std::vector<T>& values) {
    if (values.empty() || !has(path)) return Status();
    return obj_.set_global(path, list_text(values)).within("lavd_cpu_order");
  }
  template <typename T>
  Status put(const std::string& path, T value) {
    return put(path, std::vector<T>{value});
  }
  // The element count of the array at `path` (0 when the object lacks it).
  uint64_t length(std::string_view path) const {
    auto s = obj_.locate_global(path);
    const struct btf_type* t = s.ok() && s->type_id ? obj_.btf().type(s->type_id) : nullptr;
    if (!t || !btf_is_array(t)) return 0;
    const int64_t es = obj_.btf().size_of(btf_array(t)->type);
    return es > 0 ? s->size / static_cast<uint64_t>(es) : 0;
  }

 private:
  BpfObject& obj_;
};

Status too_complex(const char* what, size_t have, uint64_t room) {
  return Status::Errorf("lavd_cpu_order", "{} {} do not fit the object's {} (lavd's user space panics)", have,
                        what, room);
}

// init_cpus(): per-CPU capacity, type and sibling (past LAVD_CPU_ID_MAX CPUs, lavd's
// Scheduler::init panics).
Status write_cpus(GlobalWriter& w, const LavdCpuOrder& o) {
  const uint64_t room = w.length("cpu_capacity");
  if (room && o.cpus.size() > room) return too_complex("CPUs", o.cpus.size(), room);
  std::vector<uint32_t> cap, big, turbo, sibling;
  for (const LavdCpu& c : o.cpus) {
    cap.push_back(c.capacity);
    big.push_back(c.big);
    turbo.push_back(c.turbo);
    sibling.push_back(c.sibling);
  }
  SCX_RETURN_IF_ERROR(w.put("cpu_capacity", cap));
  SCX_RETURN_IF_ERROR(w.put("cpu_big", big));
  SCX_RETURN_IF_ERROR(w.put("cpu_turbo", turbo));
  return w.put("cpu_sibling", sibling);
}

// init_cpus()' table: every one of the object's rows, those past the states with the last.
Status write_pco(GlobalWriter& w, const LavdCpuOrder& o) {
  const uint64_t rows = w.length("pco_bounds");
  if (rows == 0) return Status();
  if (o.pco.size() > rows) return too_complex("performance-vs-CPU-order states", o.pco.size(), rows);
  SCX_RETURN_IF_ERROR(w.put("nr_pco_states", static_cast<uint32_t>(o.pco.size())));
  std::vector<uint32_t> bounds, nr_primary;
  for (uint64_t i = 0; i < rows; ++i) {
    const LavdPco& p = o.pco[std::min<size_t>(i, o.pco.size() - 1)];
    bounds.push_back(p.perf_cap);
    nr_primary.push_back(static_cast<uint32_t>(p.primary.size()));
    std::vector<int> row = p.primary;
    row.insert(row.end(), p.overflow.begin(), p.overflow.end());
    SCX_RETURN_IF_ERROR(w.put(fmt::format("pco_table[{}][0]", i), row));
  }
  SCX_RETURN_IF_ERROR(w.put("pco_bounds", bounds));
  return w.put("pco_nr_primary", nr_primary);
}

// A domain's CPUs as the 64-bit words of its __cpumask.
std::vector<uint64_t> mask_words(const LavdCpdom& d) {
  std::vector<uint64_t> words;
  for (int cpu : d.cpus) {
    const size_t i = static_cast<size_t>(cpu) / 64;
    if (words.size() <= i) words.resize(i + 1);
    words[i] |= uint64_t{1} << (cpu % 64);
  }
  return words;
}

// init_cpdoms()' neighbours: nr_neighbors[k] and neighbor_ids[k * LAVD_CPDOM_MAX_NR + i] for
// the k-th distance (LAVD_CPDOM_MAX_NR: the stride, neighbor_ids' length per distance).
Status write_neighbors(GlobalWriter& w, const std::string& at, const LavdCpdom& d) {
  const uint64_t dists = w.length(at + ".nr_neighbors");
  if (dists == 0) return Status();
  if (d.neighbors.size() > dists) return too_complex("neighbour distances", d.neighbors.size(), dists);
  const uint64_t stride = w.length(at + ".neighbor_ids") / dists;
  std::vector<uint32_t> counts;
  for (size_t k = 0; k < d.neighbors.size(); ++k) {
    const std::vector<int>& ids = d.neighbors[k];
    if (ids.size() > stride) return too_complex("neighbours at one distance", ids.size(), stride);
    counts.push_back(static_cast<uint32_t>(ids.size()));
    SCX_RETURN_IF_ERROR(w.put(fmt::format("{}.neighbor_ids[{}]", at, k * stride), ids));
  }
  return w.put(at + ".nr_neighbors", counts);
}

// init_cpdoms(): one cpdom_ctxs[] element per domain.
Status write_cpdoms(GlobalWriter& w, const LavdCpuOrder& o) {
  const uint64_t room = w.length("cpdom_ctxs");
  if (room == 0) return Status();
  if (o.cpdoms.size() > room) return too_complex("compute domains", o.cpdoms.size(), room);
  for (const LavdCpdom& d : o.cpdoms) {
    const std::string at = fmt::format("cpdom_ctxs[{}]", d.id);
    SCX_RETURN_IF_ERROR(w.put(at + ".id", static_cast<uint64_t>(d.id)));
    SCX_RETURN_IF_ERROR(w.put(at + ".alt_id", static_cast<uint64_t>(d.alt_id)));
    SCX_RETURN_IF_ERROR(w.put(at + ".numa_id", static_cast<uint32_t>(d.node)));
    SCX_RETURN_IF_ERROR(w.put(at + ".llc_id", static_cast<uint32_t>(d.llc_adx)));
    SCX_RETURN_IF_ERROR(w.put(at + ".is_big", static_cast<uint32_t>(d.is_big)));
    SCX_RETURN_IF_ERROR(w.put(at + ".is_valid", 1u));
    SCX_RETURN_IF_ERROR(w.put(at + ".__cpumask", mask_words(d)));
    SCX_RETURN_IF_ERROR(write_neighbors(w, at, d));
  }
  return Status();
}

using Step = std::function<Status(BpfObject&, const Topology&)>;

const std::map<std::string, Step>& steps() {
  static const std::map<std::string, Step> s = {
      {"lavd_cpu_order",
       [](BpfObject& obj, const Topology& topo) { return write_lavd_cpu_order(obj, lavd_cpu_order(topo)); }},
  };
  return s;
}

}  // namespace

const std::vector<std::string>& native_setup_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [name, step] : steps()) n.push_back(name);
    return n;
  }();
  return names;
}

bool is_native_setup(std::string_view name) { return steps().count(std::string(name)) > 0; }

Status run_native_setup(const std::vector<std::string>& names, BpfObject& obj, const Topology& topo) {
  for (const std::string& name : names) {
    auto it = steps().find(name);
    if (it == steps().end()) return Status::Errorf("native_setup", "unknown step '{}'", name);
    SCX_RETURN_IF_ERROR(it->second(obj, topo).within("native_setup " + name));
  }
  return Status();
}

Status write_lavd_cpu_order(BpfObject& obj, const LavdCpuOrder& order) {
  GlobalWriter w(obj);
  SCX_RETURN_IF_ERROR(write_cpus(w, order));
  SCX_RETURN_IF_ERROR(write_pco(w, order));
  return write_cpdoms(w, order);
}

}  // namespace scx::bpf
