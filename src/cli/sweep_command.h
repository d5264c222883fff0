// `scxsim sweep`: the command-line side of src/sweep (list, run a shard, merge). Kept out of
// main.cc, which only adds the subcommand and hands over when it was chosen.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace scx {

struct SweepCommand {
  CLI::App* sweep = nullptr;
  CLI::App* merge = nullptr;
  std::string file, shard, out, html;
  bool list = false, json = false, csv = false;
  unsigned jobs = 0;
  std::vector<std::string> dirs;
};

std::unique_ptr<SweepCommand> add_sweep_command(CLI::App& app);
// The exit code (README "Errors and exit codes").
int run_sweep_command(const SweepCommand& cmd);

}  // namespace scx
