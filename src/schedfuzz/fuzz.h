// `scxsim fuzz`: random scenarios under one scheduler with --check until the first failure
// (an invariant break, a stall, another ejection, a BPF fault) or the budget; the failure is
// then shrunk to a minimal rt-app file and one `scxsim run` command that reproduces it.
#pragma once

#include <array>
#include <cstdio>
#include <optional>
#include <string>

#include "schedfuzz/outcome.h"
#include "schedfuzz/scenario.h"

namespace scx::fuzz {

struct FuzzOptions {
  RunOptions base;                      // --sched and its settings (--set, --profile, ...)
  uint64_t seed = 1;                    // scenario i comes from (seed, i): same seed, same scenarios
  // Wall-clock time of the whole run: scenarios are tried for its first three quarters, and
  // shrinking a failure ends by its end.
  Ns budget = 120 * kNsPerSec;
  std::optional<uint64_t> max_scenarios;  // stop after this many scenarios
  std::optional<std::string> topology;  // fixed machine (else random small ones, shrunk too)
  std::optional<Ns> duration;           // fixed run length (else random; shrunk too)
  std::string out_dir;                  // where the rt-app files go (must exist)
  std::string program = "scxsim";       // how the reproducer names the binary
  std::FILE* progress = nullptr;        // progress lines (stderr), or none
};

struct FuzzFinding {
  uint64_t index = 0;       // which scenario (0-based)
  Outcome outcome;          // of the minimal scenario (the same kind as the original's)
  FuzzScenario original;
  FuzzScenario minimal;
  int shrink_tries = 0;
  bool shrunk_to_minimal = false;  // false: the budget or the run limit stopped shrinking
  std::string original_path;  // the rt-app files written to out_dir
  std::string repro_path;
  std::string command;        // the `scxsim run` line that reproduces it
};

struct FuzzReport {
  uint64_t tried = 0;
  std::array<uint64_t, kFailureKinds> by_kind{};  // scenarios per FailureKind
  std::optional<FuzzFinding> finding;
  double elapsed_s = 0;
};

Result<FuzzReport> run_fuzz(const FuzzOptions& opts);

// `PROGRAM run -w FILE --sched X --topology T --seed S --duration D --check` plus the
// scheduler's settings, each word quoted for a POSIX shell where it needs it.
std::string reproducer_command(const FuzzOptions& opts, const FuzzScenario& s, const std::string& workload_path);

// The summary printed at the end: scenarios tried, failures by kind, and the finding.
std::string format_fuzz_summary(const FuzzReport& r);

}  // namespace scx::fuzz
