// Internal pre-decoded instruction form used by the interpreter: one handler id per
// (class, operation, source, size) combination, immediates pre-extended, jump offsets widened.
#pragma once

#include <cstdint>

namespace scx::bpf::detail {

// X(name): one interpreter handler each. Keep ALU K/X pairs adjacent: the decoder relies on it.
#define SCX_BPF_OPS(X)                                                                      \
  X(INVALID)                                                                                \
  X(ADD64_K) X(ADD64_X) X(SUB64_K) X(SUB64_X) X(MUL64_K) X(MUL64_X) X(DIV64_K) X(DIV64_X)   \
  X(SDIV64_K) X(SDIV64_X) X(OR64_K) X(OR64_X) X(AND64_K) X(AND64_X) X(LSH64_K) X(LSH64_X)   \
  X(RSH64_K) X(RSH64_X) X(MOD64_K) X(MOD64_X) X(SMOD64_K) X(SMOD64_X) X(XOR64_K) X(XOR64_X) \
  X(MOV64_K) X(MOV64_X) X(ARSH64_K) X(ARSH64_X) X(NEG64)                                    \
  X(MOVSX64_8) X(MOVSX64_16) X(MOVSX64_32) X(BSWAP16) X(BSWAP32) X(BSWAP64)                  \
  X(ADD32_K) X(ADD32_X) X(SUB32_K) X(SUB32_X) X(MUL32_K) X(MUL32_X) X(DIV32_K) X(DIV32_X)   \
  X(SDIV32_K) X(SDIV32_X) X(OR32_K) X(OR32_X) X(AND32_K) X(AND32_X) X(LSH32_K) X(LSH32_X)   \
  X(RSH32_K) X(RSH32_X) X(MOD32_K) X(MOD32_X) X(SMOD32_K) X(SMOD32_X) X(XOR32_K) X(XOR32_X) \
  X(MOV32_K) X(MOV32_X) X(ARSH32_K) X(ARSH32_X) X(NEG32)                                    \
  X(MOVSX32_8) X(MOVSX32_16) X(LE16) X(LE32) X(LE64) X(BE16) X(BE32) X(BE64)                 \
  X(JA) X(JEQ_K) X(JEQ_X) X(JGT_K) X(JGT_X) X(JGE_K) X(JGE_X) X(JSET_K) X(JSET_X)           \
  X(JNE_K) X(JNE_X) X(JSGT_K) X(JSGT_X) X(JSGE_K) X(JSGE_X) X(JLT_K) X(JLT_X) X(JLE_K)      \
  X(JLE_X) X(JSLT_K) X(JSLT_X) X(JSLE_K) X(JSLE_X)                                          \
  X(JEQ32_K) X(JEQ32_X) X(JGT32_K) X(JGT32_X) X(JGE32_K) X(JGE32_X) X(JSET32_K) X(JSET32_X) \
  X(JNE32_K) X(JNE32_X) X(JSGT32_K) X(JSGT32_X) X(JSGE32_K) X(JSGE32_X) X(JLT32_K)          \
  X(JLT32_X) X(JLE32_K) X(JLE32_X) X(JSLT32_K) X(JSLT32_X) X(JSLE32_K) X(JSLE32_X)          \
  X(CALL_HELPER) X(CALL_KFUNC) X(CALL_LOCAL) X(EXIT) X(MAY_GOTO)                            \
  X(LDX_B) X(LDX_H) X(LDX_W) X(LDX_DW) X(LDXSX_B) X(LDXSX_H) X(LDXSX_W)                     \
  X(ST_B) X(ST_H) X(ST_W) X(ST_DW) X(STX_B) X(STX_H) X(STX_W) X(STX_DW)                     \
  X(ATOMIC_W) X(ATOMIC_DW) X(LD_IMM64) X(CAST_KERN) X(CAST_USER) X(CAST_INVALID)

enum class Op : uint8_t {
#define SCX_BPF_ENUM(name) name,
  SCX_BPF_OPS(SCX_BPF_ENUM)
#undef SCX_BPF_ENUM
      kCount
};

struct DecodedInsn {
  Op op = Op::INVALID;
  uint8_t dst = 0;
  uint8_t src = 0;
  uint8_t aux = 0;   // atomics: the raw imm operation byte
  int32_t off = 0;   // memory offset, or jump delta relative to the next instruction
  uint64_t imm = 0;  // pre-extended immediate; LD_IMM64 value; call: helper id/kfunc index/target
};
static_assert(sizeof(DecodedInsn) == 16);

}  // namespace scx::bpf::detail
