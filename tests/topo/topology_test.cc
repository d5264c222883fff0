#include "topo/topology.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace scx {
namespace {

using ::testing::HasSubstr;

// cpus[i] = {id i, core, llc, node}; package = node.
TopologyDesc desc_of(std::vector<std::vector<int>> rows) {
  TopologyDesc d;
  d.name = "t";
  for (size_t i = 0; i < rows.size(); ++i) {
    CpuInfo c;
    c.id = static_cast<int>(i);
    c.core = rows[i][0];
    c.llc = rows[i][1];
    c.node = rows[i][2];
    c.package = c.node;
    d.cpus.push_back(c);
  }
  return d;
}

std::string build_error(TopologyDesc d) {
  auto t = Topology::build(std::move(d));
  return t.ok() ? "ok" : t.status().message();
}

std::vector<int> cpus_of(const CpuMask& m) {
  return std::vector<int>(m.begin(), m.end());
}

TEST(TopologyBuild, IndexesGroups) {
  // Two nodes, each one LLC of one SMT2 core + one single-thread core.
  auto d = desc_of({{0, 0, 0}, {1, 0, 0}, {2, 1, 1}, {0, 0, 0}, {3, 1, 1}, {2, 1, 1}});
  d.cpus[4].capacity = 512;
  auto t = Topology::build(d);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->name(), "t");
  EXPECT_EQ(t->nr_cpus(), 6);
  EXPECT_EQ(t->nr_cores(), 4);
  EXPECT_EQ(t->nr_llcs(), 2);
  EXPECT_EQ(t->nr_nodes(), 2);
  EXPECT_EQ(t->nr_packages(), 2);
  EXPECT_EQ(t->core_cpus(0).to_list(), "0,3");
  EXPECT_EQ(t->smt_siblings(5).to_list(), "2,5");
  EXPECT_EQ(t->smt_width(1), 1);
  EXPECT_EQ(t->llc_cpus(1).to_list(), "2,4-5");
  EXPECT_EQ(t->node_cpus(0).to_list(), "0-1,3");
  EXPECT_EQ(t->package_cpus(1).to_list(), "2,4-5");
  EXPECT_EQ(t->all_cpus().to_list(), "0-5");
  EXPECT_TRUE(t->has_smt());
  EXPECT_TRUE(t->is_asymmetric());
  EXPECT_TRUE(t->share_core(2, 5));
  EXPECT_FALSE(t->share_core(2, 4));
  EXPECT_TRUE(t->share_llc(2, 4));
  EXPECT_FALSE(t->share_node(0, 2));
  // Omitted distance table: 10 local, 20 remote.
  EXPECT_EQ(t->node_distance(0, 0), 10);
  EXPECT_EQ(t->node_distance(0, 1), 20);
  EXPECT_EQ(t->node_distance(1, 0), 20);
  EXPECT_EQ(t->summary(), "2 nodes, 2 LLCs, 4 cores, 6 CPUs (SMT2); capacities: 5 @1024, 1 @512");
}

TEST(TopologyBuild, Validation) {
  EXPECT_EQ(build_error(TopologyDesc{}), "topology has no CPUs");

  TopologyDesc big;
  for (int i = 0; i <= kMaxCpus; ++i) big.cpus.push_back(CpuInfo{i, i, 0, 0, 0});
  EXPECT_EQ(build_error(big), "topology has 1025 CPUs, more than the limit of 1024");

  auto dup = desc_of({{0, 0, 0}, {1, 0, 0}, {2, 0, 0}, {3, 0, 0}});
  dup.cpus[2].id = 3;
  EXPECT_EQ(build_error(dup), "duplicate cpu id 3");

  auto order = desc_of({{0, 0, 0}, {1, 0, 0}});
  order.cpus[0].id = 1;
  order.cpus[1].id = 0;
  EXPECT_EQ(build_error(order), "cpu ids must be 0..1 in order, but entry 0 has id 1");
  auto gap = desc_of({{0, 0, 0}, {1, 0, 0}});
  gap.cpus[1].id = 7;
  EXPECT_EQ(build_error(gap), "cpu ids must be 0..1 in order, but entry 1 has id 7");

  EXPECT_EQ(build_error(desc_of({{0, 0, 0}, {0, 1, 0}})),
            "core 0 spans LLCs 0 and 1 (cpus 0 and 1)");
  EXPECT_EQ(build_error(desc_of({{0, 0, 0}, {1, 1, 0}, {2, 1, 1}})),
            "LLC 1 spans nodes 0 and 1 (cpus 1 and 2)");
  auto pkg = desc_of({{0, 0, 0}, {1, 0, 0}});
  pkg.cpus[1].package = 1;
  EXPECT_EQ(build_error(pkg), "LLC 0 spans packages 0 and 1 (cpus 0 and 1)");

  EXPECT_EQ(build_error(desc_of({{0, 0, 0}, {2, 0, 0}})),
            "core ids must be dense: no CPU is in core 1 (highest is 2)");
  EXPECT_EQ(build_error(desc_of({{0, 0, 0}, {1, 0, 1}, {2, 1, 1}})),
            "LLC 0 spans nodes 0 and 1 (cpus 0 and 1)");
  EXPECT_EQ(build_error(desc_of({{0, 1, 0}})),
            "LLC ids must be dense: no CPU is in LLC 0 (highest is 1)");
  EXPECT_EQ(build_error(desc_of({{0, 0, -1}})), "cpu 0 has negative node -1");

  auto cap0 = desc_of({{0, 0, 0}});
  cap0.cpus[0].capacity = 0;
  EXPECT_EQ(build_error(cap0), "cpu 0 has capacity 0, outside 1..1024");
  auto cap_big = desc_of({{0, 0, 0}});
  cap_big.cpus[0].capacity = 1025;
  EXPECT_EQ(build_error(cap_big), "cpu 0 has capacity 1025, outside 1..1024");
}

TEST(TopologyBuild, DistanceValidation) {
  auto two_nodes = [](std::vector<std::vector<int>> dist) {
    auto d = desc_of({{0, 0, 0}, {1, 1, 1}});
    d.node_distance = std::move(dist);
    return build_error(d);
  };
  EXPECT_EQ(two_nodes({{10, 21}, {21, 10}}), "ok");
  EXPECT_EQ(two_nodes({{10, 21}}), "node distance table has 1 rows, expected 2 (one per node)");
  EXPECT_EQ(two_nodes({{10, 21}, {21}}), "node distance row 1 has 1 entries, expected 2");
  EXPECT_EQ(two_nodes({{10, 21}, {20, 10}}),
            "node distance is asymmetric: [0][1] is 21 but [1][0] is 20");
  EXPECT_EQ(two_nodes({{11, 21}, {21, 10}}),
            "node distance [0][0] is 11, local distance must be 10");
  EXPECT_EQ(two_nodes({{10, 5}, {5, 10}}),
            "node distance [0][1] is 5, less than the local distance 10");
}

TEST(TopologyBuild, SummarySingularAndHybridKinds) {
  auto one = parse_topology_spec("1");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->summary(), "1 node, 1 LLC, 1 core, 1 CPU");
  EXPECT_FALSE(one->has_smt());
  EXPECT_FALSE(one->is_asymmetric());
  auto hybrid = make_preset("desktop-hybrid");
  ASSERT_TRUE(hybrid.ok());
  EXPECT_EQ(hybrid->summary(),
            "1 node, 1 LLC, 16 cores, 24 CPUs (SMT2); capacities: 16 P @1024, 8 E @600");
}

TEST(Presets, ListHasDescriptions) {
  std::vector<std::string> names;
  for (const TopologyPreset& p : topology_presets()) {
    names.push_back(p.name);
    EXPECT_FALSE(p.description.empty()) << p.name;
    EXPECT_TRUE(make_preset(p.name).ok()) << p.name;
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"laptop", "desktop-hybrid", "server-2s64", "server-2s256"}));
  auto bad = make_preset("mainframe");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "unknown topology preset 'mainframe' (presets: laptop, desktop-hybrid, server-2s64, "
            "server-2s256)");
}

TEST(Presets, Laptop) {
  auto t = make_preset("laptop");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->name(), "laptop");
  EXPECT_EQ(t->nr_cpus(), 4);
  EXPECT_EQ(t->nr_cores(), 2);
  EXPECT_EQ(t->nr_llcs(), 1);
  EXPECT_EQ(t->nr_nodes(), 1);
  EXPECT_EQ(t->smt_siblings(0).to_list(), "0,2");
  EXPECT_EQ(t->smt_siblings(3).to_list(), "1,3");
  EXPECT_EQ(t->llc_cpus(0).to_list(), "0-3");
  EXPECT_FALSE(t->is_asymmetric());
  EXPECT_EQ(t->cpu(3).kind, "");
  EXPECT_EQ(t->summary(), "1 node, 1 LLC, 2 cores, 4 CPUs (SMT2)");
}

TEST(Presets, DesktopHybrid) {
  auto t = make_preset("desktop-hybrid");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->nr_cpus(), 24);
  EXPECT_EQ(t->nr_cores(), 16);
  EXPECT_EQ(t->nr_llcs(), 1);
  EXPECT_TRUE(t->is_asymmetric());
  // First threads of P-cores 0-7, E-cores 8-15, second P threads 16-23.
  for (int c = 0; c < 8; ++c) {
    EXPECT_EQ(t->cpu(c).kind, "P");
    EXPECT_EQ(t->cpu(c).capacity, 1024u);
    EXPECT_EQ(cpus_of(t->smt_siblings(c)), (std::vector<int>{c, c + 16}));
    EXPECT_EQ(t->cpu(c + 16).kind, "P");
    EXPECT_EQ(t->cpu(c + 8).kind, "E");
    EXPECT_EQ(t->cpu(c + 8).capacity, 600u);
    EXPECT_EQ(t->smt_width(c + 8), 1);
    EXPECT_EQ(t->cpu(c + 8).core, 8 + c);
  }
}

TEST(Presets, Server2s64) {
  auto t = make_preset("server-2s64");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->nr_cpus(), 64);
  EXPECT_EQ(t->nr_cores(), 32);
  EXPECT_EQ(t->nr_llcs(), 2);
  EXPECT_EQ(t->nr_nodes(), 2);
  EXPECT_EQ(t->nr_packages(), 2);
  EXPECT_EQ(t->node_cpus(0).to_list(), "0-15,32-47");
  EXPECT_EQ(t->node_cpus(1).to_list(), "16-31,48-63");
  EXPECT_EQ(t->llc_cpus(1).to_list(), "16-31,48-63");
  EXPECT_EQ(t->package_cpus(0), t->node_cpus(0));
  for (int c = 0; c < 32; ++c)
    EXPECT_EQ(cpus_of(t->smt_siblings(c)), (std::vector<int>{c, c + 32}));
  EXPECT_EQ(t->node_distance(0, 0), 10);
  EXPECT_EQ(t->node_distance(0, 1), 21);
  EXPECT_EQ(t->node_distance(1, 0), 21);
  EXPECT_EQ(t->summary(), "2 nodes, 2 LLCs, 32 cores, 64 CPUs (SMT2)");
}

TEST(Presets, Server2s256) {
  auto t = make_preset("server-2s256");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->nr_cpus(), 256);
  EXPECT_EQ(t->nr_cores(), 128);
  EXPECT_EQ(t->nr_llcs(), 16);
  EXPECT_EQ(t->nr_nodes(), 2);
  EXPECT_EQ(t->nr_packages(), 2);
  // LLC k holds cores 8k..8k+7: first threads 8k.., second threads 128+8k..
  EXPECT_EQ(t->llc_cpus(0).to_list(), "0-7,128-135");
  EXPECT_EQ(t->llc_cpus(9).to_list(), "72-79,200-207");
  EXPECT_EQ(t->cpu(72).node, 1);
  EXPECT_EQ(t->node_cpus(1).to_list(), "64-127,192-255");
  EXPECT_EQ(cpus_of(t->smt_siblings(200)), (std::vector<int>{72, 200}));
  EXPECT_EQ(t->node_distance(1, 0), 21);
  EXPECT_EQ(t->summary(), "2 nodes, 16 LLCs, 128 cores, 256 CPUs (SMT2)");
}

TEST(Spec, BareNumber) {
  auto t = parse_topology_spec("8");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->name(), "8");
  EXPECT_EQ(t->nr_cpus(), 8);
  EXPECT_EQ(t->nr_cores(), 8);
  EXPECT_EQ(t->nr_llcs(), 1);
  EXPECT_EQ(t->nr_nodes(), 1);
  EXPECT_FALSE(t->has_smt());
  EXPECT_EQ(parse_topology_spec("1024")->nr_cpus(), 1024);
}

TEST(Spec, KeyValue) {
  auto t = parse_topology_spec("nodes=2,llcs=2,cores=3,smt=2");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->nr_cpus(), 24);
  EXPECT_EQ(t->nr_cores(), 12);
  EXPECT_EQ(t->nr_llcs(), 4);
  EXPECT_EQ(t->nr_nodes(), 2);
  EXPECT_EQ(t->nr_packages(), 2);
  // Cores node by node, LLC by LLC; sibling of cpu i is i + 12.
  EXPECT_EQ(t->llc_cpus(0).to_list(), "0-2,12-14");
  EXPECT_EQ(t->llc_cpus(3).to_list(), "9-11,21-23");
  EXPECT_EQ(t->node_cpus(1).to_list(), "6-11,18-23");
  EXPECT_EQ(t->cpu(20).core, 8);
  EXPECT_EQ(t->cpu(20).llc, 2);
  EXPECT_EQ(t->node_distance(0, 1), 20);

  auto spaced = parse_topology_spec(" cores = 4 , smt=2 ");
  ASSERT_TRUE(spaced.ok()) << spaced.status().message();
  EXPECT_EQ(spaced->nr_cpus(), 8);

  auto capped = parse_topology_spec("cores=4,cap=700");
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->cpu(3).capacity, 700u);
  EXPECT_FALSE(capped->is_asymmetric());
}

TEST(Spec, Hybrid) {
  auto t = parse_topology_spec("p=2,e=4,psmt=2");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->nr_cpus(), 8);
  EXPECT_EQ(t->nr_cores(), 6);
  // P first threads 0-1, E-cores 2-5, P second threads 6-7; E default capacity 512.
  EXPECT_EQ(t->smt_siblings(0).to_list(), "0,6");
  EXPECT_EQ(t->smt_siblings(1).to_list(), "1,7");
  EXPECT_EQ(t->cpu(2).kind, "E");
  EXPECT_EQ(t->cpu(5).capacity, 512u);
  EXPECT_EQ(t->cpu(7).kind, "P");
  EXPECT_EQ(t->cpu(7).capacity, 1024u);

  auto custom = parse_topology_spec("nodes=2,p=1,e=2,esmt=2,pcap=1000,ecap=300");
  ASSERT_TRUE(custom.ok()) << custom.status().message();
  EXPECT_EQ(custom->nr_cpus(), 10);
  EXPECT_EQ(custom->nr_cores(), 6);
  EXPECT_EQ(custom->node_cpus(1).to_list(), "3-5,8-9");
  EXPECT_EQ(custom->cpu(0).capacity, 1000u);
  EXPECT_EQ(custom->cpu(9).capacity, 300u);
  EXPECT_EQ(custom->smt_siblings(4).to_list(), "4,8");

  auto only_e = parse_topology_spec("e=4");
  ASSERT_TRUE(only_e.ok());
  EXPECT_EQ(only_e->nr_cpus(), 4);
  EXPECT_EQ(only_e->cpu(0).kind, "E");
}

std::string spec_error(const char* spec) {
  auto t = parse_topology_spec(spec);
  return t.ok() ? "ok" : t.status().message();
}

TEST(Spec, Errors) {
  EXPECT_EQ(spec_error("0"), "topology spec '0': describes 0 CPUs");
  EXPECT_EQ(spec_error("cores=4,smt=0"), "topology spec 'cores=4,smt=0': describes 0 CPUs (smt=0)");
  EXPECT_EQ(spec_error("nodes=0"), "topology spec 'nodes=0': describes 0 CPUs (nodes=0)");
  EXPECT_EQ(spec_error("p=2,psmt=0,e=2"),
            "topology spec 'p=2,psmt=0,e=2': psmt=0: a core needs at least 1 thread");
  EXPECT_EQ(spec_error("p=0,e=0"), "topology spec 'p=0,e=0': describes 0 CPUs");
  EXPECT_EQ(spec_error("2000"), "topology spec '2000': 2000 CPUs is more than the limit of 1024");
  EXPECT_EQ(spec_error("cores=5000"),
            "topology spec 'cores=5000': cores=5000 is more than the limit of 1024 CPUs");
  EXPECT_EQ(spec_error("nodes=4,cores=128,smt=4"),
            "topology spec 'nodes=4,cores=128,smt=4': describes 2048 CPUs, more than the limit "
            "of 1024");
  EXPECT_EQ(spec_error("cores=x"), "topology spec 'cores=x': cores: 'x' is not a number");
  EXPECT_EQ(spec_error("cores=-2"), "topology spec 'cores=-2': cores: '-2' is not a number");
  EXPECT_EQ(spec_error("cores=2.5"), "topology spec 'cores=2.5': cores: '2.5' is not a number");
  EXPECT_THAT(spec_error("sockets=2"), HasSubstr("unknown key 'sockets' (keys: nodes, llcs"));
  EXPECT_EQ(spec_error("cores=8,cores=4"),
            "topology spec 'cores=8,cores=4': key 'cores' given twice");
  EXPECT_EQ(spec_error("cores8"), "topology spec 'cores8': 'cores8' is not key=value");
  EXPECT_EQ(spec_error("cores=8,"), "topology spec 'cores=8,': empty item");
  EXPECT_EQ(spec_error("cap=0"), "topology spec 'cap=0': cap=0 is outside 1..1024");
  EXPECT_EQ(spec_error("p=2,ecap=2048"),
            "topology spec 'p=2,ecap=2048': ecap=2048 is outside 1..1024");
  EXPECT_THAT(spec_error("cores=4,e=4"), HasSubstr("cannot be combined"));
  EXPECT_EQ(spec_error(""), "topology spec '': empty spec");
}

TEST(Resolve, PresetSpecAndUnknown) {
  auto preset = resolve_topology("server-2s64");
  ASSERT_TRUE(preset.ok());
  EXPECT_EQ(preset->nr_cpus(), 64);
  auto spec = resolve_topology("nodes=2,cores=2");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->nr_nodes(), 2);
  auto bare = resolve_topology("6");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->nr_cpus(), 6);
  // A spec error is reported as such, not as an unknown name.
  EXPECT_THAT(resolve_topology("cores=x").status().message(), HasSubstr("'x' is not a number"));

  auto unknown = resolve_topology("mainframe");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(),
            "--topology: unknown topology 'mainframe': not a preset (laptop, desktop-hybrid, "
            "server-2s64, server-2s256), 'host', a JSON file or a spec such as "
            "'nodes=2,cores=8,smt=2'");
  EXPECT_FALSE(resolve_topology("").ok());
}

TEST(Resolve, JsonPath) {
  auto t = resolve_topology(SCXSIM_SOURCE_DIR "/topologies/hybrid-laptop.json");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->name(), "hybrid-laptop");
  auto missing = resolve_topology("no/such/file.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "no/such/file.json: cannot open: No such file or directory");
}

TEST(Resolve, HostEitherWorksOrFailsCleanly) {
  auto t = resolve_topology("host");
  if (t.ok()) {
    EXPECT_GT(t->nr_cpus(), 0);
    EXPECT_EQ(t->name(), "host");
    EXPECT_EQ(t->all_cpus().weight(), t->nr_cpus());
  } else {
    EXPECT_FALSE(t.status().message().empty());
    EXPECT_EQ(t.status().message().find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace scx
