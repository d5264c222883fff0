// Assembles one simulation from command-line level choices (topology, workload, scheduler,
// seed, costs) and runs it. `scxsim run` prints its result; `scxsim compare` runs many.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "bpf/loader/object.h"
#include "kernel/kernel.h"
#include "metrics/metrics.h"
#include "report/probe_series.h"
#include "report/timeline.h"
#include "report/compare.h"
#include "report/run_report.h"
#include "topo/topology.h"
#include "workload/task_limit.h"

namespace scx {

struct RunOptions {
  std::string topology = "laptop";
  std::string workload = "demo";
  std::optional<Ns> duration;        // default: the workload's own, else 1s
  uint64_t seed = 1;
  std::string sched = "eevdf";
  Ns sched_load_at = 0;              // sched_ext policies: attach time
  std::optional<Ns> sched_unload_at; // and detach time (exit kind UNREG), if any
  std::vector<std::string> bpf_globals; // --set NAME=VALUE: globals of a --sched FILE.bpf.o
  std::vector<std::string> bpf_resize;   // --resize NAME=N: array lengths (RESIZE_ARRAY)
  std::vector<std::string> bpf_map_size; // --map-size NAME=N: map max_entries
  std::string profile;                   // --profile: "" bundled, "none", or a file
  std::vector<std::string> sched_opts;   // --sched-opt NAME[=VALUE]: the profile's options
  std::string usersched;                 // --usersched: "" the profile's / ops name's, "none", NAME
  uint64_t bpf_max_global_data = bpf::kDefaultMaxGlobalData;        // --bpf-max-global-data
  uint64_t bpf_max_heap = bpf::GraphHeap::kDefaultMaxHeapBytes;      // --bpf-max-heap
  std::string kernel = "6.18";       // --kernel: whose scheduler behaviour (kernel_version.h)
  std::string cost_profile = "default";  // --cost-profile: a file or bundled name; "none": the bare model
  std::vector<std::string> costs;    // NAME=VALUE, applied after the profile's
  std::vector<std::string> noise;    // --noise KEY=VALUE / off, over NoiseModel::defaults()
  std::vector<std::string> fair;     // fair tunables/features NAME=VALUE
  std::string cgroup;                // --cgroup /PATH[:FILE=VALUE,...]: the workload runs inside it
  std::string trace_path;            // ftrace-style text log ("-" = stdout)
  bool trace_ticks = false;
  bool fingerprint = false;
  bool check = false;                // check kernel invariants every simulated ms
  std::string perfetto_path;         // Perfetto protobuf trace (report/perfetto.h)
  int series_buckets = 100;          // time buckets of the per-CPU series (heatmap, depth plots)
  int64_t max_tasks = kDefaultMaxTasks;  // --max-tasks: the most tasks a workload may start
  size_t max_topology_bytes = kDefaultMaxTopologyFileBytes;  // --max-topology-size
  uint64_t max_samples = MetricsCollector::kDefaultMaxSamples;  // --max-samples
  // --probe: a BPF scheduler's globals / map values or a native policy's counters, sampled every
  // probe_interval of simulated time (probe/probe_spec.h); the run is the same with or without.
  std::vector<std::string> probes;
  Ns probe_interval = kNsPerMs;
  bool timeline = false;             // record the per-CPU timeline (RunOutput::timeline) for --html
  std::vector<TraceSink*> sinks;     // extra listeners (progress, --stats), subscribed before load
  // Set (from a SIGINT/SIGTERM handler) to end the run early: it stops at the next simulated
  // millisecond and reports the time simulated so far (RunOutput::interrupted). nullptr: never.
  const std::atomic<bool>* interrupt = nullptr;
};

struct RunOutput {
  std::unique_ptr<Topology> topology;
  std::unique_ptr<MetricsCollector> metrics;
  RunReport report;
  // The workload's own figures (WorkloadFiguresSink); empty until that sink is wired in.
  std::vector<ExtraFigure> figures;
  Timeline timeline;                // RunOptions::timeline
  std::vector<ProbeSeries> probes;  // one per --probe (per CPU for map:...@each), in order
  bool interrupted = false;  // RunOptions::interrupt stopped the run; report.info.duration is how far it got
};

// Known --sched names with one-line descriptions.
struct SchedulerInfo {
  std::string name;
  std::string description;
};
std::vector<SchedulerInfo> available_schedulers();
// Whether --sched names a sched_ext BPF object (FILE.bpf.o, or any existing file) rather than
// eevdf or a native policy.
bool is_bpf_object(const std::string& sched);
// An error naming the problem when --sched is neither a known name nor an existing BPF object.
Status check_scheduler(const std::string& sched);

// The cost model of a run: the defaults, then --cost-profile's values, then each --cost.
Status apply_costs(const RunOptions& opts, CostModel& cost);

// What run_simulation resolves before it simulates (topology, kernel version, costs, workload,
// cgroup, noise, fair knobs, scheduler name), checked without running: the CLI calls it first so
// that every mistake on the command line is a usage error (exit code 2).
Status check_scenario(const RunOptions& opts);
// The part of check_scenario that needs no topology or workload (kernel, costs, cgroup, noise,
// fair knobs on `nr_cpus` CPUs, scheduler): `validate`, whose machine is the host's or the
// reference's, checks these up front.
Status check_settings(const RunOptions& opts, int nr_cpus = 1);

Result<RunOutput> run_simulation(const RunOptions& opts);

}  // namespace scx
