// The native setup steps of profiles (native_setup.h): lavd_cpu_order's writer checked through
// a lavd-shaped test object (lavd_layout_sched.bpf.c) whose struct differs from lavd's, global
// paths into arrays of structs, and the bundled lavd profiles naming the step. The public scx
// objects are not needed.
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../ext/ext_harness.h"
#include "bpf/host/bpf_ops.h"
#include "bpf/host/native_setup.h"
#include "bpf/host/profile.h"
#include "workload/generators.h"
#include "../support/temp_file.h"

namespace scx {
namespace {

const std::string kLayoutSubject = std::string(SCXSIM_BPF_HOST_SUBJECTS) + "/lavd_layout_sched.bpf.o";

// tests/bpf_host/lavd_layout_sched.bpf.c's struct cpdom_ctx, as clang lays it out.
struct LayoutCpdom {
  uint8_t is_valid;
  uint8_t nr_neighbors[3];
  uint32_t runtime_counter;
  uint64_t id;
  uint8_t neighbor_ids[3 * 16];
  uint8_t numa_id, llc_id, is_big;
  uint64_t cpumask[4];
};
static_assert(sizeof(LayoutCpdom) == 104);


struct LayoutRun {
  explicit LayoutRun(const char* topo) : sim(topo, testing::zero_costs()) {}
  testing::ExtSim sim;
  Result<std::unique_ptr<bpf::BpfScxOps>> load(bool native) {
    bpf::BpfHostOptions o;
    o.nr_cpus = sim.topo.nr_cpus();
    o.topology = &sim.topo;
    o.profile = testing::write_test_file(native ? "lavd_layout.json" : "lavd_layout_bare.json",
                              native ? R"({"ops_name": "lavd_layout_test", "native_setup": ["lavd_cpu_order"]})"
                                     : R"({"ops_name": "lavd_layout_test"})");
    return bpf::BpfScxOps::load(kLayoutSubject, o);
  }
  void run(std::unique_ptr<bpf::BpfScxOps> ops) {
    sim.ext->load_at(std::move(ops), 0);
    auto w = resolve_workload("hackbench:groups=2", sim.topo.nr_cpus(), 1);
    ASSERT_TRUE(w.ok()) << w.status().message();
    sim.load(*w);
    ASSERT_TRUE(sim.kernel->run_until(200 * kNsPerMs).ok());
  }
  std::string exit_msg() const { return sim.ext->exit_info() ? sim.ext->exit_info()->msg : std::string(); }
};

template <typename T>
const T* global_of(bpf::BpfScxOps& ops, const char* name) {
  return reinterpret_cast<const T*>(ops.object().global_data(name));
}

TEST(LavdCpuOrderWriter, FillsTheObjectByItsBtfLayout) {
  LayoutRun r("nodes=2,llcs=2,cores=2,smt=2");
  auto ops = r.load(true);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  const auto* doms = global_of<LayoutCpdom>(**ops, "cpdom_ctxs");
  const uint64_t masks[] = {0x303, 0xc0c, 0x3030, 0xc0c0};
  const uint8_t near[] = {1, 0, 3, 2};
  for (int d = 0; d < 4; ++d) {
    const LayoutCpdom& c = doms[d];
    EXPECT_EQ(c.is_valid, 1);
    EXPECT_EQ(c.id, static_cast<uint64_t>(d));
    EXPECT_EQ(c.numa_id, d / 2);
    EXPECT_EQ(c.llc_id, d);
    EXPECT_EQ(c.is_big, 1);
    EXPECT_EQ(c.runtime_counter, 0u);
    EXPECT_EQ(c.cpumask[0], masks[d]);
    EXPECT_EQ(c.cpumask[1], 0u);
    EXPECT_EQ(c.nr_neighbors[0], 1);
    EXPECT_EQ(c.nr_neighbors[1], 2);
    EXPECT_EQ(c.nr_neighbors[2], 0);
    EXPECT_EQ(c.neighbor_ids[0], near[d]);
    EXPECT_EQ(c.neighbor_ids[16], d < 2 ? 2 : 0);  // the second distance starts at [16]
    EXPECT_EQ(c.neighbor_ids[17], d < 2 ? 3 : 1);
  }
  EXPECT_EQ(doms[4].is_valid, 0);
  EXPECT_EQ(global_of<uint16_t>(**ops, "cpu_capacity")[15], 1024);
  EXPECT_EQ(global_of<uint16_t>(**ops, "cpu_capacity")[16], 0);
  EXPECT_EQ(global_of<uint8_t>(**ops, "cpu_big")[7], 1);
  EXPECT_EQ(global_of<uint32_t>(**ops, "cpu_sibling")[3], 11u);
  EXPECT_EQ(global_of<uint32_t>(**ops, "cpu_sibling")[11], 3u);
  EXPECT_EQ(*global_of<uint8_t>(**ops, "nr_pco_states"), 2);
  const uint32_t* bounds = global_of<uint32_t>(**ops, "pco_bounds");
  EXPECT_EQ(std::vector<uint32_t>(bounds, bounds + 4), (std::vector<uint32_t>{1024, 16384, 16384, 16384}));
  const uint16_t* nr_primary = global_of<uint16_t>(**ops, "pco_nr_primary");
  EXPECT_EQ(std::vector<uint16_t>(nr_primary, nr_primary + 4), (std::vector<uint16_t>{1, 1, 1, 1}));
  const uint16_t* table = global_of<uint16_t>(**ops, "pco_table");  // [4][256]
  EXPECT_EQ(std::vector<uint16_t>(table, table + 4), (std::vector<uint16_t>{0, 8, 1, 9}));  // powersave
  for (int row = 1; row < 4; ++row) {  // the performance state, repeated in the unused rows
    EXPECT_EQ(table[row * 256 + 15], 15) << row;
    EXPECT_EQ(table[row * 256 + 16], 0) << row;
  }
}

TEST(LavdCpuOrderWriter, WithTheTablesTheDomainsRunWithoutThemTheSchedulerIsEjected) {
  LayoutRun with("nodes=2,llcs=2,cores=2,smt=2");
  auto ops = with.load(true);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  bpf::BpfScxOps* raw = ops->get();
  with.run(std::move(*ops));
  EXPECT_EQ(with.exit_msg(), "");
  EXPECT_EQ(*global_of<uint32_t>(*raw, "nr_dsqs_created"), 4u);

  LayoutRun bare("nodes=2,llcs=2,cores=2,smt=2");
  auto unset = bare.load(false);
  ASSERT_TRUE(unset.ok()) << unset.status().message();
  bare.run(std::move(*unset));
  EXPECT_NE(bare.exit_msg().find("DSQ"), std::string::npos) << bare.exit_msg();
}

TEST(LavdCpuOrderWriter, MoreThanTheObjectHoldsIsALoadError) {
  LayoutRun doms("llcs=17");  // 17 domains, the object holds 16
  auto ops = doms.load(true);
  ASSERT_FALSE(ops.ok());
  EXPECT_NE(ops.status().message().find("17 compute domains do not fit"), std::string::npos) << ops.status().message();
  LayoutRun cpus("300");  // its CPU arrays hold 256
  ops = cpus.load(true);
  ASSERT_FALSE(ops.ok());
  EXPECT_NE(ops.status().message().find("300 CPUs do not fit the object's 256"), std::string::npos)
      << ops.status().message();
}

TEST(GlobalPath, StepsIntoArraysOfStructs) {
  LayoutRun r("cores=2");
  auto ops = r.load(false);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  bpf::BpfObject& obj = (*ops)->object();
  ASSERT_TRUE(obj.set_global("cpdom_ctxs[2].id", "7").ok());
  ASSERT_TRUE(obj.set_global("cpdom_ctxs[2].neighbor_ids[16]", "5,6").ok());  // from element 16
  ASSERT_TRUE(obj.set_global("pco_table[1][2]", "9").ok());
  const auto* doms = global_of<LayoutCpdom>(**ops, "cpdom_ctxs");
  EXPECT_EQ(doms[2].id, 7u);
  EXPECT_EQ(doms[2].neighbor_ids[16], 5);
  EXPECT_EQ(doms[2].neighbor_ids[17], 6);
  EXPECT_EQ(global_of<uint16_t>(**ops, "pco_table")[256 + 2], 9);
  auto slot = obj.locate_global("cpdom_ctxs[1].__cpumask[3]");
  ASSERT_TRUE(slot.ok()) << slot.status().message();
  EXPECT_EQ(slot->offset, 104u + 72 + 24);
  EXPECT_EQ(slot->size, 8u);
  const std::pair<const char*, const char*> bad[] = {
      {"cpdom_ctxs[16].id", "past the array's 16 elements"},
      {"cpdom_ctxs[0].alt_id", "has no member 'alt_id'"},
      {"cpdom_ctxs[0].id[1]", "is not an array"},
      {"cpdom_ctxs[0]x", "expected .MEMBER or [INDEX]"},
  };
  for (const auto& [path, why] : bad) {
    const Status st = obj.set_global(path, "1");
    ASSERT_FALSE(st.ok()) << path;
    EXPECT_NE(st.message().find(why), std::string::npos) << path << ": " << st.message();
  }
}

TEST(LavdCpuOrderWriter, BundledLavdProfilesRunTheNativeSetup) {
  for (const char* name : {"scx_lavd", "0f379644a/scx_lavd"}) {
    std::optional<bpf::Profile> p = bpf::bundled_profile_named(name);
    ASSERT_TRUE(p) << name;
    EXPECT_EQ(p->native_setup, std::vector<std::string>{"lavd_cpu_order"}) << name;
  }
  auto bad = bpf::parse_profile(R"({"ops_name": "x", "native_setup": ["nope"]})", "t.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("known: lavd_cpu_order"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace scx
