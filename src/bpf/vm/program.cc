#include "bpf/vm/program.h"

#include <fmt/format.h>

#include "bpf/vm/disasm.h"

namespace scx::bpf {

using detail::DecodedInsn;
using detail::Op;

namespace {

Op add_op(Op base, int delta) { return static_cast<Op>(static_cast<int>(base) + delta); }

// ALU code (high nibble) -> first op of the (K, X) pair, for 64- and 32-bit classes.
Op alu_pair(uint8_t code, bool is64) {
  switch (op::alu_op(code)) {
    case op::kAdd: return is64 ? Op::ADD64_K : Op::ADD32_K;
    case op::kSub: return is64 ? Op::SUB64_K : Op::SUB32_K;
    case op::kMul: return is64 ? Op::MUL64_K : Op::MUL32_K;
    case op::kDiv: return is64 ? Op::DIV64_K : Op::DIV32_K;
    case op::kOr: return is64 ? Op::OR64_K : Op::OR32_K;
    case op::kAnd: return is64 ? Op::AND64_K : Op::AND32_K;
    case op::kLsh: return is64 ? Op::LSH64_K : Op::LSH32_K;
    case op::kRsh: return is64 ? Op::RSH64_K : Op::RSH32_K;
    case op::kMod: return is64 ? Op::MOD64_K : Op::MOD32_K;
    case op::kXor: return is64 ? Op::XOR64_K : Op::XOR32_K;
    case op::kMov: return is64 ? Op::MOV64_K : Op::MOV32_K;
    case op::kArsh: return is64 ? Op::ARSH64_K : Op::ARSH32_K;
    default: return Op::INVALID;
  }
}

Op jmp_pair(uint8_t code, bool is64) {
  Op base;
  switch (op::alu_op(code)) {
    case op::kJeq: base = Op::JEQ_K; break;
    case op::kJgt: base = Op::JGT_K; break;
    case op::kJge: base = Op::JGE_K; break;
    case op::kJset: base = Op::JSET_K; break;
    case op::kJne: base = Op::JNE_K; break;
    case op::kJsgt: base = Op::JSGT_K; break;
    case op::kJsge: base = Op::JSGE_K; break;
    case op::kJlt: base = Op::JLT_K; break;
    case op::kJle: base = Op::JLE_K; break;
    case op::kJslt: base = Op::JSLT_K; break;
    case op::kJsle: base = Op::JSLE_K; break;
    default: return Op::INVALID;
  }
  if (!is64) base = add_op(base, static_cast<int>(Op::JEQ32_K) - static_cast<int>(Op::JEQ_K));
  return base;
}

struct Decoder {
  const std::vector<Insn>& insns;
  std::vector<DecodedInsn>& out;
  std::string error;  // set on the first problem with the current instruction

  bool fail(std::string why) {
    error = std::move(why);
    return false;
  }
  bool reg_ok(int r, const char* which) {
    if (r < kNumRegs) return true;
    return fail(fmt::format("invalid {} register r{}", which, r));
  }
  bool dst_writable(const Insn& in) {
    if (!reg_ok(in.dst, "destination")) return false;
    if (in.dst == kRegFp) return fail("write to the read-only frame pointer r10");
    return true;
  }
  // Jump/call target pc + 1 + delta must be the start of an instruction.
  bool target_ok(size_t pc, int64_t delta, const char* what) {
    int64_t t = static_cast<int64_t>(pc) + 1 + delta;
    if (t < 0 || t >= static_cast<int64_t>(insns.size()))
      return fail(fmt::format("{} target {} is outside the program (0..{})", what, t,
                              insns.size() - 1));
    if (t > 0 && is_ld_imm64(insns[t - 1]) && second_slot(t))
      return fail(fmt::format("{} target {} is the second slot of an ld_imm64", what, t));
    return true;
  }
  // Whether pc is the second half of an LD_IMM64 (scanning from the start: slots pair up).
  std::vector<bool> second;
  bool second_slot(int64_t pc) const { return second[pc]; }

  bool decode(size_t pc, DecodedInsn& d);
  // imm = dst_as << 16 | src_as; the verifier (check_alu_op) accepts only as(1) -> as(0) and
  // as(0) -> as(1), with its message. The 6.12 and 6.18 verifiers check only the instructions
  // they reach, after dead-branch elimination with the object's .rodata: clang-19 emits
  // as(0) -> as(0) for a plain pointer passed as an __arena one (scx_p2dq's cpu_priority path
  // at 0f379644a), which loads as long as user space leaves that path off. So another cast
  // decodes to CAST_INVALID, a fault with the verifier's message when it runs (newer kernels,
  // 7.x, reject it at load in a pass over all instructions; not simulated). Unknown address
  // spaces (above 1) are rejected at load.
  bool decode_addr_space_cast(const Insn& in, DecodedInsn& d) {
    const uint32_t src_as = static_cast<uint32_t>(in.imm) & 0xffff, dst_as = static_cast<uint32_t>(in.imm) >> 16;
    if (in.imm == 1) d.op = Op::CAST_KERN;
    else if (in.imm == 1 << 16) d.op = Op::CAST_USER;
    else if (src_as <= 1 && dst_as <= 1) d.op = Op::CAST_INVALID;
    else return fail(fmt::format("addr_space_cast insn can only convert between address space 1 and 0 "
                                 "(this one: {} to {})", src_as, dst_as));
    return true;
  }
};

bool Decoder::decode(size_t pc, DecodedInsn& d) {
  const Insn& in = insns[pc];
  const uint8_t code = in.code;
  const uint8_t cls = op::cls(code);
  d.dst = in.dst;
  d.src = in.src;
  d.off = in.off;
  d.imm = static_cast<uint64_t>(static_cast<int64_t>(in.imm));  // sign-extended
  switch (cls) {
    case op::kAlu:
    case op::kAlu64: {
      const bool is64 = cls == op::kAlu64;
      const bool x = op::src_bit(code) == op::kX;
      const uint8_t aop = op::alu_op(code);
      if (!dst_writable(in)) return false;
      if (x && !reg_ok(in.src, "source")) return false;
      if (!is64) d.imm = static_cast<uint32_t>(in.imm);  // ALU32 uses the low 32 bits
      if (aop == op::kNeg) {
        if (x) return fail("neg with a register source");
        d.op = is64 ? Op::NEG64 : Op::NEG32;
        return true;
      }
      if (aop == op::kEnd) {
        if (in.imm != 16 && in.imm != 32 && in.imm != 64)
          return fail(fmt::format("byte swap width {} (must be 16, 32 or 64)", in.imm));
        int w = in.imm == 16 ? 0 : in.imm == 32 ? 1 : 2;
        if (is64) {
          if (x) return fail("64-bit byte swap with the source bit set");
          d.op = add_op(Op::BSWAP16, w);
        } else {
          d.op = add_op(x ? Op::BE16 : Op::LE16, w);
        }
        return true;
      }
      if (aop == op::kMov && in.off != 0) {
        if (!x) return fail("movsx with an immediate source");
        if (is64 && in.off == 1) return decode_addr_space_cast(in, d);
        if (in.off == 8) d.op = is64 ? Op::MOVSX64_8 : Op::MOVSX32_8;
        else if (in.off == 16) d.op = is64 ? Op::MOVSX64_16 : Op::MOVSX32_16;
        else if (in.off == 32 && is64) d.op = Op::MOVSX64_32;
        else return fail(fmt::format("movsx with invalid width {}", in.off));
        return true;
      }
      Op base = alu_pair(code, is64);
      if (base == Op::INVALID) return fail(fmt::format("unknown opcode {:#04x}", code));
      if (in.off != 0) {
        if (in.off != 1 || (aop != op::kDiv && aop != op::kMod))
          return fail(fmt::format("invalid offset {} for this ALU operation", in.off));
        base = add_op(base, static_cast<int>(Op::SDIV64_K) - static_cast<int>(Op::DIV64_K));
      }
      d.op = add_op(base, x ? 1 : 0);
      return true;
    }
    case op::kJmp:
    case op::kJmp32: {
      const bool is64 = cls == op::kJmp;
      const bool x = op::src_bit(code) == op::kX;
      const uint8_t jop = op::alu_op(code);
      if (jop == op::kJa) {
        if (x) return fail("ja with the source bit set");
        int64_t delta = is64 ? in.off : in.imm;  // JMP32|JA is gotol with a 32-bit offset
        if (!target_ok(pc, delta, "jump")) return false;
        d.op = Op::JA;
        d.off = static_cast<int32_t>(delta);
        return true;
      }
      if (jop == op::kCall || jop == op::kExit) {
        if (!is64 || x) return fail(fmt::format("unknown opcode {:#04x}", code));
        if (jop == op::kExit) {
          d.op = Op::EXIT;
          return true;
        }
        switch (in.src) {
          case op::kCallHelper:
            if (in.imm < 0) return fail(fmt::format("negative helper id {}", in.imm));
            d.op = Op::CALL_HELPER;
            break;
          case op::kCallKfunc:
            if (in.imm < 0) return fail(fmt::format("negative kfunc index {}", in.imm));
            d.op = Op::CALL_KFUNC;
            break;
          case op::kCallLocal:
            if (!target_ok(pc, in.imm, "call")) return false;
            d.op = Op::CALL_LOCAL;
            d.imm = pc + 1 + static_cast<int64_t>(in.imm);
            break;
          default:
            return fail(fmt::format("call with unknown kind src={}", in.src));
        }
        return true;
      }
      if (jop == op::kJcond) {
        if (!is64 || x || in.src != 0) return fail(fmt::format("unknown jcond {:#04x}", code));
        if (!target_ok(pc, in.off, "jump")) return false;
        d.op = Op::MAY_GOTO;
        return true;
      }
      Op base = jmp_pair(code, is64);
      if (base == Op::INVALID) return fail(fmt::format("unknown opcode {:#04x}", code));
      if (!reg_ok(in.dst, "destination")) return false;
      if (x && !reg_ok(in.src, "source")) return false;
      if (!target_ok(pc, in.off, "jump")) return false;
      if (!is64) d.imm = static_cast<uint32_t>(in.imm);
      d.op = add_op(base, x ? 1 : 0);
      return true;
    }
    case op::kLd: {
      if (code != op::kLdImm64) {
        if (op::mode(code) == op::kAbs || op::mode(code) == op::kInd)
          return fail("legacy packet access (ld_abs/ld_ind) is not supported");
        return fail(fmt::format("unknown opcode {:#04x}", code));
      }
      if (!dst_writable(in)) return false;
      if (pc + 1 >= insns.size()) return fail("ld_imm64 is missing its second slot");
      const Insn& hi = insns[pc + 1];
      if (hi.code != 0 || hi.dst != 0 || hi.src != 0 || hi.off != 0)
        return fail("ld_imm64 second slot is not zero apart from imm");
      if (in.src == op::kPseudoFunc) {
        if (!target_ok(pc, in.imm, "callback")) return false;
        d.imm = Program::code_address(pc + 1 + static_cast<int64_t>(in.imm));
      } else if (in.src != 0) {
        return fail(fmt::format("ld_imm64 with unresolved pseudo src {}", in.src));
      } else {
        d.imm = static_cast<uint32_t>(in.imm) | (static_cast<uint64_t>(hi.imm) << 32);
      }
      d.op = Op::LD_IMM64;
      return true;
    }
    case op::kLdx: {
      if (!dst_writable(in) || !reg_ok(in.src, "source")) return false;
      int sz = op::size_of(code);
      int idx = sz == op::kB ? 0 : sz == op::kH ? 1 : sz == op::kW ? 2 : 3;
      if (op::mode(code) == op::kMem) {
        d.op = add_op(Op::LDX_B, idx);
      } else if (op::mode(code) == op::kMemSx && idx < 3) {
        d.op = add_op(Op::LDXSX_B, idx);
      } else {
        return fail(fmt::format("unknown opcode {:#04x}", code));
      }
      return true;
    }
    case op::kSt:
    case op::kStx: {
      if (!reg_ok(in.dst, "base")) return false;
      int sz = op::size_of(code);
      int idx = sz == op::kB ? 0 : sz == op::kH ? 1 : sz == op::kW ? 2 : 3;
      if (op::mode(code) == op::kMem) {
        if (cls == op::kStx && !reg_ok(in.src, "source")) return false;
        d.op = add_op(cls == op::kSt ? Op::ST_B : Op::STX_B, idx);
        // ST stores the sign-extended imm truncated to the access size: d.imm is already it.
        return true;
      }
      if (op::mode(code) == op::kAtomic && cls == op::kStx && idx >= 2) {
        if (!reg_ok(in.src, "source")) return false;
        int32_t a = in.imm;
        int32_t base_op = a & ~op::kFetch;
        bool simple = base_op == op::kAdd || base_op == op::kOr || base_op == op::kAnd ||
                      base_op == op::kXor;
        if (!simple && a != op::kXchg && a != op::kCmpXchg)
          return fail(fmt::format("unknown atomic operation {:#x}", a));
        if ((a & op::kFetch) && a != op::kCmpXchg && in.src == kRegFp)
          return fail("atomic fetch into the read-only frame pointer r10");
        d.op = idx == 2 ? Op::ATOMIC_W : Op::ATOMIC_DW;
        d.aux = static_cast<uint8_t>(a);
        return true;
      }
      return fail(fmt::format("unknown opcode {:#04x}", code));
    }
  }
  return fail(fmt::format("unknown opcode {:#04x}", code));
}

bool falls_through(const Insn& in) {
  if (in.code == (op::kJmp | op::kExit)) return false;
  if (in.code == (op::kJmp | op::kJa) || in.code == (op::kJmp32 | op::kJa)) return false;
  return true;
}

}  // namespace

Result<Program> Program::create(std::string name, std::vector<Insn> insns,
                                ProgramOptions options) {
  Program p;
  p.name_ = std::move(name);
  if (insns.empty()) return Status::Error(p.name_, "empty program");
  const size_t n = insns.size();
  // The loader hook runs first so validation sees final values.
  std::vector<bool> second(n, false);
  for (size_t pc = 0; pc < n; ++pc) {
    if (!is_ld_imm64(insns[pc])) continue;
    if (pc + 1 < n) second[pc + 1] = true;
    uint8_t src = insns[pc].src;
    if (src != 0 && src != op::kPseudoFunc && options.resolve_ld_imm64 && pc + 1 < n) {
      Result<uint64_t> v = options.resolve_ld_imm64(pc, insns[pc], insns[pc + 1]);
      if (!v.ok()) return v.status().within(fmt::format("{}: insn {}", p.name_, pc));
      set_ld_imm64(&insns[pc], *v);
    }
    ++pc;
  }
  p.insns_ = std::move(insns);
  p.decoded_.assign(n, DecodedInsn{});
  Decoder dec{p.insns_, p.decoded_, {}, std::move(second)};
  for (size_t pc = 0; pc < n; ++pc) {
    if (!dec.decode(pc, p.decoded_[pc]))
      return Status::Errorf(fmt::format("{}: insn {} ({})", p.name_, pc, p.disasm_at(pc)), "{}",
                            dec.error);
    if (p.decoded_[pc].op == Op::LD_IMM64) ++pc;  // second slot stays INVALID
  }
  const size_t last = dec.second[n - 1] ? n - 2 : n - 1;
  if (falls_through(p.insns_[last]) || last != n - 1)
    return Status::Errorf(fmt::format("{}: insn {} ({})", p.name_, last, p.disasm_at(last)),
                          "last instruction falls through the end of the program");
  p.describe_pc_ = std::move(options.describe_pc);
  return p;
}

Status Program::patch_ld_imm64(size_t pc, uint64_t value) {
  if (pc + 1 >= insns_.size() || decoded_[pc].op != Op::LD_IMM64)
    return Status::Errorf(fmt::format("{}: insn {}", name_, pc), "not an ld_imm64");
  set_ld_imm64(&insns_[pc], value);
  decoded_[pc].imm = value;
  return {};
}

std::string Program::disasm_at(size_t pc) const {
  if (pc >= insns_.size()) return "<out of range>";
  const Insn* next = pc + 1 < insns_.size() ? &insns_[pc + 1] : nullptr;
  return disasm(insns_[pc], next);
}

}  // namespace scx::bpf
