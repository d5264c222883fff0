#include "schedfuzz/fuzz.h"

#include <chrono>
#include <cstdio>
#include <vector>

#include <fmt/format.h>

#include "base/text_file.h"
#include "schedfuzz/generate.h"
#include "schedfuzz/shrink.h"
#include "sim/rng.h"
#include "topo/topology.h"

namespace scx::fuzz {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// How often the progress line is printed while scenarios run.
constexpr double kProgressEverySeconds = 5;

Result<GenerateOptions> generate_options(const FuzzOptions& opts) {
  GenerateOptions g;
  g.duration = opts.duration;
  if (opts.topology) {
    SCX_ASSIGN_OR_RETURN(Topology topo, resolve_topology(*opts.topology, opts.base.max_topology_bytes));
    g.topology = opts.topology;
    g.topology_cpus = static_cast<int>(topo.nr_cpus());
  }
  return g;
}

// The seed of scenario i: a stream of its own, so that scenario i does not depend on how many
// random numbers the ones before it drew.
uint64_t scenario_seed(uint64_t seed, uint64_t index) { return Rng(seed).fork(index).next_u64(); }

// A word for a POSIX shell: as it is when it has no special characters, else in single quotes.
std::string shell_word(const std::string& w) {
  const bool plain = !w.empty() && w.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                       "0123456789_./=:,@%+-") == std::string::npos;
  if (plain) return w;
  std::string out = "'";
  for (char c : w) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The settings of `scxsim run` that the fuzz run was given (the scheduler's and the model's),
// as command-line words.
std::vector<std::string> settings_args(const RunOptions& base) {
  const RunOptions defaults;
  std::vector<std::string> args;
  auto each = [&](const char* flag, const std::vector<std::string>& values) {
    for (const std::string& v : values) args.insert(args.end(), {flag, v});
  };
  auto unless_default = [&](const char* flag, const std::string& value, const std::string& dflt) {
    if (value != dflt) args.insert(args.end(), {flag, value});
  };
  each("--set", base.bpf_globals);
  each("--resize", base.bpf_resize);
  each("--map-size", base.bpf_map_size);
  unless_default("--profile", base.profile, defaults.profile);
  each("--sched-opt", base.sched_opts);
  unless_default("--usersched", base.usersched, defaults.usersched);
  unless_default("--kernel", base.kernel, defaults.kernel);
  unless_default("--cost-profile", base.cost_profile, defaults.cost_profile);
  each("--cost", base.costs);
  each("--noise", base.noise);
  each("--fair", base.fair);
  unless_default("--cgroup", base.cgroup, defaults.cgroup);
  return args;
}

void note(const FuzzOptions& opts, const std::string& line) {
  if (opts.progress) std::fprintf(opts.progress, "scxsim fuzz: %s\n", line.c_str());
}

// Shrinks the failing scenario i, keeping its failure kind, and writes both rt-app files.
Result<FuzzFinding> shrink_finding(const FuzzOptions& opts, uint64_t index, const FuzzScenario& failing,
                                   const Outcome& outcome, const std::string& work_path, Clock::time_point end) {
  note(opts, fmt::format("scenario {} failed ({}): {}; shrinking", index, failure_kind_name(outcome.kind),
                         outcome.detail));
  ShrinkOptions so;
  so.topology_fixed = opts.topology.has_value();
  so.duration_fixed = opts.duration.has_value();
  so.out_of_time = [end] { return Clock::now() >= end; };
  const auto same_kind = [&](const FuzzScenario& s) { return run_scenario(opts.base, s, work_path).kind == outcome.kind; };
  ShrinkResult shrunk = shrink_scenario(failing, same_kind, so);
  FuzzFinding f;
  f.index = index;
  f.original = failing;
  f.minimal = shrunk.scenario;
  f.shrink_tries = shrunk.tries;
  f.shrunk_to_minimal = shrunk.minimal;
  f.original_path = opts.out_dir + "/original.json";
  f.repro_path = opts.out_dir + "/repro.json";
  SCX_RETURN_IF_ERROR(write_text_file(f.original_path, scenario_json_text(f.original), "fuzz"));
  // The reproducer's own file, run once more: its outcome is the one reported.
  f.outcome = run_scenario(opts.base, f.minimal, f.repro_path);
  f.command = reproducer_command(opts, f.minimal, f.repro_path);
  return f;
}

}  // namespace

Result<FuzzReport> run_fuzz(const FuzzOptions& opts) {
  SCX_ASSIGN_OR_RETURN(GenerateOptions g, generate_options(opts));
  const std::string work_path = opts.out_dir + "/scenario.json";
  const Clock::time_point t0 = Clock::now();
  const auto budget = std::chrono::nanoseconds(opts.budget);
  const Clock::time_point search_end = t0 + budget * 3 / 4, end = t0 + budget;
  double last_note = 0;
  FuzzReport r;
  for (uint64_t i = 0; !opts.max_scenarios || i < *opts.max_scenarios; ++i) {
    if (Clock::now() >= search_end) break;
    const FuzzScenario s = generate_scenario(scenario_seed(opts.seed, i), g);
    const Outcome outcome = run_scenario(opts.base, s, work_path);
    ++r.tried;
    ++r.by_kind[static_cast<size_t>(outcome.kind)];
    if (outcome.kind != FailureKind::kNone) {
      SCX_ASSIGN_OR_RETURN(r.finding, shrink_finding(opts, i, s, outcome, work_path, end));
      break;
    }
    if (seconds_since(t0) - last_note >= kProgressEverySeconds) {
      last_note = seconds_since(t0);
      note(opts, fmt::format("{} scenarios tried, {:.0f}s elapsed", r.tried, last_note));
    }
  }
  std::remove(work_path.c_str());
  r.elapsed_s = seconds_since(t0);
  return r;
}

std::string reproducer_command(const FuzzOptions& opts, const FuzzScenario& s, const std::string& workload_path) {
  std::vector<std::string> words = {opts.program, "run",        "-w",     workload_path,
                                    "--sched",    opts.base.sched, "--topology", s.topology,
                                    "--seed",     std::to_string(s.seed), "--duration", format_duration(s.duration)};
  for (std::string& a : settings_args(opts.base)) words.push_back(std::move(a));
  words.push_back("--check");
  std::string line;
  for (const std::string& w : words) line += (line.empty() ? "" : " ") + shell_word(w);
  return line;
}

std::string format_fuzz_summary(const FuzzReport& r) {
  std::string out = fmt::format("scenarios tried: {} in {:.1f}s\n", r.tried, r.elapsed_s);
  for (int k = 0; k < kFailureKinds; ++k)
    out += fmt::format("  {:<10} {}\n", failure_kind_name(static_cast<FailureKind>(k)), r.by_kind[k]);
  if (!r.finding) return out + "no failure found\n";
  const FuzzFinding& f = *r.finding;
  out += fmt::format("failure: {} in scenario {}: {}\n", failure_kind_name(f.outcome.kind), f.index, f.outcome.detail);
  out += fmt::format("shrunk in {} runs to {} task(s) on {} CPU(s), {}{}: {}\n", f.shrink_tries,
                     scenario_task_count(f.minimal), f.minimal.nr_cpus, format_duration(f.minimal.duration),
                     f.shrunk_to_minimal ? "" : " (stopped by the budget: smaller ones may fail too)", f.repro_path);
  out += fmt::format("original scenario: {}\n", f.original_path);
  out += "reproduce with:\n  " + f.command + "\n";
  return out;
}

}  // namespace scx::fuzz
