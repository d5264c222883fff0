#include "cli/sweep_command.h"

#include <cstdio>

#include <fmt/format.h>

#include "cli/progress.h"
#include "cli/usage_checks.h"
#include "sweep/cells.h"
#include "sweep/merge.h"
#include "sweep/run_cells.h"
#include "sweep/spec.h"

namespace scx {

namespace {

int report_error(const Status& st, int code) {
  std::fprintf(stderr, "scxsim: %s\n", st.message().c_str());
  return code;
}
constexpr int kRunFailed = 1;

void print(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

int run_merge(const SweepCommand& cmd) {
  if (cmd.json && cmd.csv) return report_error(Status::Error("sweep merge", "choose one of --json and --csv"), kUsageExitCode);
  if (auto st = check_output_path(cmd.html, "--html"); !st.ok()) return report_error(st, kUsageExitCode);
  auto merged = sweep::merge_results(cmd.dirs);
  if (!merged.ok()) return report_error(merged.status(), kRunFailed);
  print(cmd.json  ? sweep::format_merged_json(*merged)
        : cmd.csv ? sweep::format_merged_csv(*merged)
                  : sweep::format_merged_text(*merged));
  if (!cmd.html.empty())
    if (auto st = sweep::write_merged_html(*merged, cmd.html); !st.ok()) return report_error(st, kRunFailed);
  return 0;
}

int run_sweep(const SweepCommand& cmd) {
  auto spec = sweep::read_sweep_file(cmd.file);
  if (!spec.ok()) return report_error(spec.status(), kUsageExitCode);
  auto cells = sweep::enumerate_cells(*spec);
  if (!cells.ok()) return report_error(cells.status(), kUsageExitCode);
  sweep::Shard shard;
  if (!cmd.shard.empty()) {
    auto parsed = sweep::parse_shard(cmd.shard);
    if (!parsed.ok()) return report_error(parsed.status(), kUsageExitCode);
    shard = *parsed;
  }
  const std::vector<sweep::Cell> mine = sweep::cells_of_shard(*cells, shard);
  if (cmd.list) {
    for (const sweep::Cell& c : mine) print(sweep::describe(c) + "\n");
    return 0;
  }
  if (cmd.out.empty()) return report_error(Status::Error("sweep", "--out DIR is required to run (or --list)"), kUsageExitCode);
  auto counts = sweep::run_cells(*spec, *cells, mine, cmd.out, cmd.jobs, stderr_is_tty());
  if (!counts.ok()) return report_error(counts.status(), kRunFailed);
  std::fprintf(stderr, "sweep: shard %zu/%zu: ran %zu cells, skipped %zu with results in %s (%zu cells in the sweep)\n",
               shard.index, shard.count, counts->ran, counts->skipped, cmd.out.c_str(), cells->size());
  return 0;
}

}  // namespace

std::unique_ptr<SweepCommand> add_sweep_command(CLI::App& app) {
  auto cmd = std::make_unique<SweepCommand>();
  cmd->sweep = app.add_subcommand("sweep", "Run a matrix of schedulers x workloads x topologies x seeds from a sweep "
                                           "file, split into shards; merge the results (docs/sweep.md)");
  cmd->sweep->footer(
      "Examples:\n"
      "  scxsim sweep sweep.json --list                       # the cells, one line each: id and settings\n"
      "  scxsim sweep sweep.json --jobs 8 --out results       # every cell, here\n"
      "  scxsim sweep sweep.json --shard 3/10 --out results   # the 3rd of 10 shards (another machine)\n"
      "  scxsim sweep merge results --html report.html        # compare's tables per workload x topology\n"
      "Cells whose result is already in the output directory are skipped (resume).");
  cmd->sweep->add_option("file", cmd->file, "The sweep file (JSON)");
  cmd->sweep->add_flag("--list", cmd->list, "Print the cells (of the shard, with --shard) instead of running them");
  cmd->sweep->add_option("--shard", cmd->shard, "Run only shard I of N (1-based), e.g. 3/10");
  cmd->sweep->add_option("--out,-o", cmd->out, "Directory for the results (one JSON file per cell)");
  cmd->sweep->add_option("--jobs,-j", cmd->jobs, "Parallel simulations (default: the number of CPUs)");
  cmd->merge = cmd->sweep->add_subcommand("merge", "Merge sweep result directories into compare's tables");
  cmd->merge->add_option("dirs", cmd->dirs, "Result directories (--out of each shard)")->required();
  cmd->merge->add_flag("--json", cmd->json, "Print JSON: one comparison per workload x topology");
  cmd->merge->add_flag("--csv", cmd->csv, "Print CSV: compare's columns after workload and topology");
  cmd->merge->add_option("--html", cmd->html, "Write the HTML report (an index and one page per group when several)");
  return cmd;
}

int run_sweep_command(const SweepCommand& cmd) {
  if (cmd.merge->parsed()) return run_merge(cmd);
  if (cmd.file.empty()) return report_error(Status::Error("sweep", "name a sweep file (or 'sweep merge DIR...')"), kUsageExitCode);
  return run_sweep(cmd);
}

}  // namespace scx
