// for_each_parallel runs every index exactly once, whatever the thread count, also with more
// threads than indices and with none to run.
#include <atomic>
#include <vector>

#include <gtest/gtest.h>

#include "cli/parallel_runs.h"

namespace scx {
namespace {

TEST(ParallelRuns, EveryIndexRunsOnce) {
  for (size_t n : {0, 1, 5, 64})
    for (unsigned jobs : {0u, 1u, 2u, 7u, 100u}) {
      std::vector<std::atomic<int>> runs(n);
      for_each_parallel(n, jobs, [&](size_t k) { runs[k].fetch_add(1); });
      for (size_t k = 0; k < n; ++k) EXPECT_EQ(runs[k].load(), 1) << "n " << n << " jobs " << jobs << " index " << k;
    }
}

}  // namespace
}  // namespace scx
