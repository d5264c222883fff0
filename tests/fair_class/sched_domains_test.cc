// Scheduling domains built for the topology presets: levels, spans, groups, flags, parameters.
#include <gtest/gtest.h>

#include "kernel/fair/sched_domains.h"
#include "topo/topology.h"

namespace scx::fair {
namespace {

struct Level {
  std::string name;
  std::string span;
  int groups;
  uint32_t flags;
};

std::vector<Level> levels(const SchedDomains& d, int cpu) {
  std::vector<Level> out;
  for (SchedDomain* sd = d.sd(cpu); sd; sd = sd->parent)
    out.push_back({sd->name, sd->span.to_list(), static_cast<int>(sd->groups.size()), sd->flags});
  return out;
}

constexpr uint32_t kBase = SD_BALANCE_NEWIDLE | SD_BALANCE_EXEC | SD_BALANCE_FORK | SD_WAKE_AFFINE;

TEST(SchedDomains, Laptop) {
  Topology t = make_preset("laptop").value();  // 2 cores x 2 threads: siblings 0/2 and 1/3
  SchedDomains d(t);
  auto l = levels(d, 0);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].name, "SMT");
  EXPECT_EQ(l[0].span, "0,2");
  EXPECT_EQ(l[0].groups, 2);
  EXPECT_EQ(l[0].flags, kBase | SD_SHARE_CPUCAPACITY | SD_SHARE_LLC | SD_PREFER_SIBLING);
  EXPECT_EQ(l[1].name, "MC");
  EXPECT_EQ(l[1].span, "0-3");
  EXPECT_EQ(l[1].groups, 2);
  EXPECT_EQ(l[1].flags, kBase | SD_SHARE_LLC | SD_PREFER_SIBLING);
  SchedDomain* smt = d.sd(0);
  EXPECT_EQ(smt->imbalance_pct, 110u);
  EXPECT_EQ(smt->cache_nice_tries, 0u);
  EXPECT_EQ(smt->min_interval, 2u);
  EXPECT_EQ(smt->max_interval, 4u);
  EXPECT_EQ(smt->busy_factor, 16u);
  SchedDomain* mc = smt->parent;
  EXPECT_EQ(mc->imbalance_pct, 117u);
  EXPECT_EQ(mc->cache_nice_tries, 1u);
  EXPECT_EQ(mc->groups[0]->span.to_list(), "0,2");  // the local group comes first
  EXPECT_EQ(mc->groups[1]->span.to_list(), "1,3");
  EXPECT_EQ(mc->groups[0]->cores, 1);
  EXPECT_EQ(mc->groups[0]->sgc->capacity, 2048u);
  EXPECT_EQ(d.sd_llc(0), mc);
  EXPECT_EQ(d.sd_llc_size(3), 4);
  EXPECT_TRUE(d.cpus_share_cache(0, 3));
  EXPECT_EQ(d.sd_llc_shared(0), d.sd_llc_shared(3));
  EXPECT_EQ(d.sd_llc_shared(0)->nr_busy_cpus, 4);
  EXPECT_EQ(d.sd_numa(0), nullptr);
  EXPECT_TRUE(d.smt_active());
  EXPECT_FALSE(d.asym_cpucap_active());
  // CPU 1's MC groups start with its own core.
  EXPECT_EQ(d.sd(1)->parent->groups[0]->span.to_list(), "1,3");
}

TEST(SchedDomains, Server2s64) {
  Topology t = make_preset("server-2s64").value();  // node 0 = CPUs 0-15,32-47
  SchedDomains d(t);
  auto l = levels(d, 0);
  // SMT, MC (= the socket's LLC), then NUMA; PKG and NODE equal MC and are degenerate.
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].name, "SMT");
  EXPECT_EQ(l[0].span, "0,32");
  EXPECT_EQ(l[1].name, "MC");
  EXPECT_EQ(l[1].span, "0-15,32-47");
  EXPECT_EQ(l[1].groups, 16);
  EXPECT_EQ(l[2].name, "NUMA");
  EXPECT_EQ(l[2].span, "0-63");
  EXPECT_EQ(l[2].groups, 2);
  // Distance 21 <= RECLAIM_DISTANCE: NUMA keeps fork/exec balancing and wake affine.
  EXPECT_EQ(l[2].flags, kBase | SD_SERIALIZE | SD_OVERLAP | SD_NUMA);
  SchedDomain* numa = d.sd(0)->parent->parent;
  EXPECT_EQ(numa->cache_nice_tries, 2u);
  EXPECT_EQ(numa->imbalance_pct, 117u);
  EXPECT_EQ(numa->imb_numa_nr, 4u);  // one LLC per node: 12.5% of 32 CPUs
  EXPECT_EQ(numa->min_interval, 64u);
  EXPECT_EQ(numa->max_interval, 128u);
  EXPECT_EQ(numa->groups[0]->span.to_list(), "0-15,32-47");
  // The MC level inherited PREFER_SIBLING; its groups carry the SMT flags.
  EXPECT_TRUE(l[1].flags & SD_PREFER_SIBLING);
  EXPECT_EQ(d.sd_llc_size(0), 32);
  EXPECT_FALSE(d.cpus_share_cache(0, 16));
  EXPECT_EQ(d.sd_numa(0), numa);
}

TEST(SchedDomains, Server2s256) {
  Topology t = make_preset("server-2s256").value();
  SchedDomains d(t);
  auto l = levels(d, 0);
  ASSERT_EQ(l.size(), 4u);
  EXPECT_EQ(l[0].name, "SMT");
  EXPECT_EQ(l[1].name, "MC");
  EXPECT_EQ(l[1].span, "0-7,128-135");  // an 8-core CCX with its SMT siblings
  EXPECT_EQ(l[1].groups, 8);
  EXPECT_EQ(l[2].name, "PKG");            // the node: 8 LLCs
  EXPECT_EQ(l[2].groups, 8);
  EXPECT_EQ(l[2].flags, kBase | SD_PREFER_SIBLING);
  EXPECT_EQ(l[3].name, "NUMA");
  EXPECT_EQ(l[3].groups, 2);
  SchedDomain* pkg = d.sd(0)->parent->parent;
  EXPECT_EQ(pkg->cache_nice_tries, 1u);
  EXPECT_EQ(pkg->imb_numa_nr, 8u);  // several LLCs per node: one task per LLC
  EXPECT_EQ(pkg->parent->imb_numa_nr, 8u);
  EXPECT_EQ(d.sd_llc_size(0), 16);
  EXPECT_EQ(pkg->groups[0]->cores, 8);
}

TEST(SchedDomains, DesktopHybrid) {
  Topology t = make_preset("desktop-hybrid").value();  // P cores 0-7 (+16-23), E cores 8-15
  SchedDomains d(t);
  EXPECT_TRUE(d.asym_cpucap_active());
  auto p = levels(d, 0);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].name, "SMT");
  // Below an asymmetric level, tasks are not spread to siblings.
  EXPECT_FALSE(p[0].flags & SD_PREFER_SIBLING);
  EXPECT_EQ(p[1].name, "MC");
  EXPECT_EQ(p[1].flags, kBase | SD_SHARE_LLC | SD_PREFER_SIBLING | SD_ASYM_CPUCAPACITY | SD_ASYM_CPUCAPACITY_FULL);
  EXPECT_EQ(p[1].groups, 16);
  // An E core has no SMT sibling: its SMT level is degenerate and MC is its base domain.
  auto e = levels(d, 8);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].name, "MC");
  EXPECT_EQ(d.sd_asym_cpucapacity(8), d.sd(8));
  EXPECT_EQ(d.sd_asym_cpucapacity(0), d.sd(0)->parent);
  ASSERT_EQ(d.capacity_levels().size(), 2u);
  EXPECT_EQ(d.capacity_levels()[0], 1024u);
  EXPECT_EQ(d.sd(8)->groups[0]->sgc->capacity, 600u);
}

TEST(SchedDomains, SingleCpuHasNoDomain) {
  Topology t = resolve_topology("1").value();
  SchedDomains d(t);
  EXPECT_EQ(d.sd(0), nullptr);
  EXPECT_EQ(d.sd_llc_size(0), 1);
}

TEST(SchedDomains, FarNumaLosesWakeAffine) {
  // Four nodes in a ring: distances 10/20/40. The 40 level is beyond RECLAIM_DISTANCE.
  TopologyDesc desc;
  desc.name = "ring";
  for (int i = 0; i < 8; ++i) {
    CpuInfo c;
    c.id = i;
    c.core = i;
    c.llc = i / 2;
    c.node = i / 2;
    c.package = i / 2;
    desc.cpus.push_back(c);
  }
  desc.node_distance = {{10, 20, 40, 20}, {20, 10, 20, 40}, {40, 20, 10, 20}, {20, 40, 20, 10}};
  Topology t = Topology::build(desc).value();
  SchedDomains d(t);
  auto l = levels(d, 0);
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].name, "MC");
  EXPECT_EQ(l[1].name, "NUMA");
  EXPECT_EQ(l[1].span, "0-3,6-7");
  EXPECT_TRUE(l[1].flags & SD_WAKE_AFFINE);
  EXPECT_EQ(l[2].span, "0-7");
  EXPECT_FALSE(l[2].flags & SD_WAKE_AFFINE);
  EXPECT_FALSE(l[2].flags & SD_BALANCE_FORK);
  EXPECT_TRUE(l[2].flags & SD_BALANCE_NEWIDLE);
}

}  // namespace
}  // namespace scx::fair
