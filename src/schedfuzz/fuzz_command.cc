#include "schedfuzz/fuzz_command.h"

#include <stdlib.h>

#include <cstdio>
#include <filesystem>

#include "cli/usage_checks.h"

namespace scx::fuzz {

FuzzCommand::FuzzCommand(CLI::App& app) {
  RunOptions& b = opts_.base;
  cmd_ = app.add_subcommand("fuzz", "Run random scenarios under a scheduler with --check until one fails; "
                                    "print a minimal rt-app reproducer (docs/fuzz.md)");
  cmd_->footer("Stops at the first invariant break, stall, ejection or BPF fault, shrinks that scenario and\n"
               "prints the `scxsim run` command that reproduces it. Exit code 3 when a failure was found.\n"
               "Examples:\n"
               "  scxsim fuzz --sched build/bpf/schedulers/simple.bpf.o\n"
               "  scxsim fuzz --sched vtime --budget 30s --seed 7 --out /tmp/fuzz");
  cmd_->add_option("--sched", b.sched, "The scheduler to fuzz: a FILE.bpf.o or a native policy")->required();
  cmd_->add_option("--budget", budget_text_, "Wall-clock time of the whole run: scenarios are tried for its first 3/4, shrinking a failure ends by its end")
      ->capture_default_str();
  cmd_->add_option("--seed,-s", seed_text_, "Seed of the scenario sequence (default 1): same seed, same scenarios");
  cmd_->add_option("--scenarios", max_scenarios_, "Stop after this many scenarios (default: only the budget)")
      ->check(CLI::PositiveNumber);
  cmd_->add_option("--topology,-t", topology_text_, "A fixed machine, as run takes (default: random small ones)");
  cmd_->add_option("--duration,-d", duration_text_,
                   "A fixed simulated time per scenario (default: random, 500ms to 2s; longer than the "
                   "scheduler's watchdog timeout to find stalls)");
  cmd_->add_option("--out,-o", opts_.out_dir, "Directory for the rt-app files (created; default: a new temporary one)");
  cmd_->add_option("--set", b.bpf_globals, "NAME=VALUE: a global of the BPF object (as run's)");
  cmd_->add_option("--resize", b.bpf_resize, "NAME=N: an array global's length (as run's)");
  cmd_->add_option("--map-size", b.bpf_map_size, "NAME=N: a map's max_entries (as run's)");
  cmd_->add_option("--profile", b.profile, "The object's profile: a JSON file, or 'none' (as run's)");
  cmd_->add_option("--sched-opt", b.sched_opts, "NAME[=VALUE]: an option of the scheduler's profile (as run's)");
  cmd_->add_option("--usersched", b.usersched, "The user-space scheduler (as run's)");
  cmd_->add_option("--kernel", b.kernel, "Kernel version to simulate: 6.12 or 6.18")->capture_default_str();
  cmd_->add_option("--cost-profile", b.cost_profile, "Cost profile (as run's)")->capture_default_str();
  cmd_->add_option("--cost", b.costs, "NAME=VALUE: a cost-model override (as run's)");
  cmd_->add_option("--noise", b.noise, "KEY=VALUE or off: run-to-run variation (as run's)");
  cmd_->add_option("--fair", b.fair, "NAME=VALUE: a fair-class knob (as run's)");
  cmd_->add_option("--cgroup", b.cgroup, "Run every scenario inside this cgroup (as run's)");
}

Status FuzzCommand::resolve_options(const std::string& program) {
  opts_.program = program;
  if (!seed_text_.empty()) {
    SCX_ASSIGN_OR_RETURN(opts_.seed, parse_seed(seed_text_));
  }
  SCX_ASSIGN_OR_RETURN(opts_.budget, parse_positive_duration(budget_text_, "--budget"));
  if (!duration_text_.empty()) {
    SCX_ASSIGN_OR_RETURN(opts_.duration, parse_positive_duration(duration_text_, "--duration"));
  }
  if (!topology_text_.empty()) opts_.topology = topology_text_;
  if (max_scenarios_ > 0) opts_.max_scenarios = max_scenarios_;
  // The scheduler and model settings are checked as run checks them, on a stand-in workload.
  RunOptions check = opts_.base;
  if (opts_.topology) check.topology = *opts_.topology;
  return check_scenario(check);
}

Status FuzzCommand::make_out_dir() {
  if (opts_.out_dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "scxsim-fuzz-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) return Status::Error("fuzz", "cannot create a temporary directory");
    opts_.out_dir = tmpl;
    temp_out_dir_ = true;
    return {};
  }
  std::error_code ec;
  std::filesystem::create_directories(opts_.out_dir, ec);
  if (ec) return Status::Errorf("--out", "cannot create directory '{}': {}", opts_.out_dir, ec.message());
  return {};
}

int FuzzCommand::run(const std::string& program) {
  if (Status st = resolve_options(program); !st.ok()) {
    std::fprintf(stderr, "scxsim: %s\n", st.message().c_str());
    return kUsageExitCode;
  }
  Status st = make_out_dir();
  opts_.progress = stderr;
  Result<FuzzReport> report = st.ok() ? run_fuzz(opts_) : Result<FuzzReport>(st);
  if (!report.ok()) {
    std::fprintf(stderr, "scxsim: %s\n", report.status().message().c_str());
    return 1;
  }
  // A temporary directory of ours that holds nothing (no failure) is not worth keeping.
  std::error_code ec;
  if (!report->finding && temp_out_dir_) std::filesystem::remove(opts_.out_dir, ec);
  std::printf("scxsim fuzz: %s, seed %llu\n", opts_.base.sched.c_str(), static_cast<unsigned long long>(opts_.seed));
  std::fputs(format_fuzz_summary(*report).c_str(), stdout);
  return report->finding ? kFoundFailureExitCode : 0;
}

}  // namespace scx::fuzz
