// schbench's latency statistics: fio's log-linear histogram ("mr axboe's magic latency
// histogram": 19 groups of 256 buckets; values below 512 exact, above that 8 significant bits),
// min/max with schbench's quirk that 0 counts as "unset" for min, and its percentile
// computation, which reports a bucket's representative value and the number of samples between
// one listed percentile and the previous one. Written from the description of schbench.c's
// plat_val_to_idx / plat_idx_to_val / calc_percentiles / show_latencies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace scx {

class LatencyHistogram {
 public:
  static constexpr int kBits = 8;
  static constexpr unsigned kVal = 1u << kBits;     // buckets per group
  static constexpr unsigned kGroups = 19;
  static constexpr unsigned kBuckets = kGroups * kVal;
  // schbench's percentile list (plist): every percentile is computed, masks pick which print.
  static constexpr double kPercentiles[5] = {20.0, 50.0, 90.0, 99.0, 99.9};

  LatencyHistogram() : plat_(kBuckets, 0) {}
  static unsigned val_to_idx(unsigned v);
  static unsigned idx_to_val(unsigned idx);

  void add(unsigned v);  // add_lat()
  uint64_t samples() const { return nr_; }
  unsigned min() const { return min_; }
  unsigned max() const { return max_; }

  struct Percentile {
    double pct = 0;
    unsigned value = 0;     // bucket representative value
    uint64_t count = 0;     // samples since the previous listed percentile
  };
  // All five percentiles of kPercentiles, as calc_percentiles() computes them.
  std::vector<Percentile> percentiles() const;

  // show_latencies(): header, the percentiles whose bit is in `mask` (bit i = kPercentiles[i]),
  // the one whose bit is `star` marked with "* ", then "min=, max=".
  std::string show(const std::string& label, const std::string& units, uint64_t runtime_s,
                   unsigned mask, unsigned star) const;

 private:
  std::vector<uint32_t> plat_;
  uint64_t nr_ = 0;
  unsigned min_ = 0, max_ = 0;
};

// show_latencies() masks.
inline constexpr unsigned kPlist20 = 1u << 0, kPlist50 = 1u << 1, kPlist90 = 1u << 2,
                          kPlist99 = 1u << 3, kPlist999 = 1u << 4;
inline constexpr unsigned kPlistForLat = kPlist50 | kPlist90 | kPlist99 | kPlist999;
inline constexpr unsigned kPlistForRps = kPlist20 | kPlist50 | kPlist90;

}  // namespace scx
