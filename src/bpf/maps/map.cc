#include "bpf/maps/map.h"

#include "bpf/maps/arena.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_set>

#include <fmt/format.h>

namespace scx::bpf {
namespace {

// Live maps: programs hold Map* values, which helpers check here before use.
std::mutex g_maps_mu;
std::unordered_set<uint64_t>& live_maps() {
  static auto* s = new std::unordered_set<uint64_t>;
  return *s;
}
std::unordered_map<uint64_t, RingbufMap*>& live_reservations() {
  static auto* m = new std::unordered_map<uint64_t, RingbufMap*>;
  return *m;
}

size_t align8(size_t n) { return (n + 7) & ~size_t{7}; }
bool is_percpu(uint32_t t) {
  return t == kMapPercpuArray || t == kMapPercpuHash || t == kMapLruPercpuHash;
}
std::string key_string(const void* key, size_t n) {
  return std::string(static_cast<const char*>(key), n);
}

// ---------------------------------------------------------------------------------------------
// Element slab: stable storage for key + per-CPU values, recycled LIFO (deterministic).
class Slab {
 public:
  Slab(size_t key_size, size_t value_size, uint32_t ncpu)
      : key_bytes_(align8(key_size)), value_stride_(align8(value_size)), ncpu_(ncpu) {
    slot_bytes_ = key_bytes_ + value_stride_ * ncpu_;
    if (slot_bytes_ == 0) slot_bytes_ = 8;
  }
  uint32_t alloc() {
    if (!free_.empty()) {
      uint32_t s = free_.back();
      free_.pop_back();
      return s;
    }
    if (next_ % kPerChunk == 0) chunks_.push_back(std::make_unique<uint8_t[]>(kPerChunk * slot_bytes_));
    return next_++;
  }
  void release(uint32_t s) { free_.push_back(s); }
  uint8_t* key(uint32_t s) { return chunks_[s / kPerChunk].get() + (s % kPerChunk) * slot_bytes_; }
  uint8_t* value(uint32_t s, uint32_t cpu) { return key(s) + key_bytes_ + value_stride_ * cpu; }
  size_t value_stride() const { return value_stride_; }

 private:
  static constexpr uint32_t kPerChunk = 64;
  size_t key_bytes_, value_stride_, slot_bytes_;
  uint32_t ncpu_;
  uint32_t next_ = 0;
  std::vector<std::unique_ptr<uint8_t[]>> chunks_;
  std::vector<uint32_t> free_;
};

// ---------------------------------------------------------------------------------------------
class ArrayMap : public Map {
 public:
  ArrayMap(MapSpec spec, std::shared_ptr<MapEnv> env) : Map(std::move(spec), std::move(env)) {
    ncpu_ = is_percpu(spec_.type) ? env_->nr_cpus : 1;
    stride_ = align8(spec_.value_size);
    // calloc: a large array (a 165 MB .bss) is zero pages the host backs on first touch.
    data_.reset(static_cast<uint8_t*>(std::calloc(stride_ * ncpu_ * spec_.max_entries, 1)));
  }
  bool allocated() const { return data_ != nullptr; }
  ~ArrayMap() override {
    detach();
    // Only values a program or the host ever reached can hold kptrs or graph roots: a 2 GiB
    // array that was never touched is released without walking its 2^28 values.
    if (spec_.owned_fields)
      for (uint32_t i = touched_lo_; i <= touched_hi_ && i < spec_.max_entries; ++i)
        for (uint32_t c = 0; c < ncpu_; ++c) release_fields(at(i, c));
  }

  uint8_t* at(uint32_t idx, uint32_t cpu) { return data_.get() + (size_t{idx} * ncpu_ + cpu) * stride_; }
  // at() for a value handed out (to a program, a helper or the host): it may now be written.
  uint8_t* touch(uint32_t idx, uint32_t cpu) {
    touched_lo_ = std::min(touched_lo_, idx);
    touched_hi_ = std::max(touched_hi_, idx);
    return at(idx, cpu);
  }
  uint32_t cpu() const { return ncpu_ == 1 ? 0 : env_->cpu(); }

  void* lookup(const void* key) override {
    uint32_t idx;
    std::memcpy(&idx, key, 4);
    if (idx >= spec_.max_entries) return nullptr;
    uint8_t* p = touch(idx, cpu());
    map_region(p, spec_.value_size, "value");
    return p;
  }
  void* lookup_percpu(const void* key, uint32_t c) override {
    uint32_t idx;
    std::memcpy(&idx, key, 4);
    if (!is_percpu(spec_.type) || c >= ncpu_ || idx >= spec_.max_entries) return nullptr;
    uint8_t* p = touch(idx, c);
    map_region(p, spec_.value_size, "value");
    return p;
  }
  long update(const void* key, const void* value, uint64_t flags) override {
    // array_map_update_elem's order: flags, index, NOEXIST, then BPF_F_LOCK without a lock.
    if ((flags & ~(kBpfFLock | 3)) || (flags & 3) == 3) return -EINVAL;
    uint32_t idx;
    std::memcpy(&idx, key, 4);
    if (idx >= spec_.max_entries) return -E2BIG;
    if ((flags & 3) == kBpfNoExist) return -EEXIST;
    if ((flags & kBpfFLock) && spec_.spin_lock_off < 0) return -EINVAL;
    copy_value(touch(idx, cpu()), value);
    release_fields(at(idx, cpu()));  // as array_map_update_elem: the old kptrs/lists go
    return 0;
  }
  long remove(const void*) override { return -EINVAL; }
  long get_next_key(const void* key, void* next) override { return array_next_key(key, next, spec_.max_entries); }
  void* lookup_cpu(const void* key, uint32_t c) override {
    uint32_t idx;
    std::memcpy(&idx, key, 4);
    if (idx >= spec_.max_entries) return nullptr;
    return touch(idx, c < ncpu_ ? c : 0);
  }
  size_t size() const override { return spec_.max_entries; }
  void for_each(const std::function<bool(const void*, void*)>& fn) override {
    for (uint32_t i = 0; i < spec_.max_entries; ++i) {
      uint8_t* p = touch(i, cpu());
      map_region(p, spec_.value_size, "value");
      if (!fn(&i, p)) return;
    }
  }
  void attach(AddressSpace* memory) override {
    Map::attach(memory);
    if (spec_.eager_regions)
      for (uint32_t i = 0; i < spec_.max_entries; ++i)
        for (uint32_t c = 0; c < ncpu_; ++c) map_region(touch(i, c), spec_.value_size, "value");
  }
  bool locate(uint64_t addr, std::vector<uint8_t>* key, uint64_t* base) override {
    uint64_t lo = reinterpret_cast<uint64_t>(data_.get());
    uint64_t total = stride_ * ncpu_ * spec_.max_entries;
    if (addr < lo || addr >= lo + total) return false;
    uint64_t slot = (addr - lo) / stride_;
    uint32_t idx = static_cast<uint32_t>(slot / ncpu_);
    key->resize(4);
    std::memcpy(key->data(), &idx, 4);
    *base = lo + slot * stride_;
    return true;
  }

 private:
  uint32_t ncpu_ = 1;
  size_t stride_ = 8;
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> data_;
  uint32_t touched_lo_ = UINT32_MAX, touched_hi_ = 0;  // empty while lo > hi
};

// ---------------------------------------------------------------------------------------------
class HashMap : public Map {
 public:
  HashMap(MapSpec spec, std::shared_ptr<MapEnv> env)
      : Map(std::move(spec), std::move(env)),
        ncpu_(is_percpu(spec_.type) ? env_->nr_cpus : 1),
        slab_(spec_.key_size, spec_.value_size, ncpu_),
        lru_(spec_.type == kMapLruHash || spec_.type == kMapLruPercpuHash) {}
  ~HashMap() override {
    detach();
    if (spec_.owned_fields)
      for (uint32_t s : order_)
        for (uint32_t c = 0; c < ncpu_; ++c) release_fields(slab_.value(s, c));
  }

  uint32_t cpu() const { return ncpu_ == 1 ? 0 : env_->cpu(); }

  void* lookup(const void* key) override {
    auto it = index_.find(key_string(key, spec_.key_size));
    if (it == index_.end()) return nullptr;
    touch(it->second);
    uint8_t* p = slab_.value(it->second.slot, cpu());
    map_region(p, spec_.value_size, "value");
    return p;
  }
  void* lookup_percpu(const void* key, uint32_t c) override {
    if (!is_percpu(spec_.type) || c >= ncpu_) return nullptr;
    auto it = index_.find(key_string(key, spec_.key_size));
    if (it == index_.end()) return nullptr;
    touch(it->second);  // htab_lru_percpu_map_lookup_percpu_elem sets the LRU reference
    uint8_t* p = slab_.value(it->second.slot, c);
    map_region(p, spec_.value_size, "value");
    return p;
  }
  long update(const void* key, const void* value, uint64_t flags) override {
    if ((flags & ~(kBpfFLock | 3)) || (flags & 3) == 3) return -EINVAL;
    // LRU and per-CPU hashes take no BPF_F_LOCK (their update paths reject flags > BPF_EXIST).
    if ((flags & kBpfFLock) && (lru_ || is_percpu(spec_.type))) return -EINVAL;
    if ((flags & kBpfFLock) && spec_.spin_lock_off < 0) return -EINVAL;
    std::string k = key_string(key, spec_.key_size);
    auto it = index_.find(k);
    if (it != index_.end()) {
      if ((flags & 3) == kBpfNoExist) return -EEXIST;
      touch(it->second);
      copy_value(slab_.value(it->second.slot, cpu()), value);
      // The kernel swaps in a new element and frees the old one's fields, except with
      // BPF_F_LOCK, which updates the element in place (copy_map_value_locked).
      if (!(flags & kBpfFLock)) release_fields(slab_.value(it->second.slot, cpu()));
      return 0;
    }
    if ((flags & 3) == kBpfExist) return -ENOENT;
    if (index_.size() >= spec_.max_entries) {
      if (!lru_) return -E2BIG;
      erase(key_string(slab_.key(recency_.front()), spec_.key_size));  // least recently used
    }
    uint32_t s = slab_.alloc();
    std::memcpy(slab_.key(s), key, spec_.key_size);
    for (uint32_t c = 0; c < ncpu_; ++c) std::memset(slab_.value(s, c), 0, slab_.value_stride());
    copy_value(slab_.value(s, cpu()), value);
    Entry e{s, order_.insert(order_.end(), s), {}};
    if (lru_) e.rec = recency_.insert(recency_.end(), s);
    index_.emplace(std::move(k), e);
    return 0;
  }
  long remove(const void* key) override {
    return erase(key_string(key, spec_.key_size)) ? 0 : -ENOENT;
  }
  long get_next_key(const void* key, void* next) override {
    if (order_.empty()) return -ENOENT;
    auto it = key ? index_.find(key_string(key, spec_.key_size)) : index_.end();
    uint32_t s;
    if (it == index_.end()) {
      s = order_.front();
    } else {
      auto o = std::next(it->second.ord);
      if (o == order_.end()) return -ENOENT;
      s = *o;
    }
    std::memcpy(next, slab_.key(s), spec_.key_size);
    return 0;
  }
  void* lookup_cpu(const void* key, uint32_t c) override {
    auto it = index_.find(key_string(key, spec_.key_size));
    if (it == index_.end()) return nullptr;
    return slab_.value(it->second.slot, c < ncpu_ ? c : 0);
  }
  size_t size() const override { return index_.size(); }
  void for_each(const std::function<bool(const void*, void*)>& fn) override {
    // Copy the order first: the callback may delete elements.
    std::vector<uint32_t> slots(order_.begin(), order_.end());
    for (uint32_t s : slots) {
      std::string k = key_string(slab_.key(s), spec_.key_size);
      if (!index_.count(k)) continue;
      uint8_t* p = slab_.value(s, cpu());
      map_region(p, spec_.value_size, "value");
      if (!fn(slab_.key(s), p)) return;
    }
  }
  bool locate(uint64_t addr, std::vector<uint8_t>* key, uint64_t* base) override {
    for (auto& [k, e] : index_) {
      for (uint32_t c = 0; c < ncpu_; ++c) {
        uint64_t v = reinterpret_cast<uint64_t>(slab_.value(e.slot, c));
        if (addr >= v && addr < v + spec_.value_size) {
          key->assign(k.begin(), k.end());
          *base = v;
          return true;
        }
      }
    }
    return false;
  }

 private:
  struct Entry {
    uint32_t slot;
    std::list<uint32_t>::iterator ord;
    std::list<uint32_t>::iterator rec;
  };
  void touch(Entry& e) {
    if (lru_) recency_.splice(recency_.end(), recency_, e.rec);
  }
  bool erase(const std::string& k) {
    auto it = index_.find(k);
    if (it == index_.end()) return false;
    Entry e = it->second;
    for (uint32_t c = 0; c < ncpu_; ++c) {
      unmap_region(slab_.value(e.slot, c));
      release_fields(slab_.value(e.slot, c));
      std::memset(slab_.value(e.slot, c), 0xdb, spec_.value_size);  // poison
    }
    order_.erase(e.ord);
    if (lru_) recency_.erase(e.rec);
    index_.erase(it);
    slab_.release(e.slot);
    return true;
  }

  uint32_t ncpu_;
  Slab slab_;
  bool lru_;
  std::unordered_map<std::string, Entry> index_;
  std::list<uint32_t> order_;    // insertion order
  std::list<uint32_t> recency_;  // LRU: least recently used first
};

// ---------------------------------------------------------------------------------------------
class QueueStackMap : public Map {
 public:
  QueueStackMap(MapSpec spec, std::shared_ptr<MapEnv> env) : Map(std::move(spec), std::move(env)) {}
  void* lookup(const void*) override { return nullptr; }
  long update(const void*, const void* value, uint64_t flags) override { return push(value, flags); }
  long remove(const void*) override { return -EINVAL; }
  long get_next_key(const void*, void*) override { return -EINVAL; }
  long push(const void* value, uint64_t flags) override {
    if (flags & ~kBpfExist) return -EINVAL;
    if (items_.size() >= spec_.max_entries) {
      if (!(flags & kBpfExist)) return -E2BIG;
      items_.pop_front();  // oldest goes (queue: the head; stack: the bottom)
    }
    const auto* p = static_cast<const uint8_t*>(value);
    items_.emplace_back(p, p + spec_.value_size);
    return 0;
  }
  long pop(void* value) override { return take(value, true); }
  long peek(void* value) override { return take(value, false); }
  void* lookup_cpu(const void*, uint32_t) override { return nullptr; }
  size_t size() const override { return items_.size(); }
  void for_each(const std::function<bool(const void*, void*)>&) override {}

 private:
  long take(void* value, bool remove) {
    if (items_.empty()) return -ENOENT;
    bool stack = spec_.type == kMapStack;
    auto& v = stack ? items_.back() : items_.front();
    std::memcpy(value, v.data(), v.size());
    if (remove) {
      if (stack) items_.pop_back();
      else items_.pop_front();
    }
    return 0;
  }
  std::deque<std::vector<uint8_t>> items_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
std::string map_type_name(uint32_t type) {
  switch (type) {
    case kMapHash: return "hash";
    case kMapArray: return "array";
    case kMapPercpuHash: return "percpu_hash";
    case kMapPercpuArray: return "percpu_array";
    case kMapLruHash: return "lru_hash";
    case kMapLruPercpuHash: return "lru_percpu_hash";
    case kMapArrayOfMaps: return "array_of_maps";
    case kMapHashOfMaps: return "hash_of_maps";
    case kMapQueue: return "queue";
    case kMapStack: return "stack";
    case kMapStructOps: return "struct_ops";
    case kMapRingbuf: return "ringbuf";
    case kMapTaskStorage: return "task_storage";
    case kMapCgrpStorage: return "cgrp_storage";
    case 3: return "prog_array";
    case 4: return "perf_event_array";
    case 7: return "stack_trace";
    case 11: return "lpm_trie";
    case 30: return "bloom_filter";
    case 31: return "user_ringbuf";
    case 33: return "arena";
    default: return fmt::format("type {}", type);
  }
}

bool map_type_supported(uint32_t type) {
  switch (type) {
    case kMapHash: case kMapArray: case kMapPercpuHash: case kMapPercpuArray: case kMapLruHash:
    case kMapLruPercpuHash: case kMapArrayOfMaps: case kMapHashOfMaps: case kMapQueue:
    case kMapStack: case kMapRingbuf: case kMapTaskStorage: case kMapCgrpStorage: case kMapArena:
    case kMapPerfEventArray: case kMapUserRingbuf:
      return true;
    default:
      return false;
  }
}

uint32_t map_type_by_name(std::string_view name) {
  for (uint32_t t = 1; t < 64; ++t)
    if (map_type_supported(t) && map_type_name(t) == name) return t;
  return 0;
}

Map::Map(MapSpec spec, std::shared_ptr<MapEnv> env) : spec_(std::move(spec)), env_(std::move(env)) {
  region_name_ = "map " + spec_.name;
  std::lock_guard<std::mutex> g(g_maps_mu);
  live_maps().insert(handle());
}

Map::~Map() {
  for (TimerOwner* o : std::vector<TimerOwner*>(timer_owners_)) o->forget_map(this);
  std::lock_guard<std::mutex> g(g_maps_mu);
  live_maps().erase(handle());
}

void Map::release_fields(void* value) const {
  if (spec_.timer_off >= 0 && !timer_owners_.empty()) {
    const uint64_t t = reinterpret_cast<uint64_t>(value) + static_cast<uint64_t>(spec_.timer_off);
    for (TimerOwner* o : std::vector<TimerOwner*>(timer_owners_)) o->free_timer(t);
  }
  if (spec_.owned_fields) spec_.owned_fields->release(value);
}

void Map::add_timer_owner(TimerOwner* owner) {
  if (std::find(timer_owners_.begin(), timer_owners_.end(), owner) == timer_owners_.end())
    timer_owners_.push_back(owner);
}

void Map::remove_timer_owner(TimerOwner* owner) { std::erase(timer_owners_, owner); }

Map* Map::from_handle(uint64_t h) {
  std::lock_guard<std::mutex> g(g_maps_mu);
  return live_maps().count(h) ? reinterpret_cast<Map*>(h) : nullptr;
}

void* Map::lookup_percpu(const void*, uint32_t) { return nullptr; }
long Map::push(const void*, uint64_t) { return -EINVAL; }
long Map::pop(void*) { return -EINVAL; }
long Map::peek(void*) { return -EINVAL; }
bool Map::locate(uint64_t, std::vector<uint8_t>*, uint64_t*) { return false; }

void Map::attach(AddressSpace* memory) {
  if (env_->memory && env_->memory != memory) detach();
  env_->memory = memory;
}

void Map::detach() {
  if (env_->memory)
    for (auto& [addr, size] : regions_) env_->memory->remove(addr);
  regions_.clear();
}

void Map::map_region(void* p, size_t size, const char*) {
  if (!env_->memory || size == 0) return;
  uint64_t a = reinterpret_cast<uint64_t>(p);
  if (regions_.count(a)) return;
  // The value layout (opaque graph fields, read-only kptrs) applies to whole values only.
  std::shared_ptr<const FieldLayout> layout =
      spec_.value_layout && spec_.value_layout->size() == size ? spec_.value_layout : nullptr;
  if (env_->memory->add(Region{a, size, static_cast<uint8_t>(spec_.read_only ? kPermRead : kPermReadWrite),
                              region_name_, std::move(layout)})
          .ok())
    regions_.emplace(a, size);
}

void Map::unmap_region(void* p) {
  uint64_t a = reinterpret_cast<uint64_t>(p);
  auto it = regions_.find(a);
  if (it == regions_.end()) return;
  if (env_->memory) env_->memory->remove(a);
  regions_.erase(it);
}

long Map::lookup_copy(const void* key, void* out, uint64_t flags) {
  if (flags & ~kBpfFLock) return -EINVAL;
  if ((flags & kBpfFLock) && spec_.spin_lock_off < 0) return -EINVAL;
  const uint32_t t = spec_.type;
  if (t == kMapQueue || t == kMapStack) return peek(out);
  if (t == kMapRingbuf || t == kMapUserRingbuf || t == kMapPerfEventArray || t == kMapArrayOfMaps ||
      t == kMapHashOfMaps || t == kMapStructOps)
    return -EOPNOTSUPP;
  const uint32_t ncpu = is_percpu(t) ? env_->nr_cpus : 1;
  const size_t stride = ncpu > 1 ? align8(spec_.value_size) : spec_.value_size;
  if (!lookup_cpu(key, 0)) return -ENOENT;
  for (uint32_t c = 0; c < ncpu; ++c) {
    auto* dst = static_cast<uint8_t*>(out) + c * stride;
    // Special fields stay zero in the copy (check_and_init_map_value). With BPF_F_LOCK the
    // kernel holds the value's lock while copying; nothing here can contend for it.
    std::memset(dst, 0, stride);
    copy_value(dst, lookup_cpu(key, c));
  }
  return 0;
}

void Map::copy_value(void* dst, const void* src, bool) const {
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  // Special fields keep their state: copy around them.
  if (spec_.special_fields.empty()) {
    struct Hole {
      int32_t off, size;
    };
    Hole holes[2] = {{spec_.spin_lock_off, 4}, {spec_.timer_off, 16}};
    if (holes[0].off > holes[1].off) std::swap(holes[0], holes[1]);
    size_t pos = 0;
    for (const Hole& h : holes) {
      if (h.off < 0) continue;
      size_t off = static_cast<size_t>(h.off);
      if (off > pos) std::memcpy(d + pos, s + pos, off - pos);
      pos = std::max(pos, off + static_cast<size_t>(h.size));
    }
    if (pos < spec_.value_size) std::memcpy(d + pos, s + pos, spec_.value_size - pos);
    return;
  }
  std::vector<std::pair<uint32_t, uint32_t>> holes = spec_.special_fields;
  if (spec_.spin_lock_off >= 0) holes.emplace_back(static_cast<uint32_t>(spec_.spin_lock_off), 4);
  if (spec_.timer_off >= 0) holes.emplace_back(static_cast<uint32_t>(spec_.timer_off), 16);
  std::sort(holes.begin(), holes.end());
  size_t pos = 0;
  for (const auto& [off, size] : holes) {
    if (off >= spec_.value_size) break;
    if (off > pos) std::memcpy(d + pos, s + pos, off - pos);
    pos = std::max<size_t>(pos, size_t{off} + size);
  }
  if (pos < spec_.value_size) std::memcpy(d + pos, s + pos, spec_.value_size - pos);
}

// event_maps.cc: perf_event_array and user_ringbuf.
Result<std::shared_ptr<Map>> create_event_map(const MapSpec& spec, std::shared_ptr<MapEnv> env);

long array_next_key(const void* key, void* next, uint32_t max_entries) {
  uint32_t idx = 0, n = 0;
  if (key) std::memcpy(&idx, key, 4);
  if (key && idx < max_entries) {  // a key past the end restarts at 0, as array_map_get_next_key
    if (idx + 1 >= max_entries) return -ENOENT;
    n = idx + 1;
  }
  std::memcpy(next, &n, 4);
  return 0;
}

Result<std::shared_ptr<Map>> Map::create(const MapSpec& spec, std::shared_ptr<MapEnv> env) {
  const std::string where = "map '" + spec.name + "'";
  if (!env) env = std::make_shared<MapEnv>();
  if (!map_type_supported(spec.type))
    return Status::Errorf(where, "map type {} is not supported", map_type_name(spec.type));
  auto need = [&](bool ok, const char* what) -> Status {
    return ok ? Status() : Status::Errorf(where, "{}: {}", map_type_name(spec.type), what);
  };
  const uint32_t t = spec.type;
  if (t != kMapRingbuf && t != kMapTaskStorage && t != kMapCgrpStorage && t != kMapPerfEventArray)
    SCX_RETURN_IF_ERROR(need(spec.max_entries > 0, "max_entries must be > 0"));
  if (t == kMapArena) return ArenaMap::create(spec, env);  // maps/arena.h
  // Arrays may hold large values (global data sections; array_map_alloc_check allows up to
  // INT_MAX); other maps keep a 1 MiB bound.
  const bool array = spec.type == kMapArray || spec.type == kMapPercpuArray;
  if (spec.value_size > (array ? (1u << 31) - 1 : (1u << 20)))
    return Status::Errorf(where, "value_size {} too large", spec.value_size);
  if (spec.key_size > 512) return Status::Error(where, "key_size too large (max 512)");
  // A bpf_spin_lock / bpf_timer only where map_check_btf allows one.
  if (spec.spin_lock_off >= 0 && t != kMapHash && t != kMapArray && t != kMapTaskStorage && t != kMapCgrpStorage)
    return Status::Errorf(where, "{}: a bpf_spin_lock in the value is not supported", map_type_name(t));
  if (spec.timer_off >= 0 && t != kMapHash && t != kMapLruHash && t != kMapArray)
    return Status::Errorf(where, "{}: a bpf_timer in the value is not supported", map_type_name(t));
  if (t == kMapPerfEventArray || t == kMapUserRingbuf) return create_event_map(spec, env);
  const uint64_t kMaxBytes = 1ULL << 31;
  switch (t) {
    case kMapArray:
    case kMapPercpuArray:
      SCX_RETURN_IF_ERROR(need(spec.key_size == 4, "key_size must be 4"));
      SCX_RETURN_IF_ERROR(need(spec.value_size > 0, "value_size must be > 0"));
      if (uint64_t{align8(spec.value_size)} * spec.max_entries *
              (t == kMapPercpuArray ? env->nr_cpus : 1) > kMaxBytes)
        return Status::Error(where, "array too large");
      {
        auto a = std::make_shared<ArrayMap>(spec, env);
        if (!a->allocated()) return Status::Error(where, "out of memory for the array's values");
        return std::shared_ptr<Map>(std::move(a));
      }
    case kMapHash:
    case kMapPercpuHash:
    case kMapLruHash:
    case kMapLruPercpuHash:
      SCX_RETURN_IF_ERROR(need(spec.key_size > 0 && spec.value_size > 0,
                               "key_size and value_size must be > 0"));
      return std::shared_ptr<Map>(new HashMap(spec, env));
    case kMapQueue:
    case kMapStack:
      SCX_RETURN_IF_ERROR(need(spec.key_size == 0 && spec.value_size > 0,
                               "key_size must be 0 and value_size > 0"));
      return std::shared_ptr<Map>(new QueueStackMap(spec, env));
    case kMapRingbuf:
      SCX_RETURN_IF_ERROR(need(spec.key_size == 0 && spec.value_size == 0,
                               "key_size and value_size must be 0"));
      SCX_RETURN_IF_ERROR(need(spec.max_entries >= 4096 && (spec.max_entries & (spec.max_entries - 1)) == 0,
                               "max_entries must be a power of 2 multiple of the page size"));
      return std::shared_ptr<Map>(new RingbufMap(spec, env));
    case kMapTaskStorage:
    case kMapCgrpStorage:
      SCX_RETURN_IF_ERROR(need(spec.key_size == 4 && spec.value_size > 0,
                               "key_size must be 4 (an fd) and value_size > 0"));
      SCX_RETURN_IF_ERROR(need((spec.map_flags & 1) != 0, "map_flags must have BPF_F_NO_PREALLOC"));
      return std::shared_ptr<Map>(new LocalStorageMap(spec, env));
    case kMapArrayOfMaps:
    case kMapHashOfMaps:
      SCX_RETURN_IF_ERROR(need(spec.inner != nullptr, "needs an inner map definition (__array(values, ...))"));
      SCX_RETURN_IF_ERROR(need(spec.key_size > 0, "key_size must be > 0"));
      if (t == kMapArrayOfMaps) SCX_RETURN_IF_ERROR(need(spec.key_size == 4, "key_size must be 4"));
      return std::shared_ptr<Map>(new MapOfMaps(spec, env));
    default:
      break;
  }
  return Status::Errorf(where, "map type {} is not supported", map_type_name(t));
}

// ---------------------------------------------------------------------------------------------
RingbufMap::~RingbufMap() { detach(); }

void RingbufMap::detach() {
  {
    std::lock_guard<std::mutex> g(g_maps_mu);
    for (auto& [a, buf] : outstanding_) live_reservations().erase(a);
  }
  outstanding_.clear();
  outstanding_size_.clear();
  Map::detach();
}

long RingbufMap::update(const void*, const void*, uint64_t) { return -ENOTSUP; }
long RingbufMap::remove(const void*) { return -ENOTSUP; }
long RingbufMap::get_next_key(const void*, void*) { return -ENOTSUP; }

void* RingbufMap::reserve(uint64_t size, uint64_t flags) {
  if (flags != 0 || size == 0 || size > spec_.max_entries) return nullptr;
  uint64_t need = rec_bytes(size);
  if (used_ + need > spec_.max_entries) {
    ++dropped_;
    return nullptr;
  }
  auto buf = std::make_unique<uint8_t[]>(size);
  std::memset(buf.get(), 0, size);
  uint64_t a = reinterpret_cast<uint64_t>(buf.get());
  map_region(buf.get(), size, "record");
  outstanding_.emplace(a, std::move(buf));
  outstanding_size_.emplace(a, size);
  used_ += need;
  prod_pos_ += need;
  std::lock_guard<std::mutex> g(g_maps_mu);
  live_reservations()[a] = this;
  return reinterpret_cast<void*>(a);
}

RingbufMap* RingbufMap::owner_of(uint64_t ptr) {
  std::lock_guard<std::mutex> g(g_maps_mu);
  auto it = live_reservations().find(ptr);
  return it == live_reservations().end() ? nullptr : it->second;
}

bool RingbufMap::submit(uint64_t ptr, bool discard) {
  auto it = outstanding_.find(ptr);
  if (it == outstanding_.end()) return false;
  uint64_t size = outstanding_size_[ptr];
  unmap_region(it->second.get());
  if (discard) {
    used_ -= rec_bytes(size);
  } else {
    submitted_.emplace_back(it->second.get(), it->second.get() + size);
  }
  outstanding_.erase(it);
  outstanding_size_.erase(ptr);
  std::lock_guard<std::mutex> g(g_maps_mu);
  live_reservations().erase(ptr);
  return true;
}

long RingbufMap::output(const void* data, uint64_t size, uint64_t flags) {
  if (flags & ~3ULL) return -EINVAL;
  if (size == 0 || size > spec_.max_entries) return -EINVAL;
  uint64_t need = rec_bytes(size);
  if (used_ + need > spec_.max_entries) {
    ++dropped_;
    return -EAGAIN;
  }
  used_ += need;
  prod_pos_ += need;
  const auto* p = static_cast<const uint8_t*>(data);
  submitted_.emplace_back(p, p + size);
  return 0;
}

uint64_t RingbufMap::query(uint64_t what) const {
  switch (what) {
    case 0: {  // BPF_RB_AVAIL_DATA
      uint64_t n = 0;
      for (auto& r : submitted_) n += rec_bytes(r.size());
      return n;
    }
    case 1: return spec_.max_entries;  // BPF_RB_RING_SIZE
    case 2: return cons_pos_;
    case 3: return prod_pos_;
    default: return 0;
  }
}

size_t RingbufMap::consume(const std::function<void(std::span<const uint8_t>)>& fn, size_t max) {
  size_t n = 0;
  while (n < max && !submitted_.empty()) {
    std::vector<uint8_t> rec = std::move(submitted_.front());
    submitted_.pop_front();
    used_ -= rec_bytes(rec.size());
    cons_pos_ += rec_bytes(rec.size());
    if (fn) fn(rec);
    ++n;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
LocalStorageMap::LocalStorageMap(MapSpec spec, std::shared_ptr<MapEnv> env)
    : Map(std::move(spec), std::move(env)) {}
LocalStorageMap::~LocalStorageMap() {
  detach();
  for (Elem& e : elems_) release_fields(e.value.get());
}

void LocalStorageMap::detach() { Map::detach(); }

long LocalStorageMap::update(const void*, const void*, uint64_t) { return -EOPNOTSUPP; }
long LocalStorageMap::remove(const void*) { return -EOPNOTSUPP; }
long LocalStorageMap::get_next_key(const void*, void*) { return -EOPNOTSUPP; }

void* LocalStorageMap::lookup_cpu(const void* key, uint32_t) {
  uint64_t owner;
  std::memcpy(&owner, key, 8);
  auto it = owners_.find(owner);
  return it == owners_.end() ? nullptr : it->second->value.get();
}

void LocalStorageMap::for_each(const std::function<bool(const void*, void*)>& fn) {
  for (auto& e : elems_) {
    map_region(e.value.get(), spec_.value_size, "storage");
    if (!fn(&e.owner, e.value.get())) return;
  }
}

void* LocalStorageMap::get(uint64_t owner, const void* init, uint64_t flags) {
  auto it = owners_.find(owner);
  if (it != owners_.end()) {
    map_region(it->second->value.get(), spec_.value_size, "storage");
    return it->second->value.get();
  }
  if (!(flags & kLocalStorageGetFCreate)) return nullptr;
  auto v = std::make_unique<uint8_t[]>(spec_.value_size);
  std::memset(v.get(), 0, spec_.value_size);
  if (init) copy_value(v.get(), init);
  elems_.push_back(Elem{owner, std::move(v)});
  owners_[owner] = std::prev(elems_.end());
  void* p = elems_.back().value.get();
  map_region(p, spec_.value_size, "storage");
  return p;
}

long LocalStorageMap::erase(uint64_t owner) {
  auto it = owners_.find(owner);
  if (it == owners_.end()) return -ENOENT;
  unmap_region(it->second->value.get());
  release_fields(it->second->value.get());
  elems_.erase(it->second);
  owners_.erase(it);
  return 0;
}

bool LocalStorageMap::locate(uint64_t addr, std::vector<uint8_t>* key, uint64_t* base) {
  for (auto& e : elems_) {
    uint64_t v = reinterpret_cast<uint64_t>(e.value.get());
    if (addr >= v && addr < v + spec_.value_size) {
      key->resize(8);
      std::memcpy(key->data(), &e.owner, 8);
      *base = v;
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
MapOfMaps::MapOfMaps(MapSpec spec, std::shared_ptr<MapEnv> env) : Map(std::move(spec), std::move(env)) {
  if (is_array()) array_.resize(spec_.max_entries);
}

void* MapOfMaps::lookup(const void* key) {
  if (is_array()) {
    uint32_t idx;
    std::memcpy(&idx, key, 4);
    if (idx >= array_.size() || !array_[idx]) return nullptr;
    return array_[idx].get();
  }
  std::string k = key_string(key, spec_.key_size);
  for (auto& [kk, m] : hash_)
    if (kk == k) return m.get();
  return nullptr;
}

long MapOfMaps::update(const void*, const void*, uint64_t) { return -EOPNOTSUPP; }

long MapOfMaps::remove(const void* key) {
  if (is_array()) return -EINVAL;
  std::string k = key_string(key, spec_.key_size);
  for (auto it = hash_.begin(); it != hash_.end(); ++it)
    if (it->first == k) {
      hash_.erase(it);
      return 0;
    }
  return -ENOENT;
}

long MapOfMaps::get_next_key(const void* key, void* next) {
  if (is_array()) return array_next_key(key, next, spec_.max_entries);
  if (hash_.empty()) return -ENOENT;
  auto it = hash_.begin();
  if (key) {
    std::string k = key_string(key, spec_.key_size);
    auto f = std::find_if(hash_.begin(), hash_.end(), [&](auto& e) { return e.first == k; });
    if (f != hash_.end()) {
      it = std::next(f);
      if (it == hash_.end()) return -ENOENT;
    }
  }
  std::memcpy(next, it->first.data(), spec_.key_size);
  return 0;
}

size_t MapOfMaps::size() const {
  if (!is_array()) return hash_.size();
  return static_cast<size_t>(std::count_if(array_.begin(), array_.end(), [](auto& m) { return m != nullptr; }));
}

void MapOfMaps::for_each(const std::function<bool(const void*, void*)>& fn) {
  if (is_array()) {
    for (uint32_t i = 0; i < array_.size(); ++i)
      if (array_[i] && !fn(&i, array_[i].get())) return;
    return;
  }
  for (auto& [k, m] : hash_)
    if (!fn(k.data(), m.get())) return;
}

std::string MapOfMaps::incompatibility(const MapSpec& s) const {
  const MapSpec& t = *spec_.inner;
  // Type, sizes and flags must be equal; an array's length too, unless the template allows any
  // (BPF_F_INNER_MAP). Other types' max_entries may differ.
  bool same = s.type == t.type && s.key_size == t.key_size && s.value_size == t.value_size &&
              s.map_flags == t.map_flags;
  const bool array = t.type == kMapArray || t.type == kMapPercpuArray;
  if (same && array && !(t.map_flags & kBpfFInnerMap)) same = s.max_entries == t.max_entries;
  if (same) return "";
  auto describe = [](const MapSpec& m) {
    return fmt::format("{}, key_size {}, value_size {}, max_entries {}, map_flags {:#x}", map_type_name(m.type),
                       m.key_size, m.value_size, m.max_entries, m.map_flags);
  };
  return fmt::format("{} does not match the inner map template ({})", describe(s), describe(t));
}

Status MapOfMaps::set(const void* key, std::shared_ptr<Map> inner) {
  const std::string where = "map '" + spec_.name + "'";
  if (inner) {
    const std::string why = incompatibility(inner->spec());
    if (!why.empty()) return Status::Errorf(where, "inner map '{}': {}", inner->name(), why);
  }
  if (is_array()) {
    uint32_t idx;
    std::memcpy(&idx, key, 4);
    if (idx >= array_.size()) return Status::Errorf(where, "index {} out of range", idx);
    array_[idx] = std::move(inner);
    return Status();
  }
  std::string k = key_string(key, spec_.key_size);
  for (auto it = hash_.begin(); it != hash_.end(); ++it)
    if (it->first == k) {
      if (inner) it->second = std::move(inner);
      else hash_.erase(it);
      return Status();
    }
  if (!inner) return Status();
  if (hash_.size() >= spec_.max_entries) return Status::Error(where, "full");
  hash_.emplace_back(std::move(k), std::move(inner));
  return Status();
}

Status MapOfMaps::create_inner(const void* key, const MapSpec& spec) {
  const std::string why = incompatibility(spec);
  if (!why.empty()) return Status::Errorf("map '" + spec_.name + "'", "inner map '{}': {}", spec.name, why);
  SCX_ASSIGN_OR_RETURN(std::shared_ptr<Map> inner, Map::create(spec, env_));
  return set(key, std::move(inner));
}

void MapOfMaps::detach() {
  for (auto& m : array_)
    if (m) m->detach();
  for (auto& [k, m] : hash_) m->detach();
  Map::detach();
}

}  // namespace scx::bpf
