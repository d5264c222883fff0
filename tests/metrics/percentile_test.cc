// Percentiles by selection (select_percentiles, Dist::of) against the definition they replace:
// the nearest-rank element of the fully sorted samples.
#include <algorithm>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "metrics/summary.h"

namespace scx {
namespace {

std::vector<Ns> random_samples(std::mt19937_64& rng, size_t n) {
  std::vector<Ns> v(n);
  const Ns spread = 1 + rng() % 50;  // small spreads: many equal values
  for (Ns& x : v) x = rng() % spread * 1000 + (rng() % 4 == 0 ? rng() % 7 : 0);
  return v;
}

TEST(Percentiles, SelectionEqualsTheSortedNearestRank) {
  std::mt19937_64 rng(12);
  for (size_t n : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{10}, size_t{999}, size_t{1000}, size_t{1001},
                   size_t{4321}}) {
    for (int round = 0; round < 20; ++round) {
      std::vector<Ns> v = random_samples(rng, n), sorted = v;
      std::sort(sorted.begin(), sorted.end());
      const std::vector<int64_t> got = select_percentiles(v, {0, 0.1, 50, 90, 99, 99.9, 100});
      const double pcts[] = {0, 0.1, 50, 90, 99, 99.9, 100};
      for (size_t i = 0; i < got.size(); ++i)
        EXPECT_EQ(got[i], percentile_sorted(sorted, pcts[i])) << "n " << n << " pct " << pcts[i];
      EXPECT_EQ(percentile(sorted, 99), percentile_sorted(sorted, 99));
      // The 1001 quantiles of the HTML report's CDF.
      std::vector<double> cdf;
      for (int q = 0; q <= 1000; ++q) cdf.push_back(q / 10.0);
      std::vector<Ns> again = random_samples(rng, n), again_sorted = again;
      std::sort(again_sorted.begin(), again_sorted.end());
      const std::vector<int64_t> all = select_percentiles(again, cdf);
      for (size_t q = 0; q < cdf.size(); ++q) ASSERT_EQ(all[q], percentile_sorted(again_sorted, cdf[q])) << q;
    }
  }
}

TEST(Percentiles, NonAscendingRequestsAndNoSamples) {
  // {5, 1, 4, 2, 3}: sorted 1..5; nearest rank of 90 % is ceil(4.5) = 5, of 50 % ceil(2.5) = 3,
  // of 10 % ceil(0.5) = 1.
  std::vector<Ns> v{5, 1, 4, 2, 3};
  EXPECT_EQ(select_percentiles(v, {90, 50, 10}), (std::vector<int64_t>{5, 3, 1}));
  std::vector<Ns> none;
  EXPECT_EQ(select_percentiles(none, {50, 99}), (std::vector<int64_t>{-1, -1}));
}

TEST(Percentiles, DistEqualsTheSortedDefinition) {
  std::mt19937_64 rng(7);
  for (size_t n : {size_t{1}, size_t{5}, size_t{1000}, size_t{2777}}) {
    std::vector<Ns> v = random_samples(rng, n), sorted = v;
    std::sort(sorted.begin(), sorted.end());
    long double sum = 0;
    for (Ns x : sorted) sum += static_cast<long double>(x);
    const Dist d = Dist::of(v);
    EXPECT_EQ(d.n, n);
    EXPECT_EQ(*d.min, static_cast<double>(sorted.front()));
    EXPECT_EQ(*d.max, static_cast<double>(sorted.back()));
    EXPECT_EQ(*d.mean, static_cast<double>(sum / static_cast<long double>(n)));
    EXPECT_EQ(*d.p50, static_cast<double>(percentile_sorted(sorted, 50)));
    EXPECT_EQ(*d.p90, static_cast<double>(percentile_sorted(sorted, 90)));
    EXPECT_EQ(*d.p99, static_cast<double>(percentile_sorted(sorted, 99)));
    EXPECT_EQ(*d.p999, static_cast<double>(percentile_sorted(sorted, 99.9)));
  }
}

}  // namespace
}  // namespace scx
