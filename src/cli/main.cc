// scxsim: the command-line entry point. Subcommands parse options, call the runner and print.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/runner.h"
#include "topo/topology.h"
#include "workload/generators.h"

namespace {

int fail(const scx::Status& st) {
  std::fprintf(stderr, "scxsim: %s\n", st.message().c_str());
  return 1;
}

void print_lists() {
  std::puts("Schedulers (--sched):");
  for (const auto& s : scx::available_schedulers()) std::printf("  %-12s %s\n", s.name.c_str(), s.description.c_str());
  std::puts("\nTopology presets (--topology):");
  for (const auto& p : scx::topology_presets()) std::printf("  %-16s %s\n", p.name.c_str(), p.description.c_str());
  std::puts("\nWorkload generators (--workload NAME[:key=value,...]):");
  for (const auto& g : scx::workload_generators())
    std::printf("  %-12s %s\n  %-12s options: %s\n", g.name.c_str(), g.summary.c_str(), "", g.options.c_str());
  std::puts("\nBundled rt-app workloads (--workload NAME):");
  for (const auto& b : scx::bundled_workloads()) std::printf("  %-20s %s\n", b.name.c_str(), b.description.c_str());
}

}  // namespace

int main(int argc, char** argv) {
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
  scx::RunOptions opts;
  std::string duration_text;
  bool json = false;

  CLI::App* run = app.add_subcommand("run", "Simulate one workload under one scheduler and print the metrics");
  run->add_option("--topology,-t", opts.topology,
                  "Machine: a preset (laptop, desktop-hybrid, server-2s64, server-2s256), 'host', a JSON "
                  "file, a CPU count ('8') or a spec ('nodes=2,llcs=2,cores=8,smt=2')")
      ->capture_default_str();
  run->add_option("--workload,-w", opts.workload,
                  "Workload: a generator (name[:key=value,...]), a bundled rt-app file name, or a path to "
                  "an rt-app JSON file")
      ->capture_default_str();
  run->add_option("--duration,-d", duration_text, "Simulated time to run, with a unit: 500ms, 2s (default: the "
                  "workload's own duration, else 1s)");
  run->add_option("--seed,-s", opts.seed, "Random seed; the same seed gives the same run")->capture_default_str();
  run->add_option("--sched", opts.sched, "Scheduler to run; 'list' shows them")->capture_default_str();
  run->add_option("--cost", opts.costs, "Override a cost-model value, NAME=VALUE (e.g. context_switch=3us, hz=1000); repeatable");
  run->add_option("--fair", opts.fair, "Fair-class knob, NAME=VALUE (base_slice_ns=3000000, RUN_TO_PARITY=0, ...); repeatable");
  run->add_flag("--json", json, "Print the result as JSON instead of tables");
  run->add_flag("--fingerprint", opts.fingerprint, "Print a hash of the whole event stream (equal hashes = equal schedules)");
  run->add_option("--trace", opts.trace_path, "Write an ftrace-style event log to FILE ('-' for stdout)");
  run->add_flag("--trace-ticks", opts.trace_ticks, "Include scheduler ticks in --trace");
  run->add_flag("--check", opts.check, "Check the kernel's invariants every simulated millisecond (slower)");

  CLI::App* list = app.add_subcommand("list", "List schedulers, topology presets and workloads");

  CLI11_PARSE(app, argc, argv);

  if (list->parsed()) {
    print_lists();
    return 0;
  }
  if (run->parsed()) {
    if (opts.sched == "list") {
      for (const auto& s : scx::available_schedulers()) std::printf("%-12s %s\n", s.name.c_str(), s.description.c_str());
      return 0;
    }
    if (!duration_text.empty()) {
      auto d = scx::parse_duration(duration_text);
      if (!d.ok()) return fail(d.status().within("--duration"));
      if (*d == 0) return fail(scx::Status::Error("--duration", "must be greater than zero"));
      opts.duration = *d;
    }
    auto result = scx::run_simulation(opts);
    if (!result.ok()) return fail(result.status());
    std::string text = json ? scx::format_run_json(result->report) : scx::format_run_text(result->report);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  return 0;
}
