// scxsim's command line (README "Using it"): parses argv, checks every value, runs the
// subcommand and prints its output. main.cc is only the process entry point, so that the CLI
// fuzzer (fuzz/cli.cc) can drive the same parsing and checks without running anything.
#pragma once

namespace scx {

enum class CommandMode {
  kRun,        // parse, check, then run the subcommand
  kCheckOnly,  // parse and check only (usage errors are printed as usual); nothing runs
};

// Returns the process exit code (README "Errors and exit codes").
int run_command_line(int argc, char** argv, CommandMode mode = CommandMode::kRun);

}  // namespace scx
