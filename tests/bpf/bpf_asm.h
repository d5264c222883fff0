// A tiny assembler for tests: functions building raw instructions, plus a Builder with labels
// so loops and forward jumps don't need hand-computed offsets.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "bpf/vm/insn.h"

namespace scx::bpf::test {

inline Insn make(uint8_t code, int dst, int src, int off, int32_t imm) {
  Insn i;
  i.code = code;
  i.dst = static_cast<uint8_t>(dst);
  i.src = static_cast<uint8_t>(src);
  i.off = static_cast<int16_t>(off);
  i.imm = imm;
  return i;
}

// ALU: op is op::kAdd etc.
inline Insn alu64_imm(uint8_t aop, int dst, int32_t imm, int off = 0) {
  return make(op::kAlu64 | op::kK | aop, dst, 0, off, imm);
}
inline Insn alu64_reg(uint8_t aop, int dst, int src, int off = 0) {
  return make(op::kAlu64 | op::kX | aop, dst, src, off, 0);
}
inline Insn alu32_imm(uint8_t aop, int dst, int32_t imm, int off = 0) {
  return make(op::kAlu | op::kK | aop, dst, 0, off, imm);
}
inline Insn alu32_reg(uint8_t aop, int dst, int src, int off = 0) {
  return make(op::kAlu | op::kX | aop, dst, src, off, 0);
}
inline Insn mov64_imm(int dst, int32_t imm) { return alu64_imm(op::kMov, dst, imm); }
inline Insn mov64_reg(int dst, int src) { return alu64_reg(op::kMov, dst, src); }
inline Insn mov32_imm(int dst, int32_t imm) { return alu32_imm(op::kMov, dst, imm); }
inline Insn movsx64(int dst, int src, int bits) { return alu64_reg(op::kMov, dst, src, bits); }
inline Insn movsx32(int dst, int src, int bits) { return alu32_reg(op::kMov, dst, src, bits); }
inline Insn neg64(int dst) { return alu64_imm(op::kNeg, dst, 0); }
inline Insn neg32(int dst) { return alu32_imm(op::kNeg, dst, 0); }
inline Insn to_le(int dst, int bits) { return make(op::kAlu | op::kEnd | op::kToLe, dst, 0, 0, bits); }
inline Insn to_be(int dst, int bits) { return make(op::kAlu | op::kEnd | op::kToBe, dst, 0, 0, bits); }
inline Insn bswap(int dst, int bits) { return make(op::kAlu64 | op::kEnd, dst, 0, 0, bits); }

inline Insn jmp_imm(uint8_t jop, int dst, int32_t imm, int off) {
  return make(op::kJmp | op::kK | jop, dst, 0, off, imm);
}
inline Insn jmp_reg(uint8_t jop, int dst, int src, int off) {
  return make(op::kJmp | op::kX | jop, dst, src, off, 0);
}
inline Insn jmp32_imm(uint8_t jop, int dst, int32_t imm, int off) {
  return make(op::kJmp32 | op::kK | jop, dst, 0, off, imm);
}
inline Insn jmp32_reg(uint8_t jop, int dst, int src, int off) {
  return make(op::kJmp32 | op::kX | jop, dst, src, off, 0);
}
inline Insn ja(int off) { return make(op::kJmp | op::kJa, 0, 0, off, 0); }
inline Insn gotol(int32_t off) { return make(op::kJmp32 | op::kJa, 0, 0, 0, off); }
inline Insn may_goto(int off) { return make(op::kMayGoto, 0, 0, off, 0); }
inline Insn call_helper(int32_t id) { return make(op::kJmp | op::kCall, 0, op::kCallHelper, 0, id); }
inline Insn call_kfunc(int32_t idx) { return make(op::kJmp | op::kCall, 0, op::kCallKfunc, 0, idx); }
inline Insn call_local(int32_t rel) { return make(op::kJmp | op::kCall, 0, op::kCallLocal, 0, rel); }
inline Insn exit_insn() { return make(op::kJmp | op::kExit, 0, 0, 0, 0); }

// size is op::kB/kH/kW/kDW.
inline Insn ldx(uint8_t size, int dst, int src, int off) {
  return make(op::kLdx | op::kMem | size, dst, src, off, 0);
}
inline Insn ldxsx(uint8_t size, int dst, int src, int off) {
  return make(op::kLdx | op::kMemSx | size, dst, src, off, 0);
}
inline Insn st(uint8_t size, int dst, int off, int32_t imm) {
  return make(op::kSt | op::kMem | size, dst, 0, off, imm);
}
inline Insn stx(uint8_t size, int dst, int src, int off) {
  return make(op::kStx | op::kMem | size, dst, src, off, 0);
}
inline Insn atomic(uint8_t size, int32_t aop, int dst, int src, int off) {
  return make(op::kStx | op::kAtomic | size, dst, src, off, aop);
}
// Two slots.
inline std::vector<Insn> ld_imm64(int dst, uint64_t v, int src = 0) {
  return {make(op::kLdImm64, dst, src, 0, static_cast<int32_t>(static_cast<uint32_t>(v))),
          make(0, 0, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(v >> 32)))};
}

// Accumulates instructions; jumps/calls may name labels, fixed up by finish().
class Builder {
 public:
  Builder& add(Insn i) {
    code_.push_back(i);
    return *this;
  }
  Builder& add(const std::vector<Insn>& is) {
    code_.insert(code_.end(), is.begin(), is.end());
    return *this;
  }
  Builder& label(const std::string& name) {
    labels_[name] = static_cast<int>(code_.size());
    return *this;
  }
  // A jump-class instruction whose offset (or imm, for gotol/call) targets `target`.
  Builder& jump(Insn i, const std::string& target) {
    fixups_.emplace_back(static_cast<int>(code_.size()), target);
    code_.push_back(i);
    return *this;
  }
  std::vector<Insn> finish() const {
    std::vector<Insn> out = code_;
    for (const auto& [pc, name] : fixups_) {
      int rel = labels_.at(name) - pc - 1;
      Insn& i = out[pc];
      bool uses_imm = (i.code == (op::kJmp32 | op::kJa)) ||
                      (i.code == (op::kJmp | op::kCall)) || i.code == op::kLdImm64;
      if (uses_imm) i.imm = rel;
      else i.off = static_cast<int16_t>(rel);
    }
    return out;
  }
  size_t size() const { return code_.size(); }

 private:
  std::vector<Insn> code_;
  std::map<std::string, int> labels_;
  std::vector<std::pair<int, std::string>> fixups_;
};

}  // namespace scx::bpf::test
