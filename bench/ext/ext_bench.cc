// Simulator throughput with a sched_ext policy: scheduler events per second of wall time on the
// engine benchmark's scenario (200 ping-pong pairs = 400 tasks on a 2-socket 64-CPU machine),
// for each native policy and, for comparison, EEVDF. Run: build/bench/ext/ext_bench
#include <memory>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "kernel/ext/ext_class.h"
#include "kernel/fair/fair_class.h"
#include "kernel/kernel.h"
#include "policy/policy.h"
#include "topo/topology.h"
#include "workload/generators.h"

namespace scx {
namespace {

void run_scenario(benchmark::State& state, const std::string& sched) {
  const Topology topo = make_preset("server-2s64").value();
  const Workload w = resolve_workload("pingpong:pairs=200", topo.nr_cpus()).value();  // the engine bench's
  uint64_t events = 0;
  for (auto _ : state) {
    KernelConfig cfg;
    Kernel k(topo, cfg);
    FairConfig fcfg;
    fcfg.tunables = fair::Tunables::for_machine(topo.nr_cpus(), 250);
    k.set_fair_class(std::make_unique<FairClass>(k, fcfg));
    if (sched != "eevdf") {
      auto ext = std::make_unique<ExtClass>(k);
      ext->load_at(find_native_policy(sched)->make(), 0);
      k.set_ext_class(std::move(ext));
      if (!k.run_until(0).ok()) state.SkipWithError("load failed");
    }
    if (!k.load(w).ok() || !k.run_until(200 * kNsPerMs).ok()) state.SkipWithError("run failed");
    events += k.stats().events;
  }
  state.counters["events_per_s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

void BM_Eevdf(benchmark::State& s) { run_scenario(s, "eevdf"); }
void BM_Vtime(benchmark::State& s) { run_scenario(s, "vtime"); }
void BM_Fifo(benchmark::State& s) { run_scenario(s, "fifo"); }
void BM_Llc(benchmark::State& s) { run_scenario(s, "llc"); }
void BM_Central(benchmark::State& s) { run_scenario(s, "central"); }
BENCHMARK(BM_Eevdf)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Vtime)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Fifo)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Llc)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Central)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace scx

BENCHMARK_MAIN();
