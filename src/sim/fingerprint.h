// A 64-bit running hash of a stream of integers (FNV-1a over 64-bit words with a final mix).
// The trace layer feeds every published event into one, so two runs have the same
// fingerprint exactly when they produced the same event stream.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace scx {

class Fingerprint {
 public:
  void add(uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h_ ^= (v >> (8 * i)) & 0xff;
      h_ *= 0x100000001b3ULL;
    }
  }
  void add(std::string_view s) {
    for (unsigned char c : s) {
      h_ ^= c;
      h_ *= 0x100000001b3ULL;
    }
    add(s.size());
  }
  uint64_t value() const {
    uint64_t z = h_;
    z = (z ^ (z >> 33)) * 0xff51afd7ed558ccdULL;
    z = (z ^ (z >> 33)) * 0xc4ceb9fe1a85ec53ULL;
    return z ^ (z >> 33);
  }
  std::string hex() const;

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace scx
