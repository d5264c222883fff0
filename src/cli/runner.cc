#include "cli/runner.h"

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "base/suggest.h"
#include "bpf/host/bpf_ops.h"
#include "calibrate/cost_profile.h"
#include "kernel/ext/ext_class.h"
#include "kernel/fair/fair_class.h"
#include "policy/policy.h"
#include "probe/sampler.h"
#include "report/perfetto.h"
#include "trace/fingerprint_sink.h"
#include "trace/text_sink.h"
#include "workload/figures.h"
#include "workload/generators.h"
#include "workload/nest_in_cgroup.h"
#include "workload/task_limit.h"

namespace scx {
namespace {

// Fair-class tunables and feature flags settable with --fair NAME=VALUE (the debugfs knobs:
// /sys/kernel/debug/sched/{base_slice_ns,migration_cost_ns,nr_migrate} and features), plus the
// model's newidle cost parameters.
Status apply_fair_setting(FairConfig& cfg, const std::string& assignment) {
  size_t eq = assignment.find('=');
  if (eq == std::string::npos) return Status::Errorf("--fair", "expected NAME=VALUE, got '{}'", assignment);
  std::string name = assignment.substr(0, eq), value = assignment.substr(eq + 1);
  // A bare number is nanoseconds only for the knobs whose kernel names say so (base_slice_ns=3000000).
  const bool bare_is_ns = name.ends_with("_ns") && value.find_first_not_of("0123456789") == std::string::npos;
  auto duration = [&](Ns* out) -> Status {
    auto d = parse_duration(bare_is_ns ? value + "ns" : value);
    if (!d.ok()) return d.status().within("--fair " + name);
    *out = *d;
    return {};
  };
  if (name == "base_slice_ns" || name == "base_slice") return duration(&cfg.tunables.base_slice_ns);
  if (name == "migration_cost_ns" || name == "migration_cost") return duration(&cfg.balance.migration_cost_ns);
  if (name == "newidle_cost_ns") return duration(&cfg.balance.newidle_cost_ns);
  if (name == "newidle_cost_per_cpu_ns") return duration(&cfg.balance.newidle_cost_per_cpu_ns);
  if (name == "nr_migrate") {
    if (value.empty() || value.size() > 6 || value.find_first_not_of("0123456789") != std::string::npos)
      return Status::Errorf("--fair " + name, "expected a count (0..999999), got '{}'", value);
    cfg.balance.nr_migrate = static_cast<unsigned>(std::stoul(value));
    return {};
  }
  struct Flag {
    const char* name;
    bool* (*get)(FairConfig&);
  };
  static constexpr Flag kFlags[] = {
      {"PLACE_LAG", [](FairConfig& c) { return &c.features.place_lag; }},
      {"PLACE_DEADLINE_INITIAL", [](FairConfig& c) { return &c.features.place_deadline_initial; }},
      {"PLACE_REL_DEADLINE", [](FairConfig& c) { return &c.features.place_rel_deadline; }},
      {"RUN_TO_PARITY", [](FairConfig& c) { return &c.features.run_to_parity; }},
      {"PREEMPT_SHORT", [](FairConfig& c) { return &c.features.preempt_short; }},
      {"NEXT_BUDDY", [](FairConfig& c) { return &c.features.next_buddy; }},
      {"PICK_BUDDY", [](FairConfig& c) { return &c.features.pick_buddy; }},
      {"CACHE_HOT_BUDDY", [](FairConfig& c) { return &c.features.cache_hot_buddy; }},
      {"DELAY_DEQUEUE", [](FairConfig& c) { return &c.features.delay_dequeue; }},
      {"DELAY_ZERO", [](FairConfig& c) { return &c.features.delay_zero; }},
      {"WAKEUP_PREEMPTION", [](FairConfig& c) { return &c.features.wakeup_preemption; }},
      {"SIS_UTIL", [](FairConfig& c) { return &c.balance.sis_util; }},
      {"WA_IDLE", [](FairConfig& c) { return &c.balance.wa_idle; }},
      {"WA_WEIGHT", [](FairConfig& c) { return &c.balance.wa_weight; }},
      {"WA_BIAS", [](FairConfig& c) { return &c.balance.wa_bias; }},
      {"UTIL_EST", [](FairConfig& c) { return &c.balance.util_est; }},
      {"LB_MIN", [](FairConfig& c) { return &c.balance.lb_min; }},
      {"ATTACH_AGE_LOAD", [](FairConfig& c) { return &c.balance.attach_age_load; }},
      {"SHARED_RUNQ", [](FairConfig& c) { return &c.balance.shared_runq; }},
  };
  for (const Flag& f : kFlags) {
    if (name != f.name) continue;
    if (value != "0" && value != "1" && value != "on" && value != "off")
      return Status::Errorf("--fair " + name, "expected 0/1/on/off, got '{}'", value);
    *f.get(cfg) = value == "1" || value == "on";
    return {};
  }
  return Status::Errorf("--fair", "unknown fair setting '{}'", name);
}

}  // namespace

// The /sys/kernel/sched_ext view and the exit record, for reports.
void describe_ext(const ExtClass& ext, RunInfo& info) {
  const ScxState st = ext.state();
  info.scheduler_state.emplace_back("sched_ext state", st.state);
  info.scheduler_state.emplace_back("sched_ext switch_all", st.switch_all ? "1" : "0");
  info.scheduler_state.emplace_back("sched_ext nr_rejected", std::to_string(st.nr_rejected));
  info.scheduler_state.emplace_back("sched_ext enable_seq", std::to_string(st.enable_seq));
  if (!st.ops_name.empty()) info.scheduler_state.emplace_back("sched_ext root/ops", st.ops_name);
  if (st.kick_waits)
    info.scheduler_state.emplace_back("sched_ext kick waits",
                                      fmt::format("{} (CPUs spun {})", st.kick_waits, format_duration(st.kick_wait_ns)));
  if (const auto& ei = ext.exit_info()) {
    std::string line = fmt::format("kind {} ({}) code {} at {}s", ei->kind, ei->reason, ei->exit_code,
                                   format_seconds(ei->at));
    if (!ei->msg.empty()) line += ": " + ei->msg;
    info.scheduler_state.emplace_back("sched_ext exit", line);
    if (ei->kind != SCX_EXIT_UNREG)  // UNREG: detached by --sched-unload-at, as asked
      info.scheduler_ejected = fmt::format("at {}s: {}{}", format_seconds(ei->at), ei->reason,
                                           ei->msg.empty() ? "" : " (" + ei->msg + ")");
  }
  for (const std::string& l : ext.log()) info.scheduler_state.emplace_back(kKernelLogKey, l);
}

// The user-space scheduler's process, for reports.
static std::string describe_usersched(const bpf::UserSchedHost& u) {
  return fmt::format("{} (pid {}): {} passes, {} of CPU time asked", u.name(), u.pid(), u.passes(),
                     format_duration(u.charged()));
}

std::vector<SchedulerInfo> available_schedulers() {
  std::vector<SchedulerInfo> out = {{"eevdf", "Linux's fair class (EEVDF) of --kernel 6.12 or 6.18; the baseline"}};
  for (const PolicyInfo& p : native_policies()) out.push_back({p.name, p.description});
  return out;
}

bool is_bpf_object(const std::string& sched) {
  std::error_code fs_error;
  return sched.ends_with(".bpf.o") || std::filesystem::is_regular_file(sched, fs_error);
}

Status check_scheduler(const std::string& sched) {
  if (is_bpf_object(sched)) {
    std::error_code fs_error;
    if (!std::filesystem::is_regular_file(sched, fs_error))
      return Status::Errorf("--sched", "no such file '{}'", sched);
    return {};
  }
  std::string names;
  std::vector<std::string> known;
  for (const auto& s : available_schedulers()) {
    if (s.name == sched) return {};
    names += (names.empty() ? "" : ", ") + s.name;
    known.push_back(s.name);
  }
  return Status::Errorf("--sched", "unknown scheduler '{}'{} (available: {}, or a FILE.bpf.o)", sched,
                        did_you_mean(sched, known), names);
}

namespace {

// NAME=N arguments (--resize, --map-size).
Status parse_name_counts(const char* flag, const std::vector<std::string>& args, std::map<std::string, uint64_t>* out) {
  for (const std::string& a : args) {
    const size_t eq = a.find('=');
    uint64_t n = 0;
    const char* end = a.data() + a.size();
    auto [ptr, ec] = eq == std::string::npos ? std::from_chars(end, end, n)
                                             : std::from_chars(a.data() + eq + 1, end, n);
    if (eq == std::string::npos || eq == 0 || ec != std::errc() || ptr != end || eq + 1 == a.size())
      return Status::Errorf(flag, "expected NAME=COUNT, got '{}'", a);
    (*out)[a.substr(0, eq)] = n;
  }
  return Status();
}

// Where a stepped run stops next after `at`: the next simulated millisecond, or an earlier probe
// sample.
Ns next_stop(Ns at, const ProbeSampler* probes) {
  const Ns ms = (at / kNsPerMs + 1) * kNsPerMs;
  return probes ? std::min(ms, probes->next_due()) : ms;
}

void sample_if_due(ProbeSampler* probes, Ns at) {
  if (probes && probes->next_due() == at) probes->sample(at);
}

// The run without --check when it may be interrupted or is probed: one simulated millisecond (or
// up to the next probe sample) at a time, checking `stop` in between. A step only pops the events
// due by its end, so an uninterrupted run handles the same events as one straight run_until /
// run_until_idle. Interrupted, the books close at the end of the last whole step.
Status run_in_steps(Kernel& kernel, Ns duration, bool until_done, const std::atomic<bool>* stop,
                    ProbeSampler* probes, Ns& end, bool& interrupted) {
  Ns done = 0;
  for (Ns at = next_stop(0, probes); at < duration; at = next_stop(at, probes)) {
    if (until_done && kernel.live_user_tasks() == 0) break;
    if (stop && stop->load(std::memory_order_relaxed)) {
      interrupted = true;
      end = done;
      return kernel.run_until(end);
    }
    SCX_RETURN_IF_ERROR(until_done ? kernel.advance_while_alive(at) : kernel.advance_to(at));
    // A run-until-done workload whose last task exited before `at` has ended: no sample past it.
    if (!until_done || kernel.live_user_tasks() > 0) sample_if_due(probes, at);
    done = at;
  }
  if (!until_done) {
    end = duration;
    SCX_RETURN_IF_ERROR(kernel.run_until(duration));
    sample_if_due(probes, end);
    return {};
  }
  return {};  // the caller finishes a run-until-done workload (finish_until_done)
}

// A run-until-done workload (hackbench): until its last task exits, or up to `limit`. With an
// explicit --duration the run then ends at the limit and reports (`still_alive`: its tasks that
// had not finished); without one, reaching the limit is an error.
Status finish_until_done(Kernel& kernel, Ns limit, bool limit_given, Ns& end, int64_t& still_alive) {
  SCX_RETURN_IF_ERROR(kernel.advance_while_alive(limit));
  if (limit_given && kernel.live_user_tasks() > 0) {
    still_alive = static_cast<int64_t>(kernel.live_user_tasks());
    end = limit;
    return kernel.run_until(limit);
  }
  SCX_RETURN_IF_ERROR(kernel.run_until_idle(limit));
  end = kernel.now();
  return {};
}

}  // namespace

Status apply_costs(const RunOptions& opts, CostModel& cost) {
  if (!opts.cost_profile.empty() && opts.cost_profile != "none") {
    SCX_ASSIGN_OR_RETURN(CostProfile profile, load_cost_profile(opts.cost_profile));
    SCX_RETURN_IF_ERROR(apply_cost_profile(profile, cost, "--cost-profile " + opts.cost_profile));
  }
  for (const auto& c : opts.costs) SCX_RETURN_IF_ERROR(cost.set(c));
  return {};
}

Status check_settings(const RunOptions& opts, int nr_cpus) {
  const std::optional<KernelVersion> version = parse_kernel_version(opts.kernel);
  if (!version) return Status::Errorf("--kernel", "unknown kernel version '{}' (available: 6.12, 6.18)", opts.kernel);
  CostModel cost;
  SCX_RETURN_IF_ERROR(apply_costs(opts, cost));
  if (!opts.cgroup.empty()) SCX_RETURN_IF_ERROR(parse_cgroup_option(opts.cgroup).status());
  NoiseModel noise = NoiseModel::defaults();
  for (const auto& n : opts.noise) SCX_RETURN_IF_ERROR(noise.set(n));
  FairConfig fair = FairConfig::for_kernel(*version, nr_cpus, static_cast<unsigned>(cost.hz));
  for (const auto& f : opts.fair) SCX_RETURN_IF_ERROR(apply_fair_setting(fair, f));
  return check_scheduler(opts.sched);
}

Status check_scenario(const RunOptions& opts) {
  SCX_ASSIGN_OR_RETURN(Topology topo, resolve_topology(opts.topology, opts.max_topology_bytes));
  SCX_RETURN_IF_ERROR(check_settings(opts, static_cast<int>(topo.nr_cpus())));
  CostModel cost;
  SCX_RETURN_IF_ERROR(apply_costs(opts, cost));
  return resolve_workload(opts.workload, topo.nr_cpus(), opts.seed, cost, opts.max_tasks).status();
}

Result<RunOutput> run_simulation(const RunOptions& opts) {
  RunOutput out;
  SCX_ASSIGN_OR_RETURN(Topology topo, resolve_topology(opts.topology, opts.max_topology_bytes));
  out.topology = std::make_unique<Topology>(std::move(topo));
  const Topology& t = *out.topology;
  const std::optional<KernelVersion> version = parse_kernel_version(opts.kernel);
  if (!version) return Status::Errorf("--kernel", "unknown kernel version '{}' (available: 6.12, 6.18)", opts.kernel);
  KernelConfig kcfg;
  kcfg.seed = opts.seed;
  kcfg.version = *version;
  kcfg.uptime = kCliUptime;
  kcfg.max_tasks = opts.max_tasks;
  SCX_RETURN_IF_ERROR(apply_costs(opts, kcfg.cost));
  SCX_ASSIGN_OR_RETURN(Workload resolved, resolve_workload(opts.workload, t.nr_cpus(), opts.seed, kcfg.cost, opts.max_tasks));
  if (!opts.cgroup.empty()) {
    SCX_ASSIGN_OR_RETURN(CgroupSpec outer, parse_cgroup_option(opts.cgroup));
    nest_in_cgroup(resolved, outer);
  }
  // One copy for the whole run: the kernel shares it (its programs are every task's code).
  const auto shared_workload = std::make_shared<const Workload>(std::move(resolved));
  const Workload& workload = *shared_workload;
  kcfg.noise = NoiseModel::defaults();
  for (const auto& n : opts.noise) SCX_RETURN_IF_ERROR(kcfg.noise.set(n));
  FairConfig fcfg = FairConfig::for_kernel(*version, static_cast<int>(t.nr_cpus()), static_cast<unsigned>(kcfg.cost.hz));
  for (const auto& f : opts.fair) SCX_RETURN_IF_ERROR(apply_fair_setting(fcfg, f));

  // --sched FILE.bpf.o (or any existing file): an unmodified sched_ext BPF object.
  const bool bpf_object = is_bpf_object(opts.sched);
  std::unique_ptr<bpf::BpfScxOps> bpf_ops;
  bpf::BpfObject* bpf_obj = nullptr;  // read by --probe
  const ScxOps* native_ops = nullptr;  // read by --probe
  if (bpf_object) {
    bpf::BpfHostOptions bo;
    bo.nr_cpus = static_cast<int>(t.nr_cpus());
    bo.topology = &t;  // what the scheduler's user space would read from /sys
    for (const std::string& g : opts.bpf_globals) {
      size_t eq = g.find('=');
      if (eq == std::string::npos) return Status::Errorf("--set", "expected NAME=VALUE, got '{}'", g);
      bo.globals.emplace_back(g.substr(0, eq), g.substr(eq + 1));
    }
    SCX_RETURN_IF_ERROR(parse_name_counts("--resize", opts.bpf_resize, &bo.array_lengths));
    std::map<std::string, uint64_t> sizes;
    SCX_RETURN_IF_ERROR(parse_name_counts("--map-size", opts.bpf_map_size, &sizes));
    for (const auto& [k, v] : sizes) {
      if (v > UINT32_MAX) return Status::Errorf("--map-size", "{}={} is too large", k, v);
      bo.map_max_entries[k] = static_cast<uint32_t>(v);
    }
    bo.profile = opts.profile;
    bo.sched_opts = opts.sched_opts;
    bo.usersched = opts.usersched;
    bo.max_global_data = opts.bpf_max_global_data;
    bo.max_heap_bytes = opts.bpf_max_heap;
    auto loaded = bpf::BpfScxOps::load(opts.sched, bo);
    if (!loaded.ok()) return loaded.status().within("--sched");
    bpf_ops = std::move(*loaded);
    bpf_obj = &bpf_ops->object();
  } else if (!opts.bpf_globals.empty() || !opts.bpf_resize.empty() || !opts.bpf_map_size.empty() ||
             !opts.profile.empty() || !opts.sched_opts.empty() || !opts.usersched.empty()) {
    return Status::Errorf("--sched", "--set, --resize, --map-size, --profile, --sched-opt and --usersched apply "
                                     "only to a --sched FILE.bpf.o");
  }
  if (!bpf_object) SCX_RETURN_IF_ERROR(check_scheduler(opts.sched));

  Kernel kernel(t, kcfg);
  kernel.set_fair_class(std::make_unique<FairClass>(kernel, fcfg));
  // A sched_ext policy: the ext class hosts it from --sched-load-at on (default t=0, before the
  // workload's tasks first run), until it exits or --sched-unload-at.
  ExtClass* ext = nullptr;
  if (const PolicyInfo* policy = find_native_policy(opts.sched)) {
    auto ext_class = std::make_unique<ExtClass>(kernel);
    ext = ext_class.get();
    kernel.set_ext_class(std::move(ext_class));
    std::unique_ptr<ScxOps> ops = policy->make();
    native_ops = ops.get();
    ext->load_at(std::move(ops), opts.sched_load_at);
    if (opts.sched_unload_at) ext->unload_at(*opts.sched_unload_at);
  }
  if (bpf_ops) {
    auto ext_class = std::make_unique<ExtClass>(kernel);
    ext = ext_class.get();
    kernel.set_ext_class(std::move(ext_class));
    ext->load_at(std::move(bpf_ops), opts.sched_load_at);
    if (opts.sched_unload_at) ext->unload_at(*opts.sched_unload_at);
  }
  // A run-until-done workload (hackbench, build) ends when its last task exits; --duration, or
  // else kRunUntilDoneLimit, is then only a limit.
  constexpr Ns kRunUntilDoneLimit = 600 * kNsPerSec;
  const Ns duration = opts.duration                ? *opts.duration
                      : workload.run_until_done ? kRunUntilDoneLimit
                      : workload.duration       ? workload.duration
                                                : kNsPerSec;
  std::unique_ptr<PerfettoWriter> perfetto;
  std::unique_ptr<ProbeSampler> probes;
  if (!opts.probes.empty()) {
    SCX_ASSIGN_OR_RETURN(probes, make_probe_sampler(opts.probes, opts.probe_interval, bpf_obj, native_ops, opts.sched));
    probes->on_sample([&perfetto](const std::string& name, Ns at, int64_t v) {
      if (perfetto) perfetto->probe_value(at, name, v);
    });
  }
  out.metrics = std::make_unique<MetricsCollector>(t);
  if (opts.series_buckets > 0)
    out.metrics->enable_series(std::max<Ns>(1, (duration + static_cast<Ns>(opts.series_buckets) - 1) /
                                                   static_cast<Ns>(opts.series_buckets)));
  out.metrics->limit_samples(opts.max_samples, [&kernel](const Status& why) { kernel.stop(why); });
  kernel.trace().subscribe(out.metrics.get());
  for (TraceSink* s : opts.sinks) kernel.trace().subscribe(s);
  std::unique_ptr<WorkloadFiguresSink> figures = make_figures_sink(workload);
  if (figures) kernel.trace().subscribe(figures.get());
  std::FILE* perfetto_file = nullptr;
  if (!opts.perfetto_path.empty()) {
    perfetto_file = std::fopen(opts.perfetto_path.c_str(), "wb");
    if (!perfetto_file) return Status::Errorf("--perfetto", "cannot write '{}'", opts.perfetto_path);
    perfetto = std::make_unique<PerfettoWriter>(t, perfetto_file);
    kernel.trace().subscribe(perfetto.get());
  }
  FingerprintSink fp;
  if (opts.fingerprint) kernel.trace().subscribe(&fp);
  std::unique_ptr<TimelineRecorder> timeline;
  if (opts.timeline) {
    timeline = std::make_unique<TimelineRecorder>(static_cast<int>(t.nr_cpus()));
    kernel.trace().subscribe(timeline.get());
  }
  std::FILE* trace_file = nullptr;
  std::unique_ptr<TextTraceSink> text;
  if (!opts.trace_path.empty()) {
    trace_file = opts.trace_path == "-" ? stdout : std::fopen(opts.trace_path.c_str(), "w");
    if (!trace_file) return Status::Errorf("--trace", "cannot write '{}'", opts.trace_path);
    text = std::make_unique<TextTraceSink>(trace_file, opts.trace_ticks);
    kernel.trace().subscribe(text.get());
  }
  // Every task the run starts with (forks may add more).
  const int64_t started = workload_task_count(workload) + kernel.noise_thread_count();
  out.metrics->reserve_tasks(static_cast<size_t>(started) + kernel.kthreads().size(),
                             kernel.next_pid() + static_cast<int>(started));
  Status st = kernel.load(shared_workload);
  Ns end = duration;
  if (st.ok() && workload.run_until_done) {
    if (opts.check) {
      for (end = next_stop(0, probes.get()); st.ok() && kernel.live_user_tasks() > 0; end = next_stop(end, probes.get())) {
        if (end > duration) {
          st = Status::Errorf("", "{} task(s) still alive at the time limit {}", kernel.live_user_tasks(),
                              format_duration(duration));
          break;
        }
        st = kernel.advance_while_alive(end);
        if (st.ok() && kernel.live_user_tasks() > 0) sample_if_due(probes.get(), end);
        if (st.ok()) st = kernel.check_invariants().within(fmt::format("invariant at t={}", format_seconds(end)));
      }
      if (st.ok()) st = kernel.run_until_idle(duration);  // closes the books once, as a straight run
      end = kernel.now();
    } else {
      if (opts.interrupt || probes)
        st = run_in_steps(kernel, duration, true, opts.interrupt, probes.get(), end, out.interrupted);
      if (st.ok() && !out.interrupted)
        st = finish_until_done(kernel, duration, opts.duration.has_value(), end, out.report.info.unfinished_tasks);
    }
  } else if (st.ok()) {
    if (opts.check) {
      for (Ns at = next_stop(0, probes.get()); st.ok() && at < duration; at = next_stop(at, probes.get())) {
        st = kernel.advance_to(at);
        if (st.ok()) sample_if_due(probes.get(), at);
        if (st.ok()) st = kernel.check_invariants().within(fmt::format("invariant at t={}", format_seconds(at)));
      }
      if (st.ok()) st = kernel.run_until(duration);
      if (st.ok()) sample_if_due(probes.get(), duration);
      if (st.ok()) st = kernel.check_invariants().within(fmt::format("invariant at t={}", format_seconds(duration)));
    } else if (opts.interrupt || probes) {
      st = run_in_steps(kernel, duration, false, opts.interrupt, probes.get(), end, out.interrupted);
    } else {
      st = kernel.run_until(duration);
    }
  }
  if (trace_file && trace_file != stdout) std::fclose(trace_file);
  if (perfetto_file) {
    const bool written = perfetto->ok() && std::fclose(perfetto_file) == 0;
    if (st.ok() && !written) st = Status::Errorf("--perfetto", "error writing '{}'", opts.perfetto_path);
  }
  SCX_RETURN_IF_ERROR(st);

  RunInfo& info = out.report.info;
  info.workload = opts.workload;
  info.topology = opts.topology;
  info.topology_summary = t.summary();
  info.scheduler = opts.sched;
  info.kernel = kernel_version_name(*version);
  info.seed = opts.seed;
  info.duration = end;
  info.cost = kcfg.cost;
  info.noise = kcfg.noise;
  info.counters = workload.counters;
  if (opts.fingerprint) info.fingerprint = fp.fingerprint().hex();
  if (ext) {
    describe_ext(*ext, info);
    // Callback counts and the sysfs state are read off the class once the run is over.
    ScxMetrics& scx = out.metrics->scx();
    for (int op = 0; op < kScxOpCount; ++op)
      if (uint64_t n = ext->callback_count(static_cast<ScxOp>(op))) scx.callback(scx_op_name(static_cast<ScxOp>(op)), n);
    scx.set_state(ext->state().state);
    // The SCX_EV_* counters, as scx_bpf_events() shows them.
    for (const auto& [name, n] : ext->event_counters()) scx.event_counter(name, n);
  }
  if (const auto* bo = ext ? dynamic_cast<const bpf::BpfScxOps*>(ext->ops()) : nullptr; bo && bo->usersched())
    info.scheduler_state.emplace_back("user-space scheduler", describe_usersched(*bo->usersched()));
  // What a BPF scheduler's user space prints from UEI when it exited.
  if (ext && bpf_object && ext->exit_info())
    info.scheduler_state.emplace_back(
        "EXIT", ext->exit_info()->msg.empty()
                    ? ext->exit_info()->reason
                    : fmt::format("{} ({})", ext->exit_info()->reason, ext->exit_info()->msg));
  if (probes) out.probes = probes->series();
  if (timeline) out.timeline = timeline->timeline();
  out.report.stats = kernel.stats();
  out.report.metrics = out.metrics.get();
  out.report.workload_warnings = workload.warnings;
  if (figures) {
    out.report.workload_figures_text = figures->text();
    out.report.workload_figures = figures->figures();
    for (const WorkloadFigure& f : out.report.workload_figures)
      out.figures.push_back(ExtraFigure{f.name, f.value, f.unit, f.higher_is_better});
  }
  return out;
}

}  // namespace scx
