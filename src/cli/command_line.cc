// scxsim's command line: subcommands parse options, call the runner and print.
#include "cli/command_line.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "base/cpu_time.h"
#include "base/text_file.h"
#include "bpf/host/bpf_ops.h"
#include "calibrate/calibrate.h"
#include "cli/compare.h"
#include "cli/progress.h"
#include "cli/runner.h"
#include "cli/sweep_command.h"
#include "cli/usage_checks.h"
#include "cli/validate.h"
#include "report/html.h"
#include "report/probe_report.h"
#include "probe/probe_spec.h"
#include "report/run_compact.h"
#include "report/interval_stats.h"
#include "schedfuzz/fuzz_command.h"
#include "topo/topology.h"
#include "workload/generators.h"

namespace {

// Ctrl-C or SIGTERM during `scxsim run`, `compare` or `validate`: runs stop at the next
// simulated millisecond and the report of what was simulated is printed. A second signal ends the process at once (the default action is back).
std::atomic<bool> g_interrupt{false};

extern "C" void on_interrupt(int sig) {
  g_interrupt.store(true, std::memory_order_relaxed);
  std::signal(sig, SIG_DFL);
}

void catch_interrupts() {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
}

// Exit code of an interrupted run: 128 + SIGINT, as shells report Ctrl-C.
constexpr int kInterruptedExitCode = 130;

// The last line of an interrupted report, then exit 130: after the tables on stdout, or on
// stderr beside JSON/CSV so that stdout stays one document.
int report_partial(const std::string& what, bool machine_readable) {
  std::fprintf(machine_readable ? stderr : stdout, "partial: interrupted; %s\n", what.c_str());
  return kInterruptedExitCode;
}

// A run that failed (a file's contents, the simulation): exit code 1.
int fail(const scx::Status& st) {
  std::fprintf(stderr, "scxsim: %s\n", st.message().c_str());
  return 1;
}

// The command line itself is wrong: one line, exit code 2 (README "Errors and exit codes").
int usage_error(const std::string& message) {
  std::fprintf(stderr, "scxsim: %s\n", message.c_str());
  return scx::kUsageExitCode;
}
int usage_error(const scx::Status& st) { return usage_error(st.message()); }

// CLI11's own errors end the same way as ours; help and --version print and exit 0.
// Returns the exit code, or -1 when the command line parsed and the subcommand should run.
int parse_command_line(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(std::string(e.what()) + " (see 'scxsim --help')");
  }
  return -1;
}

// The first word must be a subcommand; CLI11 would say only "A subcommand is required".
std::string unknown_subcommand(const CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return {};
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == argv[1]) return {};
    names.push_back(sub->get_name());
  }
  return scx::unknown_subcommand_message(argv[1], names);
}

void print_lists() {
  std::puts("Schedulers (--sched):");
  for (const auto& s : scx::available_schedulers()) std::printf("  %-12s %s\n", s.name.c_str(), s.description.c_str());
  std::puts("\nUser-space schedulers (--usersched, for BPF objects that hand tasks to user space):");
  for (const auto* u : scx::bpf::user_schedulers()) {
    std::printf("  %-12s %s\n", u->name.c_str(), u->description.c_str());
    for (const auto& p : u->params)
      std::printf("  %-12s   %s=%lld: %s\n", "", p.name.c_str(), static_cast<long long>(p.value), p.help.c_str());
  }
  std::puts("\nTopology presets (--topology):");
  for (const auto& p : scx::topology_presets()) std::printf("  %-16s %s\n", p.name.c_str(), p.description.c_str());
  std::puts("\nWorkload generators (--workload NAME[:key=value,...]):");
  for (const auto& g : scx::workload_generators())
    std::printf("  %-12s %s\n  %-12s options: %s\n", g.name.c_str(), g.summary.c_str(), "", g.options.c_str());
  std::puts("\nBundled rt-app workloads (--workload NAME):");
  for (const auto& b : scx::bundled_workloads()) std::printf("  %-20s %s\n", b.name.c_str(), b.description.c_str());
}

void add_scenario_options(CLI::App* cmd, scx::RunOptions& opts, std::string& duration_text) {
  cmd->add_option("--topology,-t", opts.topology,
                  "Machine: a preset (laptop, desktop-hybrid, server-2s64, server-2s256), 'host', a JSON "
                  "file, a CPU count ('8') or a spec ('nodes=2,llcs=2,cores=8,smt=2')")
      ->capture_default_str();
  cmd->add_option("--workload,-w", opts.workload,
                  "Workload: a generator (name[:key=value,...]), a bundled rt-app file name, or a path to "
                  "an rt-app JSON file")
      ->capture_default_str();
  cmd->add_option("--duration,-d", duration_text, "Simulated time to run, with a unit: 500ms, 2s (default: the "
                  "workload's own duration, else 1s)");
  cmd->add_option("--cost-profile", opts.cost_profile,
                  "Cost-model values measured by 'scxsim calibrate': a profile file, or a bundled profile's name "
                  "(costs/; 'default': the machine scxsim was validated on, docs/validate.md), or 'none' for the bare "
                  "model; --cost settings override it")->capture_default_str();
  cmd->add_option("--cost", opts.costs, "Override a cost-model value, NAME=VALUE (e.g. context_switch=3us, hz=1000); repeatable");
  cmd->add_option("--noise", opts.noise, "Run-to-run variation: KEY=VALUE (timer_jitter, kthread_rate, kthread_run, "
                  "work_jitter, tick_phase, timer_phase), 'off' for none; repeatable, applied in order");
  cmd->add_option("--fair", opts.fair, "Fair-class knob, NAME=VALUE (base_slice_ns=3000000, RUN_TO_PARITY=0, ...); repeatable");
  cmd->add_option("--cgroup", opts.cgroup,
                  "Run the whole workload inside this cgroup, e.g. /box:cpu.weight=200,cpu.max=50000 100000 "
                  "(its own cgroups go below it; docs/cgroups.md)");
  cmd->add_option("--max-tasks", opts.max_tasks,
                  "Refuse a workload that starts more tasks than this, stop a run whose forks exceed it (default 1048576)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-samples", opts.max_samples,
                  "Stop a run that keeps more latency samples than this (default 268435456, 2 GiB)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-topology-size", opts.max_topology_bytes,
                  "Refuse a --topology file larger than this many bytes (default 16 MiB)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--kernel", opts.kernel,
                  "Whose scheduler behaviour to simulate: 6.12 or 6.18 (EEVDF and sched_ext differences: "
                  "docs/kernel-versions.md)")
      ->capture_default_str();
}

// --metrics LIST and --all: which metrics the text table shows (report/metric_selection.h).
struct TableChoice {
  std::string metrics;
  bool all = false;
};

void add_table_options(CLI::App* cmd, TableChoice& choice) {
  CLI::Option* all = cmd->add_flag("--all", choice.all, "Print every metric and table (default: the headline metrics)");
  cmd->add_option("--metrics", choice.metrics,
                  "Print only these metrics: comma-separated keys or globs, e.g. 'wakeup_latency_us.*,group.*' "
                  "(keys: docs/reports.md)")
      ->excludes(all);
}

scx::Result<scx::MetricSelection> table_selection(const TableChoice& choice) {
  if (choice.all) return scx::MetricSelection::all();
  if (choice.metrics.empty()) return scx::MetricSelection{};
  return scx::MetricSelection::parse_list(choice.metrics);
}

// A --metrics pattern that matched no metric is most likely a typo: say so on stderr.
void warn_unmatched(const scx::MetricSelection& selection, const std::vector<std::string>& keys) {
  for (const std::string& p : selection.unmatched(keys))
    std::fprintf(stderr, "scxsim: warning: --metrics: '%s' matches no metric of this report\n", p.c_str());
}

std::vector<std::string> compare_metric_keys(const scx::CompareResult& r) {
  std::vector<std::string> keys;
  for (const scx::CompareRow& row : r.rows) keys.push_back(row.def.key);
  return keys;
}

std::vector<std::string> run_metric_keys(const scx::RunOutput& out) {
  std::vector<std::string> keys;
  const scx::RunDigest d = scx::make_metrics_digest("", out.report, scx::summarize(*out.metrics), out.figures);
  for (const scx::MetricValue& v : d.metrics) keys.push_back(v.def.key);
  return keys;
}

scx::Status apply_duration(const std::string& text, scx::RunOptions& opts) {
  if (text.empty()) return {};
  SCX_ASSIGN_OR_RETURN(opts.duration, scx::parse_positive_duration(text, "--duration"));
  return {};
}

// --probe's syntax and --probe-interval, checked before the run (names are resolved once the
// scheduler is loaded).
scx::Status check_probe_options(const std::string& interval_text, scx::RunOptions& opts) {
  SCX_ASSIGN_OR_RETURN(opts.probe_interval, scx::parse_positive_duration(interval_text, "--probe-interval"));
  for (const std::string& p : opts.probes) SCX_RETURN_IF_ERROR(scx::parse_probe(p).status());
  return {};
}

// --stats: the interval table needs the CPU count, known once the topology is resolved.
scx::Result<scx::RunOutput> run_with_stats(scx::RunOptions opts, scx::Ns interval) {
  SCX_ASSIGN_OR_RETURN(scx::Topology topo, scx::resolve_topology(opts.topology, opts.max_topology_bytes));
  scx::IntervalStatsSink stats(topo.nr_cpus(), interval, stderr);
  opts.sinks.push_back(&stats);
  const auto wall_start = std::chrono::steady_clock::now();
  const double cpu_start = scx::process_cpu_seconds();
  auto out = scx::run_simulation(opts);
  if (!out.ok()) return out;
  stats.print_tail();
  const scx::RunCost cost{out->report.stats.events, out->report.info.duration,
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count(),
                          scx::process_cpu_seconds() - cpu_start};
  std::fputs(scx::format_run_cost(cost).c_str(), stderr);
  return out;
}

int run_calibrate(scx::CalibrateOptions opts, const std::string& out) {
  opts.progress = stderr;
  auto profile = scx::calibrate_host(opts);
  if (!profile.ok()) return fail(profile.status());
  for (const auto& [name, value] : profile->costs) std::fprintf(stderr, "  %-16s %s\n", name.c_str(), value.c_str());
  const std::string text = scx::format_cost_profile(*profile);
  if (out.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  if (auto st = scx::write_text_file(out, text, "calibrate -o"); !st.ok()) return fail(st);
  return 0;
}

}  // namespace

int scx::run_command_line(int argc, char** argv, CommandMode mode) {
  CLI::App app{
      "scxsim: a deterministic simulator of the Linux scheduler (sched_ext + EEVDF).\n"
      "Runs a workload on a simulated machine under a chosen scheduler and reports per-task and\n"
      "per-CPU scheduling metrics. Same inputs and seed give byte-identical output.\n\n"
      "Examples:\n"
      "  scxsim run                                   # the bundled demo on a 4-CPU laptop\n"
      "  scxsim run --topology server-2s64 --workload pingpong:pairs=64 --duration 500ms\n"
      "  scxsim run --workload workloads/gaming.json --json > result.json\n"
      "  scxsim list                                  # schedulers, topologies, workloads"};
  app.require_subcommand(1);
  app.set_version_flag("--version", scx::version_text());
  scx::RunOptions opts;
  std::string seed_text;
  std::string duration_text;
  bool json = false;
  std::string html_path;
  std::string stats_text;
  std::string stats_floor_text = "1ms";

  CLI::App* run = app.add_subcommand("run", "Simulate one workload under one scheduler and print the metrics");
  add_scenario_options(run, opts, duration_text);
  run->add_option("--seed,-s", seed_text, "Random seed, 0..2^64-1 (default 1); the same seed gives the same run");
  run->add_option("--sched", opts.sched, "Scheduler to run; 'list' shows them")->capture_default_str();
  std::string load_at_text, unload_at_text;
  run->add_option("--sched-load-at", load_at_text, "Attach the sched_ext policy at this simulated time (default 0)");
  run->add_option("--sched-unload-at", unload_at_text, "Detach the sched_ext policy at this simulated time");
  run->add_option("--set", opts.bpf_globals,
                  "NAME=VALUE: set a global of a --sched FILE.bpf.o before it loads; NAME=1,2,3 fills an array, "
                  "'NAME[4]=7' one element (repeatable; wins over the profile)");
  run->add_option("--resize", opts.bpf_resize, "NAME=N: give array global NAME N elements before load (RESIZE_ARRAY)");
  run->add_option("--map-size", opts.bpf_map_size, "NAME=N: set map NAME's max_entries before load");
  run->add_option("--bpf-max-global-data", opts.bpf_max_global_data,
                  "Refuse a BPF object whose global data (.data/.bss/.rodata) exceed this many bytes")
      ->capture_default_str();
  run->add_option("--bpf-max-heap", opts.bpf_max_heap,
                  "Bytes a BPF object's bpf_obj_new objects may take (with the host's bookkeeping); "
                  "beyond, bpf_obj_new returns NULL")
      ->capture_default_str();
  run->add_option("--profile", opts.profile,
                  "What the scheduler's user space does before load (docs/profiles.md): a JSON file, or 'none'; "
                  "default: the bundled profile for the object's ops name");
  run->add_option("--sched-opt", opts.sched_opts, "NAME[=VALUE]: an option of the scheduler's profile (repeatable)");
  run->add_option("--usersched", opts.usersched,
                  "The user-space scheduler a BPF object hands tasks to ('scxsim list'), or 'none'; default: the "
                  "profile's, else the one for the object's ops name");
  run->add_flag("--json", json, "Print the result as JSON instead of tables");
  TableChoice run_table;
  add_table_options(run, run_table);
  run->add_flag("--fingerprint", opts.fingerprint, "Print a hash of the whole event stream (equal hashes = equal schedules)");
  run->add_option("--trace", opts.trace_path, "Write an ftrace-style event log to FILE ('-' for stdout)");
  run->add_flag("--trace-ticks", opts.trace_ticks, "Include scheduler ticks in --trace");
  run->add_flag("--check", opts.check, "Check the kernel's invariants every simulated millisecond (slower)");
  run->add_option("--perfetto", opts.perfetto_path, "Write a Perfetto trace (open it in ui.perfetto.dev) to FILE");
  run->add_option("--html", html_path, "Write a self-contained HTML report (plots as inline SVG) to FILE");
  std::string probe_interval_text = "1ms";
  run->add_option("--probe", opts.probes,
                  "Sample a BPF scheduler's global (NAME, NAME[3], NAME.member) or map value (map:MAP[KEY][.member]"
                  "[@CPU|@each]), or a native policy's counter, over simulated time into --json, --html and "
                  "--perfetto (repeatable)");
  run->add_option("--probe-interval", probe_interval_text, "Simulated time between --probe samples")
      ->capture_default_str();
  run->add_option("--stats", stats_text, "Print a periodic table every INTERVAL of simulated time (e.g. 100ms) on stderr");
  run->add_option("--stats-floor", stats_floor_text, "The shortest --stats interval accepted (a duration)")
      ->capture_default_str();

  // compare
  scx::CompareOptions copts;
  std::string compare_duration, sched_list, seeds_text = "3", compare_html;
  bool compare_json = false, compare_csv = false;
  CLI::App* compare = app.add_subcommand(
      "compare",
      "Run one scenario under several schedulers or settings and seeds; print a table vs the baseline (the first)");
  compare->footer(
      "Variants: the schedulers of --sched (eevdf, native policies, FILE.bpf.o; the first is the\n"
      "baseline; a BPF object's column is its file name without .bpf.o), then each --variant\n"
      "NAME:OPTIONS, where OPTIONS are space-separated --sched=X --fair=NAME=VALUE --cost=NAME=VALUE\n"
      "--noise=KEY=VALUE --kernel=6.12|6.18 and, for a FILE.bpf.o, --set=NAME=VALUE --profile=FILE|none\n"
      "--sched-opt=NAME[=VALUE] --usersched=NAME --resize=NAME=N --map-size=NAME=N (also '--set NAME=VALUE'),\n"
      "applied on top of the common settings; the scheduler defaults to the first of --sched.\n"
      "--set, --profile, --sched-opt, ... given outside --variant apply to every BPF object.\n"
      "Examples:\n"
      "  scxsim compare --variant rtp0:--fair=RUN_TO_PARITY=0 --seeds 5\n"
      "  scxsim compare --variant k612:--kernel=6.12 --seeds 5\n"
      "  scxsim compare --sched eevdf --variant 'slice1ms:--fair=base_slice_ns=1ms' --html report.html\n"
      "  scxsim compare --sched eevdf,vtime --seeds 1-10 --json\n"
      "  scxsim compare --sched eevdf,build/bpf/schedulers/simple.bpf.o \\\n"
      "      --variant 'simple-fifo:--sched=build/bpf/schedulers/simple.bpf.o --set fifo_sched=1' --seeds 5\n"
      "A run whose BPF scheduler was ejected is named in a warning line and left out of the means.\n"
      "Verdict: Welch's t-test (p < 0.05) over seeds and a change of at least 1%; '~' = inconclusive.");
  add_scenario_options(compare, copts.base, compare_duration);
  compare->add_option("--sched", sched_list,
                      "Comma-separated schedulers (names or FILE.bpf.o); the first is the baseline (default eevdf)");
  compare->add_option("--set", copts.base.bpf_globals, "NAME=VALUE: a global of every FILE.bpf.o variant (as run's)");
  compare->add_option("--resize", copts.base.bpf_resize, "NAME=N: an array global's length, every FILE.bpf.o variant");
  compare->add_option("--map-size", copts.base.bpf_map_size, "NAME=N: a map's max_entries, every FILE.bpf.o variant");
  compare->add_option("--profile", copts.base.profile, "The profile of every FILE.bpf.o variant (a JSON file, or 'none')");
  compare->add_option("--sched-opt", copts.base.sched_opts, "NAME[=VALUE]: a profile option, every FILE.bpf.o variant");
  compare->add_option("--usersched", copts.base.usersched, "The user-space scheduler of every FILE.bpf.o variant");
  compare->add_option("--variant", copts.variants,
                      "NAME:OPTIONS, e.g. rtp0:--fair=RUN_TO_PARITY=0 or 'fifo:--sched=x.bpf.o --set fifo_sched=1' "
                      "(repeatable)");
  compare->add_option("--seeds", seeds_text, "Seeds: N (1..N), A-B, or a list 1,4,9")->capture_default_str();
  compare->add_option("--jobs,-j", copts.jobs, "Parallel simulations (default: the number of CPUs)")
      ->check(CLI::Range(1u, 4096u));
  compare->add_flag("--json", compare_json, "Print the comparison as JSON");
  TableChoice compare_table;
  add_table_options(compare, compare_table);
  compare->add_flag("--csv", compare_csv, "Print the comparison as CSV (one line per metric and variant)");
  compare->add_option("--perfetto", copts.base.perfetto_path,
                      "Write a Perfetto trace of each variant's first seed (FILE.<variant>.ext)");
  compare->add_option("--html", compare_html, "Write a self-contained HTML report to FILE");
  std::string compare_probe_interval = "1ms";
  compare->add_option("--probe", copts.base.probes,
                      "As run's --probe, for every sched_ext variant's first seed, into --html and --perfetto");
  compare->add_option("--probe-interval", compare_probe_interval, "Simulated time between --probe samples")
      ->capture_default_str();

  // validate
  scx::ValidateOptions vopts;
  std::string validate_seeds = "5";
  bool validate_json = false;
  CLI::App* validate = app.add_subcommand(
      "validate", "Run an rt-app file on this machine's kernel (or take saved runs) and in scxsim; compare per task group");
  validate->footer(
      "The host side runs rt-app --runs times as root in a high-weight cpu cgroup under tracefs (runs where other\n"
      "tasks took over 5% of a CPU are discarded and rerun); the traces are measured by scxsim's own metrics code.\n"
      "The scxsim side runs the same file on the host's topology for each seed. See docs/validate.md.\n"
      "Examples:\n"
      "  scxsim validate workloads/validation/periodic-run.json --runs 5 --seeds 5\n"
      "  scxsim validate workloads/validation/periodic-run.json --save-reference validation/reference/periodic-run\n"
      "  scxsim validate workloads/validation/periodic-run.json --reference validation/reference/periodic-run --json");
  validate->add_option("workload", vopts.workload, "The rt-app JSON file (a path, or a bundled workload's name)")->required();
  validate->add_option("--runs", vopts.runs, "Real runs to keep")->capture_default_str()->check(CLI::Range(1, 100));
  validate->add_option("--seeds", validate_seeds, "Seeds of the scxsim side: N (1..N), A-B, or a list")->capture_default_str();
  validate->add_option("--reference", vopts.reference, "Compare against the runs saved in DIR instead of running the host");
  validate->add_option("--save-reference", vopts.save_reference, "Save the kept real runs (small per-run metric files) to DIR");
  validate->add_option("--keep-traces", vopts.keep_traces, "Keep the raw host traces and scxsim's trace logs in DIR");
  validate->add_flag("--json", validate_json, "Print the comparison as JSON");
  validate->add_option("--sched", vopts.sim.sched, "Scheduler of the scxsim side")->capture_default_str();
  validate->add_option("--topology,-t", vopts.topology, "Machine of the scxsim side (default: the host's, or the reference's)");
  validate->add_option("--cost", vopts.sim.costs, "Cost-model override for the scxsim side, NAME=VALUE (default hz: the host's); repeatable");
  validate->add_option("--fair", vopts.sim.fair, "Fair-class knob for the scxsim side, NAME=VALUE; repeatable");
  validate->add_option("--cost-profile", vopts.sim.cost_profile, "Cost profile of the scxsim side")->capture_default_str();
  validate->add_option("--noise", vopts.sim.noise, "Noise source of the scxsim side, KEY=VALUE or off; repeatable");
  validate->add_option("--kernel", vopts.sim.kernel, "Kernel version of the scxsim side")->capture_default_str();
  validate->add_option("--cgroup", vopts.sim.cgroup,
                       "Cgroup the scxsim side runs the workload in, /PATH[:FILE=VALUE,...], or 'none' (default: "
                       "as the real run, /scxsim-validate:cpu.shares=262144)");
  validate->add_option("--jobs,-j", vopts.jobs, "Parallel simulations (default: the number of CPUs)")
      ->check(CLI::Range(1u, 4096u));

  std::unique_ptr<scx::SweepCommand> sweep = scx::add_sweep_command(app);

  CLI::App* list = app.add_subcommand("list", "List schedulers, topology presets and workloads");

  std::string calibrate_out;
  scx::CalibrateOptions calibrate_opts;
  CLI::App* calibrate = app.add_subcommand(
      "calibrate", "Measure this machine's scheduling and IPC costs and write a cost profile for --cost-profile");
  calibrate->add_option("-o,--output", calibrate_out, "Write the profile (JSON) to FILE instead of stdout");
  calibrate->add_flag("--quick", calibrate_opts.quick, "Fewer repetitions and samples (about a second; rougher figures)");

  std::string inspect_path;
  bool inspect_json = false;
  CLI::App* inspect = app.add_subcommand("inspect", "Show what a sched_ext BPF object (.bpf.o) contains and what scxsim supports of it");
  inspect->add_option("file", inspect_path, "The BPF object")->required();
  inspect->add_flag("--json", inspect_json, "Print JSON");

  scx::fuzz::FuzzCommand fuzz(app);

  if (argc == 1) {  // a bare `scxsim` asks what the tool does: the help, on stdout, exit 0
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  if (std::string bad = unknown_subcommand(app, argc, argv); !bad.empty()) return usage_error(bad);
  if (int code = parse_command_line(app, argc, argv); code >= 0) return code;

  // Check-only (the CLI fuzzer): inspect, calibrate, list, sweep and fuzz run or read things
  // and take no options worth checking here.
  if (mode == scx::CommandMode::kCheckOnly &&
      (inspect->parsed() || calibrate->parsed() || list->parsed() || sweep->sweep->parsed() || fuzz.parsed()))
    return 0;
  if (inspect->parsed()) {
    auto text = scx::bpf::inspect_scheduler_file(inspect_path, inspect_json);
    if (!text.ok()) return fail(text.status());
    std::fwrite(text->data(), 1, text->size(), stdout);
    return 0;
  }
  if (calibrate->parsed()) {
    if (auto st = scx::check_output_path(calibrate_out, "calibrate -o"); !st.ok()) return usage_error(st);
    return run_calibrate(calibrate_opts, calibrate_out);
  }
  if (sweep->sweep->parsed()) return scx::run_sweep_command(*sweep);
  if (fuzz.parsed()) return fuzz.run(argv[0]);
  if (list->parsed()) {
    print_lists();
    return 0;
  }
  if (run->parsed()) {
    if (opts.sched == "list") {
      for (const auto& s : scx::available_schedulers()) std::printf("%-12s %s\n", s.name.c_str(), s.description.c_str());
      return 0;
    }
    if (auto st = apply_duration(duration_text, opts); !st.ok()) return usage_error(st);
    auto run_selection = table_selection(run_table);
    if (!run_selection.ok()) return usage_error(run_selection.status());
    if (!seed_text.empty()) {
      auto seed = scx::parse_seed(seed_text);
      if (!seed.ok()) return usage_error(seed.status());
      opts.seed = *seed;
    }
    if (!load_at_text.empty()) {
      auto d = scx::parse_duration(load_at_text);
      if (!d.ok()) return usage_error(d.status().within("--sched-load-at"));
      opts.sched_load_at = *d;
    }
    if (!unload_at_text.empty()) {
      auto d = scx::parse_duration(unload_at_text);
      if (!d.ok()) return usage_error(d.status().within("--sched-unload-at"));
      opts.sched_unload_at = *d;
    }
    scx::Ns stats_interval = 0;
    if (!stats_text.empty()) {
      auto d = scx::parse_positive_duration(stats_text, "--stats");
      if (!d.ok()) return usage_error(d.status());
      auto floor = scx::parse_positive_duration(stats_floor_text, "--stats-floor");
      if (!floor.ok()) return usage_error(floor.status());
      if (auto st = scx::check_stats_interval(*d, *floor); !st.ok()) return usage_error(st);
      stats_interval = *d;
    }
    if (auto st = scx::check_scenario(opts); !st.ok()) return usage_error(st);
    if (auto st = check_probe_options(probe_interval_text, opts); !st.ok()) return usage_error(st);
    opts.timeline = !html_path.empty();
    for (const auto& [path, option] : {std::pair{html_path, "--html"}, {opts.perfetto_path, "--perfetto"},
                                       {opts.trace_path, "--trace"}})
      if (auto st = scx::check_output_path(path, option); !st.ok()) return usage_error(st);
    if (mode == scx::CommandMode::kCheckOnly) return 0;
    const bool progress = scx::stderr_is_tty() && stats_interval == 0;
    scx::ProgressMeter meter(1, opts.duration.value_or(scx::kNsPerSec), progress);
    scx::ProgressSink progress_sink(&meter.slot(0));
    if (progress) opts.sinks.push_back(&progress_sink);
    opts.interrupt = &g_interrupt;
    catch_interrupts();
    meter.start();
    auto result = stats_interval > 0 ? run_with_stats(opts, stats_interval) : scx::run_simulation(opts);
    meter.stop();
    if (!result.ok()) return fail(result.status());
    for (const auto& w : result->report.workload_warnings) std::fprintf(stderr, "scxsim: warning: %s\n", w.c_str());
    std::string text = json ? scx::add_probes_json(scx::format_run_json(result->report), result->probes, opts.probe_interval)
                            : scx::format_run_text(result->report, *run_selection);
    // The keys cost a second summary of the run: only a --metrics list needs them.
    if (!json && !run_selection->patterns.empty()) warn_unmatched(*run_selection, run_metric_keys(*result));
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (!html_path.empty()) {
      scx::RunSummary summary = scx::summarize(*result->metrics);
      scx::RunDigest digest = scx::make_digest(opts.sched, result->report, summary, result->figures);
      digest.ejected.clear();  // one run is shown as it ran (the text report says if it was ejected)
      digest.html = scx::make_html_data(std::move(result->timeline), summary, result->probes);
      std::vector<std::vector<scx::RunDigest>> runs{{std::move(digest)}};
      const scx::RunInfo& i = result->report.info;
      scx::CompareResult r = scx::build_compare(
          {opts.sched}, {"--sched=" + opts.sched + " --kernel=" + i.kernel}, {opts.seed},
          fmt::format("workload {} on {} [{}], {} simulated, kernel {}", i.workload, i.topology, i.topology_summary,
                      scx::format_duration(i.duration), i.kernel),
          std::move(runs));
      if (auto st = scx::write_text_file(html_path, scx::format_html_report(r, "scxsim run"), "--html"); !st.ok()) return fail(st);
    }
    if (result->interrupted) {
      // After the tables on stdout; beside JSON on stderr, so that stdout stays one JSON document.
      const std::string asked = opts.duration ? " (of " + scx::format_duration(*opts.duration) + ")" : "";
      std::fprintf(json ? stderr : stdout, "partial: interrupted after %s of simulated time%s; the report covers only that\n",
                   scx::format_duration(result->report.info.duration).c_str(), asked.c_str());
      return kInterruptedExitCode;
    }
    return 0;
  }
  if (compare->parsed()) {
    if (auto st = apply_duration(compare_duration, copts.base); !st.ok()) return usage_error(st);
    if (!sched_list.empty()) {
      std::string item;
      for (char c : sched_list + ",") {
        if (c == ',') {
          copts.scheds.push_back(item);
          item.clear();
        } else {
          item += c;
        }
      }
    }
    auto seeds = scx::parse_seeds(seeds_text);
    if (!seeds.ok()) return usage_error(seeds.status());
    copts.seeds = *seeds;
    if (compare_json && compare_csv) return usage_error("compare: choose one of --json and --csv");
    auto compare_selection = table_selection(compare_table);
    if (!compare_selection.ok()) return usage_error(compare_selection.status());
    if (auto st = scx::check_scenario(copts.base); !st.ok()) return usage_error(st);
    for (const std::string& sched : copts.scheds)
      if (auto st = scx::check_scheduler(sched); !st.ok()) return usage_error(st);
    // A variant's scheduler defaults to the first of --sched, as run_compare resolves it.
    const std::string first_sched = copts.scheds.empty() ? "eevdf" : copts.scheds.front();
    for (const std::string& v : copts.variants)
      if (auto parsed = scx::parse_variant(v, first_sched); !parsed.ok()) return usage_error(parsed.status());
    if (auto st = check_probe_options(compare_probe_interval, copts.base); !st.ok()) return usage_error(st);
    for (const auto& [path, option] : {std::pair{compare_html, "--html"}, {copts.base.perfetto_path, "--perfetto"}})
      if (auto st = scx::check_output_path(path, option); !st.ok()) return usage_error(st);
    if (mode == scx::CommandMode::kCheckOnly) return 0;
    copts.progress = scx::stderr_is_tty();
    copts.base.timeline = !compare_html.empty();
    copts.interrupt = &g_interrupt;
    catch_interrupts();
    auto result = scx::run_compare(copts);
    if (!result.ok()) return fail(result.status());
    std::string text = compare_json ? scx::format_compare_json(*result)
                       : compare_csv ? scx::format_compare_csv(*result)
                                     : scx::format_compare_text(*result, *compare_selection);
    if (!compare_json && !compare_csv) warn_unmatched(*compare_selection, compare_metric_keys(*result));
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (!compare_html.empty()) {
      if (auto st = scx::write_text_file(compare_html, scx::format_html_report(*result, "scxsim compare"), "--html"); !st.ok())
        return fail(st);
    }
    const std::string partial = scx::describe_interruption(*result, copts.base.duration.value_or(scx::kNsPerSec));
    if (!partial.empty()) return report_partial(partial + "; the table covers only those", compare_json || compare_csv);
    return 0;
  }
  if (validate->parsed()) {
    auto seeds = scx::parse_seeds(validate_seeds);
    if (!seeds.ok()) return usage_error(seeds.status());
    vopts.seeds = *seeds;
    if (!vopts.reference.empty() && validate->count("--runs"))
      return usage_error("validate: --runs applies to host runs, not to --reference");
    // The simulated side's settings, checked before any host run (which takes minutes).
    scx::RunOptions settings = vopts.sim;
    if (settings.cgroup == "none") settings.cgroup.clear();
    if (auto st = scx::check_settings(settings); !st.ok()) return usage_error(st);
    if (mode == scx::CommandMode::kCheckOnly) return 0;
    vopts.note = [](const std::string& line) { std::fprintf(stderr, "scxsim: validate: %s\n", line.c_str()); };
    vopts.interrupt = &g_interrupt;
    catch_interrupts();
    auto report = scx::run_validate(vopts);
    if (!report.ok()) return g_interrupt.load() ? (fail(report.status()), kInterruptedExitCode) : fail(report.status());
    std::string text = validate_json ? scx::format_validation_json(*report) : scx::format_validation_text(*report);
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (!report->partial.empty()) return report_partial(report->partial + "; the table covers only those", validate_json);
    return 0;
  }
  return 0;
}
