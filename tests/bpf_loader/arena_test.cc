// The BPF arena end to end: the arena subject (bpf/tests/arena.bpf.c) loaded and run, with the
// values the kernel gives; and the Arena allocator against kernel/bpf/arena.c's rules.
#include <gtest/gtest.h>

#include <cstring>

#include "bpf/maps/arena.h"
#include "loader_test_util.h"

namespace scx::bpf::test {
namespace {

constexpr uint64_t kBase = 1ULL << 44;  // the subject's map_extra
constexpr uint64_t kPage = Arena::kPageSize;

struct ArenaSubject {
  Vm vm;
  HelperHooks hooks;
  HelperEnv helpers{hooks};
  std::unique_ptr<BpfObject> obj = must_load("arena.bpf.o");
  Arena* arena = nullptr;

  ArenaSubject() {
    if (!obj) return;
    helpers.bind(vm);
    obj->attach(vm);
    if (auto* m = dynamic_cast<ArenaMap*>(obj->map("arena"))) arena = m->arena().get();
  }
  uint64_t run(const char* prog) {
    RunResult r = vm.run(*obj->program(prog)->program, {0});
    EXPECT_TRUE(r.ok) << prog << ": " << (r.fault ? r.fault->message : "");
    EXPECT_TRUE(helpers.end_run().ok());
    return r.r0;
  }
  uint64_t out(int i) {
    uint64_t v;
    std::memcpy(&v, obj->global_data("out") + 8 * i, 8);
    return v;
  }
};

TEST(Arena, SubjectLoadsWithGlobalsAtTheEndOfTheArena) {
  ArenaSubject s;
  ASSERT_TRUE(s.obj && s.arena);
  EXPECT_TRUE(s.obj->unsupported().empty()) << s.obj->unsupported().front();
  EXPECT_EQ(s.arena->user_vm_start(), kBase);
  EXPECT_EQ(s.arena->size_bytes(), 16 * kPage);
  // .addr_space.1 (40 bytes) rounds up to one page, placed last (libbpf's arena_data_off) and
  // faulted in with its initial values.
  EXPECT_EQ(s.arena->resident_pages(), 1u);
  EXPECT_TRUE(s.arena->page_allocated(15));
  const GlobalVar* counter = s.obj->global("counter");
  ASSERT_TRUE(counter);
  EXPECT_EQ(counter->section, ".addr_space.1");
  EXPECT_EQ(counter->offset, 15 * kPage);
  int32_t c;
  std::memcpy(&c, s.obj->global_data("counter"), 4);
  EXPECT_EQ(c, 7);
  uint64_t t3;
  std::memcpy(&t3, s.obj->global_data("table") + 24, 8);
  EXPECT_EQ(t3, 4u);
}

TEST(Arena, ListGlobalsHintsProbesAtomicsAndFree) {
  ArenaSubject s;
  ASSERT_TRUE(s.obj && s.arena);
  ASSERT_EQ(s.run("list"), 0u);
  EXPECT_EQ(s.out(0), kBase);         // page 0: the lowest page of the best-fitting range
  EXPECT_EQ(s.out(1), 88u);           // 7 + 17 + 27 + 37, walked through arena pointers
  EXPECT_EQ(s.out(2), kBase + 0x30);  // &n[3], stored in an __arena global
  EXPECT_EQ(s.out(3), 5u);            // table[0] + table[3]
  int32_t c;
  std::memcpy(&c, s.obj->global_data("counter"), 4);
  EXPECT_EQ(c, 8);

  ASSERT_EQ(s.run("hints"), 0u);
  EXPECT_EQ(s.out(4), kBase + 3 * kPage);  // at the hint
  EXPECT_EQ(s.out(5), 0u);                 // page 4 is taken
  EXPECT_EQ(s.out(6), 0u);                 // 17 pages > max_entries
  EXPECT_EQ(s.out(7), 0u);                 // hint not page aligned
  EXPECT_EQ(s.out(8), 0u);                 // reserve pages 6-7
  EXPECT_EQ(static_cast<int64_t>(s.out(9)), -16);  // -EBUSY: page 3 is allocated
  EXPECT_EQ(s.out(10), 0u);                // page 7 is reserved
  EXPECT_EQ(s.out(11), kBase + 5 * kPage); // best fit: the one-page range [5,5], not [1,2]
  ASSERT_NE(s.arena->host_ptr(kBase + 4 * kPage + 8, 1), nullptr);
  EXPECT_EQ(*s.arena->host_ptr(kBase + 4 * kPage + 8, 1), 42);

  const uint64_t misses = s.arena->probe_misses();
  ASSERT_EQ(s.run("unallocated"), 0u);
  EXPECT_EQ(s.out(12), 0u);  // the store to page 9 was dropped
  EXPECT_EQ(s.out(13), 0u);  // the atomic too; the load across pages 2|3 gives 0
  EXPECT_EQ(s.arena->probe_misses() - misses, 5u);
  EXPECT_FALSE(s.arena->page_allocated(9));

  ASSERT_EQ(s.run("atomics_free"), 0u);
  EXPECT_EQ(s.out(14), 37u * 1000 + 105);  // cmpxchg saw 37, then += 5
  EXPECT_EQ(s.out(15), kBase);  // freed page 0 reads 0, then is the first page again
}

TEST(Arena, AllocPastTheMemoryCapFaultsTheProgram) {
  ArenaSubject s;
  ASSERT_TRUE(s.obj && s.arena);
  s.arena->set_cap_bytes(kPage);  // only the globals' page fits
  RunResult r = s.vm.run(*s.obj->program("list")->program, {0});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.fault->reason,
            "arena 'arena': allocating 1 page(s) would exceed the simulator's arena memory cap of 4 KiB "
            "(1 pages resident)");
  EXPECT_TRUE(s.helpers.end_run().ok());
}

TEST(Arena, RejectsBadDefinitions) {
  auto bad = [](uint32_t pages, uint32_t flags, uint64_t extra) {
    auto r = Arena::create("a", pages, flags, extra);
    return r.ok() ? std::string("ok") : r.status().message();
  };
  EXPECT_EQ(bad(4, kBpfFMmapable, 0), "ok");
  EXPECT_NE(bad(0, kBpfFMmapable, 0), "ok");
  EXPECT_NE(bad(4, 0, 0), "ok");                                // BPF_F_MMAPABLE is required
  EXPECT_NE(bad(4, kBpfFMmapable | 1, 0), "ok");                // unknown flag
  EXPECT_NE(bad(4, kBpfFMmapable, kBase + 1), "ok");            // not page aligned
  EXPECT_NE(bad((1u << 20) + 1, kBpfFMmapable, 0), "ok");       // over 4 GiB
  EXPECT_NE(bad(2, kBpfFMmapable, (1ULL << 32) - kPage), "ok");  // crosses 4 GiB
  // map_extra 0: placed below the simulated mmap base, without crossing 4 GiB.
  auto a = Arena::create("a", 256, kBpfFMmapable, 0);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->user_vm_start(), Arena::kSimMmapBase - 2 * 256 * kPage);
  auto big = Arena::create("a", 1u << 20, kBpfFMmapable, 0);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ((*big)->user_vm_start() % (1ULL << 32), 0u);
}

TEST(Arena, AllocFreeReserveFollowTheKernelsRangeTree) {
  auto r = Arena::create("a", 8, kBpfFMmapable, kBase);
  ASSERT_TRUE(r.ok());
  Arena& a = **r;
  EXPECT_EQ(a.alloc_pages(0, 2), kBase);              // [0,1]
  EXPECT_EQ(a.alloc_pages(kBase + 5 * kPage, 1), kBase + 5 * kPage);
  // Free: [2,4] (3 pages) and [6,7] (2 pages). Best fit for 2 is [6,7].
  EXPECT_EQ(a.alloc_pages(0, 2), kBase + 6 * kPage);
  EXPECT_EQ(a.alloc_pages(0, 4), 0u);  // no 4-page range left
  a.free_pages(kBase, 2);              // [0,4] is free again (merged)
  EXPECT_EQ(a.alloc_pages(0, 4), kBase);
  EXPECT_EQ(a.resident_pages(), 7u);
  // Equal sizes: the most recently (re)inserted range wins, as in the kernel's size tree, even
  // over a lower one: [4,4] is left from the last split, [7,7] is freed after it.
  a.free_pages(kBase + 7 * kPage, 1);
  EXPECT_EQ(a.alloc_pages(0, 1), kBase + 7 * kPage);
  // Reserve: unbacked but not allocatable; -EBUSY on allocated pages; -EINVAL past the end.
  EXPECT_EQ(a.reserve_pages(kBase + 4 * kPage, 1), 0);
  EXPECT_EQ(a.alloc_pages(kBase + 4 * kPage, 1), 0u);
  EXPECT_EQ(a.alloc_pages(0, 1), 0u);  // nothing free
  EXPECT_EQ(a.reserve_pages(kBase, 1), -16);
  EXPECT_EQ(a.reserve_pages(kBase + 7 * kPage, 2), -22);
  EXPECT_FALSE(a.page_allocated(4));
  // Free ignores the upper 32 bits and clips at the end of the arena.
  a.free_pages(0xdead00000000ULL + 6 * kPage, 100);
  EXPECT_FALSE(a.page_allocated(7));
  EXPECT_EQ(a.alloc_pages(kBase + 6 * kPage, 2), kBase + 6 * kPage);
}

TEST(Arena, MemoryCapFailsWithOneLineError) {
  auto r = Arena::create("big", 1u << 20, kBpfFMmapable, kBase);
  ASSERT_TRUE(r.ok());
  Arena& a = **r;
  a.set_cap_bytes(1 << 20);  // 256 pages
  EXPECT_EQ(a.alloc_pages(0, 255), kBase);
  EXPECT_EQ(a.alloc_pages(0, 2), 0u);
  EXPECT_TRUE(a.cap_exceeded());
  EXPECT_EQ(a.last_error(),
            "arena 'big': allocating 2 page(s) would exceed the simulator's arena memory cap of 1 MiB "
            "(255 pages resident)");
  EXPECT_EQ(a.alloc_pages(0, 1), kBase + 255 * kPage);  // the failed range went back
}

}  // namespace
}  // namespace scx::bpf::test
