// scx_mitosis's cell manager (src/bpf/host/mitosis/): the CPU split and the cell bookkeeping of
// its user space (cell_manager.rs, scx 7a58a3a1a), each case worked out by hand from its rules.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "bpf/host/mitosis/cell_table.h"
#include "bpf/host/mitosis/cpu_split.h"

namespace scx::bpf::mitosis {
namespace {

CpuMask range(int from, int to) {  // [from, to]
  CpuMask m;
  for (int c = from; c <= to; ++c) m.set(c);
  return m;
}

std::map<uint32_t, std::string> primaries(const SplitResult& r) {
  std::map<uint32_t, std::string> out;
  for (const CellCpus& c : r.cells) out[c.cell_id] = c.primary.to_list();
  return out;
}

// 10 CPUs, 3 cells: one each, the 7 left shared as 7/3 = 2.33 → 2 each, and the one still left
// goes to the first of the equal remainders (cell 0): 4, 3, 3.
TEST(MitosisSplit, TargetsGiveOneEachAndTheRestByLargestRemainder) {
  auto t = cpu_targets(10, {{0, 1.0}, {1, 1.0}, {2, 1.0}});
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(*t, (std::map<uint32_t, int>{{0, 4}, {1, 3}, {2, 3}}));
  auto too_few = cpu_targets(2, {{0, 1.0}, {1, 1.0}, {2, 1.0}});
  ASSERT_FALSE(too_few.ok());
  EXPECT_NE(too_few.status().message().find("Not enough CPUs (2) for 3 cells"), std::string::npos);
}

// 5 CPUs, equal weights: 2.5 each, the extra one to cell 1, lower ids get the lower CPUs.
// Weights 10 and 0.1 over 4 CPUs: 3.96 and 0.04 → 4 and 0; cell 2's weight is positive, so it
// takes one from the largest share: 3 and 1.
TEST(MitosisSplit, ProportionalSplitFeedsAStarvedPositiveWeight) {
  auto even = distribute_proportional({0, 1, 2, 3, 4}, {{1, 1.0}, {2, 1.0}});
  ASSERT_TRUE(even.ok());
  EXPECT_EQ(*even, (std::map<uint32_t, std::vector<int>>{{1, {0, 1, 2}}, {2, {3, 4}}}));
  auto starved = distribute_proportional({0, 1, 2, 3}, {{1, 10.0}, {2, 0.1}});
  ASSERT_TRUE(starved.ok());
  EXPECT_EQ(*starved, (std::map<uint32_t, std::vector<int>>{{1, {0, 1, 2}}, {2, {3}}}));
  // Weights 1, 1, 0.01 over 6 CPUs: 2.985, 2.985, 0.03 → 3, 3, 0; of the two equal largest
  // shares the last gives (Rust's max_by_key): 3, 2, 1.
  auto tie = distribute_proportional({0, 1, 2, 3, 4, 5}, {{1, 1.0}, {2, 1.0}, {3, 0.01}});
  ASSERT_TRUE(tie.ok());
  EXPECT_EQ(*tie, (std::map<uint32_t, std::vector<int>>{{1, {0, 1, 2}}, {2, {3, 4}}, {3, {5}}}));
}

// workloads/container-host.json under /workload on 64 CPUs: cells 1 /batch, 2 /db (cpuset 2-3),
// 3 /web. Targets 16 each (1 + 60/4). /db owns its 2 exclusive CPUs (a pinned cell gets no
// unclaimed CPU); the 62 unclaimed go to cells 0, 1, 3 by their deficit 16 each: 20.67 → 20 and
// the two left to cells 0 and 1: 21, 21, 20, in CPU order.
TEST(MitosisSplit, ContainerHostOnSixtyFourCpus) {
  SplitInput in;
  in.all_cpus = range(0, 63);
  in.cells = {{0, std::nullopt}, {1, std::nullopt}, {2, range(2, 3)}, {3, std::nullopt}};
  auto r = split_cpus(in);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(primaries(*r), (std::map<uint32_t, std::string>{{0, "0-1,4-22"}, {1, "23-43"}, {2, "2-3"}, {3, "44-63"}}));
  EXPECT_FALSE(r->enforced_holdout);
  for (const CellCpus& c : r->cells) EXPECT_FALSE(c.borrowable.has_value());
  // With borrowing: every CPU the cell does not own, within its cpuset (none for /db).
  in.borrowable = true;
  r = split_cpus(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->cells[1].borrowable->to_list(), "0-22,44-63");
  EXPECT_TRUE(r->cells[2].borrowable->empty());
}

// 8 CPUs; cell 1's cpuset 0-3, cell 2's 2-5. Targets 3, 3, 2 (1 + 5/3 → 2 each, the two left to
// cells 0 and 1). Exclusive: 0-1 to cell 1, 4-5 to cell 2, so the deficits are 3, 1, 0: the
// contested 2-3 go to cell 1 alone (cell 2's weight is 0), the unclaimed 6-7 to cell 0.
TEST(MitosisSplit, ContestedCpusGoByDeficit) {
  SplitInput in;
  in.all_cpus = range(0, 7);
  in.cells = {{0, std::nullopt}, {1, range(0, 3)}, {2, range(2, 5)}};
  auto r = split_cpus(in);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(primaries(*r), (std::map<uint32_t, std::string>{{0, "6-7"}, {1, "0-3"}, {2, "4-5"}}));
}

// A child's cpuset covering all 4 CPUs leaves cell 0 nothing: the real user space bails. With
// --cell0-min-cpus 1 the holdout takes cell 1's lowest exclusive CPU (it keeps three): cell 0
// gets CPU 0, and the holdout counts as enforced.
TEST(MitosisSplit, HoldoutKeepsCellZeroAliveWithoutStarvingAChild) {
  SplitInput in;
  in.all_cpus = range(0, 3);
  in.cells = {{0, std::nullopt}, {1, range(0, 3)}};
  in.cpu_to_llc = {0, 0, 0, 0};
  auto bad = split_cpus(in);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("Cell 0 has no CPUs assigned (nr_cpus=4, num_cells=2)"), std::string::npos);
  in.cell0_min_cpus = 1;
  auto r = split_cpus(in);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(primaries(*r), (std::map<uint32_t, std::string>{{0, "0"}, {1, "1-3"}}));
  EXPECT_TRUE(r->enforced_holdout);
  // A child's last exclusive CPU is never taken: cell 1 keeps CPU 0 and cell 2 (LLC 0 is split
  // between two cells) yields 1 and 2, keeping 3. Targets 2, 1, 1 are then already met.
  in.cells = {{0, std::nullopt}, {1, range(0, 0)}, {2, range(1, 3)}};
  in.cell0_min_cpus = 2;
  r = split_cpus(in);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(primaries(*r), (std::map<uint32_t, std::string>{{0, "1-2"}, {1, "0"}, {2, "3"}}));
}

// Children by path get ids 1, 2, 3; a removed child's id is reused first (lowest), a new one
// after that takes the next new id; a path that now holds another cgroup is a new cell.
TEST(MitosisCells, IdsFollowPathOrderAndFreedIdsAreReused) {
  CellTable t;
  auto changed = t.reconcile({{"/p/b", 11, std::nullopt}, {"/p/a", 10, std::nullopt}, {"/p/c", 12, range(0, 1)}});
  ASSERT_TRUE(changed.ok() && *changed);
  using A = std::vector<std::pair<uint64_t, uint32_t>>;
  EXPECT_EQ(t.assignments(), (A{{10, 1}, {11, 2}, {12, 3}}));
  EXPECT_EQ(t.specs()[3].cpuset->to_list(), "0-1");
  changed = t.reconcile({{"/p/a", 10, std::nullopt}, {"/p/c", 12, range(0, 1)}});
  ASSERT_TRUE(changed.ok() && *changed);
  EXPECT_EQ(t.assignments(), (A{{10, 1}, {12, 3}}));
  changed = t.reconcile({{"/p/a", 10, std::nullopt}, {"/p/c", 12, range(0, 1)}});
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(*changed);
  changed = t.reconcile({{"/p/a", 10, std::nullopt}, {"/p/c", 12, range(0, 1)}, {"/p/e", 14, std::nullopt}, {"/p/d", 13, std::nullopt}});
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(t.assignments(), (A{{10, 1}, {13, 2}, {12, 3}, {14, 4}}));
  EXPECT_EQ(t.path_of(2), "/p/d");
  changed = t.reconcile({{"/p/a", 20, std::nullopt}, {"/p/c", 12, range(0, 1)}, {"/p/e", 14, std::nullopt}, {"/p/d", 13, std::nullopt}});
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(t.assignments(), (A{{20, 1}, {13, 2}, {12, 3}, {14, 4}}));
  EXPECT_TRUE(t.refresh_cpusets({{"/p/c", 12, range(0, 2)}}));
  EXPECT_FALSE(t.refresh_cpusets({{"/p/c", 12, range(0, 2)}}));
}

TEST(MitosisCells, IdSpaceExhaustionIsAnError) {
  CellTable t(3);  // ids 1 and 2 only
  auto r = t.reconcile({{"/p/a", 10, std::nullopt}, {"/p/b", 11, std::nullopt}, {"/p/c", 12, std::nullopt}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Cell ID space exhausted (max_cells=3)"), std::string::npos);
  EXPECT_NE(r.status().message().find("/p/c"), std::string::npos);
}

}  // namespace
}  // namespace scx::bpf::mitosis
