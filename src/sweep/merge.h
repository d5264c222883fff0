// Merging sweep results (from one or many output directories, e.g. one per shard) into
// `compare`'s tables: one comparison per workload x topology, the variants as columns and the
// verdicts over the seeds. The statistics and tables are compare's own (report/compare.h).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "report/compare.h"
#include "sweep/result_file.h"

namespace scx::sweep {

struct MergedGroup {
  std::string workload, topology;  // as the sweep file writes them
  CompareResult comparison;
};

struct Merged {
  Manifest manifest;
  std::vector<MergedGroup> groups;  // in the sweep's order
};

// Reads every directory's manifest and results. Errors (one line): directories of different
// sweep files, a result of another sweep file, a cell found twice (naming both files), cells
// missing (naming them).
Result<Merged> merge_results(const std::vector<std::string>& dirs);

std::string format_merged_text(const Merged& m);
std::string format_merged_json(const Merged& m);
std::string format_merged_csv(const Merged& m);
// One group: its report in `path`. Several: `path` is an index linking to one report per group
// (PATH with ".<workload>.<topology>" before the extension).
Status write_merged_html(const Merged& m, const std::string& path);

}  // namespace scx::sweep
