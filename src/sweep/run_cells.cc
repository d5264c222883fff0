#include "sweep/run_cells.h"

#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "cli/compare.h"
#include "cli/parallel_runs.h"
#include "cli/progress.h"
#include "cli/runner.h"
#include "metrics/summary.h"
#include "sweep/result_file.h"

namespace scx::sweep {

namespace {

// NAME=VALUE for each described parameter (what CostModel/NoiseModel::set() read back).
std::vector<std::string> settings_of(const std::vector<CostModel::Param>& params) {
  std::vector<std::string> out;
  for (const CostModel::Param& p : params) out.push_back(p.name + "=" + p.value);
  return out;
}

// The directory's manifest must be this sweep's (or absent); then it is (re)written.
Status claim_directory(const SweepSpec& spec, const std::vector<Cell>& all, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Errorf(dir, "cannot create the output directory ({})", ec.message());
  const std::string manifest = (std::filesystem::path(dir) / kManifestName).string();
  if (std::filesystem::exists(manifest)) {
    SCX_ASSIGN_OR_RETURN(Manifest m, read_manifest(manifest));
    if (m.sweep_hash != spec.hash)
      return Status::Errorf(dir, "holds results of another sweep file ({} with hash {}; {} has hash {})", m.sweep_file,
                            m.sweep_hash, spec.path, spec.hash);
  }
  return write_atomically(manifest, format_manifest(make_manifest(spec, all)));
}

// Whether a cell's result is already there (and of this sweep).
Result<bool> has_result(const SweepSpec& spec, const std::string& dir, const Cell& cell) {
  const std::string path = result_path(dir, cell.id);
  if (!std::filesystem::exists(path)) return false;
  SCX_ASSIGN_OR_RETURN(CellResult r, read_result(path));
  if (r.sweep_hash != spec.hash)
    return Status::Errorf(path, "is a result of another sweep file (hash {}, {} has {})", r.sweep_hash, spec.path,
                          spec.hash);
  return true;
}

Result<CellResult> run_one(const SweepSpec& spec, const Cell& cell, TraceSink* progress) {
  RunOptions options = cell.run;
  if (progress) options.sinks.push_back(progress);
  auto out = run_simulation(options);
  if (!out.ok()) return out.status().within(fmt::format("cell {} ({} {} {} seed {})", cell.id, cell.workload,
                                                        cell.topology, cell.variant, cell.seed));
  const RunInfo& i = out->report.info;
  CellResult r;
  r.sweep_hash = spec.hash;
  r.id = cell.id, r.index = cell.index, r.workload = cell.workload, r.topology = cell.topology;
  r.variant = cell.variant, r.seed = cell.seed;
  r.spec = spec_of(cell.as_written);
  r.command = run_command(cell);
  r.fingerprint = i.fingerprint.value_or("");
  r.ran = {i.workload, i.topology, i.topology_summary, i.kernel, i.duration, settings_of(i.cost.describe()),
           settings_of(i.noise.describe())};
  r.digest = make_digest(cell.variant, out->report, summarize(*out->metrics), out->figures);
  return r;
}

// Runs the cells with `jobs` threads, writing each result when its run ends; one status per cell.
std::vector<Status> run_missing(const SweepSpec& spec, const std::vector<const Cell*>& missing, const std::string& dir,
                                unsigned jobs, bool progress) {
  ProgressMeter meter(missing.size(), missing.empty() ? kNsPerSec : missing[0]->run.duration.value_or(kNsPerSec),
                      progress);
  std::vector<std::unique_ptr<ProgressSink>> sinks;
  for (size_t k = 0; k < missing.size(); ++k) sinks.push_back(std::make_unique<ProgressSink>(&meter.slot(k)));
  std::vector<Status> errors(missing.size());
  meter.start();
  for_each_parallel(missing.size(), jobs, [&](size_t k) {
    auto r = run_one(spec, *missing[k], progress ? sinks[k].get() : nullptr);
    errors[k] = r.ok() ? write_atomically(result_path(dir, missing[k]->id), format_result(*r)) : r.status();
    meter.slot(k).done.store(true, std::memory_order_relaxed);
  });
  meter.stop();
  return errors;
}

}  // namespace

Result<RunCounts> run_cells(const SweepSpec& spec, const std::vector<Cell>& all, const std::vector<Cell>& todo,
                            const std::string& dir, unsigned jobs, bool progress) {
  SCX_RETURN_IF_ERROR(claim_directory(spec, all, dir));
  RunCounts counts;
  std::vector<const Cell*> missing;
  for (const Cell& c : todo) {
    SCX_ASSIGN_OR_RETURN(bool done, has_result(spec, dir, c));
    if (done) ++counts.skipped;
    else missing.push_back(&c);
  }
  const std::vector<Status> errors = run_missing(spec, missing, dir, jobs, progress);
  size_t failed = 0;
  for (const Status& st : errors) failed += !st.ok();
  for (const Status& st : errors)
    if (!st.ok()) return failed > 1 ? st.within(fmt::format("{} of {} runs failed; the first", failed, missing.size())) : st;
  counts.ran = missing.size();
  return counts;
}

}  // namespace scx::sweep
