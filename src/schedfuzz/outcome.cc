#include "schedfuzz/outcome.h"

#include "base/text_file.h"
#include "kernel/ext/ext_class.h"

namespace scx::fuzz {

const char* failure_kind_name(FailureKind kind) {
  switch (kind) {
    case FailureKind::kNone: return "ok";
    case FailureKind::kInvariant: return "invariant";
    case FailureKind::kStall: return "stall";
    case FailureKind::kEjection: return "ejection";
    case FailureKind::kBpfFault: return "bpf-fault";
    case FailureKind::kRunError: return "error";
  }
  return "?";
}

Outcome classify_run(const Result<RunOutput>& run) {
  if (!run.ok()) {
    const std::string& msg = run.status().message();
    // run_simulation names a broken invariant "invariant at t=...".
    const bool invariant = msg.find("invariant at t=") != std::string::npos;
    return {invariant ? FailureKind::kInvariant : FailureKind::kRunError, msg};
  }
  const std::string& ejected = run->report.info.scheduler_ejected;
  if (ejected.empty()) return {};
  if (ejected.find(scx_exit_reason(SCX_EXIT_ERROR_STALL)) != std::string::npos) return {FailureKind::kStall, ejected};
  // The BPF host reports a VM fault as "BPF program X (op) faulted: ..." (timers likewise).
  if (ejected.find("faulted") != std::string::npos) return {FailureKind::kBpfFault, ejected};
  return {FailureKind::kEjection, ejected};
}

RunOptions scenario_run_options(const RunOptions& base, const FuzzScenario& s, const std::string& workload_path) {
  RunOptions o = base;
  o.workload = workload_path;
  o.topology = s.topology;
  o.seed = s.seed;
  o.duration = s.duration;
  o.check = true;
  return o;
}

Outcome run_scenario(const RunOptions& base, const FuzzScenario& s, const std::string& workload_path) {
  if (Status st = write_text_file(workload_path, scenario_json_text(s), "fuzz"); !st.ok())
    return {FailureKind::kRunError, st.message()};
  return classify_run(run_simulation(scenario_run_options(base, s, workload_path)));
}

}  // namespace scx::fuzz
