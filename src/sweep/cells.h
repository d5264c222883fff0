// The cells of a sweep: one run per (workload, topology, variant, seed), in a stable order, each
// with an id that depends only on that cell's own settings; and the shards that split them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "cli/runner.h"
#include "sweep/spec.h"

namespace scx::sweep {

struct Cell {
  size_t index = 0;       // in the sweep's order: workload, then topology, variant, seed
  std::string id;         // 16 hex digits: a hash of the cell's settings as the sweep file writes them
  std::string workload, topology, variant;  // as written; variant = the compare column's name
  uint64_t seed = 0;
  RunOptions as_written;  // paths as in the sweep file: the id and the report's spec line
  RunOptions run;         // paths resolved against the sweep file's directory: what runs
};

// Every cell, in order. Checks the schedulers, workloads and topologies (an error names the
// sweep file and the key) without simulating.
Result<std::vector<Cell>> enumerate_cells(const SweepSpec& spec);

// The variant columns of the sweep, in order (schedulers, then variants), by name.
std::vector<std::string> variant_names(const std::vector<Cell>& cells);

// "I/N" with 1 <= I <= N.
struct Shard {
  size_t index = 1, count = 1;
};
Result<Shard> parse_shard(const std::string& text);
// The cells of shard I of N: every N-th cell starting at the I-th, so that each shard gets a
// share of every workload and topology.
std::vector<Cell> cells_of_shard(const std::vector<Cell>& cells, Shard shard);

// The `scxsim run ...` command (shell words, quoted where needed) that reproduces a cell's run,
// with --fingerprint.
std::string run_command(const Cell& cell);

// "id  workload=W topology=T variant=V seed=S": a line of `sweep --list`.
std::string describe(const Cell& cell);

}  // namespace scx::sweep
