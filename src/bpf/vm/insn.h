// The raw eBPF instruction encoding (Documentation/bpf/standardization/instruction-set.rst):
// one 64-bit slot per instruction, two for LD_IMM64. Programs reach the VM in this form, as
// clang wrote them into the .bpf.o, after the loader resolved relocations.
#pragma once

#include <cstdint>

namespace scx::bpf {

struct Insn {
  uint8_t code = 0;
  uint8_t dst : 4 = 0;  // little-endian bit order, as in the ELF file
  uint8_t src : 4 = 0;
  int16_t off = 0;
  int32_t imm = 0;
};
static_assert(sizeof(Insn) == 8);

inline constexpr int kNumRegs = 11;  // R0..R10
inline constexpr int kRegFp = 10;    // read-only frame pointer
inline constexpr int kStackSize = 512;       // per call frame (MAX_BPF_STACK)
inline constexpr int kMaxCallFrames = 8;     // MAX_CALL_FRAMES
inline constexpr uint64_t kBpfMaxLoops = 8ULL * 1024 * 1024;  // BPF_MAX_LOOPS = BIT(23)

// Opcode fields.
namespace op {
// Classes (low 3 bits).
inline constexpr uint8_t kLd = 0x00, kLdx = 0x01, kSt = 0x02, kStx = 0x03, kAlu = 0x04,
                         kJmp = 0x05, kJmp32 = 0x06, kAlu64 = 0x07;
// Source bit for ALU/JMP.
inline constexpr uint8_t kK = 0x00, kX = 0x08;
// ALU codes (high 4 bits).
inline constexpr uint8_t kAdd = 0x00, kSub = 0x10, kMul = 0x20, kDiv = 0x30, kOr = 0x40,
                         kAnd = 0x50, kLsh = 0x60, kRsh = 0x70, kNeg = 0x80, kMod = 0x90,
                         kXor = 0xa0, kMov = 0xb0, kArsh = 0xc0, kEnd = 0xd0;
inline constexpr uint8_t kToLe = 0x00, kToBe = 0x08;  // END source bit (ALU class)
// JMP codes.
inline constexpr uint8_t kJa = 0x00, kJeq = 0x10, kJgt = 0x20, kJge = 0x30, kJset = 0x40,
                         kJne = 0x50, kJsgt = 0x60, kJsge = 0x70, kCall = 0x80, kExit = 0x90,
                         kJlt = 0xa0, kJle = 0xb0, kJslt = 0xc0, kJsle = 0xd0, kJcond = 0xe0;
// Memory sizes and modes.
inline constexpr uint8_t kW = 0x00, kH = 0x08, kB = 0x10, kDW = 0x18;
inline constexpr uint8_t kImm = 0x00, kAbs = 0x20, kInd = 0x40, kMem = 0x60, kMemSx = 0x80,
                         kAtomic = 0xc0;
// Atomic operations (imm field).
inline constexpr int32_t kFetch = 0x01, kXchg = 0xe0 | kFetch, kCmpXchg = 0xf0 | kFetch;
// CALL src values.
inline constexpr uint8_t kCallHelper = 0, kCallLocal = 1, kCallKfunc = 2;
// LD_IMM64 src values (the loader resolves all but 0 and kPseudoFunc).
inline constexpr uint8_t kPseudoMapFd = 1, kPseudoMapValue = 2, kPseudoBtfId = 3,
                         kPseudoFunc = 4, kPseudoMapIdx = 5, kPseudoMapIdxValue = 6;

inline constexpr uint8_t cls(uint8_t code) { return code & 0x07; }
inline constexpr uint8_t alu_op(uint8_t code) { return code & 0xf0; }
inline constexpr uint8_t src_bit(uint8_t code) { return code & 0x08; }
inline constexpr uint8_t size_of(uint8_t code) { return code & 0x18; }
inline constexpr uint8_t mode(uint8_t code) { return code & 0xe0; }
inline constexpr int size_bytes(uint8_t code) {
  switch (size_of(code)) {
    case kB: return 1;
    case kH: return 2;
    case kW: return 4;
    default: return 8;
  }
}
inline constexpr uint8_t kLdImm64 = kLd | kImm | kDW;  // 0x18
inline constexpr uint8_t kMayGoto = kJmp | kJcond;     // 0xe5
}  // namespace op

inline bool is_ld_imm64(const Insn& i) { return i.code == op::kLdImm64; }

}  // namespace scx::bpf
