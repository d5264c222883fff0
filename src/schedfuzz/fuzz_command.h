// The `scxsim fuzz` subcommand: its options, their checks, and printing the run (fuzz.h).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "schedfuzz/fuzz.h"

namespace scx::fuzz {

// Exit code when a failure was found (0: none found, 1: the fuzz run itself failed, 2: usage).
inline constexpr int kFoundFailureExitCode = 3;

class FuzzCommand {
 public:
  // Adds the subcommand and its options to `app`.
  explicit FuzzCommand(CLI::App& app);
  bool parsed() const { return cmd_->parsed(); }
  // Checks the options, fuzzes, prints the summary; returns the exit code. `program` (argv[0])
  // starts the printed reproducer command.
  int run(const std::string& program);

 private:
  Status resolve_options(const std::string& program);
  Status make_out_dir();

  CLI::App* cmd_;
  FuzzOptions opts_;
  std::string seed_text_, budget_text_ = "2m", duration_text_, topology_text_;
  uint64_t max_scenarios_ = 0;
  bool temp_out_dir_ = false;  // out_dir is a temporary directory made for this run
};

}  // namespace scx::fuzz
