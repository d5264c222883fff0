// scx_mitosis's cell manager (src/bpf/host/mitosis/): the CPU split and the cell bookkeeping of
// its user space (cell_manager.rs, scx 7a58a3a1a), each case worked out by hand from its rules.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "../ext/ext_harness.h"
#include "../support/temp_file.h"
#include "bpf/host/bpf_ops.h"
#include "bpf/host/layered/writer.h"
#include "bpf/host/mitosis/cell_table.h"
#include "bpf/host/mitosis/cpu_split.h"
#include "workload/generators.h"

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

// The hosted cell manager on mitosis_cells_sched (scx_mitosis's cell_config interface around a
// global FIFO): 8 CPUs, /p/a and /p/b (cpuset.cpus 7) under --sched-opt cell-parent-cgroup=/p.
struct CellsRun {
  testing::ExtSim sim{"8", testing::zero_costs()};
  BpfScxOps* ops = nullptr;
  std::string load(std::vector<std::string> opts, std::vector<std::pair<std::string, std::string>> globals = {}) {
    auto w = resolve_workload("hogs:count=2", 8, 1);
    if (!w.ok()) return w.status().message();
    w->cgroups = {{"/p/a", {}}, {"/p/b", {{"cpuset.cpus", "7"}}}};
    for (auto& t : w->tasks) t.cgroup = "/p/a";
    sim.load(*w);
    BpfHostOptions o;
    o.nr_cpus = 8;
    o.topology = &sim.topo;
    o.profile = testing::write_test_file("mitosis_cells_profile.json", R"({"ops_name": "mitosis_cells", "options": {
        "cell-parent-cgroup": {"cell_parent_cgroup": "value"},
        "enable-borrowing": {"usersched_args": {"enable_borrowing": "1"}}}})");
    o.sched_opts = std::move(opts);
    o.globals = std::move(globals);
    auto loaded = BpfScxOps::load(std::string(SCXSIM_BPF_HOST_SUBJECTS) + "/mitosis_cells_sched.bpf.o", o);
    if (!loaded.ok()) return loaded.status().message();
    ops = loaded->get();
    sim.ext->load_at(std::move(*loaded), 0);
    return "";
  }
  uint64_t read(const std::string& global, const std::string& path = "") {
    const GlobalVar* g = ops->object().global(global);
    std::span<const uint8_t> bytes(ops->object().global_data(global), g->size);
    return layered::read_u64(ops->object().btf(), g->btf_type_id, bytes, path).value_or(~0ull);
  }
  std::vector<uint64_t> seen(const std::string& global, int n) {
    std::vector<uint64_t> out;
    for (int i = 0; i < n; ++i) out.push_back(read(global, "[" + std::to_string(i) + "]"));
    return out;
  }
  uint64_t cgid(const char* path) { return sim.kernel->cgroups().find(path)->id(); }
};

using V = std::vector<uint64_t>;

// Cells 1 /p/a, 2 /p/b. Targets 3, 3, 2 (1 + 5/3 → 2 each, the two left to cells 0 and 1);
// /p/b owns CPU 7; CPUs 0-6 go to cells 0 and 1 by deficit 3, 3: 3.5 each, the one left to
// cell 0: 0-3 (0x0f), 4-6 (0x70), 7 (0x80). /p/c at 300 ms is seen at the 1 s pass: cell 3,
// targets 2 each, 0-6 by deficit 2, 2, 2 → 3, 2, 2: 0x07, 0x18, 0x80, 0x60. Then /p/b's cpuset
// becomes 6-7 and cpuset_seq moves (scx_mitosis's fentry/cpuset_write_resmask): at the 2 s
// pass 0-5 go 2, 2, 2: 0x03, 0x0c, 0xc0, 0x30, and applied_cpuset_seq follows.
TEST(MitosisProcess, WritesCellConfigAfterAttachAndOnChanges) {
  CellsRun r;
  ASSERT_EQ(r.load({"cell-parent-cgroup=/p"}), "");
  ASSERT_NE(r.ops->usersched(), nullptr);
  EXPECT_EQ(r.ops->usersched()->name(), "mitosis");
  ASSERT_TRUE(r.sim.kernel->run_until(300 * kNsPerMs).ok());
  EXPECT_EQ(r.read("applies"), 1u);
  EXPECT_EQ(r.read("seen_num_cells"), 3u);
  EXPECT_EQ(r.read("seen_num_assignments"), 2u);
  EXPECT_EQ(r.seen("seen_cgid", 3), (V{r.cgid("/p/a"), r.cgid("/p/b"), 0}));
  EXPECT_EQ(r.seen("seen_cell_id", 3), (V{1, 2, 0}));
  EXPECT_EQ(r.seen("seen_mask", 4), (V{0x0f, 0x70, 0x80, 0}));
  EXPECT_EQ(r.seen("seen_borrowable", 3), (V{0, 0, 0}));
  ASSERT_TRUE(r.sim.kernel->make_cgroup("/p/c").ok());
  ASSERT_TRUE(r.sim.kernel->run_until(900 * kNsPerMs).ok());
  EXPECT_EQ(r.read("applies"), 1u);  // seen at the next pass, not at once (no inotify)
  ASSERT_TRUE(r.sim.kernel->run_until(1100 * kNsPerMs).ok());
  EXPECT_EQ(r.read("applies"), 2u);
  EXPECT_EQ(r.read("seen_num_cells"), 4u);
  EXPECT_EQ(r.seen("seen_cgid", 3), (V{r.cgid("/p/a"), r.cgid("/p/b"), r.cgid("/p/c")}));
  EXPECT_EQ(r.seen("seen_mask", 4), (V{0x07, 0x18, 0x80, 0x60}));
  ASSERT_TRUE(r.sim.kernel->write_cgroup_file(*r.sim.kernel->cgroups().find("/p/b"), "cpuset.cpus", "6-7").ok());
  *reinterpret_cast<uint32_t*>(r.ops->object().global_data("cpuset_seq")) = 1;
  ASSERT_TRUE(r.sim.kernel->run_until(2100 * kNsPerMs).ok());
  EXPECT_EQ(r.read("applies"), 3u);
  EXPECT_EQ(r.seen("seen_mask", 4), (V{0x03, 0x0c, 0xc0, 0x30}));
  EXPECT_EQ(r.read("applied_cpuset_seq"), 1u);
  EXPECT_TRUE(r.sim.ext->enabled());
}

// --enable-borrowing: each cell may borrow the CPUs it does not own, within its cpuset (/p/b's
// is its own CPU 7: nothing). A non-zero return of apply_cell_config stops the scheduler with
// the real user space's message.
TEST(MitosisProcess, BorrowableMasksAndAFailingApply) {
  CellsRun r;
  ASSERT_EQ(r.load({"cell-parent-cgroup=/p", "enable-borrowing"}), "");
  ASSERT_TRUE(r.sim.kernel->run_until(100 * kNsPerMs).ok());
  EXPECT_EQ(r.seen("seen_borrowable", 4), (V{0xf0, 0x8f, 0x00, 0}));
  CellsRun bad;
  ASSERT_EQ(bad.load({"cell-parent-cgroup=/p"}, {{"apply_return", "-22"}}), "");
  ASSERT_TRUE(bad.sim.kernel->run_until(100 * kNsPerMs).ok());
  ASSERT_TRUE(bad.sim.ext->exit_info().has_value());
  EXPECT_NE(bad.sim.ext->exit_info()->msg.find("apply_cell_config BPF program returned error -22 (num_assignments=2, num_cells=3)"),
            std::string::npos)
      << bad.sim.ext->exit_info()->msg;
}

// Bad input: no path, or a malformed one, is a one-line load error.
TEST(MitosisProcess, BadCellParentIsALoadError) {
  CellsRun r;
  std::string err = r.load({"cell-parent-cgroup"});
  EXPECT_NE(err.find("needs a value (--sched-opt cell-parent-cgroup=PATH)"), std::string::npos) << err;
  CellsRun r2;
  err = r2.load({"cell-parent-cgroup=p/a"});
  EXPECT_NE(err.find("cell parent cgroup"), std::string::npos) << err;
}

}  // namespace
}  // namespace scx::bpf::mitosis
