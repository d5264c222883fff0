// Loads, stores, atomics and every memory fault kind.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "vm_test_util.h"

namespace scx::bpf::test {
namespace {

uint64_t addr(const void* p) { return reinterpret_cast<uint64_t>(p); }

TEST(BpfMem, StackLoadStoreAllSizes) {
  EXPECT_EQ(eval(cat({set(1, 0x1122334455667788ULL),
                      {stx(op::kDW, 10, 1, -8), ldx(op::kDW, 0, 10, -8)}})),
            0x1122334455667788ULL);
  EXPECT_EQ(eval(cat({set(1, 0x1122334455667788ULL),
                      {stx(op::kDW, 10, 1, -8), ldx(op::kW, 0, 10, -8)}})),
            0x55667788u);
  EXPECT_EQ(eval(cat({set(1, 0x1122334455667788ULL),
                      {stx(op::kDW, 10, 1, -8), ldx(op::kH, 0, 10, -6)}})),
            0x5566u);
  EXPECT_EQ(eval(cat({set(1, 0x1122334455667788ULL),
                      {stx(op::kDW, 10, 1, -8), ldx(op::kB, 0, 10, -1)}})),
            0x11u);
  // Narrow stores only touch their bytes.
  EXPECT_EQ(eval({st(op::kDW, 10, -8, -1), st(op::kB, 10, -8, 0), st(op::kH, 10, -6, 0x1234),
                  ldx(op::kDW, 0, 10, -8)}),
            0xffffffff1234ff00ULL);
  EXPECT_EQ(eval({st(op::kDW, 10, -8, -2), ldx(op::kDW, 0, 10, -8)}), static_cast<uint64_t>(-2));
  EXPECT_EQ(eval({st(op::kW, 10, -4, 0x7fffffff), ldx(op::kW, 0, 10, -4)}), 0x7fffffffu);
  // Unaligned non-atomic accesses are fine.
  EXPECT_EQ(eval({st(op::kDW, 10, -16, 0), st(op::kW, 10, -13, -1), ldx(op::kDW, 0, 10, -16)}),
            0x00ffffffff000000ULL);
}

TEST(BpfMem, SignExtendingLoads) {
  EXPECT_EQ(eval({st(op::kB, 10, -1, 0x80), ldxsx(op::kB, 0, 10, -1)}), 0xffffffffffffff80ULL);
  EXPECT_EQ(eval({st(op::kB, 10, -1, 0x7f), ldxsx(op::kB, 0, 10, -1)}), 0x7fu);
  EXPECT_EQ(eval({st(op::kH, 10, -2, 0x8001), ldxsx(op::kH, 0, 10, -2)}), 0xffffffffffff8001ULL);
  EXPECT_EQ(eval({st(op::kW, 10, -4, -3), ldxsx(op::kW, 0, 10, -4)}), static_cast<uint64_t>(-3));
  EXPECT_EQ(eval({st(op::kW, 10, -4, -3), ldx(op::kW, 0, 10, -4)}), 0xfffffffdu);
}

TEST(BpfMem, HostRegion) {
  alignas(8) uint64_t obj[4] = {1, 2, 3, 4};
  Vm vm;
  ASSERT_TRUE(vm.memory().add(obj, sizeof(obj), kPermReadWrite, "obj").ok());
  // r0 = obj[1] + obj[3]; obj[0] = r0
  Program p = must_load({ldx(op::kDW, 0, 1, 8), ldx(op::kDW, 2, 1, 24),
                         alu64_reg(op::kAdd, 0, 2), stx(op::kDW, 1, 0, 0), exit_insn()});
  RunResult r = vm.run(p, {addr(obj)});
  ASSERT_TRUE(r.ok) << r.fault->message;
  EXPECT_EQ(r.r0, 6u);
  EXPECT_EQ(obj[0], 6u);
}

RunResult run1(Vm& vm, std::vector<Insn> code, uint64_t r1) {
  code.push_back(exit_insn());
  Program p = must_load(std::move(code));
  return vm.run(p, {r1});
}

TEST(BpfMem, OutOfBounds) {
  alignas(8) uint8_t buf[16] = {};
  Vm vm;
  ASSERT_TRUE(vm.memory().add(buf, sizeof(buf), kPermReadWrite, "buf").ok());
  RunResult r = run1(vm, {ldx(op::kDW, 0, 1, 12)}, addr(buf));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.fault->pc, 0u);
  // The message shows the simulated address: buf is the first region, at 0xffff888000000000.
  EXPECT_EQ(r.fault->reason,
            "invalid read of 8 bytes at 0xffff88800000000c (buf+0xc: out of bounds, 4 byte(s) past "
            "the end of the 16-byte region)");
  EXPECT_NE(r.fault->message.find("insn 0 (r0 = *(u64 *)(r1 + 0xc))"), std::string::npos)
      << r.fault->message;
  EXPECT_TRUE(run1(vm, {ldx(op::kDW, 0, 1, 8)}, addr(buf)).ok);
}

// The region cache answers only inside the cached region: once buf is cached, accesses
// running past its end fault with the messages an uncached lookup gives (as in OutOfBounds).
TEST(BpfMem, JustPastACachedRegionFaultsAsUncached) {
  alignas(8) uint8_t buf[16] = {};
  Vm vm;
  ASSERT_TRUE(vm.memory().add(buf, sizeof(buf), kPermReadWrite, "buf").ok());
  // Insn 0 reads bytes 8..15 (caches buf), insn 1 bytes 9..16: one byte too far.
  RunResult r = run1(vm, {ldx(op::kDW, 0, 1, 8), ldx(op::kDW, 0, 1, 9)}, addr(buf));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.fault->pc, 1u);
  EXPECT_EQ(r.fault->reason,
            "invalid read of 8 bytes at 0xffff888000000009 (buf+0x9: out of bounds, 1 byte(s) past "
            "the end of the 16-byte region)");
  // Byte 16 is in no region; within a page of buf's end it is shown against buf.
  r = run1(vm, {ldx(op::kB, 0, 1, 0), ldx(op::kB, 0, 1, 16)}, addr(buf));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.fault->pc, 1u);
  EXPECT_EQ(r.fault->reason,
            "invalid read of 1 byte at 0xffff888000000010 (buf+0x10: out of bounds, past the end "
            "of the 16-byte region)");
}

TEST(BpfMem, UnmappedAndNull) {
  Vm vm;
  alignas(8) uint8_t buf[16] = {};
  RunResult r = run1(vm, {ldx(op::kW, 0, 1, 0)}, addr(buf));
  ASSERT_FALSE(r.ok);
  // An unmapped host address is not printed (it would vary with the host's stack layout).
  EXPECT_EQ(r.fault->reason, "invalid read of 4 bytes at <unmapped host address> (unmapped address)");
  r = run1(vm, {ldx(op::kDW, 0, 1, 16)}, 0);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.fault->reason, "invalid read of 8 bytes at 0x10 (null pointer dereference)");
  r = run1(vm, {st(op::kB, 1, 0, 1)}, 0xfff0);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.fault->reason, "invalid write of 1 byte at 0xfff0 (null pointer dereference)");
  // Poisoned registers after a call fault as unmapped.
  r = run1(vm, {ldx(op::kDW, 0, 1, 0)}, Vm::kPoison);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.fault->reason.find("unmapped"), std::string::npos);
}

TEST(BpfMem, ReadOnlyRegionAndFields) {
  alignas(8) uint8_t ro[32] = {};
  Vm vm;
  ASSERT_TRUE(vm.memory().add(ro, sizeof(ro), kPermRead, "config").ok());
  RunResult r = run1(vm, {st(op::kW, 1, 4, 1)}, addr(ro));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.fault->reason,
            "invalid write of 4 bytes at 0xffff888000000004 (config+0x4: region is read-only)");

  // A typed object: [0,8) readable, [8,16) read-write "slice", [16,24) hidden, rest readable.
  auto layout = std::make_shared<FieldLayout>("task_struct", 0x200);
  layout->allow(0, 0x200, kPermRead).allow(0x1c0, 8, kPermReadWrite, "scx.slice");
  layout->allow(0x1c8, 8, kPermRead, "scx.dsq_vtime").allow(0x100, 0x10, kPermNone, "secret");
  alignas(8) static uint8_t task[0x200];
  ASSERT_TRUE(vm.memory().add(task, sizeof(task), kPermReadWrite, "", layout).ok());
  EXPECT_TRUE(run1(vm, {st(op::kDW, 1, 0x1c0, 5)}, addr(task)).ok);
  uint64_t slice;
  std::memcpy(&slice, task + 0x1c0, 8);
  EXPECT_EQ(slice, 5u);
  EXPECT_TRUE(run1(vm, {ldx(op::kDW, 0, 1, 0x1c8)}, addr(task)).ok);
  r = run1(vm, {st(op::kDW, 1, 0x1c8, 5)}, addr(task));
  ASSERT_FALSE(r.ok);
  // The second region: config's page and a guard page below it.
  EXPECT_EQ(r.fault->reason,
            "invalid write of 8 bytes at 0xffff8880000021c8 (task_struct+0x1c8 (scx.dsq_vtime): "
            "field is read-only)");
  // Straddling a writable and a read-only field names the first bad byte.
  r = run1(vm, {st(op::kDW, 1, 0x1c4, 5)}, addr(task));
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.fault->reason.find("task_struct+0x1c8 (scx.dsq_vtime): field is read-only"),
            std::string::npos);
  r = run1(vm, {ldx(op::kB, 0, 1, 0x105)}, addr(task));
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.fault->reason.find("task_struct+0x105 (secret): field is not accessible"),
            std::string::npos)
      << r.fault->reason;
  EXPECT_TRUE(vm.memory().remove(task));
  EXPECT_FALSE(run1(vm, {ldx(op::kDW, 0, 1, 0)}, addr(task)).ok);  // gone
}

TEST(BpfMem, StackOverflowAndFrameBounds) {
  Vm vm;
  RunResult r = run1(vm, {st(op::kDW, 10, -520, 1)}, 0);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.fault->reason.find("stack overflow: r10-0x208 is outside the 512-byte stack frame"),
            std::string::npos)
      << r.fault->reason;
  EXPECT_TRUE(run1(vm, {st(op::kDW, 10, -512, 1)}, 0).ok);
  r = run1(vm, {ldx(op::kDW, 0, 10, 0)}, 0);  // above the outermost frame
  ASSERT_FALSE(r.ok);
  r = run1(vm, {ldx(op::kDW, 0, 10, -4)}, 0);  // straddles the top
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.fault->reason.find("runs past the top of the stack"), std::string::npos)
      << r.fault->reason;
}

TEST(BpfMem, Atomics64) {
  alignas(8) uint64_t v[2] = {10, 0};
  Vm vm;
  ASSERT_TRUE(vm.memory().add(v, sizeof(v), kPermReadWrite, "v").ok());
  auto run_atomic = [&](int32_t aop, uint64_t init, uint64_t src, uint64_t r0) {
    v[0] = init;
    // r2 = src; r0 = r0in; atomic; r3 = r2 (fetched); store r0 to v[1]; r0 = r3
    Program p = must_load(cat({set(2, src), set(0, r0),
                               {atomic(op::kDW, aop, 1, 2, 0), stx(op::kDW, 1, 0, 8),
                                mov64_reg(0, 2), exit_insn()}}));
    RunResult r = vm.run(p, {addr(v)});
    EXPECT_TRUE(r.ok) << r.fault->message;
    return std::pair<uint64_t, uint64_t>(r.r0, v[1]);  // (src after, r0 after)
  };
  auto [s1, r01] = run_atomic(op::kAdd, 10, 5, 77);
  EXPECT_EQ(v[0], 15u);
  EXPECT_EQ(s1, 5u);  // no fetch: src unchanged
  EXPECT_EQ(r01, 77u);
  auto [s2, r02] = run_atomic(op::kAdd | op::kFetch, 10, 5, 77);
  EXPECT_EQ(v[0], 15u);
  EXPECT_EQ(s2, 10u);
  run_atomic(op::kOr, 0x10, 0x01, 0);
  EXPECT_EQ(v[0], 0x11u);
  auto [s3, r03] = run_atomic(op::kAnd | op::kFetch, 0x13, 0x06, 0);
  EXPECT_EQ(v[0], 0x02u);
  EXPECT_EQ(s3, 0x13u);
  auto [s4, r04] = run_atomic(op::kXor | op::kFetch, 0xff, 0x0f, 0);
  EXPECT_EQ(v[0], 0xf0u);
  EXPECT_EQ(s4, 0xffu);
  auto [s5, r05] = run_atomic(op::kXchg, 0x1234, 0x5678, 0);
  EXPECT_EQ(v[0], 0x5678u);
  EXPECT_EQ(s5, 0x1234u);
  // cmpxchg success: memory == r0 -> memory = src; r0 = old.
  auto [s6, r06] = run_atomic(op::kCmpXchg, 100, 200, 100);
  EXPECT_EQ(v[0], 200u);
  EXPECT_EQ(r06, 100u);
  EXPECT_EQ(s6, 200u);  // src untouched
  // failure: memory unchanged, r0 = old.
  auto [s7, r07] = run_atomic(op::kCmpXchg, 100, 200, 99);
  EXPECT_EQ(v[0], 100u);
  EXPECT_EQ(r07, 100u);
}

TEST(BpfMem, Atomics32ZeroExtend) {
  alignas(8) uint32_t v[4] = {0xfffffff0u, 0, 0, 0};
  Vm vm;
  ASSERT_TRUE(vm.memory().add(v, sizeof(v), kPermReadWrite, "v").ok());
  // Fetch-add: src = zero-extended old; upper bits of src do not reach memory.
  Program p = must_load(cat({set(2, 0xffffffff00000020ULL),
                             {atomic(op::kW, op::kAdd | op::kFetch, 1, 2, 0), mov64_reg(0, 2),
                              exit_insn()}}));
  RunResult r = vm.run(p, {addr(v)});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.r0, 0xfffffff0u);
  EXPECT_EQ(v[0], 0x10u);
  // cmpxchg32 compares the low 32 bits of r0 and zero-extends the old value into r0.
  v[1] = 7;
  Program c = must_load(cat({set(0, 0xabcd000000000007ULL), set(2, 9),
                             {atomic(op::kW, op::kCmpXchg, 1, 2, 4), exit_insn()}}));
  r = vm.run(c, {addr(v)});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(v[1], 9u);
  EXPECT_EQ(r.r0, 7u);
  r = vm.run(c, {addr(v)});  // now fails: memory is 9
  EXPECT_EQ(v[1], 9u);
  EXPECT_EQ(r.r0, 9u);
  // xchg32
  Program x = must_load(cat({set(2, 0x1'00000005ULL),
                             {atomic(op::kW, op::kXchg, 1, 2, 8), mov64_reg(0, 2), exit_insn()}}));
  v[2] = 0xdeadbeef;
  r = vm.run(x, {addr(v)});
  EXPECT_EQ(r.r0, 0xdeadbeefu);
  EXPECT_EQ(v[2], 5u);
}

TEST(BpfMem, AtomicFaults) {
  alignas(8) uint64_t v[2] = {};
  alignas(8) uint64_t ro[2] = {};
  Vm vm;
  ASSERT_TRUE(vm.memory().add(v, sizeof(v), kPermReadWrite, "v").ok());
  ASSERT_TRUE(vm.memory().add(ro, sizeof(ro), kPermRead, "ro").ok());
  RunResult r = run1(vm, {mov64_imm(2, 1), atomic(op::kDW, op::kAdd, 1, 2, 4)}, addr(v));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.fault->reason,
            "misaligned atomic access: 8-byte atomic at 0xffff888000000004 is not 8-byte aligned");
  EXPECT_TRUE(run1(vm, {mov64_imm(2, 1), atomic(op::kW, op::kAdd, 1, 2, 4)}, addr(v)).ok);
  r = run1(vm, {mov64_imm(2, 1), atomic(op::kW, op::kAdd, 1, 2, 2)}, addr(v));
  EXPECT_FALSE(r.ok);
  r = run1(vm, {mov64_imm(2, 1), atomic(op::kDW, op::kAdd, 1, 2, 0)}, addr(ro));
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.fault->reason.find("invalid atomic access of 8 bytes"), std::string::npos);
  EXPECT_NE(r.fault->reason.find("ro+0x0: region is read-only"), std::string::npos)
      << r.fault->reason;
  // Atomics on the stack work.
  EXPECT_EQ(eval({st(op::kDW, 10, -8, 40), mov64_imm(2, 2), atomic(op::kDW, op::kAdd, 10, 2, -8),
                  ldx(op::kDW, 0, 10, -8)}),
            42u);
}

TEST(BpfMem, AddressSpaceAddRemove) {
  AddressSpace as;
  alignas(8) static uint8_t a[64];
  EXPECT_TRUE(as.add(a, 32, kPermRead, "lo").ok());
  EXPECT_TRUE(as.add(a + 32, 32, kPermRead, "hi").ok());
  Status s = as.add(a + 16, 32, kPermRead, "mid");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("overlaps"), std::string::npos);
  EXPECT_FALSE(as.add(a, 0, kPermRead, "empty").ok());
  EXPECT_FALSE(as.add(reinterpret_cast<void*>(0x100), 8, kPermRead, "low").ok());
  EXPECT_TRUE(as.allowed(addr(a) + 30, 2, kPermRead));
  EXPECT_FALSE(as.allowed(addr(a) + 30, 4, kPermRead));  // spans two regions
  EXPECT_NE(as.explain(addr(a) + 30, 4, kPermRead).find("lo+0x1e: out of bounds"),
            std::string::npos);
  EXPECT_EQ(as.describe(addr(a) + 40), "hi+0x8");
  EXPECT_TRUE(as.remove(a + 32));
  EXPECT_FALSE(as.remove(a + 32));
  EXPECT_FALSE(as.allowed(addr(a) + 40, 1, kPermRead));
  EXPECT_EQ(as.num_regions(), 1u);
}

// The lookup cache keeps the regions hit last; resizing or removing one of them must show at
// once while the other cached regions stay usable.
TEST(BpfMem, CachedRegionsFollowResizeAndRemove) {
  AddressSpace as;
  alignas(8) static uint8_t a[32], b[32], c[32];
  ASSERT_TRUE(as.add(a, 32, kPermRead, "a").ok());
  ASSERT_TRUE(as.add(b, 32, kPermRead, "b").ok());
  ASSERT_TRUE(as.add(c, 32, kPermRead, "c").ok());
  for (const uint8_t* r : {a, b, c}) EXPECT_TRUE(as.allowed(addr(r) + 16, 8, kPermRead));  // all cached
  ASSERT_TRUE(as.resize(addr(b), 16).ok());
  EXPECT_TRUE(as.allowed(addr(b) + 8, 8, kPermRead));    // bytes 8..15: still inside
  EXPECT_FALSE(as.allowed(addr(b) + 16, 8, kPermRead));  // bytes 16..23: past the new end
  ASSERT_TRUE(as.resize(addr(b), 24).ok());
  EXPECT_TRUE(as.allowed(addr(b) + 16, 8, kPermRead));   // bytes 16..23: inside again
  EXPECT_TRUE(as.remove(a));
  EXPECT_FALSE(as.allowed(addr(a) + 16, 8, kPermRead));
  EXPECT_TRUE(as.allowed(addr(c) + 16, 8, kPermRead));
  EXPECT_TRUE(as.allowed(addr(b), 24, kPermRead));
}

// The cache has a slot per 256-byte block: a region spanning pages is cached in the slot of
// each block used, and a shrink or a removal must reach all of them.
TEST(BpfMem, CachedMultiPageRegionFollowsResizeAndRemove) {
  constexpr uint64_t kPage = 4096;
  std::vector<uint8_t> buf(4 * kPage);
  const uint64_t base = (addr(buf.data()) + kPage - 1) & ~(kPage - 1);  // 3 whole pages
  AddressSpace as;
  ASSERT_TRUE(as.add(reinterpret_cast<void*>(base), 3 * kPage, kPermRead, "buf").ok());
  for (uint64_t page = 0; page < 3; ++page) EXPECT_TRUE(as.allowed(base + page * kPage, 8, kPermRead));
  ASSERT_TRUE(as.resize(base, kPage).ok());
  EXPECT_TRUE(as.allowed(base, 8, kPermRead));
  EXPECT_FALSE(as.allowed(base + 2 * kPage, 8, kPermRead));  // page 2 is past the new end
  EXPECT_TRUE(as.remove(base));
  EXPECT_FALSE(as.allowed(base, 8, kPermRead));
  EXPECT_FALSE(as.allowed(base + 2 * kPage, 8, kPermRead));
}

// Two regions in one 256-byte block (as the tail of one task_struct and the head of the next
// share a block) take turns in its cache slot: each access is answered by its own region's
// bounds and permissions, never by the other's entry.
TEST(BpfMem, RegionsSharingACacheBlock) {
  alignas(256) static uint8_t block[256];
  AddressSpace as;
  ASSERT_TRUE(as.add(block, 64, kPermRead, "ro").ok());
  ASSERT_TRUE(as.add(block + 64, 64, kPermReadWrite, "rw").ok());
  for (int round = 0; round < 2; ++round) {
    EXPECT_TRUE(as.allowed(addr(block) + 56, 8, kPermRead));
    EXPECT_FALSE(as.allowed(addr(block) + 56, 8, kPermWrite));   // ro is read-only
    EXPECT_TRUE(as.allowed(addr(block) + 64, 8, kPermWrite));    // rw, the slot now holds it
    EXPECT_FALSE(as.allowed(addr(block) + 60, 8, kPermRead));    // straddles ro and rw
    EXPECT_FALSE(as.allowed(addr(block) + 124, 8, kPermRead));   // runs past rw's end
    EXPECT_FALSE(as.allowed(addr(block) + 128, 8, kPermRead));   // unmapped rest of the block
  }
  EXPECT_EQ(as.explain(addr(block) + 60, 8, kPermRead),
            "ro+0x3c: out of bounds, 4 byte(s) past the end of the 64-byte region");
}

// resize() finds the resized region's place in the sorted bounds by the index it remembered;
// regions added and removed before it shift that index, and the overlap check must still see
// the region that follows.
TEST(BpfMem, ResizeAfterRegionsShift) {
  alignas(8) static uint8_t mem[256];
  AddressSpace as;
  ASSERT_TRUE(as.add(mem + 64, 16, kPermRead, "ctx").ok());
  ASSERT_TRUE(as.add(mem + 128, 16, kPermRead, "next").ok());
  ASSERT_TRUE(as.resize(addr(mem + 64), 32).ok());
  ASSERT_TRUE(as.add(mem, 16, kPermRead, "before").ok());  // ctx moves from index 0 to 1
  Status s = as.resize(addr(mem + 64), 72);                 // [64, 136) would reach "next"
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "memory: region 'ctx' resized to 72 bytes would overlap 'next'");
  ASSERT_TRUE(as.resize(addr(mem + 64), 64).ok());  // [64, 128): up to "next"
  EXPECT_TRUE(as.allowed(addr(mem + 120), 8, kPermRead));
  EXPECT_EQ(as.find(addr(mem + 127))->name, "ctx");
  EXPECT_EQ(as.find(addr(mem + 128))->name, "next");
  EXPECT_TRUE(as.remove(mem));  // ctx moves back to index 0
  ASSERT_TRUE(as.resize(addr(mem + 64), 8).ok());
  EXPECT_FALSE(as.allowed(addr(mem + 72), 8, kPermRead));
  EXPECT_EQ(as.find(addr(mem + 72)), nullptr);
}

TEST(BpfMem, ManyRegions) {
  // Tasks come and go: thousands of regions, lookups hit the right one.
  std::vector<std::unique_ptr<uint64_t[]>> objs;
  AddressSpace as;
  for (int i = 0; i < 2000; ++i) {
    objs.push_back(std::make_unique<uint64_t[]>(4));
    ASSERT_TRUE(as.add(objs.back().get(), 32, kPermReadWrite, fmt::format("o{}", i)).ok());
  }
  for (int i = 0; i < 2000; i += 7) {
    EXPECT_TRUE(as.allowed(addr(objs[i].get()) + 24, 8, kPermWrite));
    EXPECT_EQ(as.find(addr(objs[i].get()) + 3)->name, fmt::format("o{}", i));
  }
  for (int i = 0; i < 2000; i += 2) EXPECT_TRUE(as.remove(objs[i].get()));
  EXPECT_EQ(as.num_regions(), 1000u);
  EXPECT_FALSE(as.allowed(addr(objs[10].get()), 8, kPermRead));
  EXPECT_TRUE(as.allowed(addr(objs[11].get()), 8, kPermRead));
}

TEST(BpfMem, CtxArgsScratchRegion) {
  Vm vm;
  // BPF_PROG style: r1 = ctx; r0 = ctx[0] + ctx[2]
  Program p = must_load({ldx(op::kDW, 0, 1, 0), ldx(op::kDW, 2, 1, 16), alu64_reg(op::kAdd, 0, 2),
                         exit_insn()});
  const uint64_t args[] = {40, 1, 2};
  RunResult r = vm.run_ctx(p, 0, args);
  ASSERT_TRUE(r.ok) << r.fault->message;
  EXPECT_EQ(r.r0, 42u);
  EXPECT_EQ(vm.memory().num_regions(), 1u);  // "ctx" stays mapped, sized per call
  // ctx is read-only and bounded by the number of args.
  Program w = must_load({st(op::kDW, 1, 0, 1), exit_insn()});
  r = vm.run_ctx(w, 0, args);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.fault->reason.find("ctx+0x0: region is read-only"), std::string::npos);
  Program oob = must_load({ldx(op::kDW, 0, 1, 24), exit_insn()});
  r = vm.run_ctx(oob, 0, args);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.fault->reason.find("ctx+0x18: out of bounds"), std::string::npos) << r.fault->reason;
  const uint64_t four[] = {1, 2, 3, 4};
  EXPECT_EQ(vm.run_ctx(oob, 0, four).r0, 4u);  // grows with the argument count
  EXPECT_FALSE(vm.run_ctx(oob, 0, args).ok);   // and shrinks again
  // A host scratch region lives for one run.
  alignas(8) uint64_t scratch = 9;
  ASSERT_TRUE(vm.add_scratch(Region{addr(&scratch), 8, kPermRead, "arg", nullptr}).ok());
  Program rd = must_load({ldx(op::kDW, 0, 1, 0), exit_insn()});
  EXPECT_EQ(vm.run(rd, {addr(&scratch)}).r0, 9u);
  EXPECT_FALSE(vm.run(rd, {addr(&scratch)}).ok);
}

}  // namespace
}  // namespace scx::bpf::test
