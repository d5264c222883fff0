// Load-time validation: each rejection names the instruction and the reason.
#include <gtest/gtest.h>

#include "vm_test_util.h"

namespace scx::bpf::test {
namespace {

std::string reject(std::vector<Insn> code) {
  Result<Program> p = Program::create("bad", std::move(code));
  if (p.ok()) return "accepted";
  return p.status().message();
}

TEST(BpfPrepass, Rejections) {
  EXPECT_EQ(reject({}), "bad: empty program");
  EXPECT_EQ(reject({make(0xff, 0, 0, 0, 0), exit_insn()}),
            "bad: insn 0 (<unknown opcode 0xff>): unknown opcode 0xff");
  EXPECT_EQ(reject({mov64_imm(11, 0), exit_insn()}),
            "bad: insn 0 (r11 = 0x0): invalid destination register r11");
  EXPECT_EQ(reject({mov64_reg(0, 12), exit_insn()}),
            "bad: insn 0 (r0 = r12): invalid source register r12");
  EXPECT_EQ(reject({mov64_imm(10, 0), exit_insn()}),
            "bad: insn 0 (r10 = 0x0): write to the read-only frame pointer r10");
  EXPECT_EQ(reject({ldx(op::kDW, 10, 1, 0), exit_insn()}),
            "bad: insn 0 (r10 = *(u64 *)(r1 + 0x0)): write to the read-only frame pointer r10");
  EXPECT_EQ(reject({atomic(op::kDW, op::kAdd | op::kFetch, 1, 10, 0), exit_insn()}),
            "bad: insn 0 (r10 = atomic_fetch_add((u64 *)(r1 + 0x0), r10)): atomic fetch into "
            "the read-only frame pointer r10");
  EXPECT_EQ(reject({ja(5), exit_insn()}),
            "bad: insn 0 (goto +0x5): jump target 6 is outside the program (0..1)");
  EXPECT_EQ(reject({jmp_imm(op::kJeq, 1, 0, -2), exit_insn()}),
            "bad: insn 0 (if r1 == 0x0 goto -0x2): jump target -1 is outside the program (0..1)");
  EXPECT_EQ(reject(cat({{ja(1)}, ld_imm64(0, 1), {exit_insn()}})),
            "bad: insn 0 (goto +0x1): jump target 2 is the second slot of an ld_imm64");
  EXPECT_EQ(reject({exit_insn(), ld_imm64(0, 1)[0]}),
            "bad: insn 1 (r0 = 0x1 ll): ld_imm64 is missing its second slot");
  EXPECT_EQ(reject({mov64_imm(0, 0)}),
            "bad: insn 0 (r0 = 0x0): last instruction falls through the end of the program");
  EXPECT_EQ(reject({mov64_imm(0, 0), jmp_imm(op::kJeq, 0, 0, -2)}),
            "bad: insn 1 (if r0 == 0x0 goto -0x2): last instruction falls through the end of "
            "the program");
  EXPECT_EQ(reject({exit_insn(), call_helper(1)}),
            "bad: insn 1 (call 0x1): last instruction falls through the end of the program");
  EXPECT_EQ(reject(cat({{exit_insn()}, ld_imm64(0, 1)})),
            "bad: insn 1 (r0 = 0x1 ll): last instruction falls through the end of the program");
  EXPECT_EQ(reject({call_local(5), exit_insn()}),
            "bad: insn 0 (call 0x5): call target 6 is outside the program (0..1)");
  EXPECT_EQ(reject({make(op::kLd | op::kAbs | op::kW, 0, 0, 0, 0), exit_insn()}),
            "bad: insn 0 (<unknown opcode 0x20>): legacy packet access (ld_abs/ld_ind) is not "
            "supported");
  EXPECT_EQ(reject({alu64_imm(op::kAdd, 0, 1, 1), exit_insn()}),
            "bad: insn 0 (r0 += 0x1): invalid offset 1 for this ALU operation");
  EXPECT_EQ(reject({to_le(0, 8), exit_insn()}),
            "bad: insn 0 (r0 = le8 r0): byte swap width 8 (must be 16, 32 or 64)");
  EXPECT_EQ(reject({movsx32(0, 1, 32), exit_insn()}),
            "bad: insn 0 (w0 = (s32)w1): movsx with invalid width 32");
  EXPECT_EQ(reject({atomic(op::kB, op::kAdd, 1, 2, 0), exit_insn()}),
            "bad: insn 0 (lock *(u32 *)(r1 + 0x0) += w2): unknown opcode 0xd3");
  EXPECT_EQ(reject({atomic(op::kDW, 0x31, 1, 2, 0), exit_insn()}),
            "bad: insn 0 (<unknown atomic 0x31>): unknown atomic operation 0x31");
  EXPECT_EQ(reject({ldxsx(op::kDW, 0, 1, 0), exit_insn()}),
            "bad: insn 0 (r0 = *(s64 *)(r1 + 0x0)): unknown opcode 0x99");
  EXPECT_EQ(reject({make(op::kJmp32 | op::kCall, 0, 0, 0, 1), exit_insn()}),
            "bad: insn 0 (<unknown opcode 0x86>): unknown opcode 0x86");
  EXPECT_EQ(reject(cat({ld_imm64(1, 3, op::kPseudoMapFd), {exit_insn()}})),
            "bad: insn 0 (r1 = 0x3 ll <pseudo src 1>): ld_imm64 with unresolved pseudo src 1");
  EXPECT_EQ(reject({make(op::kJmp | op::kCall, 0, 3, 0, 1), exit_insn()}),
            "bad: insn 0 (call 0x1): call with unknown kind src=3");
  // A 0 -> 0 cast loads (6.12/6.18 verify only reachable instructions) and faults if it runs.
  EXPECT_EQ(reject({alu64_reg(op::kMov, 0, 1, 1), exit_insn()}), "accepted");
  EXPECT_EQ(reject({make(op::kAlu64 | op::kX | op::kMov, 0, 1, 1, (2 << 16) | 1), exit_insn()}),
            "bad: insn 0 (r0 = addr_space_cast(r1, 2, 1)): addr_space_cast insn can only convert "
            "between address space 1 and 0 (this one: 1 to 2)");
}

TEST(BpfPrepass, AcceptsEndingWithJump) {
  EXPECT_EQ(reject({mov64_imm(0, 0), exit_insn(), ja(-3)}), "accepted");
  EXPECT_EQ(reject({mov64_imm(0, 0), exit_insn(), gotol(-3)}), "accepted");
}

TEST(BpfPrepass, LoaderResolvesLdImm64) {
  // A map-value pseudo ld_imm64 resolved through the hook, then patched again later.
  alignas(8) static uint64_t map_value = 1234;
  ProgramOptions opts;
  std::vector<size_t> asked;
  opts.resolve_ld_imm64 = [&](size_t pc, const Insn& lo, const Insn& hi) -> Result<uint64_t> {
    asked.push_back(pc);
    EXPECT_EQ(lo.src, op::kPseudoMapValue);
    EXPECT_EQ(lo.imm, 5);  // map fd
    return reinterpret_cast<uint64_t>(&map_value) + static_cast<uint64_t>(hi.imm);
  };
  Result<Program> p = Program::create(
      "m", cat({ld_imm64(1, 5, op::kPseudoMapValue), {ldx(op::kDW, 0, 1, 0), exit_insn()}}), opts);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(asked, std::vector<size_t>{0});
  Vm vm;
  ASSERT_TRUE(vm.memory().add(&map_value, 8, kPermReadWrite, "map").ok());
  EXPECT_EQ(vm.run(*p).r0, 1234u);
  alignas(8) static uint64_t other = 99;
  ASSERT_TRUE(vm.memory().add(&other, 8, kPermReadWrite, "other").ok());
  ASSERT_TRUE(p->patch_ld_imm64(0, reinterpret_cast<uint64_t>(&other)).ok());
  EXPECT_EQ(vm.run(*p).r0, 99u);
  EXPECT_FALSE(p->patch_ld_imm64(2, 0).ok());

  ProgramOptions failing;
  failing.resolve_ld_imm64 = [](size_t, const Insn&, const Insn&) -> Result<uint64_t> {
    return Status::Error("", "map fd 5 is not known");
  };
  Result<Program> q = Program::create(
      "m", cat({ld_imm64(1, 5, op::kPseudoMapFd), {mov64_imm(0, 0), exit_insn()}}), failing);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().message(), "m: insn 0: map fd 5 is not known");
}

TEST(BpfPrepass, RunRejectsBadEntry) {
  Program p = must_load(cat({ld_imm64(0, 1), {exit_insn()}}));
  Vm vm;
  EXPECT_FALSE(vm.run(p, 1, {}).ok);
  EXPECT_FALSE(vm.run(p, 7, {}).ok);
  EXPECT_TRUE(vm.run(p, 2, {}).ok);
}

}  // namespace
}  // namespace scx::bpf::test

namespace scx::bpf::test {
namespace {

TEST(BpfPrepass, CallbackAddressAndCallTargets) {
  EXPECT_EQ(reject(cat({{call_local(1)}, ld_imm64(0, 1), {exit_insn()}})),
            "bad: insn 0 (call 0x1): call target 2 is the second slot of an ld_imm64");
  EXPECT_EQ(reject(cat({ld_imm64(1, 0, op::kPseudoFunc), {exit_insn()}})),
            "bad: insn 0 (r1 = func +0x0 ll): callback target 1 is the second slot of an "
            "ld_imm64");
  // A valid callback address is a tagged pc that maps back to its instruction.
  Program p = must_load(cat({ld_imm64(0, 1, op::kPseudoFunc), {exit_insn(), exit_insn()}}));
  Vm vm;
  RunResult r = vm.run(p);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.r0, Program::code_address(2));
  EXPECT_EQ(p.pc_of_code_address(r.r0), std::optional<size_t>(2));
  EXPECT_EQ(p.pc_of_code_address(Program::code_address(1)), std::nullopt);  // second slot
  EXPECT_EQ(p.pc_of_code_address(0x1234), std::nullopt);
}

}  // namespace
}  // namespace scx::bpf::test
