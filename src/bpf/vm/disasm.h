// Disassembly in llvm-objdump (LLVM 19) syntax, e.g. "r1 = *(u64 *)(r10 - 0x8)",
// "if r1 > 0x3 goto +0x5", "call 0xc". Used in fault and load-error messages.
#pragma once

#include <string>

#include "bpf/vm/insn.h"

namespace scx::bpf {

// `next` is the following slot, needed for the value of an LD_IMM64 (may be null).
std::string disasm(const Insn& insn, const Insn* next = nullptr);

}  // namespace scx::bpf
