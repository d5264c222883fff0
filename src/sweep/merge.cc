#include "sweep/merge.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "kernel/kernel_version.h"

namespace scx::sweep {

namespace {

struct Found {
  std::string path;
  CellResult result;
};

// The list of a one-line error: the first few cells, then how many more.
std::string name_cells(const std::vector<std::string>& items) {
  constexpr size_t kShown = 5;
  std::string out;
  for (size_t i = 0; i < items.size() && i < kShown; ++i) out += (i ? "; " : "") + items[i];
  if (items.size() > kShown) out += fmt::format("; and {} more", items.size() - kShown);
  return out;
}

std::string cell_text(const ManifestCell& c) {
  return fmt::format("{} ({} on {}, {} seed {})", c.id, c.workload, c.topology, c.variant, c.seed);
}

// One directory's manifest, which must be the first directory's sweep.
Status read_dir_manifest(const std::string& dir, Manifest& first) {
  const std::string path = (std::filesystem::path(dir) / kManifestName).string();
  if (!std::filesystem::is_directory(dir)) return Status::Error(dir, "no such directory");
  if (!std::filesystem::exists(path)) return Status::Errorf(dir, "no {} (not a sweep output directory)", kManifestName);
  SCX_ASSIGN_OR_RETURN(Manifest m, read_manifest(path));
  if (first.sweep_hash.empty()) first = std::move(m);
  else if (m.sweep_hash != first.sweep_hash)
    return Status::Errorf(dir, "results of another sweep file ({} hash {}; the first directory's: {} hash {})",
                          m.sweep_file, m.sweep_hash, first.sweep_file, first.sweep_hash);
  return {};
}

// Every result file of the directories, by cell id; a second file of one id is a duplicate.
Result<std::map<std::string, Found>> read_results(const std::vector<std::string>& dirs, const Manifest& manifest) {
  std::map<std::string, Found> found;
  std::vector<std::string> duplicates;
  for (const std::string& dir : dirs) {
    std::vector<std::string> paths;
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (is_result_name(e.path().filename().string())) paths.push_back(e.path().string());
    std::sort(paths.begin(), paths.end());
    for (const std::string& path : paths) {
      SCX_ASSIGN_OR_RETURN(CellResult r, read_result(path));
      if (r.sweep_hash != manifest.sweep_hash)
        return Status::Errorf(path, "is a result of another sweep file (hash {}, not {} of {})", r.sweep_hash,
                              manifest.sweep_hash, manifest.sweep_file);
      auto [it, fresh] = found.emplace(r.id, Found{path, r});
      if (!fresh) duplicates.push_back(fmt::format("{} in {} and {}", r.id, it->second.path, path));
    }
  }
  if (!duplicates.empty())
    return Status::Errorf("merge", "{} duplicate cell(s): {}", duplicates.size(), name_cells(duplicates));
  return found;
}

Status check_complete(const Manifest& m, const std::map<std::string, Found>& found) {
  std::vector<std::string> missing;
  for (const ManifestCell& c : m.cells)
    if (!found.count(c.id)) missing.push_back(cell_text(c));
  if (missing.empty()) return {};
  return Status::Errorf("merge", "{} of {} cells missing: {}", missing.size(), m.cells.size(), name_cells(missing));
}

// compare's structured scenario from a stored run (its settings were written by describe()).
CompareScenario scenario_of(const RanScenario& ran, const std::set<std::string>& kernels) {
  CompareScenario sc{ran.workload, ran.topology, ran.topology_summary, ran.duration, {kernels.begin(), kernels.end()}, {}, NoiseModel::off()};
  for (const std::string& c : ran.cost) (void)sc.cost.set(c);
  for (const std::string& n : ran.noise) (void)sc.noise.set(n);
  return sc;
}

// One workload x topology: the runs laid out [variant][seed] in the sweep's order.
MergedGroup build_group(const std::vector<const ManifestCell*>& cells, const std::map<std::string, Found>& found) {
  std::vector<std::string> names, specs;
  std::vector<uint64_t> seeds;
  std::vector<std::vector<RunDigest>> runs;
  std::set<std::string> kernels;
  for (const ManifestCell* c : cells) {
    const CellResult& r = found.at(c->id).result;
    if (names.empty() || names.back() != c->variant) {
      names.push_back(c->variant), specs.push_back(r.spec), runs.emplace_back();
    }
    if (names.size() == 1) seeds.push_back(c->seed);
    kernels.insert(r.ran.kernel);
    runs.back().push_back(r.digest);
  }
  const CellResult& first = found.at(cells[0]->id).result;
  CompareScenario detail = scenario_of(first.ran, kernels);
  CompareResult result = build_compare(names, specs, seeds, format_scenario_line(detail), std::move(runs));
  result.detail = std::move(detail);
  return {cells[0]->workload, cells[0]->topology, std::move(result)};
}

}  // namespace

Result<Merged> merge_results(const std::vector<std::string>& dirs) {
  Merged merged;
  if (dirs.empty()) return Status::Error("sweep merge", "name at least one result directory");
  for (const std::string& dir : dirs) SCX_RETURN_IF_ERROR(read_dir_manifest(dir, merged.manifest));
  SCX_ASSIGN_OR_RETURN(auto found, read_results(dirs, merged.manifest));
  SCX_RETURN_IF_ERROR(check_complete(merged.manifest, found));
  std::vector<std::vector<const ManifestCell*>> groups;
  for (const ManifestCell& c : merged.manifest.cells) {
    if (groups.empty() || groups.back()[0]->workload != c.workload || groups.back()[0]->topology != c.topology)
      groups.emplace_back();
    groups.back().push_back(&c);
  }
  for (const auto& g : groups) merged.groups.push_back(build_group(g, found));
  return merged;
}

}  // namespace scx::sweep
