// The VM side of the BPF arena (vm/arena.h): addr_space_cast encodings and PROBE_MEM32
// accesses in the arena window, hand-assembled.
#include <memory>

#include "bpf/vm/arena.h"
#include "bpf/vm/disasm.h"
#include "vm_test_util.h"

namespace scx::bpf::test {
namespace {

constexpr uint64_t kBase = 1ULL << 44;
constexpr uint64_t kPage = Arena::kPageSize;

Insn cast(int dst, int src, int dst_as, int src_as) {
  return make(op::kAlu64 | op::kX | op::kMov, dst, src, 1, (dst_as << 16) | src_as);
}

std::shared_ptr<Arena> make_arena(uint32_t pages = 16, uint32_t flags = kBpfFMmapable,
                                  uint64_t extra = kBase) {
  auto r = Arena::create("arena", pages, flags, extra);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return std::shared_ptr<Arena>(std::move(r).value());
}

// Runs `code` (exit appended) bound to `arena`; returns R0, or the fault reason in *fault.
uint64_t run_arena(std::vector<Insn> code, const std::shared_ptr<Arena>& arena,
                   std::initializer_list<uint64_t> args = {}, std::string* fault = nullptr) {
  code.push_back(exit_insn());
  Program p = must_load(std::move(code));
  p.set_arena(arena);
  Vm vm;
  RunResult r = vm.run(p, args);
  if (fault) *fault = r.ok ? "" : r.fault->reason;
  else if (!r.ok) ADD_FAILURE() << r.fault->message;
  return r.r0;
}

TEST(BpfArenaVm, Disassembly) {
  EXPECT_EQ(disasm(cast(1, 2, 0, 1)), "r1 = addr_space_cast(r2, 0, 1)");
  EXPECT_EQ(disasm(cast(3, 3, 1, 0)), "r3 = addr_space_cast(r3, 1, 0)");
}

TEST(BpfArenaVm, CastToKernelKeepsTheLow32Bits) {
  auto a = make_arena();
  EXPECT_EQ(run_arena({mov64_reg(1, 1), cast(0, 1, 0, 1)}, a, {kBase + 0x1234}), 0x1234u);
  EXPECT_EQ(run_arena({cast(0, 1, 0, 1)}, a, {0xffffffff00000008ULL}), 8u);
  EXPECT_EQ(run_arena({cast(0, 1, 0, 1)}, a, {kBase}), 0u);  // page 0 byte 0 is kernel NULL
}

TEST(BpfArenaVm, CastToUserTakesTheUpperBitsOfUserVmStart) {
  auto a = make_arena();
  EXPECT_EQ(run_arena({cast(0, 1, 1, 0)}, a, {0x1234}), kBase + 0x1234);
  EXPECT_EQ(run_arena({cast(0, 1, 1, 0)}, a, {0xabcd00005000ULL}), kBase + 0x5000);
  EXPECT_EQ(run_arena({cast(0, 1, 1, 0)}, a, {0}), 0u);                    // NULL stays NULL
  EXPECT_EQ(run_arena({cast(0, 1, 1, 0)}, a, {0x777700000000ULL}), 0u);   // low 32 bits zero
  // map_extra 0: the arena sits below the simulated mmap base; its upper half is used.
  auto picked = make_arena(16, kBpfFMmapable, 0);
  const uint64_t start = picked->user_vm_start();
  EXPECT_EQ(run_arena({cast(0, 1, 1, 0)}, picked, {static_cast<uint32_t>(start) + 8}), start + 8);
  // BPF_F_NO_USER_CONV: the verifier makes it a 32-bit move.
  auto noconv = make_arena(16, kBpfFMmapable | kBpfFNoUserConv);
  EXPECT_EQ(run_arena({cast(0, 1, 1, 0)}, noconv, {kBase + 0x40}), 0x40u);
}

TEST(BpfArenaVm, CastWithoutAnArenaFaults) {
  Program p = must_load({cast(0, 1, 1, 0), exit_insn()});
  Vm vm;
  RunResult r = vm.run(p, {1});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.fault->reason, "addr_space_cast in a program without a BPF arena");
}

// A 0 -> 0 cast loads (the 6.12/6.18 verifiers reject only the casts they reach) and faults
// with the verifier's message when it runs; a branch around it keeps the program working.
TEST(BpfArenaVm, UnsupportedCastFaultsOnlyWhenReached) {
  auto a = make_arena();
  EXPECT_EQ(run_arena({ja(1), cast(0, 1, 0, 0), mov64_imm(0, 7)}, a, {1}), 7u);
  std::string fault;
  run_arena({cast(0, 1, 0, 0)}, a, {1}, &fault);
  EXPECT_EQ(fault, "addr_space_cast insn can only convert between address space 1 and 0 (this one: 0 to 0); "
                   "the kernel's verifier rejects the program when this instruction is reachable");
}

TEST(BpfArenaVm, LoadsAndStoresReachAllocatedPages) {
  auto a = make_arena();
  ASSERT_EQ(a->alloc_pages(kBase + 2 * kPage, 1), kBase + 2 * kPage);
  // r1 = arena pointer (user), cast to kernel, store at +8, load back sign-extended.
  const std::vector<Insn> code = {cast(1, 1, 0, 1), st(op::kW, 1, 8, -5), ldxsx(op::kW, 0, 1, 8)};
  EXPECT_EQ(run_arena(code, a, {kBase + 2 * kPage}), static_cast<uint64_t>(-5));
  int32_t v;
  std::memcpy(&v, a->host_ptr(kBase + 2 * kPage + 8, 4), 4);
  EXPECT_EQ(v, -5);
  // Negative s16 offsets reach back from the next page.
  EXPECT_EQ(run_arena({cast(1, 1, 0, 1), ldxsx(op::kW, 0, 1, -4096 + 8)}, a, {kBase + 3 * kPage}),
            static_cast<uint64_t>(-5));
}

TEST(BpfArenaVm, UnallocatedPagesReadZeroAndDropWrites) {
  auto a = make_arena();
  // Page 5 is not allocated: the store is dropped, the load gives 0 (R0 was 99).
  EXPECT_EQ(run_arena({mov64_imm(0, 99), st(op::kDW, 1, 0, 7), ldx(op::kDW, 0, 1, 0)}, a,
                      {5 * kPage}),
            0u);
  // The guard around the 4 GiB: kernel address 0 - 8 and 4 GiB + 8.
  EXPECT_EQ(run_arena({mov64_imm(0, 1), ldx(op::kDW, 0, 1, -8)}, a, {0}), 0u);
  EXPECT_EQ(run_arena({mov64_imm(0, 1), ldx(op::kDW, 0, 1, 8)}, a, {1ULL << 32}), 0u);
  EXPECT_EQ(a->probe_misses(), 4u);
  EXPECT_EQ(a->resident_pages(), 0u);
}

TEST(BpfArenaVm, AccessesAcrossPages) {
  auto a = make_arena();
  ASSERT_EQ(a->alloc_pages(kBase, 2), kBase);
  // A u64 at the end of page 0 spills into page 1: both allocated, so it works.
  const std::vector<Insn> code = {set(2, 0x1122334455667788ULL)[0], set(2, 0x1122334455667788ULL)[1],
                                  stx(op::kDW, 1, 2, 0), ldx(op::kDW, 0, 1, 0)};
  EXPECT_EQ(run_arena(code, a, {kPage - 4}), 0x1122334455667788ULL);
  EXPECT_EQ(*a->host_ptr(kPage, 1), 0x44);
  // Into page 2, which is not allocated: nothing is written, the load gives 0.
  EXPECT_EQ(run_arena(code, a, {2 * kPage - 4}), 0u);
  EXPECT_EQ(*a->host_ptr(2 * kPage - 4, 1), 0);
}

TEST(BpfArenaVm, AtomicsInTheArena) {
  auto a = make_arena();
  ASSERT_EQ(a->alloc_pages(kBase, 1), kBase);
  // lock add, fetch_add, cmpxchg on an allocated page.
  std::vector<Insn> code = {mov64_imm(2, 5),
                            atomic(op::kDW, op::kAdd, 1, 2, 16),
                            atomic(op::kDW, op::kAdd | op::kFetch, 1, 2, 16),  // r2 = 5
                            mov64_imm(0, 10),
                            mov64_imm(3, 40),
                            atomic(op::kDW, op::kCmpXchg, 1, 3, 16),  // r0 = 10, stored 40
                            ldx(op::kDW, 4, 1, 16),
                            alu64_imm(op::kMul, 0, 1000),
                            alu64_reg(op::kAdd, 0, 4),
                            alu64_imm(op::kMul, 0, 10),
                            alu64_reg(op::kAdd, 0, 2)};
  EXPECT_EQ(run_arena(code, a, {0}), (10u * 1000 + 40) * 10 + 5);
  // Unallocated: no effect and registers unchanged (the JIT's fixup does not clear them).
  code = {mov64_imm(0, 77), mov64_imm(3, 1), atomic(op::kDW, op::kCmpXchg, 1, 3, 0),
          mov64_imm(2, 6), atomic(op::kW, op::kXchg, 1, 2, 0), alu64_imm(op::kMul, 0, 10),
          alu64_reg(op::kAdd, 0, 2)};
  EXPECT_EQ(run_arena(code, a, {7 * kPage}), 776u);
}

TEST(BpfArenaVm, SmallAddressesStillFaultWithoutAnArena) {
  Program p = must_load({ldx(op::kDW, 0, 1, 0), exit_insn()});
  Vm vm;
  RunResult r = vm.run(p, {0x100});
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.fault->reason.find("null pointer"), std::string::npos) << r.fault->reason;
}

}  // namespace
}  // namespace scx::bpf::test
