#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "topo/topology.h"

namespace scx {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// Builds a fake sysfs tree in a private temp directory:
//   host cpus 0-9, cpu 4 offline;
//   package 1 / sysfs node1: cpus 0-4, cores {0,2} {1,3} {4}, L3 "0-4";
//   package 0 / sysfs node3: cpus 5-9, cores {5,8} {6,9} {7}, L3 "5-9", cpu 7 capacity 512;
//   node2 is memory-only (empty cpulist).
class FakeSysfs : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) /
            ("scx_sysfs_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    put("devices/system/cpu/online", "0-3,5-9\n");
    put("devices/system/cpu/possible", "0-9\n");
    put("devices/system/cpu/cpu4/online", "0\n");
    const char* siblings[] = {"0,2", "1,3", "0,2", "1,3", "4", "5,8", "6,9", "7", "5,8", "6,9"};
    for (int c = 0; c < 10; ++c) {
      if (c == 4) continue;  // offline CPUs have no topology directory
      const bool first_socket = c < 5;
      std::string dir = "devices/system/cpu/cpu" + std::to_string(c) + "/";
      put(dir + "topology/physical_package_id", first_socket ? "1\n" : "0\n");
      put(dir + "topology/core_id", std::to_string(c % 5 % 3) + "\n");
      // Older kernels only have thread_siblings_list; exercise both.
      put(dir + (first_socket ? "topology/core_cpus_list" : "topology/thread_siblings_list"),
          std::string(siblings[c]) + "\n");
      put(dir + "cache/index0/level", "1\n");
      put(dir + "cache/index0/shared_cpu_list", std::string(siblings[c]) + "\n");
      put(dir + "cache/index1/level", "1\n");
      put(dir + "cache/index1/shared_cpu_list", std::string(siblings[c]) + "\n");
      put(dir + "cache/index2/level", "3\n");
      put(dir + "cache/index2/shared_cpu_list", first_socket ? "0-4\n" : "5-9\n");
      put(dir + "cache/index3/level", "2\n");  // order of index dirs is not level order
      put(dir + "cache/index3/shared_cpu_list", std::string(siblings[c]) + "\n");
      if (!first_socket) put(dir + "cpu_capacity", c == 7 ? "512\n" : "1024\n");
    }
    put("devices/system/node/node1/cpulist", "0-4\n");
    put("devices/system/node/node1/distance", "10 31 21\n");
    put("devices/system/node/node2/cpulist", "\n");
    put("devices/system/node/node2/distance", "31 10 31\n");
    put("devices/system/node/node3/cpulist", "5-9\n");
    put("devices/system/node/node3/distance", "21 31 10\n");
    put("devices/system/node/online", "1-3\n");  // not a nodeN directory: ignored
  }
  void TearDown() override { fs::remove_all(root_); }

  void put(const std::string& rel, const std::string& content) {
    fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
  }
  std::string path(const std::string& rel) const { return (root_ / rel).string(); }
  std::string error() const {
    auto t = import_sysfs_topology(root_.string());
    return t.ok() ? "ok" : t.status().message();
  }

  fs::path root_;
};

TEST_F(FakeSysfs, ImportsAndRenumbers) {
  auto t = import_sysfs_topology(root_.string());
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->name(), root_.string());
  // Host cpus 0-3,5-9 become 0-8.
  EXPECT_EQ(t->nr_cpus(), 9);
  EXPECT_EQ(t->nr_cores(), 5);
  EXPECT_EQ(t->nr_llcs(), 2);
  EXPECT_EQ(t->nr_nodes(), 2);
  EXPECT_EQ(t->nr_packages(), 2);
  EXPECT_EQ(t->core_cpus(0).to_list(), "0,2");
  EXPECT_EQ(t->core_cpus(1).to_list(), "1,3");
  EXPECT_EQ(t->core_cpus(2).to_list(), "4,7");  // host 5,8
  EXPECT_EQ(t->core_cpus(3).to_list(), "5,8");  // host 6,9
  EXPECT_EQ(t->core_cpus(4).to_list(), "6");    // host 7
  EXPECT_EQ(t->llc_cpus(0).to_list(), "0-3");
  EXPECT_EQ(t->llc_cpus(1).to_list(), "4-8");
  EXPECT_EQ(t->node_cpus(0).to_list(), "0-3");     // sysfs node1
  EXPECT_EQ(t->node_cpus(1).to_list(), "4-8");     // sysfs node3
  EXPECT_EQ(t->package_cpus(0).to_list(), "0-3");  // physical package 1 comes first
  EXPECT_EQ(t->cpu(0).package, 0);
  EXPECT_EQ(t->cpu(8).package, 1);
  // Memory-only node2 dropped from the table.
  EXPECT_EQ(t->node_distance(0, 0), 10);
  EXPECT_EQ(t->node_distance(0, 1), 21);
  EXPECT_EQ(t->node_distance(1, 0), 21);
  EXPECT_EQ(t->cpu(6).capacity, 512u);
  EXPECT_EQ(t->cpu(0).capacity, 1024u);
  EXPECT_EQ(t->cpu(0).kind, "");
  EXPECT_TRUE(t->is_asymmetric());
  EXPECT_EQ(t->summary(), "2 nodes, 2 LLCs, 5 cores, 9 CPUs (SMT2); capacities: 8 @1024, 1 @512");
}

TEST_F(FakeSysfs, PossibleWithOfflineFlag) {
  fs::remove(path("devices/system/cpu/online"));
  auto t = import_sysfs_topology(root_.string());
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->nr_cpus(), 9);
  EXPECT_EQ(t->core_cpus(2).to_list(), "4,7");
}

TEST_F(FakeSysfs, NoNodeOrCacheInfo) {
  fs::remove_all(path("devices/system/node"));
  for (int c = 0; c < 10; ++c)
    fs::remove_all(path("devices/system/cpu/cpu" + std::to_string(c) + "/cache"));
  auto t = import_sysfs_topology(root_.string());
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->nr_nodes(), 1);
  EXPECT_EQ(t->node_distance(0, 0), 10);
  // Without cache info each package is one LLC.
  EXPECT_EQ(t->nr_llcs(), 2);
  EXPECT_EQ(t->llc_cpus(1).to_list(), "4-8");
}

TEST_F(FakeSysfs, HybridPmus) {
  put("devices/cpu_core/cpus", "0-3\n");
  put("devices/cpu_atom/cpus", "4-9\n");
  auto t = import_sysfs_topology(root_.string());
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->cpu(3).kind, "P");
  EXPECT_EQ(t->cpu(4).kind, "E");
}

TEST_F(FakeSysfs, MissingCpuList) {
  fs::remove(path("devices/system/cpu/online"));
  fs::remove(path("devices/system/cpu/possible"));
  EXPECT_EQ(error(),
            path("devices/system/cpu/online") + ": cannot read: No such file or directory");
}

TEST_F(FakeSysfs, MissingTopologyFile) {
  fs::remove(path("devices/system/cpu/cpu2/topology/physical_package_id"));
  EXPECT_EQ(error(), path("devices/system/cpu/cpu2/topology/physical_package_id") +
                         ": cannot read: No such file or directory");
}

TEST_F(FakeSysfs, MissingSiblingList) {
  fs::remove(path("devices/system/cpu/cpu6/topology/thread_siblings_list"));
  EXPECT_EQ(error(), path("devices/system/cpu/cpu6/topology/thread_siblings_list") +
                         ": cannot read: No such file or directory");
}

TEST_F(FakeSysfs, BadCacheList) {
  put("devices/system/cpu/cpu6/cache/index2/shared_cpu_list", "5-x\n");
  EXPECT_EQ(error(), path("devices/system/cpu/cpu6/cache/index2/shared_cpu_list") +
                         ": bad cpu list item '5-x' in '5-x'");
}

TEST_F(FakeSysfs, BadCapacity) {
  put("devices/system/cpu/cpu7/cpu_capacity", "big\n");
  EXPECT_EQ(error(),
            path("devices/system/cpu/cpu7/cpu_capacity") + ": expected an integer, got 'big'");
  put("devices/system/cpu/cpu7/cpu_capacity", "2048\n");
  EXPECT_EQ(error(),
            path("devices/system/cpu/cpu7/cpu_capacity") + ": capacity 2048 is outside 1..1024");
}

TEST_F(FakeSysfs, BadDistanceRow) {
  put("devices/system/node/node3/distance", "21 10\n");
  EXPECT_EQ(error(), path("devices/system/node/node3/distance") +
                         ": has 2 entries, expected 3 (one per node)");
}

TEST_F(FakeSysfs, CpuInNoNode) {
  put("devices/system/node/node3/cpulist", "5-8\n");
  EXPECT_EQ(error(), path("devices/system/node") + ": cpus 9 are in no node's cpulist");
}

TEST_F(FakeSysfs, InconsistentSiblings) {
  put("devices/system/cpu/cpu8/topology/thread_siblings_list", "8\n");
  EXPECT_EQ(error(), path("devices/system/cpu/cpu5/topology/thread_siblings_list") +
                         ": lists cpu 8 as sharing its core, but cpu 8 says '8'");
}

TEST_F(FakeSysfs, LlcSpanningNodesIsRejected) {
  // One L3 across both sysfs nodes: caught by Topology::build, prefixed with the root.
  for (int c : {0, 1, 2, 3, 5, 6, 7, 8, 9})
    put("devices/system/cpu/cpu" + std::to_string(c) + "/cache/index2/shared_cpu_list", "0-9\n");
  EXPECT_EQ(error(), root_.string() + ": LLC 0 spans nodes 0 and 1 (cpus 0 and 4)");
}

}  // namespace
}  // namespace scx
