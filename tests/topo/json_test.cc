#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "topo/topology.h"

namespace scx {
namespace {

using ::testing::HasSubstr;

std::string json_error(const std::string& text) {
  auto t = parse_topology_json(text, "topo.json");
  return t.ok() ? "ok" : t.status().message();
}

// Everything a Topology exposes, for comparing a round trip.
void expect_same(const Topology& a, const Topology& b) {
  EXPECT_EQ(a.name(), b.name());
  ASSERT_EQ(a.nr_cpus(), b.nr_cpus());
  EXPECT_EQ(a.nr_cores(), b.nr_cores());
  EXPECT_EQ(a.nr_llcs(), b.nr_llcs());
  EXPECT_EQ(a.nr_nodes(), b.nr_nodes());
  EXPECT_EQ(a.nr_packages(), b.nr_packages());
  for (int c = 0; c < a.nr_cpus(); ++c) {
    const CpuInfo &x = a.cpu(c), &y = b.cpu(c);
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.core, y.core) << "cpu " << c;
    EXPECT_EQ(x.llc, y.llc) << "cpu " << c;
    EXPECT_EQ(x.node, y.node) << "cpu " << c;
    EXPECT_EQ(x.package, y.package) << "cpu " << c;
    EXPECT_EQ(x.capacity, y.capacity) << "cpu " << c;
    EXPECT_EQ(x.kind, y.kind) << "cpu " << c;
  }
  for (int i = 0; i < a.nr_nodes(); ++i)
    for (int j = 0; j < a.nr_nodes(); ++j) EXPECT_EQ(a.node_distance(i, j), b.node_distance(i, j));
  EXPECT_EQ(a.summary(), b.summary());
}

TEST(TopologyJson, RoundTripsEveryPreset) {
  for (const TopologyPreset& p : topology_presets()) {
    auto t = make_preset(p.name);
    ASSERT_TRUE(t.ok());
    auto back = parse_topology_json(t->to_json(), "roundtrip.json");
    ASSERT_TRUE(back.ok()) << p.name << ": " << back.status().message();
    expect_same(*t, *back);
    EXPECT_EQ(back->to_json(), t->to_json());
  }
}

TEST(TopologyJson, ToJsonFormat) {
  auto t = make_preset("laptop");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(
      t->to_json(),
      "{\n"
      "  \"name\": \"laptop\",\n"
      "  \"cpus\": [\n"
      "    {\"id\": 0, \"core\": 0, \"llc\": 0, \"node\": 0, \"package\": 0, \"capacity\": 1024},\n"
      "    {\"id\": 1, \"core\": 1, \"llc\": 0, \"node\": 0, \"package\": 0, \"capacity\": 1024},\n"
      "    {\"id\": 2, \"core\": 0, \"llc\": 0, \"node\": 0, \"package\": 0, \"capacity\": 1024},\n"
      "    {\"id\": 3, \"core\": 1, \"llc\": 0, \"node\": 0, \"package\": 0, \"capacity\": 1024}\n"
      "  ],\n"
      "  \"node_distance\": [[10]]\n"
      "}\n");
  auto hybrid = make_preset("desktop-hybrid");
  ASSERT_TRUE(hybrid.ok());
  EXPECT_THAT(hybrid->to_json(), HasSubstr("\"capacity\": 600, \"kind\": \"E\"}"));
}

TEST(TopologyJson, Defaults) {
  // node 0, package = node, capacity 1024, no kind, name from the file name.
  auto t = parse_topology_json(R"({"cpus": [
      {"id": 0, "core": 0, "llc": 0},
      {"id": 1, "core": 1, "llc": 1, "node": 1, "capacity": 300, "kind": "little"}]})",
                               "dir/my-box.json");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->name(), "my-box");
  EXPECT_EQ(t->cpu(0).node, 0);
  EXPECT_EQ(t->cpu(0).capacity, 1024u);
  EXPECT_EQ(t->cpu(1).package, 1);
  EXPECT_EQ(t->cpu(1).capacity, 300u);
  EXPECT_EQ(t->cpu(1).kind, "little");
  EXPECT_EQ(t->node_distance(0, 1), 20);
}

TEST(TopologyJson, SpecForm) {
  auto t = parse_topology_json(
      R"({"name": "x", "spec": "nodes=2,cores=2", "node_distance": [[10, 32], [32, 10]]})",
      "x.json");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->name(), "x");
  EXPECT_EQ(t->nr_cpus(), 4);
  EXPECT_EQ(t->node_distance(1, 0), 32);
  EXPECT_EQ(json_error(R"({"spec": "cores=q"})"),
            "topo.json: topology spec 'cores=q': cores: 'q' is not a number");
  EXPECT_EQ(json_error(R"({"spec": "2", "cpus": []})"),
            "topo.json: give either \"cpus\" or \"spec\", not both");
}

TEST(TopologyJson, SyntaxErrorsHaveLineAndColumn) {
  EXPECT_EQ(json_error("{\n  \"name\": \"a\",\n  \"cpus\": [,]\n}"),
            "topo.json: line 3, column 12: syntax error while parsing value - unexpected ','; "
            "expected '[', '{', or a literal");
  EXPECT_THAT(
      json_error("{\"cpus\": [\n\n   tru ]}"),
      HasSubstr("topo.json: line 3, column 7: syntax error while parsing value - invalid literal"));
  EXPECT_THAT(json_error(""), HasSubstr("topo.json: line 1, column 1: "));
  EXPECT_THAT(json_error("{\"cpus\": []"), HasSubstr("topo.json: line 1, column 12: "));
}

TEST(TopologyJson, FieldErrorsNamePath) {
  const std::string two_ok = R"({"id": 0, "core": 0, "llc": 0}, )";
  EXPECT_EQ(json_error("[1]"), "topo.json: expected a JSON object at the top level");
  EXPECT_EQ(json_error("{}"), "topo.json: missing \"cpus\" (or \"spec\")");
  EXPECT_EQ(json_error(R"({"cpus": 3})"), "topo.json: cpus: expected an array of CPU objects");
  EXPECT_EQ(json_error(R"({"cpus": []})"), "topo.json: topology has no CPUs");
  EXPECT_EQ(json_error(R"({"cpus": [)" + two_ok + R"(7]})"),
            "topo.json: cpus[1]: expected an object");
  EXPECT_EQ(json_error(R"({"cpus": [)" + two_ok + R"({"id": 1, "core": 1, "llc": "0"}]})"),
            "topo.json: cpus[1].llc: expected an integer");
  EXPECT_EQ(json_error(R"({"cpus": [{"id": 0, "core": 0.5, "llc": 0}]})"),
            "topo.json: cpus[0].core: expected an integer");
  EXPECT_EQ(json_error(R"({"cpus": [{"id": 0, "core": 0, "llc": 5000000000}]})"),
            "topo.json: cpus[0].llc: integer out of range");
  EXPECT_EQ(json_error(R"({"cpus": [{"id": 0, "llc": 0}]})"),
            "topo.json: cpus[0]: missing \"core\"");
  EXPECT_EQ(json_error(R"({"cpus": [{"id": 0, "core": 0, "llc": 0, "lcc": 1}]})"),
            "topo.json: cpus[0]: unknown key 'lcc' (expected one of: id, core, llc, node, package, "
            "capacity, kind)");
  EXPECT_EQ(json_error(R"({"cpus": [{"id": 0, "core": 0, "llc": 0, "capacity": 0}]})"),
            "topo.json: cpus[0].capacity: 0 is outside 1..1024");
  EXPECT_EQ(json_error(R"({"cpus": [{"id": 0, "core": 0, "llc": 0, "kind": 1}]})"),
            "topo.json: cpus[0].kind: expected a string");
  EXPECT_EQ(json_error(R"({"name": 1, "cpus": [{"id": 0, "core": 0, "llc": 0}]})"),
            "topo.json: name: expected a string");
  EXPECT_THAT(json_error(R"({"nodes": 1})"), HasSubstr("topo.json: unknown key 'nodes'"));
  EXPECT_EQ(
      json_error(R"({"cpus": [{"id": 0, "core": 0, "llc": 0}], "node_distance": [[10, "x"]]})"),
      "topo.json: node_distance[0][1]: expected an integer");
  EXPECT_EQ(json_error(R"({"cpus": [{"id": 0, "core": 0, "llc": 0}], "node_distance": [10]})"),
            "topo.json: node_distance[0]: expected an array of integers");
}

TEST(TopologyJson, BuildErrorsNameFile) {
  EXPECT_EQ(
      json_error(R"({"cpus": [{"id": 0, "core": 0, "llc": 0}, {"id": 0, "core": 1, "llc": 0}]})"),
      "topo.json: duplicate cpu id 0");
  EXPECT_EQ(
      json_error(R"({"cpus": [{"id": 0, "core": 0, "llc": 0}, {"id": 1, "core": 0, "llc": 1}]})"),
      "topo.json: core 0 spans LLCs 0 and 1 (cpus 0 and 1)");
  EXPECT_EQ(json_error(R"({"cpus": [{"id": 0, "core": 0, "llc": 0},
                                    {"id": 1, "core": 1, "llc": 0, "node": 1}]})"),
            "topo.json: LLC 0 spans nodes 0 and 1 (cpus 0 and 1)");
  EXPECT_EQ(
      json_error(R"({"cpus": [{"id": 0, "core": 0, "llc": 0}], "node_distance": [[10, 20]]})"),
      "topo.json: node distance row 0 has 2 entries, expected 1");
}

TEST(TopologyJson, LoadErrors) {
  auto t = load_topology_json("/nonexistent/topo.json");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "/nonexistent/topo.json: cannot open: No such file or directory");
}

TEST(BundledTopologies, HybridLaptop) {
  auto t = load_topology_json(SCXSIM_SOURCE_DIR "/topologies/hybrid-laptop.json");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->name(), "hybrid-laptop");
  EXPECT_EQ(t->nr_cpus(), 16);
  EXPECT_EQ(t->nr_cores(), 12);
  EXPECT_EQ(t->nr_llcs(), 1);
  // Intel client numbering: P siblings adjacent.
  EXPECT_EQ(t->smt_siblings(2).to_list(), "2-3");
  EXPECT_EQ(t->smt_width(9), 1);
  EXPECT_EQ(t->cpu(7).kind, "P");
  EXPECT_EQ(t->cpu(8).kind, "E");
  EXPECT_EQ(t->cpu(15).capacity, 600u);
  EXPECT_EQ(t->summary(),
            "1 node, 1 LLC, 12 cores, 16 CPUs (SMT2); capacities: 8 P @1024, 8 E @600");
}

TEST(BundledTopologies, SubNumaServer) {
  auto t = load_topology_json(SCXSIM_SOURCE_DIR "/topologies/server-2s-snc2.json");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->nr_cpus(), 32);
  EXPECT_EQ(t->nr_cores(), 16);
  EXPECT_EQ(t->nr_llcs(), 4);
  EXPECT_EQ(t->nr_nodes(), 4);
  EXPECT_EQ(t->nr_packages(), 2);
  EXPECT_EQ(t->node_cpus(1).to_list(), "4-7,20-23");
  EXPECT_EQ(t->package_cpus(1).to_list(), "8-15,24-31");
  EXPECT_EQ(t->smt_siblings(5).to_list(), "5,21");
  EXPECT_EQ(t->node_distance(0, 1), 12);
  EXPECT_EQ(t->node_distance(1, 2), 21);
  EXPECT_EQ(t->node_distance(3, 2), 12);
}

TEST(BundledTopologies, FourSocketRing) {
  auto t = load_topology_json(SCXSIM_SOURCE_DIR "/topologies/4s-ring.json");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->name(), "4s-ring");
  EXPECT_EQ(t->nr_cpus(), 64);
  EXPECT_EQ(t->nr_nodes(), 4);
  EXPECT_EQ(t->nr_llcs(), 4);
  EXPECT_EQ(t->node_cpus(2).to_list(), "16-23,48-55");
  EXPECT_EQ(t->node_distance(0, 2), 31);
  EXPECT_EQ(t->node_distance(0, 3), 21);
}

// A number no double holds is one line naming the key and the number (nlohmann's out_of_range
// aborted scxsim): `{"cpus": 1e999}` has read 14 characters, the last at column 14.
TEST(TopologyJson, NumberOutOfRangeIsOneLine) {
  EXPECT_EQ(json_error(R"({"cpus": 1e999})"), "topo.json: line 1, column 14: cpus: number 1e999 is out of range");
  EXPECT_EQ(json_error(R"({"cpus": [{"id": 0, "capacity": -1e999}]})"),
            "topo.json: line 1, column 38: cpus[0].capacity: number -1e999 is out of range");
}

}  // namespace
}  // namespace scx
