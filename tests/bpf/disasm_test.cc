// Disassembly in llvm-objdump syntax.
#include <gtest/gtest.h>

#include "bpf/vm/disasm.h"
#include "vm_test_util.h"

namespace scx::bpf::test {
namespace {

TEST(BpfDisasm, Syntax) {
  EXPECT_EQ(disasm(ldx(op::kDW, 1, 10, -8)), "r1 = *(u64 *)(r10 - 0x8)");
  EXPECT_EQ(disasm(ldx(op::kB, 1, 2, 0)), "r1 = *(u8 *)(r2 + 0x0)");
  EXPECT_EQ(disasm(ldxsx(op::kH, 1, 2, 4)), "r1 = *(s16 *)(r2 + 0x4)");
  EXPECT_EQ(disasm(stx(op::kDW, 10, 3, -8)), "*(u64 *)(r10 - 0x8) = r3");
  EXPECT_EQ(disasm(stx(op::kW, 10, 3, -4)), "*(u32 *)(r10 - 0x4) = r3");
  EXPECT_EQ(disasm(st(op::kDW, 10, -16, 7)), "*(u64 *)(r10 - 0x10) = 0x7");
  EXPECT_EQ(disasm(jmp_imm(op::kJgt, 1, 3, 5)), "if r1 > 0x3 goto +0x5");
  EXPECT_EQ(disasm(jmp32_reg(op::kJsge, 1, 2, -7)), "if w1 s>= w2 goto -0x7");
  EXPECT_EQ(disasm(jmp_imm(op::kJset, 1, 4, 1)), "if r1 & 0x4 goto +0x1");
  EXPECT_EQ(disasm(call_helper(12)), "call 0xc");
  EXPECT_EQ(disasm(call_kfunc(3)), "call kfunc#3");
  EXPECT_EQ(disasm(exit_insn()), "exit");
  EXPECT_EQ(disasm(ja(-1)), "goto -0x1");
  EXPECT_EQ(disasm(gotol(70000)), "gotol +0x11170");
  EXPECT_EQ(disasm(may_goto(7)), "may_goto +0x7");
  EXPECT_EQ(disasm(alu64_imm(op::kAdd, 7, -8)), "r7 += -0x8");
  EXPECT_EQ(disasm(alu32_imm(op::kRsh, 6, 2)), "w6 >>= 0x2");
  EXPECT_EQ(disasm(alu64_reg(op::kDiv, 3, 2, 1)), "r3 s/= r2");
  EXPECT_EQ(disasm(alu64_reg(op::kMod, 3, 2, 1)), "r3 s%= r2");
  EXPECT_EQ(disasm(alu32_imm(op::kArsh, 4, 3)), "w4 s>>= 0x3");
  EXPECT_EQ(disasm(movsx64(0, 2, 8)), "r0 = (s8)r2");
  EXPECT_EQ(disasm(neg64(3)), "r3 = -r3");
  EXPECT_EQ(disasm(bswap(6, 64)), "r6 = bswap64 r6");
  EXPECT_EQ(disasm(to_be(6, 16)), "r6 = be16 r6");
  EXPECT_EQ(disasm(atomic(op::kDW, op::kAdd, 1, 0, 0)), "lock *(u64 *)(r1 + 0x0) += r0");
  EXPECT_EQ(disasm(atomic(op::kDW, op::kOr | op::kFetch, 1, 6, 0)),
            "r6 = atomic_fetch_or((u64 *)(r1 + 0x0), r6)");
  EXPECT_EQ(disasm(atomic(op::kDW, op::kXchg, 1, 3, 0)), "r3 = xchg_64(r1 + 0x0, r3)");
  EXPECT_EQ(disasm(atomic(op::kW, op::kCmpXchg, 1, 2, 8)), "w0 = cmpxchg32_32(r1 + 0x8, w0, w2)");
  std::vector<Insn> li = ld_imm64(2, 0x123456789aULL);
  EXPECT_EQ(disasm(li[0], &li[1]), "r2 = 0x123456789a ll");
}

}  // namespace
}  // namespace scx::bpf::test
