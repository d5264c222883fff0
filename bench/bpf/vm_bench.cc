// Interpreter throughput. Each benchmark reports "insns/s" (BPF instructions executed per
// second of wall time) as a rate counter. Programs are hand-assembled so the benchmark does not
// depend on clang.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "bpf/vm/program.h"
#include "bpf/vm/vm.h"

namespace scx::bpf {
namespace {

Insn mk(uint8_t code, int dst, int src, int off, int32_t imm) {
  Insn i;
  i.code = code;
  i.dst = static_cast<uint8_t>(dst);
  i.src = static_cast<uint8_t>(src);
  i.off = static_cast<int16_t>(off);
  i.imm = imm;
  return i;
}
Insn alu_k(uint8_t aop, int dst, int32_t imm) { return mk(op::kAlu64 | op::kK | aop, dst, 0, 0, imm); }
Insn alu_x(uint8_t aop, int dst, int src) { return mk(op::kAlu64 | op::kX | aop, dst, src, 0, 0); }
Insn ldx(uint8_t sz, int dst, int src, int off) { return mk(op::kLdx | op::kMem | sz, dst, src, off, 0); }
Insn stx(uint8_t sz, int dst, int src, int off) { return mk(op::kStx | op::kMem | sz, dst, src, off, 0); }
Insn jne_k(int dst, int32_t imm, int off) { return mk(op::kJmp | op::kJne, dst, 0, off, imm); }
Insn exit_i() { return mk(op::kJmp | op::kExit, 0, 0, 0, 0); }
void ld64(std::vector<Insn>& c, int dst, uint64_t v) {
  c.push_back(mk(op::kLdImm64, dst, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(v))));
  c.push_back(mk(0, 0, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(v >> 32))));
}

Program load(std::vector<Insn> code) { return std::move(Program::create("bench", code).value()); }

void report(benchmark::State& state, uint64_t insns) {
  state.counters["insns/s"] = benchmark::Counter(static_cast<double>(insns),
                                                 benchmark::Counter::kIsRate);
  state.counters["insns/run"] = benchmark::Counter(
      static_cast<double>(insns) / static_cast<double>(state.iterations()));
}

// FNV-1a over a 64-byte stack buffer, R2 times: ALU + byte loads from the stack + branches.
void BM_StackHash(benchmark::State& state) {
  std::vector<Insn> c;
  for (int k = 1; k <= 8; ++k) {
    c.push_back(stx(op::kDW, kRegFp, 1, -8 * k));
    c.push_back(alu_k(op::kAdd, 1, 0x1234567));
  }
  ld64(c, 0, 1469598103934665603ULL);
  ld64(c, 7, 1099511628211ULL);
  // outer:
  c.push_back(alu_x(op::kMov, 3, kRegFp));
  c.push_back(alu_k(op::kAdd, 3, -64));
  c.push_back(alu_k(op::kMov, 4, 64));
  // inner:
  c.push_back(ldx(op::kB, 5, 3, 0));
  c.push_back(alu_x(op::kXor, 0, 5));
  c.push_back(alu_x(op::kMul, 0, 7));
  c.push_back(alu_k(op::kAdd, 3, 1));
  c.push_back(alu_k(op::kSub, 4, 1));
  c.push_back(jne_k(4, 0, -6));
  c.push_back(alu_k(op::kSub, 2, 1));
  c.push_back(jne_k(2, 0, -10));
  c.push_back(exit_i());
  Program p = load(c);
  Vm vm(VmOptions{.insn_budget = 100'000'000});
  uint64_t insns = 0;
  const uint64_t args[] = {0xfeedface, 100};
  for (auto _ : state) {
    RunResult r = vm.run(p, 0, args);
    benchmark::DoNotOptimize(r.r0);
    insns += r.insns;
  }
  report(state, insns);
}
BENCHMARK(BM_StackHash);

// Read-modify-write of a map value through a host region (region cache hit path).
void BM_MapValueAccess(benchmark::State& state) {
  auto value = std::make_unique<uint64_t[]>(64);
  Vm vm(VmOptions{.insn_budget = 100'000'000});
  if (!vm.memory().add(value.get(), 64 * 8, kPermReadWrite, "map_value").ok()) std::abort();
  std::vector<Insn> c = {
      ldx(op::kDW, 3, 1, 0),  alu_x(op::kAdd, 3, 2), stx(op::kDW, 1, 3, 0),
      ldx(op::kDW, 4, 1, 8),  alu_x(op::kXor, 4, 3), stx(op::kDW, 1, 4, 8),
      ldx(op::kW, 5, 1, 16),  alu_k(op::kAdd, 5, 1), stx(op::kW, 1, 5, 16),
      alu_k(op::kSub, 2, 1),  jne_k(2, 0, -11),      mk(op::kJmp | op::kExit, 0, 0, 0, 0)};
  Program p = load(c);
  uint64_t insns = 0;
  const uint64_t args[] = {reinterpret_cast<uint64_t>(value.get()), 1000};
  for (auto _ : state) {
    RunResult r = vm.run(p, 0, args);
    insns += r.insns;
  }
  report(state, insns);
}
BENCHMARK(BM_MapValueAccess);

// Accesses alternating between many typed objects (task_structs with a field layout), so the
// last-hit cache misses and the region map is searched.
void BM_ManyTaskRegions(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto layout = std::make_shared<FieldLayout>("task_struct", 256);
  layout->allow(0, 256, kPermRead).allow(64, 8, kPermReadWrite, "scx.slice");
  std::vector<std::unique_ptr<uint64_t[]>> tasks;
  std::vector<uint64_t> ptrs;
  Vm vm(VmOptions{.insn_budget = 100'000'000});
  for (int i = 0; i < n; ++i) {
    tasks.push_back(std::make_unique<uint64_t[]>(32));
    ptrs.push_back(reinterpret_cast<uint64_t>(tasks.back().get()));
    if (!vm.memory().add(tasks.back().get(), 256, kPermReadWrite, "", layout).ok()) std::abort();
  }
  if (!vm.memory().add(ptrs.data(), ptrs.size() * 8, kPermRead, "task_ptrs").ok()) std::abort();
  // for i in 0..n: p = ptrs[i]; p->slice = p->slice + p->field0
  std::vector<Insn> c = {
      ldx(op::kDW, 3, 1, 0),  ldx(op::kDW, 4, 3, 64), ldx(op::kDW, 5, 3, 0),
      alu_x(op::kAdd, 4, 5),  stx(op::kDW, 3, 4, 64), alu_k(op::kAdd, 1, 8),
      alu_k(op::kSub, 2, 1),  jne_k(2, 0, -8),        exit_i()};
  Program p = load(c);
  uint64_t insns = 0;
  const uint64_t args[] = {reinterpret_cast<uint64_t>(ptrs.data()), static_cast<uint64_t>(n)};
  for (auto _ : state) {
    RunResult r = vm.run(p, 0, args);
    insns += r.insns;
  }
  report(state, insns);
}
BENCHMARK(BM_ManyTaskRegions)->Arg(16)->Arg(1024);

// A helper call per 5 instructions.
void BM_HelperCalls(benchmark::State& state) {
  Vm vm(VmOptions{.insn_budget = 100'000'000});
  vm.helpers().set(1, "inc", [](CallContext&, const HostArgs& a) { return a[0] + 1; });
  std::vector<Insn> c = {alu_k(op::kMov, 6, 0),
                         alu_x(op::kMov, 1, 6),
                         mk(op::kJmp | op::kCall, 0, op::kCallHelper, 0, 1),
                         alu_x(op::kMov, 6, 0),
                         alu_k(op::kSub, 7, 1),
                         jne_k(7, 0, -5),
                         alu_x(op::kMov, 0, 6),
                         exit_i()};
  // r7 = iterations comes from R2 via a preamble.
  c.insert(c.begin(), alu_x(op::kMov, 7, 2));
  Program p = load(c);
  uint64_t insns = 0;
  const uint64_t args[] = {0, 1000};
  for (auto _ : state) {
    RunResult r = vm.run(p, 0, args);
    insns += r.insns;
  }
  report(state, insns);
  state.counters["calls/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 1000, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_HelperCalls);

// A short program (a typical scheduler callback is tens of instructions): per-run overhead.
void BM_ShortRun(benchmark::State& state) {
  Vm vm;
  std::vector<Insn> c = {ldx(op::kDW, 2, 1, 0), alu_k(op::kAdd, 2, 1), stx(op::kDW, kRegFp, 2, -8),
                         ldx(op::kDW, 0, kRegFp, -8), exit_i()};
  Program p = load(c);
  uint64_t insns = 0;
  const uint64_t ctx[] = {41};
  for (auto _ : state) {
    RunResult r = vm.run_ctx(p, 0, ctx);
    insns += r.insns;
  }
  report(state, insns);
}
BENCHMARK(BM_ShortRun);

}  // namespace
}  // namespace scx::bpf

BENCHMARK_MAIN();
