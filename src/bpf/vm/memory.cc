#include "bpf/vm/memory.h"

#include <algorithm>

#include <fmt/format.h>

namespace scx::bpf {

FieldLayout::FieldLayout(std::string type_name, size_t size)
    : type_name_(std::move(type_name)), perms_(size, kPermNone) {}

FieldLayout& FieldLayout::allow(size_t offset, size_t size, uint8_t perms, std::string field_name) {
  if (offset < perms_.size())
    std::fill_n(perms_.begin() + static_cast<std::ptrdiff_t>(offset), std::min(size, perms_.size() - offset), perms);
  if (!field_name.empty()) fields_.push_back({offset, size, std::move(field_name)});
  return *this;
}

std::string FieldLayout::field_at(size_t offset) const {
  for (auto it = fields_.rbegin(); it != fields_.rend(); ++it)
    if (offset >= it->offset && offset < it->offset + it->size) return it->name;
  return {};
}

Status AddressSpace::add(Region r) {
  if (r.name.empty() && r.layout) r.name = r.layout->type_name();
  if (r.size == 0) return Status::Errorf("memory", "region '{}' is empty", r.name);
  if (r.base + r.size < r.base)
    return Status::Errorf("memory", "region '{}' wraps around the address space", r.name);
  if (r.base < kLowAddressLimit)
    return Status::Errorf("memory", "region '{}' at {:#x} is in the null page", r.name, r.base);
  if (r.layout && r.size > r.layout->size())
    return Status::Errorf("memory", "region '{}' is larger ({} bytes) than its layout '{}' ({})",
                          r.name, r.size, r.layout->type_name(), r.layout->size());
  auto next = regions_.lower_bound(r.base);
  if (next != regions_.end() && next->first < r.base + r.size)
    return Status::Errorf("memory", "region '{}' [{:#x}, +{:#x}) overlaps '{}'", r.name, r.base,
                          r.size, next->second.name);
  if (next != regions_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second.size > r.base)
      return Status::Errorf("memory", "region '{}' [{:#x}, +{:#x}) overlaps '{}'", r.name, r.base,
                            r.size, prev->second.name);
  }
  uint64_t base = r.base;
  constexpr uint64_t kPage = 0x1000;
  r.sim_base = next_sim_;
  next_sim_ += (r.size + kPage - 1) / kPage * kPage + kPage;  // a guard page between regions
  const Region& added = regions_.emplace_hint(next, base, std::move(r))->second;
  spans_.insert(span_at(base), Span{base, base + added.size, &added});
  return {};
}

bool AddressSpace::remove(uint64_t base) {
  auto it = regions_.find(base);
  if (it == regions_.end()) return false;
  forget_cached(base, it->second.size);  // its entries may point at the erased layout
  if (it == resized_) resized_ = regions_.end();
  spans_.erase(span_at(base));
  regions_.erase(it);
  return true;
}

Status AddressSpace::resize(uint64_t base, uint64_t size) {
  auto it = resized_ != regions_.end() && resized_->first == base ? resized_ : regions_.find(base);
  if (it == regions_.end()) return Status::Errorf("memory", "no region at {:#x}", base);
  resized_ = it;
  Region& r = it->second;
  if (size == 0 || base + size < base || (r.layout && size > r.layout->size()))
    return Status::Errorf("memory", "invalid size {} for region '{}'", size, r.name);
  const size_t i = resized_span(base);
  if (i + 1 < spans_.size() && spans_[i + 1].lo < base + size)
    return Status::Errorf("memory", "region '{}' resized to {} bytes would overlap '{}'", r.name,
                          size, spans_[i + 1].region->name);
  forget_cached(base, r.size);
  r.size = size;
  spans_[i].hi = base + size;
  // The resized region is read next (the ctx buffer, resized before each run): its first
  // block's slot holds it at once rather than after a search.
  cache_[slot_of(base)] = entry_of(r);
  return {};
}

void AddressSpace::forget_cached(uint64_t base, uint64_t size) const {
  const uint64_t first_block = base >> kCacheBlockShift;
  const uint64_t blocks = ((base + size - 1) >> kCacheBlockShift) - first_block + 1;
  auto forget = [base](CacheEntry& e) {
    if (e.len && e.lo == base) e = CacheEntry{};
  };
  if (blocks >= kCacheSlots) {  // hashed blocks need not cover every slot: look at them all
    for (CacheEntry& e : cache_) forget(e);
    return;
  }
  for (uint64_t i = 0; i < blocks; ++i) forget(cache_[slot_of((first_block + i) << kCacheBlockShift)]);
}

void AddressSpace::clear() {
  regions_.clear();
  spans_.clear();
  resized_ = regions_.end();
  invalidate_cache();
}

std::vector<AddressSpace::Span>::iterator AddressSpace::span_at(uint64_t base) {
  return std::lower_bound(spans_.begin(), spans_.end(), base, [](const Span& s, uint64_t b) { return s.lo < b; });
}

size_t AddressSpace::resized_span(uint64_t base) {
  if (resized_span_ >= spans_.size() || spans_[resized_span_].lo != base)
    resized_span_ = static_cast<size_t>(span_at(base) - spans_.begin());
  return resized_span_;
}

const Region* AddressSpace::find(uint64_t addr) const {
  auto it = std::upper_bound(spans_.begin(), spans_.end(), addr, [](uint64_t a, const Span& s) { return a < s.lo; });
  if (it == spans_.begin()) return nullptr;
  --it;
  return addr < it->hi ? it->region : nullptr;
}

bool AddressSpace::allowed_slow(uint64_t addr, uint64_t size, uint8_t need) const {
  if (addr < kLowAddressLimit) return false;
  const Region* r = find(addr);
  if (!r) return false;
  CacheEntry& e = cache_[slot_of(addr)];
  e = entry_of(*r);
  const uint64_t off = addr - e.lo;
  if (size > e.len - off || (e.perms & need) != need) return false;
  return !e.byte_perms || FieldLayout::bytes_allow(e.byte_perms + off, size, need);
}

// An address up to a page past a region's end (an end pointer, an overrun) maps into the guard
// page after the region's simulated address.
std::optional<uint64_t> AddressSpace::simulated(uint64_t addr) const {
  if (addr >= stack_lo_ && addr < stack_hi_) return kSimulatedStackBase + (addr - stack_lo_);
  if (addr < kLowAddressLimit) return std::nullopt;
  auto it = regions_.upper_bound(addr);
  if (it == regions_.begin()) return std::nullopt;
  const Region& r = std::prev(it)->second;
  if (addr - r.base >= r.size + 0x1000) return std::nullopt;
  return r.sim_base + (addr - r.base);
}

std::string AddressSpace::shown(uint64_t addr) const {
  if (std::optional<uint64_t> sim = simulated(addr)) return fmt::format("{:#x}", *sim);
  constexpr uint64_t kHostUserLo = uint64_t{1} << 32, kHostUserHi = uint64_t{1} << 47;
  if (addr < kHostUserLo || addr >= kHostUserHi) return fmt::format("{:#x}", addr);
  return "<unmapped host address>";
}

std::string AddressSpace::describe(uint64_t addr) const {
  const Region* r = find(addr);
  if (!r) return shown(addr);
  return fmt::format("{}+{:#x}", r->name, addr - r->base);
}

std::string AddressSpace::explain(uint64_t addr, uint64_t size, uint8_t need) const {
  if (addr < kLowAddressLimit) return "null pointer dereference";
  const Region* r = find(addr);
  if (!r) {
    // Just past the end of a region reads better as "out of bounds" than as "unmapped".
    auto it = regions_.upper_bound(addr);
    if (it != regions_.begin()) {
      const Region& prev = std::prev(it)->second;
      if (addr - prev.base - prev.size < 0x1000)
        return fmt::format("{}+{:#x}: out of bounds, past the end of the {}-byte region",
                           prev.name, addr - prev.base, prev.size);
    }
    const Region* after = find(addr + size - 1);
    if (after && addr + size - 1 >= addr)
      return fmt::format("unmapped address; access runs into the start of {}", after->name);
    return "unmapped address";
  }
  uint64_t off = addr - r->base;
  if (size > r->size - off)
    return fmt::format("{}+{:#x}: out of bounds, {} byte(s) past the end of the {}-byte region",
                       r->name, off, size - (r->size - off), r->size);
  if ((r->perms & need) != need)
    return fmt::format("{}+{:#x}: region is {}", r->name, off,
                       (need & kPermWrite) && (r->perms & kPermRead) ? "read-only" : "not readable");
  if (r->layout) {
    for (uint64_t i = 0; i < size; ++i) {
      uint8_t p = r->layout->perms_at(off + i);
      if ((p & need) == need) continue;
      std::string field = r->layout->field_at(off + i);
      std::string where = field.empty() ? fmt::format("{}+{:#x}", r->name, off + i)
                                        : fmt::format("{}+{:#x} ({})", r->name, off + i, field);
      const char* why = (p & kPermRead) && (need & kPermWrite) ? "field is read-only"
                        : (p & kPermWrite)                     ? "field is write-only"
                                                               : "field is not accessible";
      return fmt::format("{}: {}", where, why);
    }
  }
  return "access allowed";
}

}  // namespace scx::bpf
