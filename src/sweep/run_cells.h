// Running a sweep's cells into an output directory: the manifest first, then every cell whose
// result is not there yet (resume after a crash), in parallel; each result is written as soon
// as its run ends.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "sweep/cells.h"
#include "sweep/spec.h"

namespace scx::sweep {

struct RunCounts {
  size_t ran = 0, skipped = 0;
};

// Runs `todo` (a shard of `all`) with `jobs` threads (0 = the number of CPUs). Refuses a
// directory that holds results of another sweep file. A failed run does not stop the others;
// the first failure is returned once all have ended. `progress`: a live line on stderr.
Result<RunCounts> run_cells(const SweepSpec& spec, const std::vector<Cell>& all, const std::vector<Cell>& todo,
                            const std::string& dir, unsigned jobs, bool progress);

}  // namespace scx::sweep
