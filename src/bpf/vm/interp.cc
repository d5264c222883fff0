// The interpreter loop: threaded dispatch over pre-decoded instructions (GCC "labels as
// values"), registers in a local array, memory checks inlined for the stack and the
// last-hit region. Everything slow (faults, helpers, region lookups) is out of line.
#include <cstring>
#include <type_traits>

#include <fmt/format.h>

#include "bpf/vm/arena.h"
#include "bpf/vm/vm.h"

#pragma GCC diagnostic ignored "-Wpedantic"  // computed goto is a GNU extension

namespace scx::bpf {

using detail::DecodedInsn;
using detail::Op;

namespace {

inline uint64_t sdiv64(uint64_t d, uint64_t s) {
  const auto a = static_cast<int64_t>(d), b = static_cast<int64_t>(s);
  if (b == 0) return 0;
  if (b == -1) return 0 - d;  // INT64_MIN / -1 wraps to INT64_MIN
  return static_cast<uint64_t>(a / b);
}
inline uint64_t smod64(uint64_t d, uint64_t s) {
  const auto a = static_cast<int64_t>(d), b = static_cast<int64_t>(s);
  if (b == 0) return d;
  if (b == -1) return 0;
  return static_cast<uint64_t>(a % b);
}
inline uint32_t sdiv32(uint32_t d, uint32_t s) {
  const auto a = static_cast<int32_t>(d), b = static_cast<int32_t>(s);
  if (b == 0) return 0;
  if (b == -1) return 0u - d;
  return static_cast<uint32_t>(a / b);
}
inline uint32_t smod32(uint32_t d, uint32_t s) {
  const auto a = static_cast<int32_t>(d), b = static_cast<int32_t>(s);
  if (b == 0) return d;
  if (b == -1) return 0;
  return static_cast<uint32_t>(a % b);
}

template <typename T>
inline T load(uint64_t addr) {
  T v;
  std::memcpy(&v, reinterpret_cast<const void*>(addr), sizeof(T));
  return v;
}
template <typename T>
inline void store(uint64_t addr, T v) {
  std::memcpy(reinterpret_cast<void*>(addr), &v, sizeof(T));
}

template <typename T>
inline T atomic_op(uint64_t addr, uint8_t aop, T src, T& r0, bool& fetched) {
  T* p = reinterpret_cast<T*>(addr);
  fetched = aop & op::kFetch;
  switch (aop) {
    case op::kAdd:
    case op::kAdd | op::kFetch: return __atomic_fetch_add(p, src, __ATOMIC_SEQ_CST);
    case op::kOr:
    case op::kOr | op::kFetch: return __atomic_fetch_or(p, src, __ATOMIC_SEQ_CST);
    case op::kAnd:
    case op::kAnd | op::kFetch: return __atomic_fetch_and(p, src, __ATOMIC_SEQ_CST);
    case op::kXor:
    case op::kXor | op::kFetch: return __atomic_fetch_xor(p, src, __ATOMIC_SEQ_CST);
    case op::kXchg: return __atomic_exchange_n(p, src, __ATOMIC_SEQ_CST);
    default: {  // kCmpXchg: R0 gets the old value whether or not it matched
      fetched = false;
      T expected = r0;
      __atomic_compare_exchange_n(p, &expected, src, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
      r0 = expected;
      return expected;
    }
  }
}

struct Frame {
  const DecodedInsn* ret;
  uint64_t saved[4];  // R6..R9
  uint64_t may_goto_left;
};

}  // namespace

bool Vm::exec(const Program& prog, size_t entry, const HostArgs& args, int depth,
              uint64_t* r0_out) {
  static const void* const kLabels[] = {
#define SCX_BPF_LABEL(name) &&L_##name,
      SCX_BPF_OPS(SCX_BPF_LABEL)
#undef SCX_BPF_LABEL
  };
  static_assert(sizeof(kLabels) / sizeof(kLabels[0]) == static_cast<size_t>(Op::kCount));

  const DecodedInsn* const code = prog.decoded();
  const DecodedInsn* ip = code + entry;
  std::string reason;  // declared before any label: jumps may not skip initialisations
  uint64_t fa_addr = 0, fa_size = 0;
  uint8_t fa_need = 0;
  Frame frames[kMaxCallFrames];
  int nframes = 0;
  const int base_depth = depth;
  if (depth >= kMaxCallFrames) {
    reason = fmt::format("call depth exceeds {} frames", kMaxCallFrames);
    goto fault;
  }
  {
    uint64_t reg[kNumRegs];
    reg[0] = 0;
    for (int i = 0; i < 5; ++i) reg[i + 1] = args[i];
    reg[6] = reg[7] = reg[8] = reg[9] = 0;
    const uint64_t stack_top = cur_.stack_top;
    uint64_t stack_lo = stack_top - static_cast<uint64_t>(depth + 1) * kStackSize;
    reg[kRegFp] = stack_lo + kStackSize;
    uint64_t left = cur_.insns_left;
    const uint64_t may_goto_budget = options_.may_goto_budget;
    Arena* const arena = prog.arena();  // nullptr: no arena window (vm/arena.h)
    uint64_t may_goto_left = may_goto_budget;

#define DISPATCH()                                              \
  do {                                                          \
    if (__builtin_expect(left == 0, 0)) goto budget_exceeded;   \
    --left;                                                     \
    goto* kLabels[static_cast<uint8_t>(ip->op)];                \
  } while (0)
#define NEXT() \
  do {         \
    ++ip;      \
    DISPATCH(); \
  } while (0)
#define JUMP()            \
  do {                    \
    ip += 1 + ip->off;    \
    DISPATCH();           \
  } while (0)
// Stack of this or a calling frame (no frame-boundary crossing), else the region map.
#define CHECK_MEM(addr, size, need)                                                           \
  do {                                                                                        \
    if (!((addr) - stack_lo < stack_top - stack_lo && ((addr) & (kStackSize - 1)) + (size) <= \
                                                          kStackSize) &&                      \
        !memory_.allowed((addr), (size), (need))) {                                           \
      fa_addr = (addr), fa_size = (size), fa_need = (need);                                   \
      goto mem_fault;                                                                         \
    }                                                                                         \
  } while (0)

// An access through an arena pointer (PROBE_MEM32): never faults; see vm/arena.h.
#define ARENA_HIT(addr) (arena != nullptr && Arena::in_window(addr))

    DISPATCH();

#define ALU64(NAME, EXPR)                         \
  L_##NAME##64_K : {                              \
    const uint64_t s = ip->imm;                   \
    const uint64_t d = reg[ip->dst];              \
    reg[ip->dst] = (EXPR);                        \
    NEXT();                                       \
  }                                               \
  L_##NAME##64_X : {                              \
    const uint64_t s = reg[ip->src];              \
    const uint64_t d = reg[ip->dst];              \
    reg[ip->dst] = (EXPR);                        \
    NEXT();                                       \
  }
#define ALU32(NAME, EXPR)                                     \
  L_##NAME##32_K : {                                          \
    const uint32_t s = static_cast<uint32_t>(ip->imm);        \
    const uint32_t d = static_cast<uint32_t>(reg[ip->dst]);   \
    reg[ip->dst] = static_cast<uint32_t>(EXPR);               \
    NEXT();                                                   \
  }                                                           \
  L_##NAME##32_X : {                                          \
    const uint32_t s = static_cast<uint32_t>(reg[ip->src]);   \
    const uint32_t d = static_cast<uint32_t>(reg[ip->dst]);   \
    reg[ip->dst] = static_cast<uint32_t>(EXPR);               \
    NEXT();                                                   \
  }

    ALU64(ADD, d + s)
    ALU64(SUB, d - s)
    ALU64(MUL, d * s)
    ALU64(DIV, s ? d / s : 0)
    ALU64(SDIV, sdiv64(d, s))
    ALU64(OR, d | s)
    ALU64(AND, d & s)
    ALU64(LSH, d << (s & 63))
    ALU64(RSH, d >> (s & 63))
    ALU64(MOD, s ? d % s : d)
    ALU64(SMOD, smod64(d, s))
    ALU64(XOR, d ^ s)
    ALU64(MOV, (static_cast<void>(d), s))
    ALU64(ARSH, static_cast<uint64_t>(static_cast<int64_t>(d) >> (s & 63)))
    ALU32(ADD, d + s)
    ALU32(SUB, d - s)
    ALU32(MUL, d * s)
    ALU32(DIV, s ? d / s : 0u)
    ALU32(SDIV, sdiv32(d, s))
    ALU32(OR, d | s)
    ALU32(AND, d & s)
    ALU32(LSH, d << (s & 31))
    ALU32(RSH, d >> (s & 31))
    ALU32(MOD, s ? d % s : d)
    ALU32(SMOD, smod32(d, s))
    ALU32(XOR, d ^ s)
    ALU32(MOV, (static_cast<void>(d), s))
    ALU32(ARSH, static_cast<uint32_t>(static_cast<int32_t>(d) >> (s & 31)))
#undef ALU64
#undef ALU32

  L_NEG64:
    reg[ip->dst] = 0 - reg[ip->dst];
    NEXT();
  L_NEG32:
    reg[ip->dst] = static_cast<uint32_t>(0u - static_cast<uint32_t>(reg[ip->dst]));
    NEXT();
  L_MOVSX64_8:
    reg[ip->dst] = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(reg[ip->src])));
    NEXT();
  L_MOVSX64_16:
    reg[ip->dst] = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int16_t>(reg[ip->src])));
    NEXT();
  L_MOVSX64_32:
    reg[ip->dst] = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(reg[ip->src])));
    NEXT();
  L_MOVSX32_8:
    reg[ip->dst] = static_cast<uint32_t>(static_cast<int32_t>(static_cast<int8_t>(reg[ip->src])));
    NEXT();
  L_MOVSX32_16:
    reg[ip->dst] = static_cast<uint32_t>(static_cast<int32_t>(static_cast<int16_t>(reg[ip->src])));
    NEXT();
  // The host is little-endian: "to LE" only truncates, "to BE" swaps.
  L_BSWAP16:
  L_BE16:
    reg[ip->dst] = __builtin_bswap16(static_cast<uint16_t>(reg[ip->dst]));
    NEXT();
  L_BSWAP32:
  L_BE32:
    reg[ip->dst] = __builtin_bswap32(static_cast<uint32_t>(reg[ip->dst]));
    NEXT();
  L_BSWAP64:
  L_BE64:
    reg[ip->dst] = __builtin_bswap64(reg[ip->dst]);
    NEXT();
  L_LE16:
    reg[ip->dst] = static_cast<uint16_t>(reg[ip->dst]);
    NEXT();
  L_LE32:
    reg[ip->dst] = static_cast<uint32_t>(reg[ip->dst]);
    NEXT();
  L_LE64:
    NEXT();

  L_JA:
    JUMP();

#define JMP64(NAME, COND)                     \
  L_##NAME##_K : {                            \
    const uint64_t d = reg[ip->dst];          \
    const uint64_t s = ip->imm;               \
    if (COND) JUMP();                         \
    NEXT();                                   \
  }                                           \
  L_##NAME##_X : {                            \
    const uint64_t d = reg[ip->dst];          \
    const uint64_t s = reg[ip->src];          \
    if (COND) JUMP();                         \
    NEXT();                                   \
  }
#define JMP32(NAME, COND)                                      \
  L_##NAME##32_K : {                                           \
    const uint32_t d = static_cast<uint32_t>(reg[ip->dst]);    \
    const uint32_t s = static_cast<uint32_t>(ip->imm);         \
    if (COND) JUMP();                                          \
    NEXT();                                                    \
  }                                                            \
  L_##NAME##32_X : {                                           \
    const uint32_t d = static_cast<uint32_t>(reg[ip->dst]);    \
    const uint32_t s = static_cast<uint32_t>(reg[ip->src]);    \
    if (COND) JUMP();                                          \
    NEXT();                                                    \
  }
#define S64(v) static_cast<int64_t>(v)
#define S32(v) static_cast<int32_t>(v)
    JMP64(JEQ, d == s)
    JMP64(JGT, d > s)
    JMP64(JGE, d >= s)
    JMP64(JSET, (d & s) != 0)
    JMP64(JNE, d != s)
    JMP64(JSGT, S64(d) > S64(s))
    JMP64(JSGE, S64(d) >= S64(s))
    JMP64(JLT, d < s)
    JMP64(JLE, d <= s)
    JMP64(JSLT, S64(d) < S64(s))
    JMP64(JSLE, S64(d) <= S64(s))
    JMP32(JEQ, d == s)
    JMP32(JGT, d > s)
    JMP32(JGE, d >= s)
    JMP32(JSET, (d & s) != 0)
    JMP32(JNE, d != s)
    JMP32(JSGT, S32(d) > S32(s))
    JMP32(JSGE, S32(d) >= S32(s))
    JMP32(JLT, d < s)
    JMP32(JLE, d <= s)
    JMP32(JSLT, S32(d) < S32(s))
    JMP32(JSLE, S32(d) <= S32(s))
#undef JMP64
#undef JMP32
#undef S64
#undef S32

  L_MAY_GOTO:
    if (may_goto_left == 0) JUMP();
    --may_goto_left;
    NEXT();

  L_CALL_LOCAL:
    if (base_depth + nframes + 1 >= kMaxCallFrames) {
      reason = fmt::format("call depth exceeds {} frames", kMaxCallFrames);
      goto fault_regs;
    }
    {
      Frame& f = frames[nframes++];
      f.ret = ip + 1;
      for (int i = 0; i < 4; ++i) f.saved[i] = reg[6 + i];
      f.may_goto_left = may_goto_left;
      may_goto_left = may_goto_budget;
      stack_lo -= kStackSize;
      reg[kRegFp] = stack_lo + kStackSize;
      ip = code + ip->imm;
      DISPATCH();
    }

  L_EXIT:
    if (nframes == 0) {
      *r0_out = reg[0];
      cur_.insns_left = left;
      return true;
    }
    {
      Frame& f = frames[--nframes];
      ip = f.ret;
      for (int i = 0; i < 4; ++i) reg[6 + i] = f.saved[i];
      may_goto_left = f.may_goto_left;
      stack_lo += kStackSize;
      reg[kRegFp] = stack_lo + kStackSize;
      for (int i = 1; i <= 5; ++i) reg[i] = kPoison;
      DISPATCH();
    }

  L_CALL_HELPER:
  L_CALL_KFUNC: {
    const bool kfunc = ip->op == Op::CALL_KFUNC;
    const HostFunction* fn = nullptr;
    if (kfunc) {
      fn = prog.kfuncs() ? prog.kfuncs()->get(ip->imm) : nullptr;
      if (!fn) {
        reason = fmt::format("call to unbound kfunc #{}", ip->imm);
        goto fault_regs;
      }
    } else {
      fn = helpers_.get(ip->imm);
      if (!fn) {
        reason = fmt::format("call to unknown helper {}", ip->imm);
        goto fault_regs;
      }
    }
    cur_.insns_left = left;
    CallContext cx(*this, prog, static_cast<size_t>(ip - code), base_depth + nframes);
    const HostArgs a{reg[1], reg[2], reg[3], reg[4], reg[5]};
    const uint64_t ret = fn->fn(cx, a);
    left = cur_.insns_left;
    if (cur_.fault) {
      if (cur_.fault->reason.empty()) cur_.fault->reason = "fault";
      goto fault_regs;
    }
    reg[0] = ret;
    for (int i = 1; i <= 5; ++i) reg[i] = kPoison;
    NEXT();
  }

#define LOAD(LABEL, T)                                                  \
  LABEL : {                                                             \
    const uint64_t a = reg[ip->src] + static_cast<int64_t>(ip->off);    \
    T v;                                                                \
    if (ARENA_HIT(a)) {                                                 \
      if (const uint8_t* h = arena->page_ptr(a, sizeof(T)))             \
        v = load<T>(reinterpret_cast<uint64_t>(h));                     \
      else                                                              \
        arena->load(a, &v, sizeof(T)); /* unallocated: 0 */             \
    } else {                                                            \
      CHECK_MEM(a, sizeof(T), kPermRead);                               \
      v = load<T>(a);                                                   \
    }                                                                   \
    /* signed T sign-extends (LDXSX), unsigned T zero-extends */        \
    reg[ip->dst] = static_cast<uint64_t>(static_cast<std::conditional_t<  \
        std::is_signed_v<T>, int64_t, uint64_t>>(v));                   \
    NEXT();                                                             \
  }
  LOAD(L_LDX_B, uint8_t)
  LOAD(L_LDX_H, uint16_t)
  LOAD(L_LDX_W, uint32_t)
  LOAD(L_LDX_DW, uint64_t)
  LOAD(L_LDXSX_B, int8_t)
  LOAD(L_LDXSX_H, int16_t)
  LOAD(L_LDXSX_W, int32_t)
#undef LOAD
#define STORE(LABEL, T, VALUE)                                          \
  LABEL : {                                                             \
    const uint64_t a = reg[ip->dst] + static_cast<int64_t>(ip->off);    \
    const T v = static_cast<T>(VALUE);                                  \
    if (ARENA_HIT(a)) {                                                 \
      if (uint8_t* h = arena->page_ptr(a, sizeof(T)))                   \
        store<T>(reinterpret_cast<uint64_t>(h), v);                     \
      else                                                              \
        arena->store(a, &v, sizeof(T)); /* unallocated: dropped */      \
      NEXT();                                                           \
    }                                                                   \
    CHECK_MEM(a, sizeof(T), kPermWrite);                                \
    store<T>(a, v);                                                     \
    NEXT();                                                             \
  }
  STORE(L_ST_B, uint8_t, ip->imm)
  STORE(L_ST_H, uint16_t, ip->imm)
  STORE(L_ST_W, uint32_t, ip->imm)
  STORE(L_ST_DW, uint64_t, ip->imm)
  STORE(L_STX_B, uint8_t, reg[ip->src])
  STORE(L_STX_H, uint16_t, reg[ip->src])
  STORE(L_STX_W, uint32_t, reg[ip->src])
  STORE(L_STX_DW, uint64_t, reg[ip->src])
#undef STORE

  L_ATOMIC_W: {
    uint64_t a = reg[ip->dst] + static_cast<int64_t>(ip->off);
    if (a & 3) {
      reason = fmt::format("misaligned atomic access: 4-byte atomic at {} is not 4-byte aligned",
                           memory_.shown(a));
      goto fault_regs;
    }
    if (ARENA_HIT(a)) {
      uint8_t* h = arena->atomic_ptr(a, 4);
      if (!h) NEXT();  // unallocated: no effect, registers unchanged
      a = reinterpret_cast<uint64_t>(h);
    } else {
      CHECK_MEM(a, 4, kPermReadWrite);
    }
    uint32_t r0 = static_cast<uint32_t>(reg[0]);
    bool fetched;
    const uint32_t old = atomic_op<uint32_t>(a, ip->aux, static_cast<uint32_t>(reg[ip->src]), r0,
                                             fetched);
    if (ip->aux == op::kCmpXchg) reg[0] = r0;  // zero-extended
    if (fetched) reg[ip->src] = old;
    NEXT();
  }
  L_ATOMIC_DW: {
    uint64_t a = reg[ip->dst] + static_cast<int64_t>(ip->off);
    if (a & 7) {
      reason = fmt::format("misaligned atomic access: 8-byte atomic at {} is not 8-byte aligned",
                           memory_.shown(a));
      goto fault_regs;
    }
    if (ARENA_HIT(a)) {
      uint8_t* h = arena->atomic_ptr(a, 8);
      if (!h) NEXT();  // unallocated: no effect, registers unchanged
      a = reinterpret_cast<uint64_t>(h);
    } else {
      CHECK_MEM(a, 8, kPermReadWrite);
    }
    uint64_t r0 = reg[0];
    bool fetched;
    const uint64_t old = atomic_op<uint64_t>(a, ip->aux, reg[ip->src], r0, fetched);
    if (ip->aux == op::kCmpXchg) reg[0] = r0;
    if (fetched) reg[ip->src] = old;
    NEXT();
  }

  L_LD_IMM64:
    reg[ip->dst] = ip->imm;
    ip += 2;
    DISPATCH();

  // addr_space_cast (vm/arena.h). The verifier only accepts it in a program with an arena.
  L_CAST_KERN:
  L_CAST_USER:
    if (!arena) {
      reason = "addr_space_cast in a program without a BPF arena";
      goto fault_regs;
    }
    reg[ip->dst] = ip->op == Op::CAST_KERN ? Arena::cast_kern(reg[ip->src])
                                           : arena->cast_user(reg[ip->src]);
    NEXT();

  // A cast the verifier would have rejected had it reached it (program.cc).
  L_CAST_INVALID:
    reason = fmt::format("addr_space_cast insn can only convert between address space 1 and 0 (this one: {} to {}); "
                         "the kernel's verifier rejects the program when this instruction is reachable",
                         ip->imm & 0xffff, (ip->imm >> 16) & 0xffff);
    goto fault_regs;

  L_INVALID:
    reason = "jump into the middle of an instruction";
    goto fault_regs;

  budget_exceeded:
    reason = fmt::format("instruction budget exceeded ({} instructions)", options_.insn_budget);
    goto fault_regs;

  mem_fault: {
    const char* what = fa_need == kPermRead    ? "read"
                       : fa_need == kPermWrite ? "write"
                                               : "atomic access";
    reason = fmt::format("invalid {} of {} byte{} at {} ({})", what, fa_size,
                         fa_size == 1 ? "" : "s", memory_.shown(fa_addr),
                         explain_access(fa_addr, fa_size, fa_need, stack_lo));
    goto fault_regs;
  }

  fault_regs:
    cur_.insns_left = left;
#undef DISPATCH
#undef NEXT
#undef JUMP
#undef CHECK_MEM
#undef ARENA_HIT
  }

fault : {
  const size_t pc = static_cast<size_t>(ip - code);
  if (!cur_.fault || cur_.fault->message.empty()) {
    // Raised here, or by a helper via cx.fault() (which leaves only the reason).
    set_fault(prog, pc, cur_.fault ? std::move(cur_.fault->reason) : std::move(reason));
    cur_.fault_depth = base_depth + nframes;
  } else if (cur_.fault_depth > base_depth + nframes) {
    cur_.fault->call_stack.push_back(pc);  // a callback run by this helper call faulted
  }
  for (int i = nframes - 1; i >= 0; --i)
    cur_.fault->call_stack.push_back(static_cast<size_t>(frames[i].ret - code) - 1);
  return false;
}
}

}  // namespace scx::bpf
