// ALU and ALU64: every operation with K and X sources and exact values, including the
// edge cases the spec defines (division by zero, signed overflow, shift masking, zero-extension).
#include <gtest/gtest.h>

#include "vm_test_util.h"

namespace scx::bpf::test {
namespace {

constexpr uint64_t kMin64 = 0x8000000000000000ULL;

// r0 = a; r1 = b; r0 <op>= r1 (X) -- and the same with b as an immediate (K) when it fits.
uint64_t alu64x(uint8_t aop, uint64_t a, uint64_t b, int off = 0) {
  return eval(cat({set(0, a), set(1, b), {alu64_reg(aop, 0, 1, off)}}));
}
uint64_t alu64k(uint8_t aop, uint64_t a, int32_t imm, int off = 0) {
  return eval(cat({set(0, a), {alu64_imm(aop, 0, imm, off)}}));
}
uint64_t alu32x(uint8_t aop, uint64_t a, uint64_t b, int off = 0) {
  return eval(cat({set(0, a), set(1, b), {alu32_reg(aop, 0, 1, off)}}));
}
uint64_t alu32k(uint8_t aop, uint64_t a, int32_t imm, int off = 0) {
  return eval(cat({set(0, a), {alu32_imm(aop, 0, imm, off)}}));
}

TEST(BpfAlu, Add) {
  EXPECT_EQ(alu64x(op::kAdd, 5, 7), 12u);
  EXPECT_EQ(alu64k(op::kAdd, 5, -7), static_cast<uint64_t>(-2));  // imm sign-extends
  EXPECT_EQ(alu64x(op::kAdd, ~0ULL, 2), 1u);                         // wraps
  EXPECT_EQ(alu32x(op::kAdd, 0xffffffff00000005ULL, 0xffffffff), 4u);  // zero-extends
  EXPECT_EQ(alu32k(op::kAdd, 0x1234567800000001ULL, -1), 0u);
}

TEST(BpfAlu, SubMul) {
  EXPECT_EQ(alu64x(op::kSub, 3, 5), static_cast<uint64_t>(-2));
  EXPECT_EQ(alu32k(op::kSub, 3, 5), 0xfffffffeu);
  EXPECT_EQ(alu64k(op::kMul, 0x100000000ULL, 3), 0x300000000ULL);
  EXPECT_EQ(alu64x(op::kMul, 0xffffffffffffffffULL, 0xffffffffffffffffULL), 1u);
  EXPECT_EQ(alu32x(op::kMul, 0x10000, 0x10001), 0x10000u);
  EXPECT_EQ(alu32k(op::kMul, 0xffff0000ffffffffULL, -1), 1u);
}

TEST(BpfAlu, UnsignedDivMod) {
  EXPECT_EQ(alu64x(op::kDiv, 100, 7), 14u);
  EXPECT_EQ(alu64k(op::kDiv, 100, -1), 0u);  // imm -1 -> 0xffff...ffff unsigned
  EXPECT_EQ(alu64k(op::kDiv, ~0ULL, -1), 1u);
  EXPECT_EQ(alu64x(op::kDiv, 100, 0), 0u);  // div by zero -> 0
  EXPECT_EQ(alu64k(op::kDiv, 100, 0), 0u);
  EXPECT_EQ(alu32k(op::kDiv, 0xffffffff00000064ULL, -1), 0u);  // imm as u32 0xffffffff
  EXPECT_EQ(alu32x(op::kDiv, 0xffffffff00000064ULL, 0x100000007ULL), 14u);  // src truncated
  EXPECT_EQ(alu32x(op::kDiv, 5, 0), 0u);
  EXPECT_EQ(alu64x(op::kMod, 100, 7), 2u);
  EXPECT_EQ(alu64x(op::kMod, 0xffffffff00000064ULL, 0), 0xffffffff00000064ULL);  // unchanged
  EXPECT_EQ(alu32x(op::kMod, 0xffffffff00000064ULL, 0), 0x64u);  // upper half zeroed
  EXPECT_EQ(alu32k(op::kMod, 0xffffffff00000064ULL, 0), 0x64u);
  EXPECT_EQ(alu32k(op::kMod, 100, 7), 2u);
}

TEST(BpfAlu, SignedDivMod) {
  EXPECT_EQ(alu64x(op::kDiv, static_cast<uint64_t>(-7), 2, 1), static_cast<uint64_t>(-3));
  EXPECT_EQ(alu64k(op::kDiv, static_cast<uint64_t>(-7), -2, 1), 3u);
  EXPECT_EQ(alu64x(op::kDiv, 7, 0, 1), 0u);
  EXPECT_EQ(alu64k(op::kDiv, kMin64, -1, 1), kMin64);  // overflow wraps
  EXPECT_EQ(alu64x(op::kMod, static_cast<uint64_t>(-13), 3, 1), static_cast<uint64_t>(-1));
  EXPECT_EQ(alu64k(op::kMod, 13, -3, 1), 1u);  // truncated division
  EXPECT_EQ(alu64x(op::kMod, kMin64, static_cast<uint64_t>(-1), 1), 0u);
  EXPECT_EQ(alu64x(op::kMod, static_cast<uint64_t>(-5), 0, 1), static_cast<uint64_t>(-5));
  EXPECT_EQ(alu32x(op::kDiv, 0xfffffff9, 2, 1), 0xfffffffdu);  // -7/2 = -3, zero-extended
  EXPECT_EQ(alu32k(op::kDiv, 0x80000000, -1, 1), 0x80000000u);
  EXPECT_EQ(alu32k(op::kDiv, 0xabcdef0000000009ULL, 0, 1), 0u);
  EXPECT_EQ(alu32x(op::kMod, 0xfffffff3, 3, 1), 0xffffffffu);  // -13 % 3 = -1
  EXPECT_EQ(alu32k(op::kMod, 0x80000000, -1, 1), 0u);
  EXPECT_EQ(alu32x(op::kMod, 0xffffffff80000005ULL, 0, 1), 0x80000005u);
}

TEST(BpfAlu, Bitwise) {
  EXPECT_EQ(alu64x(op::kOr, 0xf0, 0x0f), 0xffu);
  EXPECT_EQ(alu64k(op::kAnd, 0xffffffffffffffffULL, -16), 0xfffffffffffffff0ULL);
  EXPECT_EQ(alu32k(op::kAnd, 0xffffffffffffffffULL, -16), 0xfffffff0u);
  EXPECT_EQ(alu64x(op::kXor, 0xff00ff00ff00ff00ULL, ~0ULL), 0x00ff00ff00ff00ffULL);
  EXPECT_EQ(alu32x(op::kOr, 0xffffffff00000000ULL, 1), 1u);
  EXPECT_EQ(alu32k(op::kXor, 0x100000000ULL, 1), 1u);
}

TEST(BpfAlu, Shifts) {
  EXPECT_EQ(alu64k(op::kLsh, 1, 63), kMin64);
  EXPECT_EQ(alu64x(op::kLsh, 1, 64), 1u);   // masked to 0
  EXPECT_EQ(alu64x(op::kLsh, 1, 65), 2u);
  EXPECT_EQ(alu64x(op::kRsh, kMin64, 63), 1u);
  EXPECT_EQ(alu64x(op::kArsh, kMin64, 63), ~0ULL);
  EXPECT_EQ(alu64k(op::kArsh, kMin64, 4), 0xf800000000000000ULL);
  EXPECT_EQ(alu32k(op::kLsh, 1, 31), 0x80000000u);
  EXPECT_EQ(alu32x(op::kLsh, 3, 33), 6u);  // masked to 1
  EXPECT_EQ(alu32x(op::kRsh, 0xffffffff80000000ULL, 31), 1u);
  EXPECT_EQ(alu32k(op::kArsh, 0x80000000, 31), 0xffffffffu);
  EXPECT_EQ(alu32x(op::kArsh, 0xffffffff00000010ULL, 36), 1u);  // &31 -> 4, upper ignored
}

TEST(BpfAlu, NegMov) {
  EXPECT_EQ(eval(cat({set(0, 5), {neg64(0)}})), static_cast<uint64_t>(-5));
  EXPECT_EQ(eval(cat({set(0, 5), {neg32(0)}})), 0xfffffffbu);
  EXPECT_EQ(eval(cat({set(0, kMin64), {neg64(0)}})), kMin64);
  EXPECT_EQ(eval({mov64_imm(0, -1)}), ~0ULL);
  EXPECT_EQ(eval({mov32_imm(0, -1)}), 0xffffffffu);
  EXPECT_EQ(eval(cat({set(1, 0x1122334455667788ULL), {alu32_reg(op::kMov, 0, 1)}})),
            0x55667788u);
  EXPECT_EQ(eval(cat({set(1, 0x1122334455667788ULL), {mov64_reg(0, 1)}})),
            0x1122334455667788ULL);
}

TEST(BpfAlu, MovSx) {
  EXPECT_EQ(eval(cat({set(1, 0x1280), {movsx64(0, 1, 8)}})), 0xffffffffffffff80ULL);
  EXPECT_EQ(eval(cat({set(1, 0x127f), {movsx64(0, 1, 8)}})), 0x7fu);
  EXPECT_EQ(eval(cat({set(1, 0x18000), {movsx64(0, 1, 16)}})), 0xffffffffffff8000ULL);
  EXPECT_EQ(eval(cat({set(1, 0x180000000ULL), {movsx64(0, 1, 32)}})), 0xffffffff80000000ULL);
  EXPECT_EQ(eval(cat({set(1, 0x1280), {movsx32(0, 1, 8)}})), 0xffffff80u);
  EXPECT_EQ(eval(cat({set(1, 0xffff8000), {movsx32(0, 1, 16)}})), 0xffff8000u);
  EXPECT_EQ(eval(cat({set(1, 0x7fff), {movsx32(0, 1, 16)}})), 0x7fffu);
}

TEST(BpfAlu, ByteSwap) {
  const uint64_t v = 0x0123456789abcdefULL;
  EXPECT_EQ(eval(cat({set(0, v), {to_le(0, 16)}})), 0xcdefu);
  EXPECT_EQ(eval(cat({set(0, v), {to_le(0, 32)}})), 0x89abcdefu);
  EXPECT_EQ(eval(cat({set(0, v), {to_le(0, 64)}})), v);
  EXPECT_EQ(eval(cat({set(0, v), {to_be(0, 16)}})), 0xefcdu);
  EXPECT_EQ(eval(cat({set(0, v), {to_be(0, 32)}})), 0xefcdab89u);
  EXPECT_EQ(eval(cat({set(0, v), {to_be(0, 64)}})), 0xefcdab8967452301ULL);
  EXPECT_EQ(eval(cat({set(0, v), {bswap(0, 16)}})), 0xefcdu);
  EXPECT_EQ(eval(cat({set(0, v), {bswap(0, 32)}})), 0xefcdab89u);
  EXPECT_EQ(eval(cat({set(0, v), {bswap(0, 64)}})), 0xefcdab8967452301ULL);
}

TEST(BpfAlu, LdImm64AndArgs) {
  EXPECT_EQ(eval(set(0, 0xfedcba9876543210ULL)), 0xfedcba9876543210ULL);
  EXPECT_EQ(eval({mov64_reg(0, 1), alu64_reg(op::kAdd, 0, 5)}, {10, 0, 0, 0, 32}), 42u);
}

}  // namespace
}  // namespace scx::bpf::test
