// The FIFO scheduler (bpf/tests/fifo.bpf.c, compiled by clang-19 at build time) loaded by the
// loader and run in the VM: enqueue (vtime mode: CO-RE field reads, a percpu_array map lookup
// in a linked .text subprogram, a kfunc call) and stopping+running, per task. Reports "insns/s".
#include <benchmark/benchmark.h>

#include "bpf/helpers/helpers.h"
#include "bpf/loader/kernel_layouts.h"
#include "bpf/loader/object.h"
#include "scxsim/kernel_types.h"

namespace scx::bpf {
namespace {

struct Fixture {
  KfuncRegistry reg;
  Vm vm;
  HelperEnv helpers;
  std::unique_ptr<BpfObject> obj;
  std::vector<task_struct> tasks;
  uint64_t inserted = 0;

  Fixture() : tasks(64) {
    auto count = [this](CallContext&, const HostArgs&) -> uint64_t { return ++inserted, 0; };
    reg.add("scx_bpf_dsq_insert", count);
    reg.add("scx_bpf_dsq_insert_vtime", count);
    reg.add("scx_bpf_dsq_move_to_local", [](CallContext&, const HostArgs&) -> uint64_t { return 1; });
    LoadOptions o;
    o.kfuncs = &reg;
    auto r = load_bpf_object(SCXSIM_FIFO_OBJ, o);
    if (!r.ok()) std::abort();
    obj = std::move(r).value();
    helpers.bind(vm);
    obj->attach(vm);
    for (size_t i = 0; i < tasks.size(); ++i) {
      tasks[i].pid = static_cast<int>(i + 1);
      tasks[i].scx.weight = 100;
      tasks[i].scx.slice = 5'000'000;
      (void)vm.memory().add(&tasks[i], sizeof(task_struct), kPermReadWrite, "task_struct", task_struct_layout());
    }
  }
  ~Fixture() {
    obj.reset();
  }
};

void report(benchmark::State& state, uint64_t insns) {
  state.counters["insns/s"] = benchmark::Counter(static_cast<double>(insns), benchmark::Counter::kIsRate);
  state.counters["insns/call"] =
      benchmark::Counter(static_cast<double>(insns) / static_cast<double>(state.iterations()));
}

void BM_FifoEnqueue(benchmark::State& state) {
  Fixture f;
  const Program& p = *f.obj->callback("enqueue")->program;
  uint64_t insns = 0;
  size_t i = 0;
  for (auto _ : state) {
    uint64_t args[2] = {reinterpret_cast<uint64_t>(&f.tasks[i++ & 63]), 0};
    RunResult r = f.vm.run_ctx(p, 0, args);
    insns += r.insns;
    benchmark::DoNotOptimize(r.r0);
  }
  report(state, insns);
}
BENCHMARK(BM_FifoEnqueue);

void BM_FifoStoppingRunning(benchmark::State& state) {
  Fixture f;
  const Program& stop = *f.obj->callback("stopping")->program;
  const Program& run = *f.obj->callback("running")->program;
  uint64_t insns = 0;
  size_t i = 0;
  for (auto _ : state) {
    uint64_t args[2] = {reinterpret_cast<uint64_t>(&f.tasks[i++ & 63]), 1};
    insns += f.vm.run_ctx(stop, 0, args).insns;
    insns += f.vm.run_ctx(run, 0, std::span<const uint64_t>(args, 1)).insns;
  }
  report(state, insns);
}
BENCHMARK(BM_FifoStoppingRunning);

void BM_LoadFifoObject(benchmark::State& state) {
  KfuncRegistry reg;
  LoadOptions o;
  o.kfuncs = &reg;
  for (auto _ : state) {
    auto r = load_bpf_object(SCXSIM_FIFO_OBJ, o);
    benchmark::DoNotOptimize(r.ok());
  }
}
BENCHMARK(BM_LoadFifoObject);

}  // namespace
}  // namespace scx::bpf

BENCHMARK_MAIN();
