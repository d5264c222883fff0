// The address space BPF programs see. Programs use real host addresses, so a pointer to a C++
// object's embedded kernel struct is dereferenced directly; but every access must fall inside a
// registered region and be permitted for every byte it touches. Typed kernel objects can carry
// a per-byte FieldLayout (e.g. task_struct: most fields readable, a few writable).
//
// What users read never shows a host address (it would change with the host's allocator):
// every region also has a simulated address, given in the order regions are added (so the
// same run gives the same ones), and messages and bpf_printk output show that (shown()).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace scx::bpf {

enum Perm : uint8_t { kPermNone = 0, kPermRead = 1, kPermWrite = 2, kPermReadWrite = 3 };

// Which bytes of a struct a program may read/write, with field names for fault messages.
// Shared (via shared_ptr) by every region holding an object of that type.
class FieldLayout {
 public:
  // All bytes start inaccessible; allow() opens fields.
  FieldLayout(std::string type_name, size_t size);

  FieldLayout& allow(size_t offset, size_t size, uint8_t perms, std::string field_name = {});

  const std::string& type_name() const { return type_name_; }
  size_t size() const { return perms_.size(); }
  uint8_t perms_at(size_t offset) const { return offset < perms_.size() ? perms_[offset] : 0; }
  // True when every byte of [offset, offset+size) has all `need` bits.
  bool allows(size_t offset, size_t size, uint8_t need) const {
    if (offset + size > perms_.size()) return false;
    return bytes_allow(perms_.data() + offset, size, need);
  }
  // The per-byte permissions (size() of them), for AddressSpace's cache.
  const uint8_t* byte_perms() const { return perms_.data(); }
  // True when each of the `size` permission bytes from `perms` has all `need` bits.
  static bool bytes_allow(const uint8_t* perms, size_t size, uint8_t need) {
    for (size_t i = 0; i < size; ++i)
      if ((perms[i] & need) != need) return false;
    return true;
  }
  // Name given to the last allow() covering `offset`, or "".
  std::string field_at(size_t offset) const;

 private:
  struct Field {
    size_t offset, size;
    std::string name;
  };
  std::string type_name_;
  std::vector<uint8_t> perms_;
  std::vector<Field> fields_;
};

struct Region {
  uint64_t base = 0;
  uint64_t size = 0;
  uint8_t perms = kPermRead;
  std::string name;  // for fault messages; defaults to the layout's type name
  std::shared_ptr<const FieldLayout> layout;  // optional; byte perms = perms & layout perms
  uint64_t sim_base = 0;  // its simulated address, set by AddressSpace::add()
};

class AddressSpace {
 public:
  AddressSpace() = default;
  // Not copyable: resized_ points into regions_.
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;

  // Addresses below this are "null pointer" faults whatever is mapped (cf. mmap_min_addr).
  static constexpr uint64_t kLowAddressLimit = 0x10000;

  // O(log n). Fails on an empty, wrapping, low or overlapping region.
  Status add(Region region);
  Status add(const void* p, size_t size, uint8_t perms, std::string name,
             std::shared_ptr<const FieldLayout> layout = nullptr) {
    return add(Region{reinterpret_cast<uint64_t>(p), size, perms, std::move(name),
                      std::move(layout)});
  }
  // Removes the region starting exactly at base; false when there is none.
  bool remove(uint64_t base);
  bool remove(const void* p) { return remove(reinterpret_cast<uint64_t>(p)); }
  void clear();
  // Changes the size of the region starting at base (e.g. the per-call ctx buffer).
  Status resize(uint64_t base, uint64_t size);

  size_t num_regions() const { return regions_.size(); }
  // The region containing addr, or nullptr.
  const Region* find(uint64_t addr) const;

  // True when [addr, addr+size) lies in one region and every byte allows `need`.
  // Inline fast path on the cache slot of addr's block; the search is out of line.
  [[gnu::always_inline]] bool allowed(uint64_t addr, uint64_t size, uint8_t need) const {
    const CacheEntry& e = cache_[slot_of(addr)];
    const uint64_t off = addr - e.lo;
    if (off < e.len && size <= e.len - off) {
      if ((e.perms & need) != need) return false;
      return !e.byte_perms || FieldLayout::bytes_allow(e.byte_perms + off, size, need);
    }
    return allowed_slow(addr, size, need);
  }
  // Why allowed() said no, e.g. "task_struct+0x1c8 (scx.slice): field is read-only".
  std::string explain(uint64_t addr, uint64_t size, uint8_t need) const;
  // "name+0x10" for an address inside a region, else shown().
  std::string describe(uint64_t addr) const;

  // Simulated addresses: regions from kSimulatedBase up, in the order they were added, one
  // guard page apart and never reused; the VM's stack (set_stack) from kSimulatedStackBase.
  static constexpr uint64_t kSimulatedBase = 0xffff888000000000ULL;
  static constexpr uint64_t kSimulatedStackBase = 0xffffc90000000000ULL;
  void set_stack(uint64_t lo, uint64_t hi) { stack_lo_ = lo, stack_hi_ = hi; }
  // The simulated address of a host address in a region or the stack, else nullopt.
  std::optional<uint64_t> simulated(uint64_t addr) const;
  // An address (or any 64-bit value a program made) as users see it: the simulated address
  // when it is in a region or the stack; the value itself when it cannot be a host user-space
  // address (below 4 GiB, or at or above 2^47); else "<unmapped host address>".
  std::string shown(uint64_t addr) const;
  // `value` as bpf_printk prints a number: its simulated address when it points into a region
  // or the stack, else the value itself.
  uint64_t printed(uint64_t value) const { return simulated(value).value_or(value); }

 private:
  bool allowed_slow(uint64_t addr, uint64_t size, uint8_t need) const;

  using Regions = std::map<uint64_t, Region>;
  Regions regions_;  // by base; never overlapping
  // The same regions as a sorted flat array for find(): a binary search over contiguous
  // bounds, where a walk down the map's nodes missed the CPU cache at every level.
  struct Span {
    uint64_t lo, hi;  // [base, base + size)
    const Region* region;
  };
  std::vector<Span> spans_;
  std::vector<Span>::iterator span_at(uint64_t base);  // the span starting at base
  // The region resize() changed last: the ctx buffer, resized before most runs, is found
  // without a search. regions_.end() when none (remove() and clear() reset it).
  Regions::iterator resized_ = regions_.end();
  // Its index in spans_ when last resized; adds and removes shift indices, so it is checked
  // against the base before use (resized_span()).
  size_t resized_span_ = 0;
  size_t resized_span(uint64_t base);  // the index of the span starting at base
  uint64_t next_sim_ = kSimulatedBase;
  uint64_t stack_lo_ = 0, stack_hi_ = 0;

  // A direct-mapped cache of region lookups, a slot per 256-byte block (like a TLB with small
  // pages): the hundreds of task_structs a run touches in turn each keep their slot, where a
  // most-recently-used list of a few regions missed on nearly every op. Blocks, not 4 KiB
  // pages: a Task is about 1.3 KiB, so a page held parts of two or three task_structs
  // and the tasks of a ping-pong pair evicted each other's entry at every op. An entry is a
  // copy of a live region, filled in the slot of the accessed address's block; it answers for
  // any address inside that region.
  // The layout's byte permissions are held directly (a region is never larger than its layout),
  // sparing a load through the layout object at each access to a typed region.
  struct CacheEntry {
    uint64_t lo = 0, len = 0;
    uint8_t perms = 0;
    const uint8_t* byte_perms = nullptr;  // the layout's, or nullptr without one
  };
  static CacheEntry entry_of(const Region& r) {
    return CacheEntry{r.base, r.size, r.perms, r.layout ? r.layout->byte_perms() : nullptr};
  }
  // The slot is a Fibonacci hash of the block number, so that objects a fixed distance apart
  // (task_structs inside Tasks) spread over the slots rather than share a few.
  static constexpr int kCacheBlockShift = 8;
  static constexpr int kCacheSlotBits = 12;
  static constexpr uint64_t kCacheSlots = uint64_t{1} << kCacheSlotBits;
  static size_t slot_of(uint64_t addr) {
    return static_cast<size_t>(((addr >> kCacheBlockShift) * 0x9E3779B97F4A7C15ULL) >> (64 - kCacheSlotBits));
  }
  // Drops the entries of the region at base, which lie in the slots of its blocks.
  void forget_cached(uint64_t base, uint64_t size) const;
  void invalidate_cache() const {
    for (CacheEntry& e : cache_) e = CacheEntry{};
  }
  mutable CacheEntry cache_[kCacheSlots];  // mutable: lookups are logically const
};

}  // namespace scx::bpf
