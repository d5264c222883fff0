// Fuzzes the eBPF interpreter: bytes → instructions (8 bytes each), checked by the load-time
// pre-pass (Program::create) as the loader's programs are, then run with a small instruction
// budget. Every fault must be a one-line message; nothing may crash.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "bpf/vm/program.h"
#include "bpf/vm/vm.h"
#include "one_line.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<scx::bpf::Insn> insns(size / sizeof(scx::bpf::Insn));
  if (insns.empty()) return 0;
  std::memcpy(insns.data(), data, insns.size() * sizeof(scx::bpf::Insn));
  auto program = scx::bpf::Program::create("fuzz", std::move(insns));
  if (!program.ok()) {
    scx::fuzz::require_one_line(program.status().message());
    return 0;
  }
  scx::bpf::VmOptions options;
  options.insn_budget = 100'000;  // bounds each input's time; budget faults are covered too
  scx::bpf::Vm vm(options);
  // A struct_ops-style ctx of three arguments, as ops callbacks get (R1 = its address).
  const std::array<uint64_t, 3> ctx{1, 0xffff'ffff'ffff'ffffULL, 4096};
  scx::bpf::RunResult result = vm.run_ctx(*program, 0, ctx);
  if (result.fault) scx::fuzz::require_one_line(result.fault->message);
  return 0;
}
