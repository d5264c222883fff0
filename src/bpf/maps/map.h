// BPF maps with the kernel's semantics, whose values live in host memory that programs access
// directly: each value a program obtains a pointer to is registered as a read/write region in
// the VM's AddressSpace (MapEnv::memory), with a stable address for the element's lifetime.
//
// Types: array, percpu_array, hash, percpu_hash, lru_hash, lru_percpu_hash, queue, stack,
// task_storage, cgrp_storage (local storage keyed by the owner object's address),
// array_of_maps, hash_of_maps, ringbuf (with a consumer API for the host), user_ringbuf (with a
// producer API for the host), perf_event_array (always empty: event_maps.cc).
//
// Semantics (as kernel/bpf/{arraymap,hashtab,queue_stack_maps,ringbuf,bpf_local_storage}.c):
// update flags BPF_ANY / BPF_NOEXIST / BPF_EXIST (+ BPF_F_LOCK on array and hash maps, which
// needs a bpf_spin_lock in the value; like copy_map_value_locked it copies all but the special
// fields, in place), errors as negative errno (-ENOENT, -EEXIST, -E2BIG, -EINVAL, -ENOMEM). A
// bpf_spin_lock may sit in hash/array/task/cgrp storage values, a bpf_timer in hash/lru_hash/
// array values (map_check_btf). As bpf_obj_free_fields -> bpf_timer_cancel_and_free, the
// bpf_timer of a value that is overwritten or deleted is cancelled and freed (the helpers' timer
// table registers as the map's TimerOwner at bpf_timer_init); a BPF_F_LOCK update of an existing
// hash element copies in place and frees nothing (htab_map_update_elem), an array's does.
// Deliberate differences, all deterministic: hash iteration (get_next_key, for_each) is in
// insertion order; LRU eviction is exact least-recently-used (lookup and update refresh an
// element); updating an existing hash element copies the new value in place (the kernel swaps in
// a new element), so pointers stay valid; special fields (bpf_spin_lock, bpf_timer, kptrs,
// bpf_list_head, bpf_rb_root, ...) are never overwritten by an update.
//
// Owned fields (kptrs, bpf_list_head, bpf_rb_root; MapSpec::owned_fields): as the kernel's
// bpf_obj_free_fields, what they hold is released when an element is deleted or overwritten
// and when the map is destroyed (every live element); a kernel object's release is the
// destructor the host registered with the graph heap (helpers/graph.h).
//
// Deletion: a deleted element's region is removed from the address space at once (a program
// still holding the pointer faults on its next access) and its memory goes back to the map's
// own free list (never back to the host allocator while the map lives), so no host memory ever
// dangles. Per-CPU maps: one value per CPU (MapEnv::nr_cpus), programs see the value of
// MapEnv::current_cpu(). A Map must be destroyed (or detach()ed) before its AddressSpace.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/status.h"
#include "bpf/vm/memory.h"

namespace scx::bpf {

// enum bpf_map_type values.
enum MapType : uint32_t {
  kMapHash = 1,
  kMapArray = 2,
  kMapPerfEventArray = 4,
  kMapPercpuHash = 5,
  kMapPercpuArray = 6,
  kMapLruHash = 9,
  kMapLruPercpuHash = 10,
  kMapArrayOfMaps = 12,
  kMapHashOfMaps = 13,
  kMapQueue = 22,
  kMapStack = 23,
  kMapStructOps = 26,
  kMapRingbuf = 27,
  kMapTaskStorage = 29,
  kMapUserRingbuf = 31,
  kMapCgrpStorage = 32,
};
// get_next_key of the array-like maps: no key or one past the end → 0, the last → -ENOENT.
long array_next_key(const void* key, void* next, uint32_t max_entries);

// Name as in the kernel ("hash", "percpu_array", ...), or "type N".
std::string map_type_name(uint32_t type);
bool map_type_supported(uint32_t type);
// The supported type of that name ("queue", "hash", ...), or 0.
uint32_t map_type_by_name(std::string_view name);

// Releases what a value's owned fields hold and clears them (the graph heap implements it).
class ValueFields {
 public:
  virtual ~ValueFields() = default;
  virtual void release(void* value) = 0;
};

class Map;

// Holds the state of the bpf_timers in a map's values (the helpers' timer table). The map tells
// it when a value's timer must go and when the map itself goes.
class TimerOwner {
 public:
  virtual ~TimerOwner() = default;
  virtual void free_timer(uint64_t timer_addr) = 0;  // bpf_timer_cancel_and_free
  virtual void forget_map(const Map* map) = 0;       // the map is being destroyed
};

inline constexpr uint64_t kBpfAny = 0, kBpfNoExist = 1, kBpfExist = 2, kBpfFLock = 4;
inline constexpr uint64_t kLocalStorageGetFCreate = 1;
inline constexpr uint32_t kBpfFInnerMap = 1u << 12;  // BPF_F_INNER_MAP: inner arrays of any size

struct MapSpec {
  std::string name;
  uint32_t type = 0;
  uint32_t key_size = 0;
  uint32_t value_size = 0;
  uint32_t max_entries = 0;
  uint32_t map_flags = 0;
  uint64_t map_extra = 0;
  int32_t spin_lock_off = -1;  // offset of a struct bpf_spin_lock in the value, or -1
  int32_t timer_off = -1;      // offset of a struct bpf_timer in the value, or -1
  // Further special fields (offset, size) that updates never overwrite: kptrs, graph fields.
  std::vector<std::pair<uint32_t, uint32_t>> special_fields;
  std::shared_ptr<ValueFields> owned_fields;        // nullptr: nothing to release
  std::shared_ptr<const FieldLayout> value_layout;  // nullptr: every byte read/write
  bool read_only = false;      // programs may read but not write values (.rodata, kconfig)
  bool eager_regions = false;  // register every value at attach (global data: ld_imm64 uses
                               // addresses directly)
  std::shared_ptr<const MapSpec> inner;  // map-in-map template
};

struct MapEnv {
  AddressSpace* memory = nullptr;  // set when the owning object is attached to a Vm
  uint32_t nr_cpus = 1;
  std::function<uint32_t()> current_cpu;  // default: CPU 0
  uint32_t cpu() const {
    uint32_t c = current_cpu ? current_cpu() : 0;
    return c < nr_cpus ? c : 0;
  }
};

class Map {
 public:
  // Validates the spec (sizes, flags) like map_alloc_check; the error names the map.
  static Result<std::shared_ptr<Map>> create(const MapSpec& spec, std::shared_ptr<MapEnv> env);
  virtual ~Map();
  Map(const Map&) = delete;
  Map& operator=(const Map&) = delete;

  const MapSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  uint32_t type() const { return spec_.type; }
  MapEnv& env() { return *env_; }

  // The map a program-supplied map pointer names, or nullptr (maps register themselves while
  // alive; programs get Map* values from ld_imm64 and from map-in-map lookups).
  static Map* from_handle(uint64_t handle);
  uint64_t handle() const { return reinterpret_cast<uint64_t>(this); }

  // ---- Program-side operations (what the helpers do) ----
  // Pointer to the value (registered in memory), nullptr when absent. Map-in-map: the inner
  // Map's handle. Per-CPU: the current CPU's value.
  virtual void* lookup(const void* key) = 0;
  // bpf_map_lookup_percpu_elem: CPU `cpu`'s value of a per-CPU map (registered in memory, an
  // LRU element refreshed), nullptr when absent or cpu >= nr_cpus; other maps: nullptr.
  virtual void* lookup_percpu(const void* key, uint32_t cpu);
  virtual long update(const void* key, const void* value, uint64_t flags) = 0;
  virtual long remove(const void* key) = 0;
  // key == nullptr (or absent) → first key. -ENOENT after the last.
  virtual long get_next_key(const void* key, void* next_key) = 0;
  virtual long push(const void* value, uint64_t flags);
  virtual long pop(void* value);
  virtual long peek(void* value);

  // ---- Host-side ----
  // Value of a given CPU (per-CPU maps; other maps ignore cpu). Does not register regions.
  virtual void* lookup_cpu(const void* key, uint32_t cpu) = 0;
  virtual size_t size() const = 0;  // live elements
  // Deterministic order; fn returns false to stop. The value pointer is registered in memory
  // (for_each_map_elem hands it to a program). Per-CPU: the current CPU's value.
  virtual void for_each(const std::function<bool(const void* key, void* value)>& fn) = 0;
  // Registers (eagerly or lazily) values in `memory`; detach() removes every region.
  virtual void attach(AddressSpace* memory);
  virtual void detach();
  // The element whose value contains addr: its key bytes and value start. For bpf_timer.
  virtual bool locate(uint64_t addr, std::vector<uint8_t>* key, uint64_t* value_base);

  // BPF_MAP_LOOKUP_ELEM from user space: copies the value (per-CPU maps: every CPU's, each
  // padded to 8 bytes) into `out` with the special fields zeroed. flags: 0 or BPF_F_LOCK (the
  // value must hold a bpf_spin_lock). Queue/stack: peek. LRU recency is not refreshed. Ringbuf
  // and map-in-map: -EOPNOTSUPP.
  long lookup_copy(const void* key, void* out, uint64_t flags = 0);

  // Copies a value into an element's storage, skipping special fields.
  void copy_value(void* dst, const void* src, bool lock_only_fields = false) const;
  // bpf_obj_free_fields: cancels and frees the value's bpf_timer and releases what its owned
  // fields hold (no-op without either).
  void release_fields(void* value) const;

  // Timer owners are told about freed timers and the map's destruction; an owner going away
  // first removes itself.
  void add_timer_owner(TimerOwner* owner);
  void remove_timer_owner(TimerOwner* owner);

 protected:
  Map(MapSpec spec, std::shared_ptr<MapEnv> env);
  // Registers [p, p+size) once (perms from spec.read_only); no-op without memory.
  void map_region(void* p, size_t size, const char* what);
  void unmap_region(void* p);

  MapSpec spec_;
  std::shared_ptr<MapEnv> env_;
  std::unordered_map<uint64_t, size_t> regions_;  // mapped value addresses → size

 private:
  std::string region_name_;
  std::vector<TimerOwner*> timer_owners_;
};

// Queue/stack-specific, ringbuf-specific and storage-specific interfaces.
class RingbufMap;
class LocalStorageMap;
class MapOfMaps;

class RingbufMap : public Map {
 public:
  RingbufMap(MapSpec spec, std::shared_ptr<MapEnv> env) : Map(std::move(spec), std::move(env)) {}
  ~RingbufMap() override;
  void* lookup(const void*) override { return nullptr; }
  long update(const void*, const void*, uint64_t) override;
  long remove(const void*) override;
  long get_next_key(const void*, void*) override;
  void* lookup_cpu(const void*, uint32_t) override { return nullptr; }
  size_t size() const override { return submitted_.size(); }
  void for_each(const std::function<bool(const void*, void*)>&) override {}
  void detach() override;

  // Program side. reserve: a writable record of `size` bytes or nullptr (no room / bad size).
  void* reserve(uint64_t size, uint64_t flags);
  // False when ptr is not an outstanding reservation of this ring.
  bool submit(uint64_t ptr, bool discard);
  long output(const void* data, uint64_t size, uint64_t flags);
  uint64_t query(uint64_t what) const;
  // The ring whose outstanding reservation is at ptr (for submit/discard), or nullptr.
  static RingbufMap* owner_of(uint64_t ptr);

  // Host side: pops submitted records in order; returns how many were consumed.
  size_t consume(const std::function<void(std::span<const uint8_t>)>& fn, size_t max = SIZE_MAX);
  uint64_t dropped() const { return dropped_; }  // reservations refused for lack of room

 private:
  static uint64_t rec_bytes(uint64_t size) { return (size + 8 + 7) & ~7ULL; }
  std::unordered_map<uint64_t, std::unique_ptr<uint8_t[]>> outstanding_;
  std::unordered_map<uint64_t, uint64_t> outstanding_size_;
  std::deque<std::vector<uint8_t>> submitted_;
  uint64_t used_ = 0;  // bytes held by outstanding + submitted records (with headers)
  uint64_t prod_pos_ = 0, cons_pos_ = 0, dropped_ = 0;
};

// BPF_MAP_TYPE_USER_RINGBUF (kernel/bpf/ringbuf.c): a ring of max_entries bytes that user space
// produces into and programs drain (bpf_user_ringbuf_drain). A record takes round_up(len + 8, 8)
// bytes of the ring (the kernel's 8-byte header and the sample). Programs cannot look up,
// update or delete. The host plays user space: produce() is libbpf's user_ring_buffer__reserve
// followed by __submit (or __discard).
class UserRingbufMap : public Map {
 public:
  UserRingbufMap(MapSpec spec, std::shared_ptr<MapEnv> env) : Map(std::move(spec), std::move(env)) {}
  ~UserRingbufMap() override;
  void* lookup(const void*) override { return nullptr; }
  long update(const void*, const void*, uint64_t) override { return -95; }  // -EOPNOTSUPP
  long remove(const void*) override { return -95; }
  long get_next_key(const void*, void*) override { return -95; }
  void* lookup_cpu(const void*, uint32_t) override { return nullptr; }
  size_t size() const override { return records_.size(); }
  void for_each(const std::function<bool(const void*, void*)>&) override {}
  void detach() override;

  // Host side. 0, or -E2BIG (the record can never fit the ring, or len >= 2^31), -ENOSPC (no
  // room until programs drain). A discarded record still takes its room until a drain skips it.
  long produce(std::span<const uint8_t> sample, bool discard = false);
  uint64_t producer_pos() const { return prod_pos_; }
  uint64_t consumer_pos() const { return cons_pos_; }

  // Program side (__bpf_user_ringbuf_peek): the oldest record as a read-only region of memory.
  // 0 with *data/*len, -ENODATA when empty, -EAGAIN when it was a discarded record (consumed,
  // skipped), -E2BIG when the sample is too large for a dynptr (left in place, as the kernel).
  long peek(uint64_t* data, uint32_t* len);
  void release();  // frees the record peek() returned and advances the consumer position
  // The drain's exclusive claim (rb->busy): false when another drain holds it.
  bool try_claim() { return !busy_ && (busy_ = true); }
  void unclaim() { busy_ = false; }

 private:
  struct Record {
    std::unique_ptr<uint8_t[]> bytes;
    uint32_t len = 0;
    bool discard = false;
  };
  static uint64_t rec_bytes(uint64_t len) { return (len + 8 + 7) & ~7ULL; }
  std::deque<Record> records_;
  uint64_t prod_pos_ = 0, cons_pos_ = 0;
  bool busy_ = false;
  uint64_t peeked_ = 0;  // the mapped region of the record peek() returned, 0 if none
};

// BPF_MAP_TYPE_PERF_EVENT_ARRAY: one slot per index for perf event fds that user space installs
// (libbpf sizes it to the number of CPUs when max_entries is 0). scxsim has no perf events and
// its stand-in for user space installs none, so every slot is empty and the perf helpers return
// what the kernel's return for an empty slot. Programs may only use it through those helpers.
class PerfEventArrayMap : public Map {
 public:
  PerfEventArrayMap(MapSpec spec, std::shared_ptr<MapEnv> env) : Map(std::move(spec), std::move(env)) {}
  void* lookup(const void*) override { return nullptr; }
  long update(const void*, const void*, uint64_t) override { return -95; }  // -EOPNOTSUPP
  long remove(const void*) override { return -95; }
  long get_next_key(const void* key, void* next) override;
  void* lookup_cpu(const void*, uint32_t) override { return nullptr; }
  size_t size() const override { return 0; }
  void for_each(const std::function<bool(const void*, void*)>&) override {}

  // The slot check of get_map_perf_counter / __bpf_perf_event_output (kernel/trace/bpf_trace.c):
  // flags beyond BPF_F_INDEX_MASK -> -EINVAL; index BPF_F_CURRENT_CPU -> `cpu`; an index past
  // max_entries -> -E2BIG; an empty slot -> -ENOENT (always, here).
  long event_slot(uint64_t flags, uint32_t cpu) const;
};

class LocalStorageMap : public Map {
 public:
  using Map::Map;
  LocalStorageMap(MapSpec spec, std::shared_ptr<MapEnv> env);
  ~LocalStorageMap() override;
  // Program-side map ops are not allowed on local storage (-EOPNOTSUPP / NULL), as in the kernel.
  void* lookup(const void*) override { return nullptr; }
  long update(const void*, const void*, uint64_t) override;
  long remove(const void*) override;
  long get_next_key(const void*, void*) override;
  void* lookup_cpu(const void* key, uint32_t cpu) override;
  size_t size() const override { return owners_.size(); }
  void for_each(const std::function<bool(const void*, void*)>& fn) override;
  void detach() override;
  bool locate(uint64_t addr, std::vector<uint8_t>* key, uint64_t* value_base) override;

  // bpf_{task,cgrp}_storage_get: the owner's value; with F_CREATE, created (from init or
  // zeroed) when absent. nullptr when absent (or full).
  void* get(uint64_t owner, const void* init, uint64_t flags);
  long erase(uint64_t owner);  // bpf_*_storage_delete and the host's "object freed"

 private:
  struct Elem {
    uint64_t owner;
    std::unique_ptr<uint8_t[]> value;
  };
  std::list<Elem> elems_;  // insertion order
  std::unordered_map<uint64_t, std::list<Elem>::iterator> owners_;
};

class MapOfMaps : public Map {
 public:
  MapOfMaps(MapSpec spec, std::shared_ptr<MapEnv> env);
  void* lookup(const void* key) override;
  long update(const void* key, const void* value, uint64_t flags) override;
  long remove(const void* key) override;
  long get_next_key(const void* key, void* next_key) override;
  void* lookup_cpu(const void* key, uint32_t) override { return lookup(key); }
  size_t size() const override;
  void for_each(const std::function<bool(const void*, void*)>& fn) override;
  // Host side: installs an inner map (checked as compatible() does).
  Status set(const void* key, std::shared_ptr<Map> inner);
  // Host side, what user space does with bpf_map_create() and bpf_map_update_elem() of the new
  // map's fd: a new map of `spec` (the map env of this one) stored under `key`.
  Status create_inner(const void* key, const MapSpec& spec);
  // The kernel's map-in-map check (bpf_map_meta_equal, array_map_meta_equal) of a map to store
  // against spec().inner, the template from the object's __array(values, ...): "" when it may
  // be stored, else what differs.
  std::string incompatibility(const MapSpec& s) const;
  // The inner maps' values leave the address space with this map's.
  void detach() override;

 private:
  bool is_array() const { return spec_.type == kMapArrayOfMaps; }
  std::vector<std::shared_ptr<Map>> array_;
  std::list<std::pair<std::string, std::shared_ptr<Map>>> hash_;  // insertion order
};

}  // namespace scx::bpf
