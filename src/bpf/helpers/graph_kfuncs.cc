#include <bpf/btf.h>
#include <linux/btf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>

#include "bpf/helpers/graph.h"
#include "bpf/loader/kfuncs.h"

namespace scx::bpf {

namespace {

constexpr int kMaxDepth = 8;        // nested structs searched for special fields
constexpr size_t kMaxFields = 256;  // special fields in one type (arrays of them included)
constexpr int kWalkFirst = 0, kWalkTop = 1, kWalkLeft = 2, kWalkRight = 3;

uint64_t neg(long e) {
  return static_cast<uint64_t>(static_cast<int64_t>(e));
}
uint32_t round8(uint32_t n) {
  return (n + 7) & ~uint32_t{7};
}

const char* kind_type(GraphFieldKind k) {
  switch (k) {
    case GraphFieldKind::kListHead:
      return "struct bpf_list_head";
    case GraphFieldKind::kRbRoot:
      return "struct bpf_rb_root";
    case GraphFieldKind::kListNode:
      return "struct bpf_list_node";
    case GraphFieldKind::kRbNode:
      return "struct bpf_rb_node";
    case GraphFieldKind::kRefcount:
      return "struct bpf_refcount";
    case GraphFieldKind::kKptr:
      return "referenced kptr";
    case GraphFieldKind::kKptrUntrusted:
      return "untrusted kptr";
  }
  return "?";
}

// Live percpu pointers of every heap: bpf_per_cpu_ptr / bpf_this_cpu_ptr are generic helpers
// and find the owning heap here (like Map::from_handle).
std::mutex g_percpu_mu;
std::unordered_map<uint64_t, GraphHeap*>& live_percpu() {
  static auto* m = new std::unordered_map<uint64_t, GraphHeap*>;
  return *m;
}

// The release hook a map calls for values of one type.
class HeapValueFields : public ValueFields {
 public:
  HeapValueFields(std::shared_ptr<GraphHeap> heap, const GraphType* type)
      : heap_(std::move(heap)), type_(type) {}
  void release(void* value) override { heap_->free_fields(*type_, static_cast<uint8_t*>(value)); }

 private:
  std::shared_ptr<GraphHeap> heap_;
  const GraphType* type_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
const GraphField* GraphType::field_at(uint64_t off) const {
  for (const GraphField& f : fields)
    if (f.offset == off) return &f;
  return nullptr;
}

bool GraphType::owns() const {
  for (const GraphField& f : fields)
    if (f.is_root() || f.kind == GraphFieldKind::kKptr || f.kind == GraphFieldKind::kKptrUntrusted)
      return true;
  return false;
}

GraphHeap::GraphHeap(Btf btf, std::shared_ptr<MapEnv> env, uint64_t max_bytes)
    : btf_(std::move(btf)), env_(env ? std::move(env) : std::make_shared<MapEnv>()), max_bytes_(max_bytes) {
  if (!btf_.raw()) return;
  const uint32_t n = btf_.count();
  for (uint32_t id = 1; id < n; ++id) {
    const struct btf_type* t = btf_.type(id);
    if (!t || !btf_is_decl_tag(t)) continue;
    std::string_view v = btf_.str(t->name_off);
    if (v.substr(0, 9) != "contains:") continue;
    contains_tags_[{t->type, btf_decl_tag(t)->component_idx}] = std::string(v.substr(9));
  }
}

GraphHeap::~GraphHeap() {
  detach();
  std::lock_guard<std::mutex> g(g_percpu_mu);
  for (auto& [base, o] : percpu_) live_percpu().erase(base);
}

void GraphHeap::set_kptr_dtor(const std::string& type, KptrDtor dtor) {
  if (dtor)
    dtors_[type] = std::move(dtor);
  else
    dtors_.erase(type);
}

void GraphHeap::attach(AddressSpace* memory) {
  if (memory_ == memory) return;
  detach();
  memory_ = memory;
  if (!memory_) return;
  for (auto& [base, o] : objects_)
    (void)memory_->add(Region{base, o->type->size, kPermReadWrite, "", o->type->layout});
  for (auto& [base, o] : percpu_) map_percpu(*o);
  for (auto& [base, d] : dropped_)
    (void)memory_->add(Region{base, d.size, kPermNone, d.name, nullptr});
}

void GraphHeap::detach() {
  if (!memory_) return;
  for (auto& [base, o] : objects_) memory_->remove(base);
  for (auto& [base, o] : percpu_)
    for (uint32_t c = 0; c <= o->ncpu; ++c) memory_->remove(base + uint64_t{o->stride} * c);
  for (auto& [base, d] : dropped_) memory_->remove(base);
  memory_ = nullptr;
}

// ---- Types ----------------------------------------------------------------------------------

void GraphHeap::resolve_contains(GraphField* f, const std::string& decl) {
  if (decl.empty()) {
    f->contains_error = "no __contains(type, field) declaration";
    return;
  }
  size_t colon = decl.find(':');
  if (colon == std::string::npos) {
    f->contains_error = fmt::format("malformed declaration \"contains:{}\"", decl);
    return;
  }
  const std::string tname = decl.substr(0, colon), nname = decl.substr(colon + 1);
  uint32_t sid = btf_.find(tname, BTF_KIND_STRUCT);
  const struct btf_type* st = sid ? btf_.type(sid) : nullptr;
  if (!st) {
    f->contains_error =
        fmt::format("__contains names struct {}, which the program's BTF lacks", tname);
    return;
  }
  const char* want = f->kind == GraphFieldKind::kListHead ? "bpf_list_node" : "bpf_rb_node";
  const struct btf_member* m = btf_members(st);
  for (int i = 0; i < btf_vlen(st); ++i) {
    if (btf_.str(m[i].name_off) != nname) continue;
    const struct btf_type* mt = btf_.type(btf_.skip_mods(m[i].type));
    if (!mt || !btf_is_struct(mt) || btf_.str(mt->name_off) != want) {
      f->contains_error = fmt::format("__contains: {}.{} is not a struct {}", tname, nname, want);
      return;
    }
    f->value_type = sid;
    f->node_offset = btf_member_bit_offset(st, i) / 8;
    f->value_name = "struct " + tname;
    return;
  }
  f->contains_error = fmt::format("__contains: struct {} has no member {}", tname, nname);
}

Status GraphHeap::collect(uint32_t type_id, uint32_t off, const std::string& path,
                          const std::string* contains, std::vector<GraphField>* out, int depth) {
  if (depth > kMaxDepth) return Status();
  const uint32_t id = btf_.skip_mods(type_id);
  const struct btf_type* t = btf_.type(id);
  if (!t) return Status();
  auto leaf = [&](GraphFieldKind k, uint32_t size) -> Status {
    if (out->size() >= kMaxFields)
      return Status::Errorf("", "more than {} special fields (kptrs, graph fields)", kMaxFields);
    GraphField f;
    f.kind = k;
    f.offset = off;
    f.size = size;
    f.name = path;
    if (f.is_root()) resolve_contains(&f, contains ? *contains : "");
    out->push_back(std::move(f));
    return Status();
  };
  if (btf_is_ptr(t)) {
    // __kptr & co. are type tags on the pointee: PTR -> TYPE_TAG("kptr") -> struct.
    auto kptr = [&](GraphFieldKind k, uint32_t pointee) -> Status {
      SCX_RETURN_IF_ERROR(leaf(k, 8));
      out->back().pointee = std::string(btf_.name(btf_.skip_mods(pointee)));
      return Status();
    };
    for (uint32_t pid = t->type, i = 0; i < 8; ++i) {
      const struct btf_type* pt = btf_.type(pid);
      if (!pt) break;
      if (btf_is_type_tag(pt)) {
        std::string_view tag = btf_.str(pt->name_off);
        if (tag == "kptr" || tag == "percpu_kptr") return kptr(GraphFieldKind::kKptr, pt->type);
        if (tag == "kptr_untrusted" || tag == "uptr")
          return kptr(GraphFieldKind::kKptrUntrusted, pt->type);
      } else if (!btf_is_mod(pt)) {
        break;
      }
      pid = pt->type;
    }
    return Status();
  }
  if (btf_is_array(t)) {
    const struct btf_array* a = btf_array(t);
    int64_t esz = btf_.size_of(a->type);
    if (esz <= 0 || a->nelems == 0) return Status();
    std::vector<GraphField> elem;
    SCX_RETURN_IF_ERROR(collect(a->type, 0, "", contains, &elem, depth + 1));
    if (elem.empty()) return Status();
    if (elem.size() * a->nelems + out->size() > kMaxFields)
      return Status::Errorf("", "{}: more than {} special fields (kptrs, graph fields)", path,
                            kMaxFields);
    for (uint32_t i = 0; i < a->nelems; ++i) {
      for (const GraphField& e : elem) {
        GraphField f = e;
        f.offset = off + static_cast<uint32_t>(i * esz) + e.offset;
        f.name = fmt::format("{}[{}]{}{}", path, i, e.name.empty() ? "" : ".", e.name);
        out->push_back(std::move(f));
      }
    }
    return Status();
  }
  if (!btf_is_struct(t)) return Status();  // unions and scalars hold no special fields
  std::string_view sn = btf_.str(t->name_off);
  if (sn == "bpf_list_head") return leaf(GraphFieldKind::kListHead, t->size);
  if (sn == "bpf_rb_root") return leaf(GraphFieldKind::kRbRoot, t->size);
  if (sn == "bpf_list_node") return leaf(GraphFieldKind::kListNode, t->size);
  if (sn == "bpf_rb_node") return leaf(GraphFieldKind::kRbNode, t->size);
  if (sn == "bpf_refcount") return leaf(GraphFieldKind::kRefcount, t->size);
  const struct btf_member* m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); ++i) {
    if (btf_member_bitfield_size(t, i)) continue;
    std::string_view mn = btf_.str(m[i].name_off);
    std::string mpath = mn.empty()     ? path
                        : path.empty() ? std::string(mn)
                                       : fmt::format("{}.{}", path, mn);
    auto tag = contains_tags_.find({id, i});
    SCX_RETURN_IF_ERROR(collect(m[i].type, off + btf_member_bit_offset(t, i) / 8, mpath,
                                tag == contains_tags_.end() ? nullptr : &tag->second, out,
                                depth + 1));
  }
  return Status();
}

Status GraphHeap::check_layout_size(const GraphType& t) {
  if (t.fields.empty() || t.size <= kMaxLayoutBytes) return Status();
  return Status::Errorf("", "{} is {} bytes with special fields (kptrs, graph roots or nodes): at most {} "
                        "bytes are supported", t.name, t.size, kMaxLayoutBytes);
}

void GraphHeap::finish_type(GraphType* t) {
  std::stable_sort(t->fields.begin(), t->fields.end(),
                   [](const GraphField& a, const GraphField& b) { return a.offset < b.offset; });
  auto layout = std::make_shared<FieldLayout>(t->name, t->size);
  layout->allow(0, t->size, kPermReadWrite);
  for (size_t i = 0; i < t->fields.size(); ++i) {
    const GraphField& f = t->fields[i];
    switch (f.kind) {
      case GraphFieldKind::kListNode:
      case GraphFieldKind::kRbNode:
        t->node_fields.push_back(i);
        [[fallthrough]];
      case GraphFieldKind::kListHead:
      case GraphFieldKind::kRbRoot:
      case GraphFieldKind::kRefcount:
        if (f.kind == GraphFieldKind::kRefcount && t->refcount_off < 0)
          t->refcount_off = static_cast<int32_t>(f.offset);
        // Opaque to programs, as the verifier has it: only the kfuncs use them.
        layout->allow(f.offset, f.size, kPermNone, fmt::format("{} {}", kind_type(f.kind), f.name));
        break;
      case GraphFieldKind::kKptr:
        // Stores go through bpf_kptr_xchg (the verifier rejects a direct store).
        layout->allow(f.offset, f.size, kPermRead, fmt::format("{} {}", kind_type(f.kind), f.name));
        break;
      case GraphFieldKind::kKptrUntrusted:
        break;
    }
  }
  t->layout = std::move(layout);
}

Result<const GraphType*> GraphHeap::struct_type(uint32_t type_id) {
  const uint32_t id = btf_.raw() ? btf_.skip_mods(type_id) : 0;
  auto it = types_.find(id);
  if (it != types_.end()) return static_cast<const GraphType*>(it->second.get());
  const struct btf_type* t = id ? btf_.type(id) : nullptr;
  if (!t || !btf_is_struct(t))
    return Status::Errorf("", "local type id {} ({}) is not a struct of the program's BTF", type_id,
                          t ? btf_.type_name(type_id) : "no such type");
  auto gt = std::make_unique<GraphType>();
  gt->type_id = id;
  gt->name = btf_.type_name(id);
  gt->size = t->size;
  Status s = collect(id, 0, "", nullptr, &gt->fields, 0);
  if (!s.ok()) return Status::Errorf("", "{}: {}", gt->name, s.message());
  SCX_RETURN_IF_ERROR(check_layout_size(*gt));
  // Without special fields a type past the bound needs no layout: no value of it is ever a
  // graph object (those are at most kMaxObjectSize) and maps check values by their own size.
  if (gt->size <= kMaxLayoutBytes) finish_type(gt.get());
  const GraphType* raw = gt.get();
  types_.emplace(id, std::move(gt));
  return raw;
}

Result<MapValueFields> GraphHeap::map_fields(const GraphType* t) {
  for (const GraphField& f : t->fields)
    if (f.is_root() && !f.contains_error.empty())
      return Status::Errorf("", "{} {}: {}", kind_type(f.kind), f.name, f.contains_error);
  MapValueFields v;
  for (const GraphField& f : t->fields) v.special.emplace_back(f.offset, f.size);
  if (t->owns()) v.owned = std::make_shared<HeapValueFields>(shared_from_this(), t);
  v.layout = t->layout;
  value_layouts_[t->layout.get()] = t;
  return v;
}

Result<std::optional<MapValueFields>> GraphHeap::value_fields(uint32_t type_id) {
  if (!btf_.raw()) return std::optional<MapValueFields>();
  const struct btf_type* t = btf_.type(btf_.skip_mods(type_id));
  if (!t || !btf_is_struct(t)) return std::optional<MapValueFields>();
  SCX_ASSIGN_OR_RETURN(const GraphType* gt, struct_type(type_id));
  if (gt->fields.empty()) return std::optional<MapValueFields>();
  SCX_ASSIGN_OR_RETURN(MapValueFields v, map_fields(gt));
  return std::optional<MapValueFields>(std::move(v));
}

Result<std::optional<MapValueFields>> GraphHeap::datasec_fields(
    const std::string& section, uint32_t size,
    std::span<const std::pair<uint32_t, uint32_t>> vars) {
  if (!btf_.raw()) return std::optional<MapValueFields>();
  auto gt = std::make_unique<GraphType>();
  gt->name = section;
  gt->size = size;
  for (const auto& [var, off] : vars) {
    const struct btf_type* v = btf_.type(var);
    if (!v || !btf_is_var(v)) continue;
    auto tag = contains_tags_.find({var, -1});
    SCX_RETURN_IF_ERROR(collect(v->type, off, std::string(btf_.str(v->name_off)),
                                tag == contains_tags_.end() ? nullptr : &tag->second, &gt->fields,
                                0));
  }
  std::erase_if(gt->fields, [&](const GraphField& f) { return f.offset + f.size > size; });
  if (gt->fields.empty()) return std::optional<MapValueFields>();
  SCX_RETURN_IF_ERROR(check_layout_size(*gt));
  finish_type(gt.get());
  sections_.push_back(std::move(gt));
  SCX_ASSIGN_OR_RETURN(MapValueFields v, map_fields(sections_.back().get()));
  return std::optional<MapValueFields>(std::move(v));
}

// ---- Host side ------------------------------------------------------------------------------

void GraphHeap::nodes_of(const Root& r, std::vector<Node*>* out) {
  if (r.field->kind == GraphFieldKind::kListHead) {
    for (Node* n = r.first; n; n = n->next) out->push_back(n);
    return;
  }
  std::vector<Node*> stack;  // in order, iteratively
  for (Node* n = r.top; n || !stack.empty();) {
    if (n) {
      stack.push_back(n);
      n = n->left;
      continue;
    }
    n = stack.back();
    stack.pop_back();
    out->push_back(n);
    n = n->right;
  }
}

std::vector<uint64_t> GraphHeap::root_contents(uint64_t root_addr) const {
  std::vector<uint64_t> out;
  auto it = roots_.find(root_addr);
  if (it == roots_.end()) return out;
  std::vector<Node*> nodes;
  nodes_of(*it->second, &nodes);
  for (const Node* n : nodes) out.push_back(n->addr);
  return out;
}

uint32_t GraphHeap::refcount(uint64_t base) const {
  auto it = objects_.find(base);
  return it == objects_.end() ? 0 : it->second->refs;
}

std::string GraphHeap::check_rbtree(uint64_t root_addr) const {
  auto it = roots_.find(root_addr);
  if (it == roots_.end()) return "";
  const Root& r = *it->second;
  if (r.field->kind != GraphFieldKind::kRbRoot) return "not an rbtree";
  if (r.top && (r.top->red || r.top->parent)) return "the root is red or has a parent";
  std::string err;
  // Returns the black height of the subtree at n (nil leaves count 1); err names a violation.
  auto walk = [&](auto&& self, const Node* n) -> int {
    if (!n) return 1;
    if (n->owner != &r) err = fmt::format("node {:#x} has another owner", n->addr);
    if (n->left && n->left->parent != n) err = fmt::format("bad parent link below {:#x}", n->addr);
    if (n->right && n->right->parent != n)
      err = fmt::format("bad parent link below {:#x}", n->addr);
    if (n->red && ((n->left && n->left->red) || (n->right && n->right->red)))
      err = fmt::format("red node {:#x} has a red child", n->addr);
    int lh = self(self, n->left), rh = self(self, n->right);
    if (lh != rh && err.empty()) err = fmt::format("black heights differ below {:#x}", n->addr);
    return lh + (n->red ? 0 : 1);
  };
  walk(walk, r.top);
  return err;
}

std::string GraphHeap::where(CallContext& cx, uint64_t addr) const {
  const uint64_t top = cx.vm().stack_top();
  if (addr < top && addr >= top - uint64_t{kMaxCallFrames} * kStackSize)
    return fmt::format("{} (stack)", cx.memory().shown(addr));
  if (memory_ && memory_->find(addr))
    return fmt::format("{} ({})", cx.memory().shown(addr), memory_->describe(addr));
  return cx.memory().shown(addr);
}

// ---- Argument checks ------------------------------------------------------------------------

GraphHeap::Object* GraphHeap::object_at(CallContext& cx, uint64_t p, const char* fn,
                                        const char* arg) {
  if (p == 0) {
    cx.fault(fmt::format("{}: {} is NULL", fn, arg));
    return nullptr;
  }
  auto it = objects_.upper_bound(p);
  if (it != objects_.begin()) {
    Object* o = std::prev(it)->second.get();
    if (p - o->base < o->type->size) {
      if (p == o->base && !o->dying) return o;
      cx.fault(fmt::format("{}: {} {} points into {}+{:#x}, not at an object from bpf_obj_new",
                           fn, arg, cx.memory().shown(p), o->type->name, p - o->base));
      return nullptr;
    }
  }
  auto d = dropped_.upper_bound(p);
  if (d != dropped_.begin() && p - std::prev(d)->first < std::prev(d)->second.size) {
    cx.fault(fmt::format("{}: {} {} is a {} (use after bpf_obj_drop)", fn, arg, cx.memory().shown(p),
                         std::prev(d)->second.name));
    return nullptr;
  }
  cx.fault(fmt::format("{}: {} {} is not an object from bpf_obj_new", fn, arg, where(cx, p)));
  return nullptr;
}

GraphHeap::Node* GraphHeap::node_at(CallContext& cx, uint64_t p, GraphFieldKind kind,
                                    const char* fn, const char* arg) {
  if (p == 0) {
    cx.fault(fmt::format("{}: {} is NULL", fn, arg));
    return nullptr;
  }
  auto it = objects_.upper_bound(p);
  if (it != objects_.begin()) {
    Object* o = std::prev(it)->second.get();
    if (p - o->base < o->type->size && !o->dying) {
      for (size_t i = 0; i < o->type->node_fields.size(); ++i) {
        const GraphField& f = o->type->fields[o->type->node_fields[i]];
        if (o->base + f.offset == p && f.kind == kind) return &o->nodes[i];
      }
      cx.fault(fmt::format("{}: {} {} is {}+{:#x}, not a {} field", fn, arg, cx.memory().shown(p), o->type->name,
                           p - o->base, kind_type(kind)));
      return nullptr;
    }
  }
  auto d = dropped_.upper_bound(p);
  if (d != dropped_.begin() && p - std::prev(d)->first < std::prev(d)->second.size) {
    cx.fault(fmt::format("{}: {} {} is in a {} (use after bpf_obj_drop)", fn, arg, cx.memory().shown(p),
                         std::prev(d)->second.name));
    return nullptr;
  }
  cx.fault(fmt::format("{}: {} {} is not a {} of an object from bpf_obj_new", fn, arg, where(cx, p),
                       kind_type(kind)));
  return nullptr;
}

const GraphType* GraphHeap::value_type_at(uint64_t addr, uint64_t* base) const {
  if (!memory_) return nullptr;
  const Region* r = memory_->find(addr);
  if (!r || !r->layout) return nullptr;
  auto it = value_layouts_.find(r->layout.get());
  if (it == value_layouts_.end()) return nullptr;
  *base = r->base;
  return it->second;
}

GraphHeap::Root* GraphHeap::root_at(CallContext& cx, uint64_t p, GraphFieldKind kind,
                                    const char* fn, const char* arg) {
  if (p == 0) {
    cx.fault(fmt::format("{}: {} is NULL", fn, arg));
    return nullptr;
  }
  const GraphType* t = nullptr;
  uint64_t base = 0;
  auto it = objects_.upper_bound(p);
  if (it != objects_.begin()) {
    Object* o = std::prev(it)->second.get();
    if (p - o->base < o->type->size && !o->dying) {
      t = o->type;
      base = o->base;
    }
  }
  if (!t) t = value_type_at(p, &base);
  const GraphField* f = t ? t->field_at(p - base) : nullptr;
  if (!f || f->kind != kind) {
    cx.fault(fmt::format("{}: {} {} is not a {} of a map value or an allocated object", fn, arg,
                         where(cx, p), kind_type(kind)));
    return nullptr;
  }
  if (!f->contains_error.empty()) {
    cx.fault(fmt::format("{}: {} {}: {}", fn, kind_type(kind), f->name, f->contains_error));
    return nullptr;
  }
  std::unique_ptr<Root>& r = roots_[p];
  if (!r) {
    r = std::make_unique<Root>();
    r->addr = p;
  }
  r->field = f;
  return r.get();
}

// ---- Lifetime -------------------------------------------------------------------------------

const GraphType* GraphHeap::type_to_allocate(CallContext& cx, uint64_t type_id, const char* fn) {
  if (!memory_ || memory_ != &cx.memory()) {
    cx.fault(fmt::format("{}: the program's object is not attached to this VM", fn));
    return nullptr;
  }
  if (type_id > UINT32_MAX) {
    cx.fault(fmt::format("{}: R1 {:#x} is not a local type id", fn, type_id));
    return nullptr;
  }
  Result<const GraphType*> t = struct_type(static_cast<uint32_t>(type_id));
  if (!t.ok()) {
    cx.fault(fmt::format("{}: {}", fn, t.status().message()));
    return nullptr;
  }
  return *t;
}

std::unique_ptr<uint8_t[]> GraphHeap::take_block(FreeBlocks& free, uint64_t bytes,
                                                 const std::function<void(uint64_t)>& forget) {
  std::unique_ptr<uint8_t[]> mem;
  auto fl = free.find(bytes);
  if (fl != free.end() && !fl->second.empty()) {
    mem = std::move(fl->second.front());
    fl->second.pop_front();
    forget(reinterpret_cast<uint64_t>(mem.get()));
  } else {
    const uint64_t charge = bytes + kHostBytesPerBlock;
    if (heap_bytes_ + charge > max_bytes_) return nullptr;
    mem = std::make_unique<uint8_t[]>(bytes);
    heap_bytes_ += charge;
  }
  std::memset(mem.get(), 0, bytes);
  return mem;
}

uint64_t GraphHeap::obj_new(CallContext& cx, uint64_t type_id) {
  const char* fn = "bpf_obj_new_impl";
  const GraphType* gt = type_to_allocate(cx, type_id, fn);
  if (!gt) return 0;
  if (gt->size == 0 || gt->size > kMaxObjectSize) return 0;  // bpf_mem_alloc has no such size
  const uint32_t bytes = round8(gt->size);
  std::unique_ptr<uint8_t[]> mem = take_block(free_, bytes, [this](uint64_t a) {
    memory_->remove(a);
    dropped_.erase(a);
  });
  if (!mem) return 0;
  auto o = std::make_unique<Object>();
  o->base = reinterpret_cast<uint64_t>(mem.get());
  o->type = gt;
  o->mem = std::move(mem);
  o->nodes.resize(gt->node_fields.size());
  for (size_t i = 0; i < o->nodes.size(); ++i) {
    o->nodes[i].addr = o->base + gt->fields[gt->node_fields[i]].offset;
    o->nodes[i].obj = o.get();
  }
  Status s = memory_->add(Region{o->base, gt->size, kPermReadWrite, "", gt->layout});
  if (!s.ok()) {
    free_[bytes].push_front(std::move(o->mem));
    cx.fault(fmt::format("{}: {}", fn, s.message()));
    return 0;
  }
  const uint64_t base = o->base;
  objects_.emplace(base, std::move(o));
  return base;
}

void GraphHeap::drop(Object* o) {
  if (o->dying) return;
  if (o->type->refcount_off >= 0 && o->refs > 1) {
    --o->refs;
    return;
  }
  release_object(o);
}

void GraphHeap::release_object(Object* o) {
  ++mutations_;
  o->dying = true;
  for (Node& n : o->nodes) unlink(&n);
  free_fields(*o->type, o->mem.get());
  const uint64_t base = o->base;
  const uint32_t size = o->type->size;
  std::string name = "dropped " + o->type->name;
  if (memory_) {
    memory_->remove(base);
    (void)memory_->add(Region{base, size, kPermNone, name, nullptr});
  }
  dropped_[base] = Dropped{size, std::move(name)};
  free_[round8(size)].push_back(std::move(o->mem));
  objects_.erase(base);
}

void GraphHeap::free_fields(const GraphType& t, uint8_t* base) {
  for (const GraphField& f : t.fields) {
    uint8_t* p = base + f.offset;
    switch (f.kind) {
      case GraphFieldKind::kListHead:
      case GraphFieldKind::kRbRoot:
        drain(reinterpret_cast<uint64_t>(p));
        break;
      case GraphFieldKind::kKptr: {
        uint64_t v;
        std::memcpy(&v, p, 8);
        std::memset(p, 0, 8);
        if (!v) break;
        // Our objects are dropped (percpu ones too); a kernel object goes to its type's
        // destructor (field->kptr.dtor), when the host registered one.
        if (auto it = objects_.find(v); it != objects_.end()) {
          drop(it->second.get());
        } else if (auto pc = percpu_.find(v); pc != percpu_.end()) {
          release_percpu(pc->second.get());
        } else if (auto d = dtors_.find(f.pointee); d != dtors_.end()) {
          const KptrDtor dtor = d->second;  // a copy: the dtor may replace itself
          dtor(v);
        }
        break;
      }
      case GraphFieldKind::kKptrUntrusted:
        std::memset(p, 0, 8);
        break;
      default:
        break;
    }
  }
}

void GraphHeap::drain(uint64_t root_addr) {
  auto it = roots_.find(root_addr);
  if (it == roots_.end()) return;
  std::vector<Node*> nodes;
  nodes_of(*it->second, &nodes);
  std::vector<uint64_t> objs;
  for (Node* n : nodes) {
    objs.push_back(n->obj->base);
    n->owner = nullptr;
    n->prev = n->next = n->parent = n->left = n->right = nullptr;
    n->red = false;
  }
  roots_.erase(it);
  ++mutations_;
  // Look objects up again each time: dropping one may drop another (through its kptrs).
  for (uint64_t b : objs) {
    auto o = objects_.find(b);
    if (o != objects_.end()) drop(o->second.get());
  }
}

void GraphHeap::unlink(Node* n) {
  Root* r = n->owner;
  if (!r || r == &adding_) {
    n->owner = nullptr;
    return;
  }
  if (r->field->kind == GraphFieldKind::kListHead) {
    (n->prev ? n->prev->next : r->first) = n->next;
    (n->next ? n->next->prev : r->last) = n->prev;
  } else {
    rb_erase(r, n);
  }
  n->owner = nullptr;
  n->prev = n->next = n->parent = n->left = n->right = nullptr;
  n->red = false;
}

void GraphHeap::obj_drop(CallContext& cx, uint64_t p) {
  const char* fn = "bpf_obj_drop_impl";
  Object* o = object_at(cx, p, fn, "R1 (p)");
  if (!o) return;
  const bool last = o->type->refcount_off < 0 || o->refs <= 1;
  if (last) {
    for (const Node& n : o->nodes) {
      if (!n.owner) continue;
      cx.fault(
          fmt::format("{}: {} {} is still in a {} (a non-owning reference; remove it first)", fn,
                      o->type->name, cx.memory().shown(p),
                      n.owner == &adding_ || n.owner->field->kind == GraphFieldKind::kRbRoot
                          ? "bpf_rb_root"
                          : "bpf_list_head"));
      return;
    }
  }
  drop(o);
}

uint64_t GraphHeap::refcount_acquire(CallContext& cx, uint64_t p) {
  const char* fn = "bpf_refcount_acquire_impl";
  Object* o = object_at(cx, p, fn, "R1 (p)");
  if (!o) return 0;
  if (o->type->refcount_off < 0) {
    cx.fault(fmt::format("{}: {} has no struct bpf_refcount field", fn, o->type->name));
    return 0;
  }
  ++o->refs;
  return p;
}

// ---- Percpu objects -------------------------------------------------------------------------

// __btf_type_is_scalar_struct: ints and enums, arrays of them, nested structs (3 levels).
bool GraphHeap::scalar_struct(uint32_t type_id, int depth) const {
  const struct btf_type* t = btf_.type(btf_.skip_mods(type_id));
  if (!t || !(btf_is_struct(t) || btf_is_union(t))) return false;
  const struct btf_member* m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); ++i) {
    const struct btf_type* mt = btf_.type(btf_.skip_mods(m[i].type));
    if (!mt) return false;
    if (btf_is_struct(mt) || btf_is_union(mt)) {
      if (depth >= 3 || !scalar_struct(m[i].type, depth + 1)) return false;
      continue;
    }
    if (btf_is_array(mt)) mt = btf_.type(btf_.skip_mods(btf_array(mt)->type));
    if (!mt || !(btf_is_int(mt) || btf_is_any_enum(mt))) return false;
  }
  return true;
}

void GraphHeap::map_percpu(const PercpuObject& o) {
  if (!memory_) return;
  const std::string name = o.type->name;
  (void)memory_->add(Region{o.base, o.type->size, kPermNone, "percpu " + name, nullptr});
  for (uint32_t c = 0; c < o.ncpu; ++c)
    (void)memory_->add(
        Region{o.copy(c), o.type->size, kPermReadWrite, fmt::format("{} (cpu {})", name, c), nullptr});
}

uint64_t GraphHeap::percpu_obj_new(CallContext& cx, uint64_t type_id) {
  const char* fn = "bpf_percpu_obj_new_impl";
  const GraphType* gt = type_to_allocate(cx, type_id, fn);
  if (!gt) return 0;
  // The verifier's checks (check_kfunc_call), here at run time.
  if (!gt->fields.empty()) {
    cx.fault(fmt::format("{}: {} must not contain special fields ({} {})", fn, gt->name,
                         kind_type(gt->fields[0].kind), gt->fields[0].name));
    return 0;
  }
  if (!scalar_struct(gt->type_id, 0)) {
    cx.fault(fmt::format("{}: {} must be a struct of scalars", fn, gt->name));
    return 0;
  }
  if (gt->size > kMaxPercpuObjectSize) {
    cx.fault(fmt::format("{}: {} size ({}) is greater than {}", fn, gt->name, gt->size,
                         kMaxPercpuObjectSize));
    return 0;
  }
  if (gt->size == 0) return 0;
  const uint32_t stride = round8(gt->size);
  const uint32_t ncpu = std::max<uint32_t>(1, env_->nr_cpus);
  const uint64_t bytes = uint64_t{stride} * (ncpu + 1);
  std::unique_ptr<uint8_t[]> mem = take_block(percpu_free_, bytes, [this, ncpu, stride](uint64_t a) {
    for (uint32_t c = 0; c <= ncpu; ++c) {
      memory_->remove(a + uint64_t{stride} * c);
      dropped_.erase(a + uint64_t{stride} * c);
    }
  });
  if (!mem) return 0;
  auto o = std::make_unique<PercpuObject>();
  o->base = reinterpret_cast<uint64_t>(mem.get());
  o->type = gt;
  o->stride = stride;
  o->ncpu = ncpu;
  o->mem = std::move(mem);
  map_percpu(*o);
  const uint64_t base = o->base;
  percpu_.emplace(base, std::move(o));
  std::lock_guard<std::mutex> g(g_percpu_mu);
  live_percpu()[base] = this;
  return base;
}

void GraphHeap::release_percpu(PercpuObject* o) {
  ++mutations_;
  const uint64_t base = o->base;
  const uint32_t size = o->type->size;
  for (uint32_t c = 0; c <= o->ncpu; ++c) {
    const uint64_t a = base + uint64_t{o->stride} * c;
    std::string name = c == 0 ? fmt::format("dropped percpu {}", o->type->name)
                              : fmt::format("dropped {} (cpu {})", o->type->name, c - 1);
    if (memory_) {
      memory_->remove(a);
      (void)memory_->add(Region{a, size, kPermNone, name, nullptr});
    }
    dropped_[a] = Dropped{size, std::move(name)};
  }
  percpu_free_[uint64_t{o->stride} * (o->ncpu + 1)].push_back(std::move(o->mem));
  {
    std::lock_guard<std::mutex> g(g_percpu_mu);
    live_percpu().erase(base);
  }
  percpu_.erase(base);
}

void GraphHeap::percpu_obj_drop(CallContext& cx, uint64_t p) {
  const char* fn = "bpf_percpu_obj_drop_impl";
  if (p == 0) {
    cx.fault(fmt::format("{}: R1 (p) is NULL", fn));
    return;
  }
  auto it = percpu_.find(p);
  if (it != percpu_.end()) {
    release_percpu(it->second.get());
    return;
  }
  if (auto o = objects_.find(p); o != objects_.end()) {
    cx.fault(fmt::format("{}: R1 (p) {} is a {} from bpf_obj_new, not a percpu object (use "
                         "bpf_obj_drop)",
                         fn, cx.memory().shown(p), o->second->type->name));
    return;
  }
  cx.fault(fmt::format("{}: R1 (p) {} is not an object from bpf_percpu_obj_new", fn, where(cx, p)));
}

uint64_t GraphHeap::percpu_ptr(CallContext& cx, uint64_t p, std::optional<uint32_t> cpu,
                               const char* fn) {
  if (p == 0) {
    cx.fault(fmt::format("{}: R1 (percpu_ptr) is NULL", fn));
    return 0;
  }
  // Only a heap attached to this VM can have mapped the pointer's region here: look at no
  // other (another simulation's heap may be in use on another thread).
  const Region* region = cx.memory().find(p);
  GraphHeap* h = nullptr;
  if (region && region->base == p) {
    std::lock_guard<std::mutex> g(g_percpu_mu);
    auto it = live_percpu().find(p);
    if (it != live_percpu().end()) h = it->second;
  }
  const PercpuObject* o = nullptr;
  if (h && h->memory_ == &cx.memory()) {
    auto it = h->percpu_.find(p);
    if (it != h->percpu_.end()) o = it->second.get();
  }
  if (!o) {
    cx.fault(fmt::format("{}: R1 (percpu_ptr) {}{} is not an object from bpf_percpu_obj_new",
                         fn, cx.memory().shown(p), region ? fmt::format(" ({})", cx.memory().describe(p)) : ""));
    return 0;
  }
  const uint32_t c = cpu ? *cpu : h->env_->cpu();
  return c < o->ncpu ? o->copy(c) : 0;
}

// ---- Lists ----------------------------------------------------------------------------------

namespace {
const char* push_name(bool back) {
  return back ? "bpf_list_push_back_impl" : "bpf_list_push_front_impl";
}
}  // namespace

// The kernel checks the node's owner and on failure drops the reference passed in
// (__bpf_obj_drop_impl) and returns -EINVAL. That is only sound when the program owned that
// reference (bpf_refcount_acquire); otherwise the drop would free a linked node, which the
// verifier prevents by rejecting the program: fault instead.
uint64_t GraphHeap::already_linked(CallContext& cx, Node* n, const char* fn) {
  Object* o = n->obj;
  if (o->type->refcount_off < 0 || o->refs <= 1) {
    cx.fault(fmt::format(
        "{}: R2 (node) {} is already in a {} and the program holds no other reference to "
        "{} (the verifier rejects this)",
        fn, cx.memory().shown(n->addr),
        n->owner == &adding_ || n->owner->field->kind == GraphFieldKind::kRbRoot ? "bpf_rb_root"
                                                                                 : "bpf_list_head",
        o->type->name));
    return 0;
  }
  drop(o);
  return neg(-EINVAL);
}

bool GraphHeap::check_contains(CallContext& cx, const Root* r, const Node* n, const char* fn) {
  const GraphField& f = *r->field;
  if (n->obj->type->type_id == f.value_type && n->addr - n->obj->base == f.node_offset) return true;
  cx.fault(
      fmt::format("{}: R2 (node) is {}+{:#x}, but {} {} holds {} linked at +{:#x} (its __contains)",
                  fn, n->obj->type->name, n->addr - n->obj->base, kind_type(f.kind), f.name,
                  f.value_name, f.node_offset));
  return false;
}

uint64_t GraphHeap::list_push(CallContext& cx, uint64_t head, uint64_t node, bool back) {
  const char* fn = push_name(back);
  Root* r = root_at(cx, head, GraphFieldKind::kListHead, fn, "R1 (head)");
  Node* n = r ? node_at(cx, node, GraphFieldKind::kListNode, fn, "R2 (node)") : nullptr;
  if (!n || !check_contains(cx, r, n, fn)) return 0;
  if (n->owner) return already_linked(cx, n, fn);
  if (back) {
    n->prev = r->last;
    (r->last ? r->last->next : r->first) = n;
    r->last = n;
  } else {
    n->next = r->first;
    (r->first ? r->first->prev : r->last) = n;
    r->first = n;
  }
  n->owner = r;
  ++mutations_;
  return 0;
}

uint64_t GraphHeap::list_take(CallContext& cx, uint64_t head, bool back, bool remove) {
  const char* fn = remove ? (back ? "bpf_list_pop_back" : "bpf_list_pop_front")
                          : (back ? "bpf_list_back" : "bpf_list_front");
  Root* r = root_at(cx, head, GraphFieldKind::kListHead, fn, "R1 (head)");
  if (!r) return 0;
  Node* n = back ? r->last : r->first;
  if (!n) return 0;
  const uint64_t addr = n->addr;
  if (remove) {
    unlink(n);
    ++mutations_;
  }
  return addr;
}

// ---- Red-black trees ------------------------------------------------------------------------

void GraphHeap::rb_rotate(Root* r, Node* x, bool left) {
  Node* y = left ? x->right : x->left;
  Node* inner = left ? y->left : y->right;
  (left ? x->right : x->left) = inner;
  if (inner) inner->parent = x;
  y->parent = x->parent;
  if (!x->parent)
    r->top = y;
  else if (x == x->parent->left)
    x->parent->left = y;
  else
    x->parent->right = y;
  (left ? y->left : y->right) = x;
  x->parent = y;
}

void GraphHeap::rb_insert_fixup(Root* r, Node* z) {
  while (z->parent && z->parent->red) {
    Node* p = z->parent;
    Node* g = p->parent;
    const bool p_left = p == g->left;
    Node* uncle = p_left ? g->right : g->left;
    if (uncle && uncle->red) {  // recolor and continue from the grandparent
      p->red = uncle->red = false;
      g->red = true;
      z = g;
      continue;
    }
    if (z == (p_left ? p->right : p->left)) {  // inner child: rotate it outside first
      z = p;
      rb_rotate(r, z, p_left);
      p = z->parent;
    }
    p->red = false;
    g->red = true;
    rb_rotate(r, g, !p_left);
  }
  r->top->red = false;
}

void GraphHeap::rb_erase(Root* r, Node* z) {
  auto transplant = [r](Node* u, Node* v) {
    if (!u->parent)
      r->top = v;
    else if (u == u->parent->left)
      u->parent->left = v;
    else
      u->parent->right = v;
    if (v) v->parent = u->parent;
  };
  Node* y = z;
  bool y_red = y->red;
  Node *x, *xp;
  if (!z->left) {
    x = z->right;
    xp = z->parent;
    transplant(z, z->right);
  } else if (!z->right) {
    x = z->left;
    xp = z->parent;
    transplant(z, z->left);
  } else {  // two children: the successor takes z's place and color (as rb_erase)
    y = z->right;
    while (y->left) y = y->left;
    y_red = y->red;
    x = y->right;
    if (y->parent == z) {
      xp = y;
    } else {
      xp = y->parent;
      transplant(y, y->right);
      y->right = z->right;
      y->right->parent = y;
    }
    transplant(z, y);
    y->left = z->left;
    y->left->parent = y;
    y->red = z->red;
  }
  if (!y_red) rb_erase_fixup(r, x, xp);
}

void GraphHeap::rb_erase_fixup(Root* r, Node* x, Node* parent) {
  while (x != r->top && (!x || !x->red) && parent) {
    const bool x_left = x == parent->left;
    Node* w = x_left ? parent->right : parent->left;
    if (!w) break;  // cannot happen in a valid tree
    if (w->red) {
      w->red = false;
      parent->red = true;
      rb_rotate(r, parent, x_left);
      w = x_left ? parent->right : parent->left;
    }
    Node* near = x_left ? w->left : w->right;
    Node* far = x_left ? w->right : w->left;
    if ((!near || !near->red) && (!far || !far->red)) {
      w->red = true;
      x = parent;
      parent = x->parent;
      continue;
    }
    if (!far || !far->red) {
      near->red = false;
      w->red = true;
      rb_rotate(r, w, !x_left);
      w = x_left ? parent->right : parent->left;
      far = x_left ? w->right : w->left;
    }
    w->red = parent->red;
    parent->red = false;
    if (far) far->red = false;
    rb_rotate(r, parent, x_left);
    x = r->top;
    break;
  }
  if (x) x->red = false;
}

uint64_t GraphHeap::rbtree_add(CallContext& cx, uint64_t root, uint64_t node, uint64_t less) {
  const char* fn = "bpf_rbtree_add_impl";
  Root* r = root_at(cx, root, GraphFieldKind::kRbRoot, fn, "R1 (root)");
  Node* n = r ? node_at(cx, node, GraphFieldKind::kRbNode, fn, "R2 (node)") : nullptr;
  if (!n || !check_contains(cx, r, n, fn)) return 0;
  if (n->owner) return already_linked(cx, n, fn);
  if (!cx.program().pc_of_code_address(less)) {
    cx.fault(fmt::format("{}: R3 (less) {:#x} is not a function of this program", fn, less));
    return 0;
  }
  // As __bpf_rbtree_add: descend left when less(new, node), else right (equal keys go after
  // their equals). The node is marked busy meanwhile, as the kernel's BPF_PTR_POISON owner.
  n->owner = &adding_;
  const uint64_t gen = mutations_;
  Node* parent = nullptr;
  bool left = false;
  for (Node* cur = r->top; cur;) {
    parent = cur;
    std::optional<uint64_t> res = cx.call(less, HostArgs{n->addr, cur->addr, 0, 0, 0});
    if (mutations_ != gen) {
      // The callback changed a collection or dropped an object: our pointers may be stale.
      cx.fault(fmt::format(
          "{}: the less() callback modified a bpf_list/bpf_rbtree or dropped an object", fn));
      return 0;
    }
    if (!res) {
      n->owner = nullptr;
      return 0;
    }
    left = *res != 0;
    cur = left ? cur->left : cur->right;
  }
  n->parent = parent;
  n->left = n->right = nullptr;
  n->red = true;
  if (!parent)
    r->top = n;
  else
    (left ? parent->left : parent->right) = n;
  rb_insert_fixup(r, n);
  n->owner = r;
  ++mutations_;
  return 0;
}

uint64_t GraphHeap::rbtree_remove(CallContext& cx, uint64_t root, uint64_t node) {
  const char* fn = "bpf_rbtree_remove";
  Root* r = root_at(cx, root, GraphFieldKind::kRbRoot, fn, "R1 (root)");
  Node* n = r ? node_at(cx, node, GraphFieldKind::kRbNode, fn, "R2 (node)") : nullptr;
  if (!n || n->owner != r) return 0;  // not in this tree: NULL, as the kernel
  unlink(n);
  ++mutations_;
  return n->addr;
}

uint64_t GraphHeap::rbtree_walk(CallContext& cx, uint64_t root, uint64_t node, int which) {
  static const char* const names[] = {"bpf_rbtree_first", "bpf_rbtree_root", "bpf_rbtree_left",
                                      "bpf_rbtree_right"};
  const char* fn = names[which];
  Root* r = root_at(cx, root, GraphFieldKind::kRbRoot, fn, "R1 (root)");
  if (!r) return 0;
  if (which == kWalkFirst) {
    Node* n = r->top;
    while (n && n->left) n = n->left;
    return n ? n->addr : 0;
  }
  if (which == kWalkTop) return r->top ? r->top->addr : 0;
  Node* n = node_at(cx, node, GraphFieldKind::kRbNode, fn, "R2 (node)");
  if (!n || n->owner != r) return 0;
  Node* c = which == kWalkLeft ? n->left : n->right;
  return c ? c->addr : 0;
}

// ---- Registration ---------------------------------------------------------------------------

namespace {

enum class GraphOp : uint8_t {
  kObjNew,
  kObjDrop,
  kRefcountAcquire,
  kListPushFront,
  kListPushBack,
  kListPopFront,
  kListPopBack,
  kListFront,
  kListBack,
  kRbAdd,
  kRbRemove,
  kRbFirst,
  kRbRoot,
  kRbLeft,
  kRbRight,
  kPercpuObjNew,
  kPercpuObjDrop,
};

// A registry entry; bind_graph_kfunc() recognises it by type and gives it a heap. The
// hidden "meta" / "off" arguments the verifier would rewrite are ignored: the heap knows the
// types.
struct GraphKfunc {
  GraphOp op;
  const char* name;
  std::shared_ptr<GraphHeap> heap;

  uint64_t operator()(CallContext& cx, const HostArgs& a) const {
    if (!heap) {
      cx.fault(
          fmt::format("{}: no object heap (the program was not loaded by scxsim's loader)", name));
      return 0;
    }
    GraphHeap& h = *heap;
    switch (op) {
      case GraphOp::kObjNew:
        return h.obj_new(cx, a[0]);
      case GraphOp::kObjDrop:
        h.obj_drop(cx, a[0]);
        return 0;
      case GraphOp::kRefcountAcquire:
        return h.refcount_acquire(cx, a[0]);
      case GraphOp::kListPushFront:
        return h.list_push(cx, a[0], a[1], false);
      case GraphOp::kListPushBack:
        return h.list_push(cx, a[0], a[1], true);
      case GraphOp::kListPopFront:
        return h.list_take(cx, a[0], false, true);
      case GraphOp::kListPopBack:
        return h.list_take(cx, a[0], true, true);
      case GraphOp::kListFront:
        return h.list_take(cx, a[0], false, false);
      case GraphOp::kListBack:
        return h.list_take(cx, a[0], true, false);
      case GraphOp::kRbAdd:
        return h.rbtree_add(cx, a[0], a[1], a[2]);
      case GraphOp::kRbRemove:
        return h.rbtree_remove(cx, a[0], a[1]);
      case GraphOp::kRbFirst:
        return h.rbtree_walk(cx, a[0], 0, kWalkFirst);
      case GraphOp::kRbRoot:
        return h.rbtree_walk(cx, a[0], 0, kWalkTop);
      case GraphOp::kRbLeft:
        return h.rbtree_walk(cx, a[0], a[1], kWalkLeft);
      case GraphOp::kRbRight:
        return h.rbtree_walk(cx, a[0], a[1], kWalkRight);
      case GraphOp::kPercpuObjNew:
        return h.percpu_obj_new(cx, a[0]);
      case GraphOp::kPercpuObjDrop:
        h.percpu_obj_drop(cx, a[0]);
        return 0;
    }
    return 0;
  }
};

}  // namespace

void add_graph_kfuncs(KfuncRegistry& r) {
  static constexpr std::pair<GraphOp, const char*> kFuncs[] = {
      {GraphOp::kObjNew, "bpf_obj_new_impl"},
      {GraphOp::kObjDrop, "bpf_obj_drop_impl"},
      {GraphOp::kRefcountAcquire, "bpf_refcount_acquire_impl"},
      {GraphOp::kListPushFront, "bpf_list_push_front_impl"},
      {GraphOp::kListPushBack, "bpf_list_push_back_impl"},
      {GraphOp::kListPopFront, "bpf_list_pop_front"},
      {GraphOp::kListPopBack, "bpf_list_pop_back"},
      {GraphOp::kListFront, "bpf_list_front"},
      {GraphOp::kListBack, "bpf_list_back"},
      {GraphOp::kRbAdd, "bpf_rbtree_add_impl"},
      {GraphOp::kRbRemove, "bpf_rbtree_remove"},
      {GraphOp::kRbFirst, "bpf_rbtree_first"},
      {GraphOp::kRbRoot, "bpf_rbtree_root"},
      {GraphOp::kRbLeft, "bpf_rbtree_left"},
      {GraphOp::kRbRight, "bpf_rbtree_right"},
      {GraphOp::kPercpuObjNew, "bpf_percpu_obj_new_impl"},
      {GraphOp::kPercpuObjDrop, "bpf_percpu_obj_drop_impl"},
  };
  for (const auto& [op, name] : kFuncs) r.add(name, GraphKfunc{op, name, nullptr});
}

HostFn bind_graph_kfunc(const HostFn& fn, const std::shared_ptr<GraphHeap>& heap) {
  const GraphKfunc* g = fn.target<GraphKfunc>();
  if (!g) return fn;
  GraphKfunc bound = *g;
  bound.heap = heap;
  return bound;
}

}  // namespace scx::bpf
