#include "cli/runner.h"

#include <cstdio>

#include <fmt/format.h>

#include "kernel/fair/fair_class.h"
#include "trace/fingerprint_sink.h"
#include "trace/text_sink.h"
#include "workload/generators.h"

namespace scx {
namespace {

// Fair-class tunables and feature flags settable with --fair NAME=VALUE (the debugfs knobs).
Status apply_fair_setting(FairConfig& cfg, const std::string& assignment) {
  size_t eq = assignment.find('=');
  if (eq == std::string::npos) return Status::Errorf("--fair", "expected NAME=VALUE, got '{}'", assignment);
  std::string name = assignment.substr(0, eq), value = assignment.substr(eq + 1);
  if (name == "base_slice_ns" || name == "base_slice") {
    auto d = parse_duration(value.find_first_not_of("0123456789") == std::string::npos ? value + "ns" : value);
    if (!d.ok()) return d.status().within("--fair " + name);
    cfg.tunables.base_slice_ns = *d;
    return {};
  }
  struct Flag {
    const char* name;
    bool fair::Features::*member;
  };
  static constexpr Flag kFlags[] = {
      {"PLACE_LAG", &fair::Features::place_lag},
      {"PLACE_DEADLINE_INITIAL", &fair::Features::place_deadline_initial},
      {"PLACE_REL_DEADLINE", &fair::Features::place_rel_deadline},
      {"RUN_TO_PARITY", &fair::Features::run_to_parity},
      {"PREEMPT_SHORT", &fair::Features::preempt_short},
      {"NEXT_BUDDY", &fair::Features::next_buddy},
      {"DELAY_DEQUEUE", &fair::Features::delay_dequeue},
      {"DELAY_ZERO", &fair::Features::delay_zero},
      {"WAKEUP_PREEMPTION", &fair::Features::wakeup_preemption},
  };
  for (const Flag& f : kFlags) {
    if (name != f.name) continue;
    if (value != "0" && value != "1" && value != "on" && value != "off")
      return Status::Errorf("--fair " + name, "expected 0/1/on/off, got '{}'", value);
    cfg.features.*f.member = value == "1" || value == "on";
    return {};
  }
  return Status::Errorf("--fair", "unknown fair setting '{}'", name);
}

}  // namespace

std::vector<SchedulerInfo> available_schedulers() {
  return {{"eevdf", "Linux 6.12's fair class (EEVDF); the baseline"}};
}

Result<RunOutput> run_simulation(const RunOptions& opts) {
  RunOutput out;
  SCX_ASSIGN_OR_RETURN(Topology topo, resolve_topology(opts.topology));
  out.topology = std::make_unique<Topology>(std::move(topo));
  const Topology& t = *out.topology;
  SCX_ASSIGN_OR_RETURN(Workload workload, resolve_workload(opts.workload, t.nr_cpus()));

  KernelConfig kcfg;
  kcfg.seed = opts.seed;
  for (const auto& c : opts.costs) SCX_RETURN_IF_ERROR(kcfg.cost.set(c));
  FairConfig fcfg;
  fcfg.tunables = fair::Tunables::for_machine(t.nr_cpus(), static_cast<unsigned>(kcfg.cost.hz));
  for (const auto& f : opts.fair) SCX_RETURN_IF_ERROR(apply_fair_setting(fcfg, f));

  bool known = false;
  for (const auto& s : available_schedulers()) known |= s.name == opts.sched;
  if (!known) {
    std::string names;
    for (const auto& s : available_schedulers()) names += (names.empty() ? "" : ", ") + s.name;
    return Status::Errorf("--sched", "unknown scheduler '{}' (available: {})", opts.sched, names);
  }

  Kernel kernel(t, kcfg);
  kernel.set_fair_class(std::make_unique<FairClass>(kernel, fcfg));
  out.metrics = std::make_unique<MetricsCollector>(t);
  kernel.trace().subscribe(out.metrics.get());
  FingerprintSink fp;
  if (opts.fingerprint) kernel.trace().subscribe(&fp);
  std::FILE* trace_file = nullptr;
  std::unique_ptr<TextTraceSink> text;
  if (!opts.trace_path.empty()) {
    trace_file = opts.trace_path == "-" ? stdout : std::fopen(opts.trace_path.c_str(), "w");
    if (!trace_file) return Status::Errorf("--trace", "cannot write '{}'", opts.trace_path);
    text = std::make_unique<TextTraceSink>(trace_file, opts.trace_ticks);
    kernel.trace().subscribe(text.get());
  }
  const Ns duration = opts.duration ? *opts.duration : workload.duration ? workload.duration : kNsPerSec;
  Status st = kernel.load(workload);
  if (st.ok()) {
    if (opts.check) {
      for (Ns at = kNsPerMs; st.ok() && at <= duration; at += kNsPerMs) {
        st = kernel.run_until(std::min(at, duration));
        if (st.ok()) st = kernel.check_invariants().within(fmt::format("invariant at t={}", format_seconds(at)));
      }
    } else {
      st = kernel.run_until(duration);
    }
  }
  if (trace_file && trace_file != stdout) std::fclose(trace_file);
  SCX_RETURN_IF_ERROR(st);

  RunInfo& info = out.report.info;
  info.workload = opts.workload;
  info.topology = opts.topology;
  info.topology_summary = t.summary();
  info.scheduler = opts.sched;
  info.seed = opts.seed;
  info.duration = duration;
  info.cost = kcfg.cost;
  info.counters = workload.counters;
  if (opts.fingerprint) info.fingerprint = fp.fingerprint().hex();
  out.report.stats = kernel.stats();
  out.report.metrics = out.metrics.get();
  return out;
}

}  // namespace scx
