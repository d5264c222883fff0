// A set of CPU ids, sized for the largest machine scxsim simulates (kMaxCpus). Plain value type:
// copies are cheap (a few words) and iteration is in increasing CPU order, which keeps every
// decision that scans CPUs deterministic.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>

namespace scx {

inline constexpr int kMaxCpus = 1024;

class CpuMask {
 public:
  static constexpr int kWords = kMaxCpus / 64;

  CpuMask() = default;
  static CpuMask first_n(int n) {
    CpuMask m;
    for (int i = 0; i < n; ++i) m.set(i);
    return m;
  }
  static CpuMask single(int cpu) {
    CpuMask m;
    m.set(cpu);
    return m;
  }
  // From a kernel-layout bitmap of kWords 64-bit words (struct cpumask's bits).
  static CpuMask from_words(const uint64_t* words) {
    CpuMask m;
    for (int i = 0; i < kWords; ++i) m.w_[i] = words[i];
    return m;
  }

  void set(int cpu) { w_[cpu >> 6] |= bit(cpu); }
  void clear(int cpu) { w_[cpu >> 6] &= ~bit(cpu); }
  bool test(int cpu) const { return cpu >= 0 && cpu < kMaxCpus && (w_[cpu >> 6] & bit(cpu)); }
  void clear_all() { w_.fill(0); }

  bool empty() const {
    for (uint64_t w : w_)
      if (w) return false;
    return true;
  }
  int weight() const {
    int n = 0;
    for (uint64_t w : w_) n += std::popcount(w);
    return n;
  }
  // Lowest set CPU >= from, or -1.
  int next(int from) const {
    if (from < 0) from = 0;
    for (int i = from >> 6; i < kWords; ++i) {
      uint64_t w = w_[i];
      if (i == (from >> 6)) w &= ~0ULL << (from & 63);
      if (w) return i * 64 + std::countr_zero(w);
    }
    return -1;
  }
  int first() const { return next(0); }
  // Set CPUs in [from, to).
  int count_range(int from, int to) const {
    if (from < 0) from = 0;
    if (to > kMaxCpus) to = kMaxCpus;
    int n = 0;
    for (int i = from >> 6; from < to && i <= (to - 1) >> 6; ++i) {
      uint64_t w = w_[i];
      if (i == (from >> 6)) w &= ~0ULL << (from & 63);
      if (i == ((to - 1) >> 6) && (to & 63)) w &= ~(~0ULL << (to & 63));
      n += std::popcount(w);
    }
    return n;
  }

  CpuMask operator&(const CpuMask& o) const {
    CpuMask r;
    for (int i = 0; i < kWords; ++i) r.w_[i] = w_[i] & o.w_[i];
    return r;
  }
  CpuMask operator|(const CpuMask& o) const {
    CpuMask r;
    for (int i = 0; i < kWords; ++i) r.w_[i] = w_[i] | o.w_[i];
    return r;
  }
  CpuMask and_not(const CpuMask& o) const {
    CpuMask r;
    for (int i = 0; i < kWords; ++i) r.w_[i] = w_[i] & ~o.w_[i];
    return r;
  }
  CpuMask& operator&=(const CpuMask& o) { return *this = *this & o; }
  CpuMask& operator|=(const CpuMask& o) { return *this = *this | o; }
  bool intersects(const CpuMask& o) const {
    for (int i = 0; i < kWords; ++i)
      if (w_[i] & o.w_[i]) return true;
    return false;
  }
  bool subset_of(const CpuMask& o) const {
    for (int i = 0; i < kWords; ++i)
      if (w_[i] & ~o.w_[i]) return false;
    return true;
  }
  bool operator==(const CpuMask& o) const = default;

  const std::array<uint64_t, kWords>& words() const { return w_; }

  // Linux cpulist format: "0-3,8,10-11"; "" for the empty set.
  std::string to_list() const;

  // Visits set CPUs in increasing order: for (int c : mask) ...
  class Iter {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = int;
    using difference_type = std::ptrdiff_t;
    using pointer = const int*;
    using reference = int;
    Iter(const CpuMask* m, int c) : m_(m), c_(c) {}
    int operator*() const { return c_; }
    Iter& operator++() {
      c_ = m_->next(c_ + 1);
      return *this;
    }
    Iter operator++(int) {
      Iter old = *this;
      ++*this;
      return old;
    }
    bool operator==(const Iter& o) const { return c_ == o.c_; }
    bool operator!=(const Iter& o) const { return c_ != o.c_; }

   private:
    const CpuMask* m_;
    int c_;
  };
  Iter begin() const { return Iter(this, first()); }
  Iter end() const { return Iter(this, -1); }

 private:
  static uint64_t bit(int cpu) { return 1ULL << (cpu & 63); }
  std::array<uint64_t, kWords> w_{};
};

}  // namespace scx
