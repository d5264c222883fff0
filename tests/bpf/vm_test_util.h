// Shared helpers for the VM tests.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

#include "bpf/vm/program.h"
#include "bpf/vm/vm.h"
#include "bpf_asm.h"

namespace scx::bpf::test {

inline Program must_load(std::vector<Insn> code, const char* name = "test") {
  Result<Program> p = Program::create(name, std::move(code));
  if (!p.ok()) ADD_FAILURE() << p.status().message();
  return p.ok() ? std::move(p).value() : Program::create("exit", {exit_insn()}).value();
}

// Runs `code` (exit appended) with R1..R5 = args; expects success and returns R0.
inline uint64_t eval(std::vector<Insn> code, std::initializer_list<uint64_t> args = {}) {
  code.push_back(exit_insn());
  Program p = must_load(std::move(code));
  Vm vm;
  RunResult r = vm.run(p, args);
  if (!r.ok) ADD_FAILURE() << r.fault->message;
  return r.r0;
}

// R0 = value via ld_imm64, as a one-liner prefix.
inline std::vector<Insn> set(int reg, uint64_t v) { return ld_imm64(reg, v); }

inline std::vector<Insn> cat(std::initializer_list<std::vector<Insn>> parts) {
  std::vector<Insn> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace scx::bpf::test
