#include "bpf/vm/arena.h"

#include <algorithm>

#include <fmt/format.h>

namespace scx::bpf {

namespace {

constexpr int kEinval = 22, kEbusy = 16;

uint64_t clear_lo32(uint64_t v) { return v & ~0xffffffffULL; }

// arena_get_unmapped_area for mmap(NULL, len): a top-down placement below the (simulated) mmap
// base, moved up to the next 4 GiB boundary when it would cross one.
uint64_t pick_user_start(uint64_t len) {
  const uint64_t ret = Arena::kSimMmapBase - 2 * len;
  if ((ret >> 32) == ((ret + len - 1) >> 32)) return ret;
  return (ret + Arena::kMaxBytes - 1) & ~(Arena::kMaxBytes - 1);
}

}  // namespace

Result<std::unique_ptr<Arena>> Arena::create(std::string name, uint32_t pages, uint32_t flags,
                                             uint64_t map_extra) {
  const std::string where = "arena '" + name + "'";
  if (pages == 0) return Status::Error(where, "max_entries (pages) must be > 0");
  if (!(flags & kBpfFMmapable)) return Status::Error(where, "map_flags must include BPF_F_MMAPABLE");
  if (flags & ~(kBpfFMmapable | kBpfFSegvOnFault | kBpfFNoUserConv))
    return Status::Errorf(where, "unsupported map_flags {:#x}", flags);
  if (map_extra & (kPageSize - 1))
    return Status::Errorf(where, "map_extra {:#x} (user_vm_start) is not page aligned", map_extra);
  const uint64_t bytes = uint64_t{pages} * kPageSize;
  if (bytes > kMaxBytes) return Status::Errorf(where, "{} pages exceed 4 GiB", pages);
  if ((map_extra >> 32) != ((map_extra + bytes - 1) >> 32))
    return Status::Errorf(where, "[{:#x}, +{:#x}) crosses a 4 GiB boundary", map_extra, bytes);
  const uint64_t start = map_extra ? map_extra : pick_user_start(bytes);
  return std::unique_ptr<Arena>(new Arena(std::move(name), bytes, flags, start));
}

Arena::Arena(std::string name, uint64_t bytes, uint32_t flags, uint64_t user_start)
    : name_(std::move(name)),
      bytes_(bytes),
      pages_(bytes / kPageSize),
      flags_(flags),
      user_start_(user_start),
      lo32_start_(static_cast<uint32_t>(user_start)),
      table_((pages_ + kChunkPages - 1) / kChunkPages) {
  insert_range(0, pages_ - 1);  // range_tree_set(&rt, 0, max_entries)
}

Arena::~Arena() {
  for (uint64_t pg = 0; pg < pages_ && resident_ > 0; pg += kChunkPages)
    if (table_[pg / kChunkPages])
      for (uint64_t i = pg; i < std::min(pg + kChunkPages, pages_); ++i) unmap_page(i);
}

// ---- program accesses ----

bool Arena::copy_bytes(uint64_t a, uint8_t* buf, uint64_t size, bool to_arena) {
  // Check every page first: a faulting access has no effect at all.
  for (uint64_t done = 0; done < size;) {
    const uint64_t n = std::min(size - done, kPageSize - ((a + done) & (kPageSize - 1)));
    if (!page_ptr(a + done, n)) return false;
    done += n;
  }
  for (uint64_t done = 0; done < size;) {
    const uint64_t n = std::min(size - done, kPageSize - ((a + done) & (kPageSize - 1)));
    uint8_t* p = page_ptr(a + done, n);
    to_arena ? std::memcpy(p, buf + done, n) : std::memcpy(buf + done, p, n);
    done += n;
  }
  return true;
}

bool Arena::load(uint64_t a, void* out, uint64_t size) {
  if (copy_bytes(a, static_cast<uint8_t*>(out), size, false)) return true;
  std::memset(out, 0, size);
  ++probe_misses_;
  return false;
}

bool Arena::store(uint64_t a, const void* in, uint64_t size) {
  uint8_t buf[16];
  if (size > sizeof buf) return false;
  std::memcpy(buf, in, size);
  if (copy_bytes(a, buf, size, true)) return true;
  ++probe_misses_;
  return false;
}

// ---- pages ----

bool Arena::map_pages(uint64_t pgoff, uint64_t count) {
  if ((resident_ + count) * kPageSize > cap_bytes_) {
    cap_exceeded_ = true;
    const std::string cap = cap_bytes_ % (1 << 20) ? fmt::format("{} KiB", cap_bytes_ >> 10)
                                                    : fmt::format("{} MiB", cap_bytes_ >> 20);
    last_error_ = fmt::format(
        "arena '{}': allocating {} page(s) would exceed the simulator's arena memory cap of {} "
        "({} pages resident)",
        name_, count, cap, resident_);
    return false;
  }
  for (uint64_t pg = pgoff; pg < pgoff + count; ++pg) {
    auto& chunk = table_[pg / kChunkPages];
    if (!chunk) chunk = std::make_unique<uint8_t*[]>(kChunkPages);  // value-initialised: nulls
    uint8_t*& slot = chunk[pg % kChunkPages];
    if (slot) continue;
    slot = new uint8_t[kPageSize]();  // zeroed, as __GFP_ZERO
    ++resident_;
  }
  return true;
}

void Arena::unmap_page(uint64_t pgoff) {
  auto& chunk = table_[pgoff / kChunkPages];
  if (!chunk || !chunk[pgoff % kChunkPages]) return;
  delete[] chunk[pgoff % kChunkPages];
  chunk[pgoff % kChunkPages] = nullptr;
  --resident_;
}

// ---- kfuncs ----

uint64_t Arena::alloc_pages(uint64_t uaddr, uint64_t page_cnt) {
  last_error_.clear();
  if (page_cnt == 0 || page_cnt > pages_) return 0;
  uint64_t pgoff = 0;
  if (uaddr) {
    if (uaddr & (kPageSize - 1)) return 0;
    pgoff = pgoff_of(uaddr);
    if (pgoff > pages_ - page_cnt) return 0;  // would end outside the user VMA
    if (!range_free(pgoff, page_cnt)) return 0;
  } else {
    const int64_t found = find_free(page_cnt);
    if (found < 0) return 0;
    pgoff = static_cast<uint64_t>(found);
  }
  clear_range(pgoff, page_cnt);
  if (!map_pages(pgoff, page_cnt)) {
    set_range(pgoff, page_cnt);  // as the kernel's error path
    return 0;
  }
  return clear_lo32(user_start_) + static_cast<uint32_t>(user_start_ + pgoff * kPageSize);
}

void Arena::free_pages(uint64_t uaddr, uint64_t page_cnt) {
  const uint64_t lo = static_cast<uint32_t>(uaddr) & ~(kPageSize - 1);
  const uint64_t full = clear_lo32(user_start_) + lo;
  const uint64_t end = std::min(user_vm_end(), full + page_cnt * kPageSize);
  // The kernel does not check full >= user_vm_start: an address below the arena would give a
  // wrapped page offset; nothing of the arena is there to free, so do nothing.
  if (full >= end || full < user_start_) return;
  const uint64_t count = (end - full) / kPageSize;
  const uint64_t pgoff = pgoff_of(lo);
  set_range(pgoff, count);
  for (uint64_t pg = pgoff; pg < pgoff + count; ++pg) unmap_page(pg);
}

int Arena::reserve_pages(uint64_t uaddr, uint64_t page_cnt) {
  if (uaddr & (kPageSize - 1)) return 0;
  const uint64_t pgoff = pgoff_of(uaddr);
  if (pgoff + page_cnt > pages_) return -kEinval;
  if (!range_free(pgoff, page_cnt)) return -kEbusy;  // cannot reserve allocated pages
  clear_range(pgoff, page_cnt);
  return 0;
}

Status Arena::user_write(uint64_t off, const void* data, uint64_t size) {
  if (size == 0) return Status();
  if (off > bytes_ || size > bytes_ - off)
    return Status::Errorf("arena '" + name_ + "'", "write of {} bytes at offset {:#x} is past the end",
                          size, off);
  // arena_vm_fault for each untouched page: take it out of the free ranges and back it.
  for (uint64_t pg = off / kPageSize; pg <= (off + size - 1) / kPageSize; ++pg) {
    if (page(pg)) continue;
    if (flags_ & kBpfFSegvOnFault)
      return Status::Errorf("arena '" + name_ + "'",
                            "user space touched page {} of a BPF_F_SEGV_ON_FAULT arena", pg);
    clear_range(pg, 1);
    if (!map_pages(pg, 1)) {
      set_range(pg, 1);
      return Status::Error("arena '" + name_ + "'", last_error_);
    }
  }
  const uint64_t a = lo32_start_ + off;
  if (!copy_bytes(a, static_cast<uint8_t*>(const_cast<void*>(data)), size, true))
    return Status::Error("arena '" + name_ + "'", "internal: pages missing after fault-in");
  return Status();
}

// ---- the range tree ----

void Arena::insert_range(uint64_t start, uint64_t last) {
  const uint64_t seq = ++seq_;
  free_[start] = Range{last, seq};
  by_size_.insert({last - start + 1, -static_cast<int64_t>(seq), start});
}

void Arena::erase_range(std::map<uint64_t, Range>::iterator it) {
  by_size_.erase({it->second.last - it->first + 1, -static_cast<int64_t>(it->second.seq), it->first});
  free_.erase(it);
}

// range_tree_find: the kernel's size-ordered tree keeps larger ranges first and equal sizes in
// insertion order, and the search settles on the last node that still fits: the smallest
// range of at least `len` pages, the most recently (re)inserted among equals.
int64_t Arena::find_free(uint64_t len) const {
  auto it = by_size_.lower_bound({len, INT64_MIN, 0});
  return it == by_size_.end() ? -1 : static_cast<int64_t>(std::get<2>(*it));
}

bool Arena::range_free(uint64_t start, uint64_t len) const {
  auto it = free_.upper_bound(start);
  if (it == free_.begin()) return false;
  --it;
  return it->second.last >= start + len - 1;
}

void Arena::clear_range(uint64_t start, uint64_t len) {
  const uint64_t last = start + len - 1;
  for (;;) {
    // The lowest free range overlapping [start, last].
    auto it = free_.upper_bound(start);
    if (it != free_.begin() && std::prev(it)->second.last >= start) --it;
    if (it == free_.end() || it->first > last) return;
    const uint64_t rs = it->first, rl = it->second.last;
    erase_range(it);
    if (rs < start && rl > last) {  // covers the whole cleared range: split
      insert_range(rs, start - 1);
      insert_range(last + 1, rl);
    } else if (rs < start) {
      insert_range(rs, start - 1);
    } else if (rl > last) {
      insert_range(last + 1, rl);
      return;
    }
  }
}

void Arena::set_range(uint64_t start, uint64_t len) {
  const uint64_t last = start + len - 1;
  if (range_free(start, len)) return;
  clear_range(start, len);
  auto left = start > 0 ? free_.upper_bound(start - 1) : free_.begin();
  bool has_left = start > 0 && left != free_.begin() && std::prev(left)->second.last == start - 1;
  uint64_t new_start = start, new_last = last;
  if (has_left) {
    auto l = std::prev(left);
    new_start = l->first;
    erase_range(l);
  }
  if (auto r = free_.find(last + 1); r != free_.end()) {
    new_last = r->second.last;
    erase_range(r);
  }
  insert_range(new_start, new_last);
}

}  // namespace scx::bpf
