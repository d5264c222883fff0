// The files a sweep writes into its output directory: one result per cell (cell-<id>.json) and
// the manifest (sweep-manifest.json: the sweep file's hash and every cell, so that a merge knows
// what is missing). Files are written to a temporary name and renamed: a crash leaves either
// the whole file or none.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "report/compare.h"
#include "sweep/cells.h"

namespace scx::sweep {

// The run's own description of its scenario (compare's scenario line).
struct RanScenario {
  std::string workload, topology, topology_summary, kernel;
  Ns duration = 0;
  // Its cost model and noise as NAME=VALUE settings (CostModel/NoiseModel::describe(), read back
  // with set()): compare's header and JSON scenario.
  std::vector<std::string> cost, noise;
};

// What a merge needs of a run, and how to reproduce it.
struct CellResult {
  std::string sweep_hash;
  std::string id, workload, topology, variant;
  uint64_t seed = 0;
  size_t index = 0;
  std::string spec;         // the variant's settings as flags (the report's spec line)
  std::string command;      // `scxsim run ...` that reproduces the run
  std::string fingerprint;  // that run's --fingerprint
  RanScenario ran;
  RunDigest digest;
};

// A cell of the manifest.
struct ManifestCell {
  std::string id, workload, topology, variant;
  uint64_t seed = 0;
};
struct Manifest {
  std::string sweep_file, sweep_hash;
  std::vector<ManifestCell> cells;
};

inline constexpr const char* kManifestName = "sweep-manifest.json";
std::string result_path(const std::string& dir, const std::string& id);
// Whether a file name in an output directory is a cell's result.
bool is_result_name(const std::string& name);

std::string format_result(const CellResult& r);
Result<CellResult> read_result(const std::string& path);

Manifest make_manifest(const SweepSpec& spec, const std::vector<Cell>& cells);
std::string format_manifest(const Manifest& m);
Result<Manifest> read_manifest(const std::string& path);

// Writes `text` to PATH.tmp.<pid> and renames it to `path`.
Status write_atomically(const std::string& path, const std::string& text);

}  // namespace scx::sweep
