// Jumps: every condition, K vs X, JMP vs JMP32, signed vs unsigned, ja/gotol, may_goto,
// and the instruction budget.
#include <gtest/gtest.h>

#include "vm_test_util.h"

namespace scx::bpf::test {
namespace {

// Returns 1 when the jump is taken: r1 = a; r2 = b; if r1 <op> r2 goto +1; r0 = 0; exit; r0 = 1
bool taken(Insn j, uint64_t a, uint64_t b) {
  std::vector<Insn> code = cat({set(1, a), set(2, b), {j, mov64_imm(0, 0), exit_insn(),
                                                      mov64_imm(0, 1)}});
  return eval(code) == 1;
}
bool jx(uint8_t jop, uint64_t a, uint64_t b) { return taken(jmp_reg(jop, 1, 2, 2), a, b); }
bool jk(uint8_t jop, uint64_t a, int32_t imm) { return taken(jmp_imm(jop, 1, imm, 2), a, 0); }
bool j32x(uint8_t jop, uint64_t a, uint64_t b) { return taken(jmp32_reg(jop, 1, 2, 2), a, b); }
bool j32k(uint8_t jop, uint64_t a, int32_t imm) { return taken(jmp32_imm(jop, 1, imm, 2), a, 0); }

TEST(BpfJmp, Unsigned64) {
  EXPECT_TRUE(jx(op::kJeq, 5, 5));
  EXPECT_FALSE(jx(op::kJeq, 5, 0x100000005ULL));
  EXPECT_TRUE(jx(op::kJne, 5, 0x100000005ULL));
  EXPECT_TRUE(jx(op::kJgt, ~0ULL, 1));
  EXPECT_FALSE(jx(op::kJgt, 1, 1));
  EXPECT_TRUE(jx(op::kJge, 1, 1));
  EXPECT_TRUE(jx(op::kJlt, 1, ~0ULL));
  EXPECT_TRUE(jx(op::kJle, 1, 1));
  EXPECT_FALSE(jx(op::kJle, 2, 1));
  EXPECT_TRUE(jx(op::kJset, 0x6, 0x2));
  EXPECT_FALSE(jx(op::kJset, 0x6, 0x9));
  // K operand is sign-extended to 64 bits, then compared unsigned.
  EXPECT_TRUE(jk(op::kJeq, ~0ULL, -1));
  EXPECT_FALSE(jk(op::kJeq, 0xffffffffULL, -1));
  EXPECT_TRUE(jk(op::kJgt, ~0ULL, -2));
  EXPECT_TRUE(jk(op::kJlt, 5, -1));
  EXPECT_TRUE(jk(op::kJset, 0x8000000000000000ULL, -1));
}

TEST(BpfJmp, Signed64) {
  const uint64_t m1 = ~0ULL;
  EXPECT_TRUE(jx(op::kJsgt, 1, m1));
  EXPECT_FALSE(jx(op::kJgt, 1, m1));
  EXPECT_TRUE(jx(op::kJsge, m1, m1));
  EXPECT_TRUE(jx(op::kJslt, 0x8000000000000000ULL, 0));
  EXPECT_TRUE(jx(op::kJsle, m1, 0));
  EXPECT_FALSE(jx(op::kJsle, 1, 0));
  EXPECT_TRUE(jk(op::kJslt, m1, 0));
  EXPECT_TRUE(jk(op::kJsgt, 0, -1));
  EXPECT_TRUE(jk(op::kJsge, static_cast<uint64_t>(-5), -5));
  EXPECT_FALSE(jk(op::kJsgt, static_cast<uint64_t>(-5), -5));
}

TEST(BpfJmp, Jmp32IgnoresUpperHalf) {
  EXPECT_TRUE(j32x(op::kJeq, 0x1'00000005ULL, 0x2'00000005ULL));
  EXPECT_FALSE(jx(op::kJeq, 0x1'00000005ULL, 0x2'00000005ULL));
  EXPECT_TRUE(j32k(op::kJeq, 0xffffffff'ffffffffULL, -1));
  EXPECT_TRUE(j32k(op::kJeq, 0x00000000'ffffffffULL, -1));  // 64-bit would not match
  EXPECT_FALSE(jk(op::kJeq, 0x00000000'ffffffffULL, -1));
  EXPECT_TRUE(j32x(op::kJgt, 0x0'80000000ULL, 0x1'00000001ULL));
  EXPECT_FALSE(jx(op::kJgt, 0x0'80000000ULL, 0x1'00000001ULL));
  EXPECT_TRUE(j32x(op::kJslt, 0x0'80000000ULL, 0x0'00000001ULL));  // (s32) negative
  EXPECT_FALSE(jx(op::kJslt, 0x0'80000000ULL, 0x0'00000001ULL));
  EXPECT_TRUE(j32k(op::kJsle, 0xffffffffULL, -1));
  EXPECT_TRUE(j32k(op::kJsgt, 0x1'00000000ULL, -1));  // 0 s> -1
  EXPECT_TRUE(j32k(op::kJge, 0xffffffffULL, -1));
  EXPECT_TRUE(j32k(op::kJlt, 0x7fffffffULL, -1));
  EXPECT_TRUE(j32k(op::kJle, 0x1'00000000ULL, 0));
  EXPECT_TRUE(j32k(op::kJne, 0x1'00000000ULL, 1));
  EXPECT_TRUE(j32k(op::kJsge, 0x1'7fffffffULL, 0x7fffffff));
  EXPECT_FALSE(j32x(op::kJset, 0x1'00000000ULL, 0x1'00000000ULL));
  EXPECT_TRUE(jx(op::kJset, 0x1'00000000ULL, 0x1'00000000ULL));
}

TEST(BpfJmp, JaAndGotol) {
  EXPECT_EQ(eval({mov64_imm(0, 1), ja(1), mov64_imm(0, 2)}), 1u);
  // gotol jumps with a 32-bit offset in imm; here past 40000 filler instructions.
  Builder b;
  b.add(mov64_imm(0, 7)).jump(gotol(0), "end");
  for (int i = 0; i < 40000; ++i) b.add(mov64_imm(0, 9));
  b.label("end").add(exit_insn());
  Program p = must_load(b.finish());
  Vm vm;
  RunResult r = vm.run(p);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.r0, 7u);
  EXPECT_EQ(r.insns, 3u);
}

TEST(BpfJmp, BackwardLoopCountsInstructions) {
  // r0 = 0; r1 = 10; loop: r0 += r1; r1 -= 1; if r1 != 0 goto loop; exit
  Builder b;
  b.add(mov64_imm(0, 0)).add(mov64_imm(1, 10)).label("loop");
  b.add(alu64_reg(op::kAdd, 0, 1)).add(alu64_imm(op::kSub, 1, 1));
  b.jump(jmp_imm(op::kJne, 1, 0, 0), "loop").add(exit_insn());
  Program p = must_load(b.finish());
  Vm vm;
  RunResult r = vm.run(p);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.r0, 55u);
  EXPECT_EQ(r.insns, 2u + 10 * 3 + 1);
}

TEST(BpfJmp, MayGotoTakenWhenBudgetExhausted) {
  // loop: may_goto +2 (to out); r0 += 1; goto loop; out: exit
  Builder b;
  b.add(mov64_imm(0, 0)).label("loop").jump(may_goto(0), "out");
  b.add(alu64_imm(op::kAdd, 0, 1)).jump(ja(0), "loop").label("out").add(exit_insn());
  Program p = must_load(b.finish());
  Vm vm(VmOptions{.insn_budget = 100'000, .may_goto_budget = 1000});
  RunResult r = vm.run(p);
  ASSERT_TRUE(r.ok) << r.fault->message;
  EXPECT_EQ(r.r0, 1000u);
  // Per invocation: the next run starts with a fresh budget.
  RunResult r2 = vm.run(p);
  EXPECT_EQ(r2.r0, 1000u);
}

TEST(BpfJmp, MayGotoDefaultIsBpfMaxLoops) {
  EXPECT_EQ(kBpfMaxLoops, 8u * 1024 * 1024);
  EXPECT_EQ(VmOptions{}.may_goto_budget, kBpfMaxLoops);
  Builder b;
  b.add(mov64_imm(0, 0)).label("loop").jump(may_goto(0), "out");
  b.add(alu64_imm(op::kAdd, 0, 1)).jump(ja(0), "loop").label("out").add(exit_insn());
  Program p = must_load(b.finish());
  Vm vm(VmOptions{.insn_budget = 30'000'000});
  RunResult r = vm.run(p);
  ASSERT_TRUE(r.ok) << r.fault->message;
  EXPECT_EQ(r.r0, kBpfMaxLoops);
}

TEST(BpfJmp, InfiniteLoopHitsBudget) {
  Program p = must_load({mov64_imm(0, 0), alu64_imm(op::kAdd, 0, 1), ja(-2)});
  Vm vm(VmOptions{.insn_budget = 5000});
  RunResult r = vm.run(p);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.insns, 5000u);
  EXPECT_EQ(r.fault->reason, "instruction budget exceeded (5000 instructions)");
  EXPECT_NE(r.fault->message.find("test: insn "), std::string::npos) << r.fault->message;
  EXPECT_EQ(VmOptions{}.insn_budget, 1'000'000u);
}

TEST(BpfJmp, ExactBudgetIsEnough) {
  Program p = must_load({mov64_imm(0, 1), mov64_imm(0, 2), exit_insn()});
  Vm vm(VmOptions{.insn_budget = 3});
  EXPECT_TRUE(vm.run(p).ok);
  vm.set_options(VmOptions{.insn_budget = 2});
  RunResult r = vm.run(p);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.fault->pc, 2u);
}

}  // namespace
}  // namespace scx::bpf::test
