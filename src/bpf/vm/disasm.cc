#include "bpf/vm/disasm.h"

#include <fmt/format.h>

namespace scx::bpf {

namespace {

// Signed hex as LLVM prints immediates: 0x10, -0x8.
std::string hex(int64_t v) {
  if (v < 0) return fmt::format("-{:#x}", static_cast<uint64_t>(0) - static_cast<uint64_t>(v));
  return fmt::format("{:#x}", v);
}
std::string rel(int64_t v) { return v < 0 ? hex(v) : fmt::format("+{}", hex(v)); }
std::string mem(int reg, int off) {
  return fmt::format("r{} {} {}", reg, off < 0 ? '-' : '+', hex(off < 0 ? -int64_t{off} : off));
}
const char* size_name(uint8_t code) {
  switch (op::size_of(code)) {
    case op::kB: return "8";
    case op::kH: return "16";
    case op::kW: return "32";
    default: return "64";
  }
}

const char* alu_sym(uint8_t aop, int off) {
  switch (aop) {
    case op::kAdd: return "+=";
    case op::kSub: return "-=";
    case op::kMul: return "*=";
    case op::kDiv: return off == 1 ? "s/=" : "/=";
    case op::kOr: return "|=";
    case op::kAnd: return "&=";
    case op::kLsh: return "<<=";
    case op::kRsh: return ">>=";
    case op::kMod: return off == 1 ? "s%=" : "%=";
    case op::kXor: return "^=";
    case op::kMov: return "=";
    case op::kArsh: return "s>>=";
    default: return nullptr;
  }
}

const char* jmp_sym(uint8_t jop) {
  switch (jop) {
    case op::kJeq: return "==";
    case op::kJgt: return ">";
    case op::kJge: return ">=";
    case op::kJset: return "&";
    case op::kJne: return "!=";
    case op::kJsgt: return "s>";
    case op::kJsge: return "s>=";
    case op::kJlt: return "<";
    case op::kJle: return "<=";
    case op::kJslt: return "s<";
    case op::kJsle: return "s<=";
    default: return nullptr;
  }
}

std::string unknown(const Insn& in) { return fmt::format("<unknown opcode {:#04x}>", in.code); }

std::string atomic(const Insn& in) {
  const bool dw = op::size_of(in.code) == op::kDW;
  const char r = dw ? 'r' : 'w';
  const char* ty = dw ? "u64" : "u32";
  const std::string m = mem(in.dst, in.off);
  if (in.imm == op::kXchg)
    return fmt::format("{}{} = xchg{}_{}({}, {}{})", r, in.src, dw ? "" : "32", dw ? "64" : "32",
                       m, r, in.src);
  if (in.imm == op::kCmpXchg)
    return fmt::format("{}0 = cmpxchg{}_{}({}, {}0, {}{})", r, dw ? "" : "32", dw ? "64" : "32", m,
                       r, r, in.src);
  const char* name = nullptr;
  const char* sym = nullptr;
  switch (in.imm & ~op::kFetch) {
    case op::kAdd: name = "add", sym = "+="; break;
    case op::kOr: name = "or", sym = "|="; break;
    case op::kAnd: name = "and", sym = "&="; break;
    case op::kXor: name = "xor", sym = "^="; break;
    default: return fmt::format("<unknown atomic {:#x}>", in.imm);
  }
  if (in.imm & op::kFetch)
    return fmt::format("{}{} = atomic_fetch_{}(({} *)({}), {}{})", r, in.src, name, ty, m, r,
                       in.src);
  return fmt::format("lock *({} *)({}) {} {}{}", ty, m, sym, r, in.src);
}

}  // namespace

std::string disasm(const Insn& in, const Insn* next) {
  const uint8_t cls = op::cls(in.code);
  switch (cls) {
    case op::kAlu:
    case op::kAlu64: {
      const char r = cls == op::kAlu64 ? 'r' : 'w';
      const uint8_t aop = op::alu_op(in.code);
      const bool x = op::src_bit(in.code) == op::kX;
      if (aop == op::kNeg) return fmt::format("{}{} = -{}{}", r, in.dst, r, in.dst);
      if (aop == op::kEnd) {
        const char* kind = cls == op::kAlu64 ? "bswap" : x ? "be" : "le";
        return fmt::format("r{} = {}{} r{}", in.dst, kind, in.imm, in.dst);
      }
      if (aop == op::kMov && x && in.off == 1 && cls == op::kAlu64)  // as llvm-objdump writes it
        return fmt::format("r{} = addr_space_cast(r{}, {}, {})", in.dst, in.src,
                           static_cast<uint32_t>(in.imm) >> 16, in.imm & 0xffff);
      if (aop == op::kMov && x && in.off != 0)
        return fmt::format("{}{} = (s{}){}{}", r, in.dst, in.off, r, in.src);
      const char* sym = alu_sym(aop, in.off);
      if (!sym) return unknown(in);
      if (x) return fmt::format("{}{} {} {}{}", r, in.dst, sym, r, in.src);
      return fmt::format("{}{} {} {}", r, in.dst, sym, hex(in.imm));
    }
    case op::kJmp:
    case op::kJmp32: {
      const uint8_t jop = op::alu_op(in.code);
      const bool x = op::src_bit(in.code) == op::kX;
      if (jop == op::kJa) {
        if (cls == op::kJmp32) return fmt::format("gotol {}", rel(in.imm));
        return fmt::format("goto {}", rel(in.off));
      }
      if (cls == op::kJmp && jop == op::kExit) return "exit";
      if (cls == op::kJmp && jop == op::kCall) {
        if (in.src == op::kCallLocal) return fmt::format("call {}", hex(in.imm));
        if (in.src == op::kCallKfunc) return fmt::format("call kfunc#{}", in.imm);
        return fmt::format("call {}", hex(in.imm));
      }
      if (cls == op::kJmp && jop == op::kJcond) return fmt::format("may_goto {}", rel(in.off));
      const char* sym = jmp_sym(jop);
      if (!sym) return unknown(in);
      const char r = cls == op::kJmp ? 'r' : 'w';
      std::string rhs = x ? fmt::format("{}{}", r, in.src) : hex(in.imm);
      return fmt::format("if {}{} {} {} goto {}", r, in.dst, sym, rhs, rel(in.off));
    }
    case op::kLd: {
      if (in.code != op::kLdImm64) return unknown(in);
      uint64_t v = static_cast<uint32_t>(in.imm);
      if (next) v |= static_cast<uint64_t>(static_cast<uint32_t>(next->imm)) << 32;
      if (in.src == op::kPseudoFunc) return fmt::format("r{} = func {} ll", in.dst, rel(in.imm));
      if (in.src != 0)
        return fmt::format("r{} = {} ll <pseudo src {}>", in.dst, hex(static_cast<int64_t>(v)),
                           in.src);
      return fmt::format("r{} = {:#x} ll", in.dst, v);
    }
    case op::kLdx: {
      const bool sx = op::mode(in.code) == op::kMemSx;
      if (!sx && op::mode(in.code) != op::kMem) return unknown(in);
      return fmt::format("r{} = *({}{} *)({})", in.dst, sx ? 's' : 'u', size_name(in.code),
                         mem(in.src, in.off));
    }
    case op::kSt:
      if (op::mode(in.code) != op::kMem) return unknown(in);
      return fmt::format("*(u{} *)({}) = {}", size_name(in.code), mem(in.dst, in.off),
                         hex(in.imm));
    case op::kStx:
      if (op::mode(in.code) == op::kAtomic) return atomic(in);
      if (op::mode(in.code) != op::kMem) return unknown(in);
      return fmt::format("*(u{} *)({}) = r{}", size_name(in.code), mem(in.dst, in.off), in.src);
  }
  return unknown(in);
}

}  // namespace scx::bpf
