#include "bpf/loader/kernel_layouts.h"

#include <bpf/btf.h>
#include <linux/btf.h>

#include <map>
#include <mutex>
#include <string>

#include "bpf/loader/object.h"

namespace scx::bpf {
namespace {

// Names every top-level (and, for embedded structs, nested) field, readable.
void add_fields(const Btf& b, uint32_t sid, size_t base, const std::string& prefix, FieldLayout* l, int depth) {
  const struct btf_type* t = b.type(b.skip_mods(sid));
  if (!t || !btf_is_composite(t) || depth > 4) return;
  const struct btf_member* m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); ++i) {
    std::string name(b.str(m[i].name_off));
    size_t off = base + btf_member_bit_offset(t, i) / 8;
    int64_t sz = b.size_of(m[i].type);
    if (sz <= 0) continue;
    std::string full = name.empty() ? prefix : (prefix.empty() ? name : prefix + "." + name);
    const struct btf_type* mt = b.type(b.skip_mods(m[i].type));
    if (mt && btf_is_composite(mt)) {
      add_fields(b, m[i].type, off, full, l, depth + 1);
    } else {
      l->allow(off, static_cast<size_t>(sz), kPermRead, full);
    }
  }
}

std::shared_ptr<FieldLayout> make_read_only(std::string_view struct_name) {
  const Btf& b = kernel_btf();
  uint32_t id = b.find(struct_name, BTF_KIND_STRUCT);
  if (!id) return nullptr;
  auto l = std::make_shared<FieldLayout>(std::string(struct_name), static_cast<size_t>(b.size_of(id)));
  l->allow(0, l->size(), kPermRead);  // padding too: whole-struct reads (probe_read) are fine
  add_fields(b, id, 0, "", l.get(), 0);
  return l;
}

}  // namespace

std::shared_ptr<const FieldLayout> read_only_layout(std::string_view struct_name) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const FieldLayout>, std::less<>> cache;
  std::lock_guard<std::mutex> g(mu);
  auto it = cache.find(struct_name);
  if (it != cache.end()) return it->second;
  std::shared_ptr<const FieldLayout> l = make_read_only(struct_name);
  cache.emplace(std::string(struct_name), l);
  return l;
}

std::shared_ptr<const FieldLayout> task_struct_layout() {
  static const std::shared_ptr<const FieldLayout> layout = [] {
    std::shared_ptr<FieldLayout> l = make_read_only("task_struct");
    const Btf& b = kernel_btf();
    uint32_t id = b.find("task_struct", BTF_KIND_STRUCT);
    for (const char* f : {"scx.slice", "scx.dsq_vtime", "scx.disallow"}) {
      auto fld = b.field(id, f);
      if (fld) l->allow(fld->offset, fld->size, kPermReadWrite, f);
    }
    if (auto priv = b.field(id, "__scxsim_task")) l->allow(priv->offset, priv->size, kPermNone, "__scxsim_task");
    return std::shared_ptr<const FieldLayout>(l);
  }();
  return layout;
}

std::shared_ptr<const FieldLayout> cgroup_layout(size_t size) {
  static std::mutex mu;
  static std::map<size_t, std::shared_ptr<const FieldLayout>> cache;
  std::lock_guard<std::mutex> g(mu);
  auto it = cache.find(size);
  if (it != cache.end()) return it->second;
  const Btf& b = kernel_btf();
  const uint32_t id = b.find("cgroup", BTF_KIND_STRUCT);
  auto l = std::make_shared<FieldLayout>("cgroup", size);
  l->allow(0, size, kPermRead);
  add_fields(b, id, 0, "", l.get(), 0);
  if (auto anc = b.field(id, "ancestors"))  // the flexible array's entries past the first
    l->allow(anc->offset, size - anc->offset, kPermRead, "ancestors");
  if (auto priv = b.field(id, "__scxsim_cgroup")) l->allow(priv->offset, priv->size, kPermNone, "__scxsim_cgroup");
  return cache.emplace(size, l).first->second;
}

}  // namespace scx::bpf
