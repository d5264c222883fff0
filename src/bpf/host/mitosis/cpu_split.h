// scx_mitosis's split of the machine's CPUs between its cells, as its user space computes it
// (CellManager::compute_cpu_assignments in scheds/rust/scx_mitosis/src/cell_manager.rs, scx
// 7a58a3a1a). Pure logic: cells in, CPU masks out (docs/sched_ext.md, "scx_mitosis's cells").
//
// The rules, in order:
//  1. Targets: every cell gets at least one CPU, the rest is shared by weight (equal weights
//     without demand data) with the largest remainders rounded up (compute_targets).
//  2. Holdout (cell0_min_cpus > 0): CPUs reserved for cell 0 first, unclaimed ones before any a
//     child's cpuset claims, never a child's last exclusive CPU (compute_cell0_holdout).
//  3. A CPU claimed by exactly one cell's cpuset is that cell's; a CPU several cpusets claim is
//     shared among them by their deficit (target minus exclusive CPUs); unclaimed CPUs go to
//     cell 0 and the cells without a cpuset, by deficit (distribute_cpus_proportional: lower
//     cell ids get the lower CPUs).
//  4. With borrowing, a cell may borrow every CPU it does not own (within its cpuset).
//  5. Every cell must end with a CPU and every CPU with a cell, else it is an error (the real
//     user space exits: validate_cpu_assignments).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "base/cpumask.h"
#include "base/status.h"

namespace scx::bpf::mitosis {

struct CellSpec {
  uint32_t cell_id = 0;
  std::optional<CpuMask> cpuset;  // the cgroup's cpuset.cpus; nullopt when not set
};

struct CellCpus {
  uint32_t cell_id = 0;
  CpuMask primary;
  std::optional<CpuMask> borrowable;  // only with borrowing
};

struct SplitInput {
  CpuMask all_cpus;
  std::vector<CellSpec> cells;  // cell 0 included; any order
  int cell0_min_cpus = 0;       // --cell0-min-cpus
  std::vector<int> cpu_to_llc;  // by CPU; steers the holdout's choice between claimed CPUs
  bool borrowable = false;      // --enable-borrowing
  // Per-cell weights (--enable-rebalancing's demand); empty = equal weights.
  std::map<uint32_t, double> weights;
};

struct SplitResult {
  std::vector<CellCpus> cells;  // by cell id
  bool enforced_holdout = false;  // the holdout took a CPU a child's cpuset claims
};

Result<SplitResult> split_cpus(const SplitInput& in);

// The building blocks, exposed for tests.
// compute_targets(): cell id → CPU count, one CPU each and the rest by weight.
Result<std::map<uint32_t, int>> cpu_targets(int total_cpus, const std::vector<std::pair<uint32_t, double>>& weights);
// distribute_cpus_proportional(): `cpus` (in order) shared by weight; a recipient of positive
// weight left with none takes one from the largest share.
Result<std::map<uint32_t, std::vector<int>>> distribute_proportional(const std::vector<int>& cpus,
                                                                     const std::vector<std::pair<uint32_t, double>>& recipients);

}  // namespace scx::bpf::mitosis
