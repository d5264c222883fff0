// The BPF host's cost: the ext benchmark's ping-pong scenario (200 pairs = 400 tasks on a
// 2-socket 64-CPU machine, 200 ms simulated) under the native vtime policy and under its BPF
// twin (bpf/schedulers/simple.bpf.o) run in the VM. Reports events/s of this thread's CPU time
// for both (CPU time, not wall time, because other builds share the machine) and the ratio
// BPF / native. Run: build/bench/bpf/bpf_host_bench
#include <time.h>

#include <memory>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "bpf/host/bpf_ops.h"
#include "kernel/ext/ext_class.h"
#include "kernel/fair/fair_class.h"
#include "kernel/kernel.h"
#include "policy/policy.h"
#include "topo/topology.h"
#include "workload/generators.h"

namespace scx {
namespace {

// The calling thread's CPU time in seconds.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// One run; returns (events, CPU seconds).
std::pair<uint64_t, double> run_once(bool bpf, const Topology& topo, const Workload& w) {
  KernelConfig cfg;
  Kernel k(topo, cfg);
  FairConfig fcfg;
  fcfg.tunables = fair::Tunables::for_machine(topo.nr_cpus(), 250);
  k.set_fair_class(std::make_unique<FairClass>(k, fcfg));
  auto ext = std::make_unique<ExtClass>(k);
  if (bpf) {
    bpf::BpfHostOptions o;
    o.nr_cpus = static_cast<int>(topo.nr_cpus());
    auto ops = bpf::BpfScxOps::load(SCXSIM_BPF_SIMPLE_OBJ, o);
    if (!ops.ok()) return {0, 0};
    ext->load_at(std::move(*ops), 0);
  } else {
    ext->load_at(find_native_policy("vtime")->make(), 0);
  }
  k.set_ext_class(std::move(ext));
  const double t0 = thread_cpu_seconds();
  if (!k.run_until(0).ok() || !k.load(w).ok() || !k.run_until(200 * kNsPerMs).ok()) return {0, 0};
  return {k.stats().events, thread_cpu_seconds() - t0};
}

void BM_VtimeNativeVsBpf(benchmark::State& state) {
  const Topology topo = make_preset("server-2s64").value();
  const Workload w = resolve_workload("pingpong:pairs=200", topo.nr_cpus()).value();  // the engine bench's
  uint64_t ev_native = 0, ev_bpf = 0;
  double s_native = 0, s_bpf = 0;
  for (auto _ : state) {
    auto [en, sn] = run_once(false, topo, w);
    auto [eb, sb] = run_once(true, topo, w);
    if (!en || !eb) state.SkipWithError("run failed");
    ev_native += en, s_native += sn, ev_bpf += eb, s_bpf += sb;
  }
  const double native_rate = s_native > 0 ? ev_native / s_native : 0;
  const double bpf_rate = s_bpf > 0 ? ev_bpf / s_bpf : 0;
  state.counters["native_events_per_s"] = native_rate;
  state.counters["bpf_events_per_s"] = bpf_rate;
  state.counters["bpf_over_native"] = native_rate > 0 ? bpf_rate / native_rate : 0;
  // The cost ratio issues #10/#12 target (CPU time per event, BPF / native).
  state.counters["bpf_cost_x"] = bpf_rate > 0 ? native_rate / bpf_rate : 0;
  state.counters["same_events"] = ev_native == ev_bpf ? 1 : 0;
}
BENCHMARK(BM_VtimeNativeVsBpf)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace scx

BENCHMARK_MAIN();
