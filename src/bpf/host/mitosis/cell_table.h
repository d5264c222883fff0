// scx_mitosis's cells as its user space keeps them (CellManager in
// scheds/rust/scx_mitosis/src/cell_manager.rs, scx 7a58a3a1a): cell 0 is the root's, and each
// direct child cgroup of --cell-parent-cgroup owns one more cell.
//  - reconcile_cells(): the children by path (sorted); a cell whose cgroup is gone (or whose
//    path now holds another cgroup) is freed, a child without a cell gets one, in path order.
//  - allocate_cell_id(): the lowest freed id first, else the next new one (from 1); at
//    max_cells the id space is exhausted, an error (the real user space exits).
//  - A cell's cpuset is its cgroup's cpuset.cpus when created; refresh_cpusets() re-reads them.
// Pure state: the caller reads cgroupfs (the simulated kernel's cgroups) into ChildCgroups.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/cpumask.h"
#include "base/status.h"
#include "bpf/host/mitosis/cpu_split.h"

namespace scx::bpf::mitosis {

inline constexpr uint32_t kMaxCells = 256;  // MAX_CELLS (intf.h)

// One directory under the parent: its path, its inode (the cgroup id) and cpuset.cpus.
struct ChildCgroup {
  std::string path;
  uint64_t cgid = 0;
  std::optional<CpuMask> cpuset;  // nullopt: empty file
};

class CellTable {
 public:
  explicit CellTable(uint32_t max_cells = kMaxCells) : max_cells_(max_cells) {}

  // Brings the cells in line with `children` (any order). True when a cell was made or freed.
  Result<bool> reconcile(std::vector<ChildCgroup> children);
  // Re-reads each cell's cpuset from `children` (by cgid). True when one changed.
  bool refresh_cpusets(const std::vector<ChildCgroup>& children);

  // Every cell with its cpuset, cell 0 first (for split_cpus()).
  std::vector<CellSpec> specs() const;
  // (cgid, cell id) of every cell but 0, by cell id (get_cell_assignments()).
  std::vector<std::pair<uint64_t, uint32_t>> assignments() const;
  // The cgroup path of a cell ("/" for cell 0 or an unknown one).
  std::string path_of(uint32_t cell_id) const;

 private:
  struct Cell {
    uint32_t id;
    std::string path;
    std::optional<CpuMask> cpuset;
  };
  Result<uint32_t> allocate_id();

  uint32_t max_cells_;
  std::map<uint64_t, Cell> cells_;  // by cgid; cell 0 is implicit
  std::set<uint32_t> free_ids_;
  uint32_t next_id_ = 1;
};

}  // namespace scx::bpf::mitosis
