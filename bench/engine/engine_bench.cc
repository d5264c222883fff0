// Simulator throughput: scheduler events per second of wall time on a fixed scenario — 200
// ping-pong pairs (400 tasks) on server-2s64 (64 CPUs) for 200 ms of simulated time, under the
// fair class (EEVDF with wake-up placement and load balancing) and under SCHED_FIFO (rt).
// No trace sinks are attached: this measures the core and the classes, not metrics.
#include <benchmark/benchmark.h>

#include "kernel/fair/fair_class.h"
#include "kernel/kernel.h"
#include "topo/topology.h"
#include "workload/generators.h"

namespace scx {
namespace {

constexpr Ns kSimulated = 200 * kNsPerMs;

void run_pingpong(benchmark::State& state, const char* workload_spec) {
  const Topology topo = make_preset("server-2s64").value();
  const Workload workload = resolve_workload(workload_spec, topo.nr_cpus()).value();
  uint64_t events = 0;
  for (auto _ : state) {
    KernelConfig kcfg;
    Kernel kernel(topo, kcfg);
    FairConfig fcfg;
    fcfg.tunables = fair::Tunables::for_machine(topo.nr_cpus(), static_cast<unsigned>(kcfg.cost.hz));
    kernel.set_fair_class(std::make_unique<FairClass>(kernel, fcfg));
    if (!kernel.load(workload).ok() || !kernel.run_until(kSimulated).ok()) {
      state.SkipWithError("simulation failed");
      return;
    }
    events += kernel.stats().events;
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["events/run"] = static_cast<double>(events) / static_cast<double>(state.iterations());
}

void BM_PingPongFair(benchmark::State& state) { run_pingpong(state, "pingpong:pairs=200"); }
void BM_PingPongFifo(benchmark::State& state) { run_pingpong(state, "pingpong:pairs=200,policy=fifo"); }

BENCHMARK(BM_PingPongFair)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_PingPongFifo)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace
}  // namespace scx

BENCHMARK_MAIN();
