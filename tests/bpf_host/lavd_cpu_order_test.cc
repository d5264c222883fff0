// scx_lavd's CpuOrder computed natively (lavd_cpu_order.h) for hand-worked machines: no BPF
// object (nor the public scx ones) is needed.
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "bpf/host/lavd_cpu_order.h"

namespace scx {
namespace {

using bpf::lavd_circular_sort;
using bpf::lavd_cpu_order;
using bpf::LavdCpuOrder;
using Ids = std::vector<int>;

Topology topo_of(const char* spec) {
  auto t = parse_topology_spec(spec);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return std::move(t).value();
}

TEST(LavdCpuOrder, CircularSortKeepsNearDomainsTogether) {
  // cpu_order.rs's example: eight domains at the same distance, on a circle.
  EXPECT_EQ(lavd_circular_sort(0, {1, 2, 3, 4, 5, 6, 7}), (Ids{1, 7, 2, 6, 3, 5, 4}));
  EXPECT_EQ(lavd_circular_sort(1, {0, 2, 3, 4, 5, 6, 7}), (Ids{0, 2, 3, 7, 4, 6, 5}));
  EXPECT_EQ(lavd_circular_sort(7, {0, 1, 2, 3, 4, 5, 6}), (Ids{0, 6, 1, 5, 2, 4, 3}));
  // Positions in the sorted list count, not the ids' values; input order does not matter.
  EXPECT_EQ(lavd_circular_sort(5, {9, 1, 3}), (Ids{3, 9, 1}));
  EXPECT_EQ(lavd_circular_sort(2, {}), Ids{});
}

TEST(LavdCpuOrder, OneLlcFourCpusSmt2) {
  // cores=2,smt=2: CPUs 0 and 1 are the cores' first threads, 2 and 3 their siblings.
  const LavdCpuOrder o = lavd_cpu_order(topo_of("cores=2,smt=2"));
  EXPECT_TRUE(o.smt_enabled);
  EXPECT_FALSE(o.has_biglittle);
  EXPECT_EQ(o.nr_llcs, 1);
  EXPECT_EQ(o.perf_order, (Ids{0, 1, 2, 3}));       // first threads first
  EXPECT_EQ(o.powersave_order, (Ids{0, 2, 1, 3}));  // core by core
  const uint32_t siblings[] = {2, 3, 0, 1};
  for (const bpf::LavdCpu& c : o.cpus) {
    EXPECT_EQ(c.capacity, 1024u);
    EXPECT_TRUE(c.big);
    EXPECT_FALSE(c.turbo);
    EXPECT_EQ(c.smt_level, 2);
    EXPECT_EQ(c.sibling, siblings[c.cpu]);
    EXPECT_EQ(c.cpu_rdx, c.cpu / 2);
    EXPECT_EQ(c.core_rdx, c.cpu % 2);
  }
  ASSERT_EQ(o.cpdoms.size(), 1u);
  EXPECT_EQ(o.cpdoms[0].id, 0);
  EXPECT_EQ(o.cpdoms[0].alt_id, 0);
  EXPECT_EQ(o.cpdoms[0].cpus, (Ids{0, 1, 2, 3}));
  EXPECT_TRUE(o.cpdoms[0].neighbors.empty());
  // Two states: the powersave order bounded by one CPU, the performance one by all four.
  ASSERT_EQ(o.pco.size(), 2u);
  EXPECT_EQ(o.pco[0].perf_cap, 1024u);
  EXPECT_EQ(o.pco[0].primary, Ids{0});
  EXPECT_EQ(o.pco[0].overflow, (Ids{2, 1, 3}));
  EXPECT_EQ(o.pco[1].perf_cap, 4096u);
  EXPECT_EQ(o.pco[1].primary, Ids{0});
  EXPECT_EQ(o.pco[1].overflow, (Ids{1, 2, 3}));
}

TEST(LavdCpuOrder, TwoNodesOfTwoLlcs) {
  // 16 CPUs: first threads 0-7 (cores 0-3 on node 0, two per LLC), second threads 8-15.
  const LavdCpuOrder o = lavd_cpu_order(topo_of("nodes=2,llcs=2,cores=2,smt=2"));
  EXPECT_EQ(o.perf_order, (Ids{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}));
  EXPECT_EQ(o.powersave_order, (Ids{0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15}));
  ASSERT_EQ(o.cpdoms.size(), 4u);
  const Ids cpus[] = {{0, 1, 8, 9}, {2, 3, 10, 11}, {4, 5, 12, 13}, {6, 7, 14, 15}};
  // The other LLC of the node at distance 2, the other node's at 10.
  const std::vector<Ids> neighbors[] = {{{1}, {2, 3}}, {{0}, {2, 3}}, {{3}, {0, 1}}, {{2}, {0, 1}}};
  for (int d = 0; d < 4; ++d) {
    const bpf::LavdCpdom& c = o.cpdoms[static_cast<size_t>(d)];
    EXPECT_EQ(c.id, d);
    EXPECT_EQ(c.alt_id, d);  // no domain of the other core type
    EXPECT_EQ(c.node, d / 2);
    EXPECT_EQ(c.llc_adx, d);
    EXPECT_EQ(c.llc_rdx, d % 2);
    EXPECT_TRUE(c.is_big);
    EXPECT_EQ(c.cpus, cpus[d]);
    EXPECT_EQ(c.neighbors, neighbors[d]);
  }
  EXPECT_EQ(bpf::lavd_cpdom_distance(o.cpdoms[0], o.cpdoms[1]), 2);
  EXPECT_EQ(bpf::lavd_cpdom_distance(o.cpdoms[1], o.cpdoms[2]), 10);
  ASSERT_EQ(o.pco.size(), 2u);
  EXPECT_EQ(o.pco[0].perf_cap, 1024u);
  EXPECT_EQ(o.pco[1].perf_cap, 16u * 1024);
}

TEST(LavdCpuOrder, HybridCoresGetTypesFromTheirCapacities) {
  // Two P-cores (1024) and two E-cores (512) in one LLC: the average capacity is 768, so the
  // P-cores are big turbo cores and the E-cores little ones (scx_utils' core types).
  const LavdCpuOrder o = lavd_cpu_order(topo_of("p=2,e=2"));
  EXPECT_TRUE(o.has_biglittle);
  EXPECT_FALSE(o.smt_enabled);
  for (const bpf::LavdCpu& c : o.cpus) {
    EXPECT_EQ(c.big, c.cpu < 2) << c.cpu;
    EXPECT_EQ(c.turbo, c.cpu < 2) << c.cpu;
    EXPECT_EQ(c.capacity, c.cpu < 2 ? 1024u : 512u);
    EXPECT_EQ(c.sibling, 0xffffffffu);
  }
  EXPECT_EQ(o.perf_order, (Ids{0, 1, 2, 3}));       // most capable first
  EXPECT_EQ(o.powersave_order, (Ids{2, 3, 0, 1}));  // little cores first
  ASSERT_EQ(o.cpdoms.size(), 2u);
  EXPECT_TRUE(o.cpdoms[0].is_big);
  EXPECT_EQ(o.cpdoms[0].cpus, (Ids{0, 1}));
  EXPECT_FALSE(o.cpdoms[1].is_big);
  EXPECT_EQ(o.cpdoms[1].cpus, (Ids{2, 3}));
  EXPECT_EQ(o.cpdoms[0].alt_id, 1);
  EXPECT_EQ(o.cpdoms[1].alt_id, 0);
  EXPECT_EQ(o.cpdoms[0].neighbors, (std::vector<Ids>{{1}}));
  EXPECT_EQ(bpf::lavd_cpdom_distance(o.cpdoms[0], o.cpdoms[1]), 100);
  ASSERT_EQ(o.pco.size(), 2u);
  EXPECT_EQ(o.pco[0].perf_cap, 512u);  // the first CPU of the powersave order
  EXPECT_EQ(o.pco[0].primary, Ids{2});
  EXPECT_EQ(o.pco[0].overflow, (Ids{3, 0, 1}));
  EXPECT_EQ(o.pco[1].perf_cap, 3072u);
}

TEST(LavdCpuOrder, LlcIdsFollowTheSysfsNodeOrder) {
  // scx_utils numbers LLCs over node0, node1, node10, node11, node2, ... (the glob's order);
  // domain ids follow the performance order, node by node.
  const LavdCpuOrder o = lavd_cpu_order(topo_of("nodes=12"));
  ASSERT_EQ(o.cpdoms.size(), 12u);
  const int llc_of_node[] = {0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 2, 3};
  for (int d = 0; d < 12; ++d) {
    EXPECT_EQ(o.cpdoms[static_cast<size_t>(d)].node, d);
    EXPECT_EQ(o.cpdoms[static_cast<size_t>(d)].llc_adx, llc_of_node[d]) << d;
    ASSERT_EQ(o.cpdoms[static_cast<size_t>(d)].neighbors.size(), 1u);  // every other node at 10
  }
  EXPECT_EQ(o.cpdoms[0].neighbors[0], (Ids{1, 11, 2, 10, 3, 9, 4, 8, 5, 7, 6}));
}

TEST(LavdCpuOrder, OnlyTheFirstTwoThreadsOfACoreAreSiblings) {
  const LavdCpuOrder o = lavd_cpu_order(topo_of("cores=1,smt=4"));
  EXPECT_EQ(o.cpus[0].sibling, 1u);
  EXPECT_EQ(o.cpus[1].sibling, 0u);
  EXPECT_EQ(o.cpus[2].sibling, 0xffffffffu);
  EXPECT_EQ(o.cpus[3].sibling, 0xffffffffu);
  EXPECT_EQ(o.powersave_order, (Ids{0, 1, 2, 3}));
}

TEST(LavdCpuOrder, OneCpuHasOneState) {
  // Both orders have the same bound: the powersave state, inserted last, is the one kept.
  const LavdCpuOrder o = lavd_cpu_order(topo_of("1"));
  ASSERT_EQ(o.pco.size(), 1u);
  EXPECT_EQ(o.pco[0].perf_cap, 1024u);
  EXPECT_EQ(o.pco[0].primary, Ids{0});
  EXPECT_TRUE(o.pco[0].overflow.empty());
}

}  // namespace
}  // namespace scx
