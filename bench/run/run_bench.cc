// What one `scxsim run` costs — the simulation, the metrics collector and the default report,
// as the CLI runs them — on the scenarios of issue #12, with the targets:
//   ping-pong: 200 pairs on server-2s64 for 200 ms (engine_bench's scenario), EEVDF:
//              >= 2.5 M scheduler events per CPU-second;
//   S-64:      hackbench:groups=10 on server-2s64: <= 0.5 CPU-s per simulated second with
//              EEVDF, <= 1 CPU-s with simple.bpf.o (the BPF twin of vtime). With its default
//              loops=100 hackbench ends after ~16 ms simulated, so the cases run loops=6400
//              (~0.5 s simulated under EEVDF, ~0.9 s under simple.bpf.o; --duration 1s caps it)
//              and are judged per simulated second.
// Counters: events/s (per CPU-second of this process), cpu_s_per_run, cpu_s_per_sim_s, and
// vs_target: the figure over its target, oriented so that >= 1 means the target is met.
#include <benchmark/benchmark.h>

#include <string>

#include "base/cpu_time.h"
#include "cli/runner.h"
#include "report/metric_selection.h"
#include "report/run_compact.h"

namespace scx {
namespace {

struct Target {
  double min_events_per_s = 0;     // 0 = no target on events/s
  double max_cpu_s_per_sim_s = 0;  // 0 = no target on CPU-s per simulated second
};

void run_cli_path(benchmark::State& state, const RunOptions& opts, Target target) {
  uint64_t events = 0;
  Ns simulated = 0;
  double cpu = 0;
  for (auto _ : state) {
    const double start = process_cpu_seconds();
    auto out = run_simulation(opts);
    if (!out.ok()) {
      state.SkipWithError(out.status().message().c_str());
      return;
    }
    std::string text = format_run_text(out->report, MetricSelection{});
    benchmark::DoNotOptimize(text);
    cpu += process_cpu_seconds() - start;
    events += out->report.stats.events;
    simulated += out->report.info.duration;
  }
  const double events_per_s = cpu > 0 ? static_cast<double>(events) / cpu : 0;
  const double cpu_per_sim_s = simulated ? cpu / (static_cast<double>(simulated) / 1e9) : 0;
  state.counters["events/s"] = events_per_s;
  const double cpu_per_run = cpu / static_cast<double>(state.iterations());
  state.counters["cpu_s_per_run"] = cpu_per_run;
  state.counters["cpu_s_per_sim_s"] = cpu_per_sim_s;
  if (target.min_events_per_s > 0) state.counters["vs_target"] = events_per_s / target.min_events_per_s;
  if (target.max_cpu_s_per_sim_s > 0 && cpu_per_sim_s > 0)
    state.counters["vs_target"] = target.max_cpu_s_per_sim_s / cpu_per_sim_s;
}

RunOptions server_run(const std::string& sched, const std::string& workload, Ns duration) {
  RunOptions o;
  o.topology = "server-2s64";
  o.sched = sched;
  o.workload = workload;
  o.duration = duration;
  return o;
}

constexpr const char* kS64Workload = "hackbench:groups=10,loops=6400";

void BM_RunPingPongEevdf(benchmark::State& state) {
  run_cli_path(state, server_run("eevdf", "pingpong:pairs=200", 200 * kNsPerMs), {.min_events_per_s = 2.5e6});
}
void BM_RunS64Eevdf(benchmark::State& state) {
  run_cli_path(state, server_run("eevdf", kS64Workload, kNsPerSec), {.max_cpu_s_per_sim_s = 0.5});
}
void BM_RunS64SimpleBpf(benchmark::State& state) {
  run_cli_path(state, server_run(SCXSIM_BPF_SIMPLE_OBJ, kS64Workload, kNsPerSec),
               {.max_cpu_s_per_sim_s = 1.0});
}

BENCHMARK(BM_RunPingPongEevdf)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_RunS64Eevdf)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_RunS64SimpleBpf)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace scx

BENCHMARK_MAIN();
