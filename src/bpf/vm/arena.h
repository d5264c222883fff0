// The memory of a BPF arena (BPF_MAP_TYPE_ARENA), with the kernel's semantics
// (kernel/bpf/arena.c, the verifier's addr_space_cast / PROBE_MEM32 handling, the x86 JIT).
//
// Two views of one arena, as in the kernel:
//  * user addresses (address space 1, what `__arena` pointers hold and what programs store in
//    arena memory): user_vm_start + pgoff * 4096 + byte, a full 64-bit value;
//  * kernel addresses (address space 0): only the low 32 bits of the user address. The kernel
//    maps page pgoff at kern_vm_start + (u32)(user_vm_start + pgoff * 4096), and its JIT turns
//    every load/store through an arena pointer into PROBE_MEM32: kern_vm_start + r + off, where
//    the verifier keeps r a 32-bit value and off is the instruction's s16 offset.
//
// How the VM recognises arena accesses (there is no verifier to tell it which registers hold
// arena pointers): in a program bound to an arena (Program::set_arena), every load, store or
// atomic whose effective address lies in the window [-32 KiB, 4 GiB + 32 KiB) — a 32-bit value
// plus an s16 offset, exactly the kernel's kern_vm area with its guard halves — is an arena
// access. Host objects live far above 4 GiB (PIE binary, heap and mmap), and a verified kernel
// program can only form such small addresses as arena pointers; a plain NULL dereference in a
// program with an arena therefore reads the arena, where the kernel would have rejected the
// program instead. Accesses to a page that is not allocated (or outside the arena, in the
// guard) do not fault, as the JIT's exception table makes them: a load gives 0, a store or an
// atomic is dropped and leaves every register unchanged. Each such access is counted
// (probe_misses(); the kernel reports them to the program's stderr stream).
//
// Pages are host allocations made on demand (bpf_arena_alloc_pages, or the host writing the
// arena's globals as user space's first touch would); free ranges are kept in a model of the
// kernel's range_tree, so allocation without an address hint picks the same page the kernel
// would (best fit, see find_free()). Resident memory is capped (set_cap_bytes, default 1 GiB):
// an allocation past the cap fails with a one-line error in last_error(), which the kfunc turns
// into a program fault, because running out of the simulator's budget is not kernel behaviour.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "base/status.h"

namespace scx::bpf {

inline constexpr uint32_t kBpfFMmapable = 1U << 10;      // BPF_F_MMAPABLE
inline constexpr uint32_t kBpfFSegvOnFault = 1U << 14;   // BPF_F_SEGV_ON_FAULT
inline constexpr uint32_t kBpfFNoUserConv = 1U << 15;    // BPF_F_NO_USER_CONV

class Arena {
 public:
  static constexpr uint64_t kPageSize = 4096;
  static constexpr uint64_t kMaxBytes = 1ULL << 32;  // SZ_4G: at most 2^20 pages
  // Half of the kernel's GUARD_SZ: the reach of an s16 offset on either side of the 4 GiB.
  static constexpr uint64_t kGuardHalf = 1ULL << 15;
  // user_vm_start when the map leaves map_extra 0: the simulated "mmap base" below which the
  // arena is placed as arena_get_unmapped_area places user space's mmap (see pick_user_start).
  static constexpr uint64_t kSimMmapBase = 0x7f0000000000ULL;
  static constexpr uint64_t kDefaultCapBytes = 1ULL << 30;

  // Validates like arena_map_alloc (flags, map_extra alignment, size, no 32-bit crossing).
  static Result<std::unique_ptr<Arena>> create(std::string name, uint32_t pages, uint32_t flags,
                                               uint64_t map_extra);
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  const std::string& name() const { return name_; }
  uint64_t user_vm_start() const { return user_start_; }
  uint64_t user_vm_end() const { return user_start_ + bytes_; }
  uint64_t size_bytes() const { return bytes_; }
  uint32_t flags() const { return flags_; }

  // ---- addr_space_cast ----
  // as(1) -> as(0): the verifier rewrites it to a 32-bit move.
  static uint64_t cast_kern(uint64_t v) { return static_cast<uint32_t>(v); }
  // as(0) -> as(1): the JIT keeps the low 32 bits, takes the upper ones from user_vm_start, and
  // keeps 0 as 0. With BPF_F_NO_USER_CONV the verifier makes it a 32-bit move too.
  uint64_t cast_user(uint64_t v) const {
    const uint64_t lo = static_cast<uint32_t>(v);
    if ((flags_ & kBpfFNoUserConv) || lo == 0) return lo;
    return (user_start_ & ~0xffffffffULL) | lo;
  }

  // ---- program accesses (kernel addresses: a 32-bit value plus an s16 offset) ----
  static bool in_window(uint64_t a) { return a + kGuardHalf < kMaxBytes + 2 * kGuardHalf; }
  // Host bytes of [a, a+size) when they lie in one allocated page, else nullptr.
  uint8_t* page_ptr(uint64_t a, uint64_t size) const {
    const uint64_t rel = a - lo32_start_;
    if (rel >= bytes_ || ((rel & (kPageSize - 1)) + size) > kPageSize) return nullptr;
    uint8_t* p = page(rel / kPageSize);
    return p ? p + (rel & (kPageSize - 1)) : nullptr;
  }
  // Probe semantics: false (and a counted miss) when a byte is not in an allocated page;
  // `out` is then zeroed. Both handle accesses that span two pages.
  bool load(uint64_t a, void* out, uint64_t size);
  bool store(uint64_t a, const void* in, uint64_t size);
  // An aligned atomic's host bytes, or nullptr (a counted miss) when the page is not there.
  uint8_t* atomic_ptr(uint64_t a, uint64_t size) {
    uint8_t* h = page_ptr(a, size);
    if (!h) ++probe_misses_;
    return h;
  }
  uint64_t probe_misses() const { return probe_misses_; }

  // ---- kfuncs (arguments are user addresses; only their low 32 bits count, as in the kernel) ----
  // bpf_arena_alloc_pages: the user address of the first page, or 0.
  uint64_t alloc_pages(uint64_t uaddr, uint64_t page_cnt);
  void free_pages(uint64_t uaddr, uint64_t page_cnt);
  // bpf_arena_reserve_pages: 0, -EINVAL, -EBUSY (or 0 for a misaligned address, as the kernel).
  int reserve_pages(uint64_t uaddr, uint64_t page_cnt);

  // ---- host (user space) side ----
  // Copies bytes to arena offset `off` (from user_vm_start), allocating the touched pages as
  // user space's page faults would. Fails past the end or past the cap.
  Status user_write(uint64_t off, const void* data, uint64_t size);
  // Host pointer for a user or kernel address inside one allocated page, else nullptr.
  uint8_t* host_ptr(uint64_t addr, uint64_t size) const {
    return page_ptr(static_cast<uint32_t>(addr), size);
  }

  bool page_allocated(uint64_t pgoff) const { return page(pgoff) != nullptr; }
  uint64_t resident_pages() const { return resident_; }
  uint64_t cap_bytes() const { return cap_bytes_; }
  void set_cap_bytes(uint64_t cap) { cap_bytes_ = cap; }
  // Why the last allocation failed ("" when it did not): cap exceeded, range busy, ...
  const std::string& last_error() const { return last_error_; }
  bool cap_exceeded() const { return cap_exceeded_; }

 private:
  Arena(std::string name, uint64_t bytes, uint32_t flags, uint64_t user_start);
  static constexpr uint64_t kChunkPages = 1024;  // second level of the page table

  uint8_t* page(uint64_t pgoff) const {
    if (pgoff >= pages_) return nullptr;
    const auto& chunk = table_[pgoff / kChunkPages];
    return chunk ? chunk[pgoff % kChunkPages] : nullptr;
  }
  uint64_t pgoff_of(uint64_t uaddr) const {  // compute_pgoff
    return static_cast<uint32_t>(uaddr - static_cast<uint32_t>(user_start_)) / kPageSize;
  }
  bool map_pages(uint64_t pgoff, uint64_t count);  // host pages for [pgoff, +count)
  void unmap_page(uint64_t pgoff);
  bool copy_bytes(uint64_t a, uint8_t* buf, uint64_t size, bool to_arena);

  // The kernel's range_tree of free page ranges: by start, and by (size, insertion sequence)
  // for the best-fit search.
  struct Range {
    uint64_t last;  // inclusive
    uint64_t seq;
  };
  int64_t find_free(uint64_t len) const;
  bool range_free(uint64_t start, uint64_t len) const;  // is_range_tree_set
  void clear_range(uint64_t start, uint64_t len);      // range_tree_clear: mark allocated
  void set_range(uint64_t start, uint64_t len);        // range_tree_set: mark free
  void insert_range(uint64_t start, uint64_t last);
  void erase_range(std::map<uint64_t, Range>::iterator it);

  std::string name_;
  uint64_t bytes_;
  uint64_t pages_;
  uint32_t flags_;
  uint64_t user_start_;
  uint64_t lo32_start_;  // (u32)user_vm_start: kernel address of page 0
  std::vector<std::unique_ptr<uint8_t*[]>> table_;  // chunk -> page pointers
  std::map<uint64_t, Range> free_;                  // start -> range
  std::set<std::tuple<uint64_t, int64_t, uint64_t>> by_size_;  // (size, -seq, start)
  uint64_t seq_ = 0;
  uint64_t resident_ = 0;
  uint64_t cap_bytes_ = kDefaultCapBytes;
  uint64_t probe_misses_ = 0;
  std::string last_error_;
  bool cap_exceeded_ = false;
};

}  // namespace scx::bpf
