// Independent simulations on several threads: each index runs once, on whichever thread takes
// it next. Callers store results by index, so that nothing depends on the thread count.
#pragma once

#include <cstddef>
#include <functional>

namespace scx {

// Runs body(0), ..., body(n - 1) on `jobs` threads (0 = the number of CPUs; never more than n),
// the calling thread among them, and returns when all have ended.
void for_each_parallel(size_t n, unsigned jobs, const std::function<void(size_t)>& body);

}  // namespace scx
