// Runs one scenario under the scheduler being fuzzed, with the kernel invariants checked every
// simulated millisecond (--check), and says how it ended.
#pragma once

#include <string>

#include "cli/runner.h"
#include "schedfuzz/scenario.h"

namespace scx::fuzz {

enum class FailureKind {
  kNone,       // ran to the end, the scheduler still attached
  kInvariant,  // a kernel invariant broke (--check)
  kStall,      // the sched_ext watchdog ejected the scheduler: a runnable task did not run
  kEjection,   // any other ejection: scx_bpf_error(), an invalid dispatch, a failed callback
  kBpfFault,   // a BPF program faulted in the checked VM (and the scheduler was ejected)
  kRunError,   // the run failed otherwise (the object does not load, ...)
};
inline constexpr int kFailureKinds = 6;

// "ok", "invariant", "stall", "ejection", "bpf-fault", "error".
const char* failure_kind_name(FailureKind kind);

struct Outcome {
  FailureKind kind = FailureKind::kNone;
  std::string detail;  // the error or the ejection line, "" when kNone
};

// How a finished run (or its error) counts.
Outcome classify_run(const Result<RunOutput>& run);

// The options of `scxsim run` for `s`: `base` (the scheduler and its settings) with the
// scenario's machine, seed and duration, the workload read from `workload_path`, and --check.
RunOptions scenario_run_options(const RunOptions& base, const FuzzScenario& s, const std::string& workload_path);

// Writes the scenario's rt-app file to `workload_path`, runs it and classifies the result.
Outcome run_scenario(const RunOptions& base, const FuzzScenario& s, const std::string& workload_path);

}  // namespace scx::fuzz
