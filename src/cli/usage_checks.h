// Checks of command-line values made before anything runs, so that a mistyped option fails at
// once with one line and exit code 2 (docs: README "Errors and exit codes").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "sim/time.h"

namespace scx {

// Exit code of every usage error (bad option, value out of range), as usual for command lines.
inline constexpr int kUsageExitCode = 2;

// A whole number 0..2^64-1, nothing else: CLI11 alone turns "-1" into 2^64-1.
Result<uint64_t> parse_seed(const std::string& text);

// A duration with a unit, greater than zero ("--duration", "--stats").
Result<Ns> parse_positive_duration(const std::string& text, const std::string& option);

// A file the run will write: its directory must exist and the path must not be a directory.
// Empty (not asked for) and "-" (stdout) pass.
Status check_output_path(const std::string& path, const std::string& option);

// The line for `scxsim --version`: the project version and the kernels it simulates.
std::string version_text();

// "unknown subcommand 'runn' (did you mean 'run'?)" for a first word that is not a subcommand.
std::string unknown_subcommand_message(const std::string& word, const std::vector<std::string>& subcommands);

}  // namespace scx
