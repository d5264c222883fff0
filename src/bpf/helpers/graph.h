// Local kptrs and the BPF graph kfuncs, with the semantics of kernel/bpf/helpers.c:
// bpf_obj_new_impl / bpf_obj_drop_impl / bpf_refcount_acquire_impl, bpf_list_push_{front,back}
// _impl, bpf_list_pop_{front,back}, bpf_list_{front,back}, bpf_rbtree_add_impl / _remove /
// _first / _root / _left / _right, and the kernel's bpf_obj_free_fields for map values (kptrs,
// bpf_list_head, bpf_rb_root: the maps call ValueFields::release()).
//
// One GraphHeap per loaded object: bpf_obj_new(type) passes a type id of the object's own BTF
// (bpf_core_type_id_local), so the loader binds these kfuncs to its object's heap
// (bind_graph_kfunc). An object is zeroed host memory registered as a region whose layout
// makes bpf_list_head / bpf_list_node / bpf_rb_root / bpf_rb_node / bpf_refcount opaque and
// referenced kptr fields read-only (map values with such fields get the same layout). The
// lists and trees themselves live on the host side, keyed by the head's address, so nothing a
// program writes can corrupt them. A dropped object's region becomes an inaccessible
// "dropped struct X" region at once (stale pointers fault) and its memory goes to a FIFO free
// list owned by the heap (never back to the host allocator while the heap lives).
//
// What the verifier would check statically is checked at run time and faults with a one-line
// message: a NULL, foreign or dropped pointer, a node of the wrong type or at the wrong offset
// for the head's __contains(type, field), a head without __contains, a program touching an
// opaque field. Push/add of a node already in a collection returns -EINVAL and drops the
// reference passed in, as the kernel does; when that reference is the object's last one
// (a program the verifier rejects: it never owned the node) it faults instead. Not checked:
// that the bpf_spin_lock guarding a head is held. Deliberately not modelled: the RCU grace
// period of refcounted objects (a drop frees at once).
//
// Percpu objects (bpf_percpu_obj_new_impl / bpf_percpu_obj_drop_impl): a struct of scalars of
// at most 512 bytes (what the verifier accepts; anything else faults), with one zeroed copy per
// simulated CPU (MapEnv::nr_cpus). The program's pointer is an inaccessible "percpu struct X"
// region that only bpf_per_cpu_ptr / bpf_this_cpu_ptr (and bpf_kptr_xchg, drop) take: the
// helpers return the copy of a CPU (NULL for cpu >= nr_cpus) or of MapEnv::current_cpu(). A
// drop makes the pointer and every copy fault; a __percpu_kptr field drops its object with the
// value holding it.
//
// Kernel objects in referenced kptr fields (struct bpf_cpumask __kptr *) are released with the
// value holding them through the destructor the host registers for the pointee's struct name
// (set_kptr_dtor: btf_find_dtor_kfunc's bpf_cpumask_release_dtor); without one they are cleared.
// The rbtree is a red-black tree with the kernel's insertion and erase rules, so
// bpf_rbtree_root/left/right see the kernel's shape; equal keys go right (after their equals).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "bpf/loader/btf.h"
#include "bpf/maps/map.h"
#include "bpf/vm/vm.h"

namespace scx::bpf {

class KfuncRegistry;

enum class GraphFieldKind : uint8_t {
  kListHead,
  kRbRoot,
  kListNode,
  kRbNode,
  kRefcount,
  kKptr,           // referenced (__kptr, __percpu_kptr): dropped when the holder is freed
  kKptrUntrusted,  // __kptr_untrusted / __uptr: cleared only
};

struct GraphField {
  GraphFieldKind kind = GraphFieldKind::kListHead;
  uint32_t offset = 0, size = 0;
  std::string name;  // member path, e.g. "q.head" or "heads[1]"
  // kListHead / kRbRoot: the __contains(type, field) declaration.
  uint32_t value_type = 0;  // local BTF id of the contained struct, 0 when unusable
  uint32_t node_offset = 0;
  std::string value_name;      // "struct elem"
  std::string contains_error;  // why there is no usable declaration ("" = fine)
  // kKptr / kKptrUntrusted: the pointee's struct name ("bpf_cpumask", "elem").
  std::string pointee;
  bool is_root() const {
    return kind == GraphFieldKind::kListHead || kind == GraphFieldKind::kRbRoot;
  }
};

struct GraphType {
  uint32_t type_id = 0;  // 0 for a global data section
  std::string name;      // "struct elem", or the section's name
  uint32_t size = 0;
  std::vector<GraphField> fields;  // by offset
  int32_t refcount_off = -1;
  std::vector<size_t> node_fields;  // indices into fields of the bpf_list_node / bpf_rb_node ones
  std::shared_ptr<const FieldLayout> layout;
  const GraphField* field_at(uint64_t off) const;  // the field starting at off, or nullptr
  bool owns() const;                               // has roots or kptrs (something to release)
};

// What a map needs for a value type with special fields (see MapSpec).
struct MapValueFields {
  std::vector<std::pair<uint32_t, uint32_t>> special;  // (offset, size) updates skip
  std::shared_ptr<ValueFields> owned;                  // nullptr: nothing to release
  std::shared_ptr<const FieldLayout> layout;
};

class GraphHeap : public std::enable_shared_from_this<GraphHeap> {
 public:
  // bpf_mem_alloc's largest size class is 4096 bytes including an 8-byte header: larger
  // objects are NULL. All blocks together are capped (NULL beyond, as an allocation failure),
  // so a hostile loop cannot exhaust the host: each block is charged its size plus what the
  // host spends on it besides (bookkeeping, its region in the address space, allocator
  // headers: an estimate), so that the cap bounds the host's memory, not only the objects'.
  static constexpr uint64_t kMaxObjectSize = 4096 - 8;
  static constexpr uint64_t kHostBytesPerBlock = 256;
  static constexpr uint64_t kDefaultMaxHeapBytes = 512ULL << 20;  // --bpf-max-heap
  // BPF_GLOBAL_PERCPU_MA_MAX_SIZE: the verifier rejects larger percpu object types.
  static constexpr uint64_t kMaxPercpuObjectSize = 512;
  // A type with special fields gets a byte-by-byte access layout: past this size (a struct or
  // data section from a hostile BTF can claim 4 GiB) loading fails instead of allocating it.
  static constexpr uint64_t kMaxLayoutBytes = 16ULL << 20;

  // Create with std::make_shared (map value fields keep the heap alive). `env` gives the
  // number of CPUs and the current one for percpu objects (nullptr: one CPU).
  explicit GraphHeap(Btf btf, std::shared_ptr<MapEnv> env = nullptr, uint64_t max_bytes = kDefaultMaxHeapBytes);
  ~GraphHeap();
  GraphHeap(const GraphHeap&) = delete;
  GraphHeap& operator=(const GraphHeap&) = delete;

  // Objects become regions of `memory` (live ones are re-registered on attach).
  void attach(AddressSpace* memory);
  void detach();

  // Special fields of a map value of BTF type `type_id` / of a global data section given its
  // variables (BTF VAR id, offset). nullopt when there are none; an error for a bad __contains.
  Result<std::optional<MapValueFields>> value_fields(uint32_t type_id);
  Result<std::optional<MapValueFields>> datasec_fields(
      const std::string& section, uint32_t size,
      std::span<const std::pair<uint32_t, uint32_t>> vars);

  // The release of a kernel object held in a referenced kptr field whose pointee is `type`
  // (the struct name, "bpf_cpumask"), called with the pointer when the holder is freed;
  // nullptr removes it. The host registers these; the object's own heap objects never use them.
  using KptrDtor = std::function<void(uint64_t)>;
  void set_kptr_dtor(const std::string& type, KptrDtor dtor);

  // ---- Host side (tests, diagnostics) ----
  size_t live_objects() const { return objects_.size(); }
  size_t live_percpu_objects() const { return percpu_.size(); }
  // Node addresses of the list / rbtree whose head is at `root_addr`, in order (empty if none).
  std::vector<uint64_t> root_contents(uint64_t root_addr) const;
  // Reference count of the live object at `base` (0 when there is none).
  uint32_t refcount(uint64_t base) const;
  // The red-black invariants of the rbtree at `root_addr`: "" when they hold, else the first
  // violation.
  std::string check_rbtree(uint64_t root_addr) const;

  // ---- The kfuncs (args as the program passes them) ----
  uint64_t obj_new(CallContext& cx, uint64_t type_id);
  void obj_drop(CallContext& cx, uint64_t p);
  uint64_t refcount_acquire(CallContext& cx, uint64_t p);
  uint64_t list_push(CallContext& cx, uint64_t head, uint64_t node, bool back);
  uint64_t list_take(CallContext& cx, uint64_t head, bool back, bool remove);
  uint64_t rbtree_add(CallContext& cx, uint64_t root, uint64_t node, uint64_t less);
  uint64_t rbtree_remove(CallContext& cx, uint64_t root, uint64_t node);
  // which: 0 first (leftmost), 1 root, 2 left child, 3 right child.
  uint64_t rbtree_walk(CallContext& cx, uint64_t root, uint64_t node, int which);
  uint64_t percpu_obj_new(CallContext& cx, uint64_t type_id);
  void percpu_obj_drop(CallContext& cx, uint64_t p);
  // bpf_per_cpu_ptr (cpu) / bpf_this_cpu_ptr (nullopt) on a percpu pointer of any heap: the
  // CPU's copy, 0 for a CPU past the last; anything but a live percpu object faults.
  static uint64_t percpu_ptr(CallContext& cx, uint64_t p, std::optional<uint32_t> cpu,
                             const char* fn);

  // bpf_obj_free_fields on host memory of type `t` (the maps' release path).
  void free_fields(const GraphType& t, uint8_t* base);

 private:
  struct Object;
  struct Root;
  struct Node {
    uint64_t addr = 0;
    Object* obj = nullptr;
    Root* owner = nullptr;
    Node *prev = nullptr, *next = nullptr;                      // list
    Node *parent = nullptr, *left = nullptr, *right = nullptr;  // rbtree
    bool red = false;
  };
  struct Object {
    uint64_t base = 0;
    const GraphType* type = nullptr;
    std::unique_ptr<uint8_t[]> mem;
    uint32_t refs = 1;
    bool dying = false;       // its fields are being freed
    std::vector<Node> nodes;  // parallel to type->node_fields
  };
  struct Root {
    uint64_t addr = 0;
    const GraphField* field = nullptr;
    Node *first = nullptr, *last = nullptr;  // list
    Node* top = nullptr;                     // rbtree
  };
  struct Dropped {
    uint32_t size;
    std::string name;
  };
  // A percpu object: one block holding the pointer's (inaccessible) slot, then a copy per CPU.
  struct PercpuObject {
    uint64_t base = 0;
    const GraphType* type = nullptr;
    uint32_t stride = 0, ncpu = 0;
    std::unique_ptr<uint8_t[]> mem;
    uint64_t copy(uint32_t cpu) const { return base + uint64_t{stride} * (cpu + 1); }
  };

  Result<const GraphType*> struct_type(uint32_t type_id);
  // The allocation kfuncs' common checks of their local type id: the type, or null (faulted).
  const GraphType* type_to_allocate(CallContext& cx, uint64_t type_id, const char* fn);
  Result<MapValueFields> map_fields(const GraphType* t);
  Status collect(uint32_t type_id, uint32_t off, const std::string& path,
                 const std::string* contains, std::vector<GraphField>* out, int depth);
  void finish_type(GraphType* t);
  static Status check_layout_size(const GraphType& t);
  void resolve_contains(GraphField* f, const std::string& decl);

  // Argument checks: fault (naming the kfunc and argument) and return nullptr on failure.
  Object* object_at(CallContext& cx, uint64_t p, const char* fn, const char* arg);
  Node* node_at(CallContext& cx, uint64_t p, GraphFieldKind kind, const char* fn, const char* arg);
  Root* root_at(CallContext& cx, uint64_t p, GraphFieldKind kind, const char* fn, const char* arg);
  bool check_contains(CallContext& cx, const Root* r, const Node* n, const char* fn);
  uint64_t already_linked(CallContext& cx, Node* n, const char* fn);
  static void nodes_of(const Root& r, std::vector<Node*>* out);  // list order / in order
  const GraphType* value_type_at(uint64_t addr, uint64_t* base) const;
  std::string where(CallContext& cx, uint64_t addr) const;  // "0x... (map m+0x8)"

  // Drops one reference; frees (fields first) when it was the last.
  void drop(Object* o);
  void release_percpu(PercpuObject* o);
  void map_percpu(const PercpuObject& o);  // its regions, in memory_
  bool scalar_struct(uint32_t type_id, int depth) const;
  void release_object(Object* o);
  void drain(uint64_t root_addr);
  void unlink(Node* n);

  // The red-black tree (lib/rbtree.c's rules).
  void rb_rotate(Root* r, Node* x, bool left);
  void rb_insert_fixup(Root* r, Node* z);
  void rb_erase(Root* r, Node* z);
  void rb_erase_fixup(Root* r, Node* x, Node* parent);

  Btf btf_;
  std::shared_ptr<MapEnv> env_;
  AddressSpace* memory_ = nullptr;
  std::map<std::pair<uint32_t, int>, std::string> contains_tags_;  // (type, component) → tag
  std::map<uint32_t, std::unique_ptr<GraphType>> types_;
  std::vector<std::unique_ptr<GraphType>> sections_;
  std::map<const FieldLayout*, const GraphType*> value_layouts_;     // map value regions
  std::map<uint64_t, std::unique_ptr<Object>> objects_;              // by base address
  std::map<uint64_t, std::unique_ptr<Root>> roots_;                  // by head address
  std::map<uint64_t, Dropped> dropped_;                              // freed blocks, by address
  using FreeBlocks = std::map<uint64_t, std::deque<std::unique_ptr<uint8_t[]>>>;  // by size, FIFO
  // A zeroed block of `bytes`: a freed one of that size (whose old regions `forget` unmaps)
  // or a new one within the heap's cap; null when the cap is reached.
  std::unique_ptr<uint8_t[]> take_block(FreeBlocks& free, uint64_t bytes, const std::function<void(uint64_t)>& forget);
  FreeBlocks free_;
  std::map<uint64_t, std::unique_ptr<PercpuObject>> percpu_;         // by pointer
  FreeBlocks percpu_free_;  // by block size
  std::map<std::string, KptrDtor> dtors_;                            // by pointee struct name
  uint64_t heap_bytes_ = 0;  // charged so far (kHostBytesPerBlock included)
  uint64_t max_bytes_;
  uint64_t mutations_ = 0;  // any change to an object or a collection (rbtree_add's callback)
  Root adding_;             // owner of a node while rbtree_add runs its callbacks
};

// Adds the graph kfuncs to r. The entries need an object: called through the registry itself
// they fault; the loader binds them to the object's heap with bind_graph_kfunc().
void add_graph_kfuncs(KfuncRegistry& r);
// fn bound to `heap` when it is one of the graph kfuncs, else fn itself.
HostFn bind_graph_kfunc(const HostFn& fn, const std::shared_ptr<GraphHeap>& heap);

}  // namespace scx::bpf
