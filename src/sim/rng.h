// The simulator's only source of randomness: xoshiro256** seeded through splitmix64, with our
// own distributions (the standard library's differ between implementations, which would break
// byte-identical outputs across machines).
#pragma once

#include <cstdint>

namespace scx {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { reseed(seed); }
  void reseed(uint64_t seed);

  uint64_t next_u64();
  // Uniform in [0, n), unbiased (Lemire's method). n must be > 0.
  uint64_t below(uint64_t n);
  // Uniform integer in [lo, hi].
  int64_t range(int64_t lo, int64_t hi);
  // Uniform double in [0, 1) with 53 random bits.
  double uniform();
  bool chance(double p) { return uniform() < p; }
  // Exponential with the given mean (inverse transform).
  double exponential(double mean);
  // Normal via Box-Muller (both values used in turn).
  double normal(double mean, double stddev);
  // Derives an independent stream, e.g. one per task, so that adding a task does not shift
  // the random numbers every other task sees.
  Rng fork(uint64_t stream_id) const;

 private:
  uint64_t s_[4];
  uint64_t seed_ = 0;
  bool has_spare_ = false;
  double spare_ = 0;
};

}  // namespace scx
