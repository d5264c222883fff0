// scx_mitosis's cell bookkeeping (cell_table.h): CellManager::reconcile_cells,
// create_cell_for_cgroup, allocate_cell_id, refresh_cpusets (cell_manager.rs, scx 7a58a3a1a).
#include "bpf/host/mitosis/cell_table.h"

#include <algorithm>

namespace scx::bpf::mitosis {

Result<bool> CellTable::reconcile(std::vector<ChildCgroup> children) {
  // read_dir_sorted(): by path; a path keeps its cell only with the same inode.
  std::sort(children.begin(), children.end(), [](const ChildCgroup& a, const ChildCgroup& b) { return a.path < b.path; });
  bool changed = false;
  for (auto it = cells_.begin(); it != cells_.end();) {
    const bool alive = std::any_of(children.begin(), children.end(), [&](const ChildCgroup& c) {
      return c.path == it->second.path && c.cgid == it->first;
    });
    if (alive) {
      ++it;
      continue;
    }
    free_ids_.insert(it->second.id);
    it = cells_.erase(it);
    changed = true;
  }
  for (const ChildCgroup& c : children) {
    if (cells_.count(c.cgid)) continue;
    Result<uint32_t> id = allocate_id();
    if (!id.ok()) return id.status().within("creating a cell for cgroup " + c.path);
    cells_[c.cgid] = Cell{*id, c.path, c.cpuset};
    changed = true;
  }
  return changed;
}

bool CellTable::refresh_cpusets(const std::vector<ChildCgroup>& children) {
  bool changed = false;
  for (auto& [cgid, cell] : cells_)
    for (const ChildCgroup& c : children)
      if (c.cgid == cgid && c.cpuset != cell.cpuset) {
        cell.cpuset = c.cpuset;
        changed = true;
      }
  return changed;
}

std::vector<CellSpec> CellTable::specs() const {
  std::vector<CellSpec> out{CellSpec{0, std::nullopt}};
  for (const auto& [cgid, cell] : cells_) out.push_back(CellSpec{cell.id, cell.cpuset});
  std::sort(out.begin(), out.end(), [](const CellSpec& a, const CellSpec& b) { return a.cell_id < b.cell_id; });
  return out;
}

std::vector<std::pair<uint64_t, uint32_t>> CellTable::assignments() const {
  std::vector<std::pair<uint64_t, uint32_t>> out;
  for (const auto& [cgid, cell] : cells_) out.emplace_back(cgid, cell.id);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  return out;
}

std::string CellTable::path_of(uint32_t cell_id) const {
  for (const auto& [cgid, cell] : cells_)
    if (cell.id == cell_id) return cell.path;
  return "/";
}

Result<uint32_t> CellTable::allocate_id() {
  if (!free_ids_.empty()) {  // reuse freed ids: keeps the id space compact
    const uint32_t id = *free_ids_.begin();
    free_ids_.erase(free_ids_.begin());
    return id;
  }
  if (next_id_ >= max_cells_) return Status::Errorf("scx_mitosis cell manager", "Cell ID space exhausted (max_cells={})", max_cells_);
  return next_id_++;
}

}  // namespace scx::bpf::mitosis
