// The cells of a sweep: their order, ids that depend only on each cell's own settings, the
// shards that split them and the command that reproduces one.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "sweep/cells.h"
#include "sweep/spec.h"
#include "temp_file.h"

namespace scx::sweep {
namespace {

std::vector<Cell> cells_of(const std::string& name, const std::string& text) {
  auto spec = read_sweep_file(testing::write_test_file(name, text));
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  auto cells = enumerate_cells(*spec);
  EXPECT_TRUE(cells.ok()) << cells.status().message();
  return cells.ok() ? *cells : std::vector<Cell>{};
}

// "workload topology variant seed" of every cell.
std::vector<std::string> layout(const std::vector<Cell>& cells) {
  std::vector<std::string> out;
  for (const Cell& c : cells) out.push_back(c.workload + " " + c.topology + " " + c.variant + " " + std::to_string(c.seed));
  return out;
}

TEST(SweepCells, OrderIsWorkloadTopologyVariantSeed) {
  const auto cells = cells_of("s.json", R"({"schedulers": ["eevdf", "vtime"], "variants": ["rtp0:--fair=RUN_TO_PARITY=0"],
      "workloads": ["demo", "pingpong:pairs=2"], "topologies": ["laptop", "2"], "seeds": [5, 3]})");
  ASSERT_EQ(cells.size(), 2u * 2 * 3 * 2);  // workloads x topologies x (2 schedulers + 1 variant) x seeds
  const std::vector<std::string> first{"demo laptop eevdf 5", "demo laptop eevdf 3", "demo laptop vtime 5",
                                       "demo laptop vtime 3", "demo laptop rtp0 5",  "demo laptop rtp0 3",
                                       "demo 2 eevdf 5"};
  const std::vector<std::string> all = layout(cells);
  EXPECT_EQ(std::vector<std::string>(all.begin(), all.begin() + 7), first);
  EXPECT_EQ(all.back(), "pingpong:pairs=2 2 rtp0 3");
  EXPECT_EQ(variant_names(cells), (std::vector<std::string>{"eevdf", "vtime", "rtp0"}));
  // The variant's settings come on top of the common ones, as in compare.
  EXPECT_EQ(cells[4].run.fair, std::vector<std::string>{"RUN_TO_PARITY=0"});
  EXPECT_EQ(cells[4].run.sched, "eevdf");
}

// Ids hash only the cell's own settings: the same file gives the same ids, and appending
// values to any axis (or reordering them) leaves the existing cells' ids alone.
TEST(SweepCells, IdsSurviveAppendedAxisValues) {
  const auto small = cells_of("small.json", R"({"schedulers": ["eevdf"], "workloads": ["demo"], "seeds": 2, "duration": "20ms"})");
  const auto again = cells_of("again.json", R"({"schedulers": ["eevdf"], "workloads": ["demo"], "seeds": 2, "duration": "20ms"})");
  const auto big = cells_of("big.json", R"({"schedulers": ["vtime", "eevdf"], "workloads": ["pingpong:pairs=2", "demo"],
      "topologies": ["2", "laptop"], "seeds": 3, "duration": "20ms"})");
  ASSERT_EQ(small.size(), 2u);
  ASSERT_EQ(big.size(), 24u);
  std::map<std::string, std::string> id_of;  // layout -> id in the big sweep
  std::set<std::string> ids;
  for (const Cell& c : big) {
    id_of[layout({c})[0]] = c.id;
    ids.insert(c.id);
  }
  EXPECT_EQ(ids.size(), big.size());  // no two cells share an id
  for (size_t i = 0; i < small.size(); ++i) {
    EXPECT_EQ(small[i].id, again[i].id);
    EXPECT_EQ(small[i].id, id_of[layout({small[i]})[0]]) << layout({small[i]})[0];
  }
  // Any setting of the cell changes its id: here the duration.
  const auto longer = cells_of("longer.json", R"({"schedulers": ["eevdf"], "workloads": ["demo"], "seeds": 2, "duration": "30ms"})");
  EXPECT_NE(longer[0].id, small[0].id);
}

// Shard I of N takes cells I-1, I-1+N, ...: 12 cells in 5 shards are {0,5,10} {1,6,11} {2,7} {3,8}
// {4,9}; every shard count covers each cell exactly once.
TEST(SweepCells, ShardsPartitionTheCells) {
  const auto cells = cells_of("s.json", R"({"schedulers": ["eevdf", "vtime"], "workloads": ["demo", "pingpong:pairs=2"], "seeds": 3})");
  ASSERT_EQ(cells.size(), 12u);
  auto indices = [&](size_t i, size_t n) {
    std::vector<size_t> out;
    for (const Cell& c : cells_of_shard(cells, {i, n})) out.push_back(c.index);
    return out;
  };
  EXPECT_EQ(indices(1, 5), (std::vector<size_t>{0, 5, 10}));
  EXPECT_EQ(indices(2, 5), (std::vector<size_t>{1, 6, 11}));
  EXPECT_EQ(indices(5, 5), (std::vector<size_t>{4, 9}));
  for (size_t n = 1; n <= 14; ++n) {
    std::multiset<size_t> seen;
    for (size_t i = 1; i <= n; ++i)
      for (size_t k : indices(i, n)) seen.insert(k);
    EXPECT_EQ(seen.size(), cells.size()) << n;
    EXPECT_EQ(std::set<size_t>(seen.begin(), seen.end()).size(), cells.size()) << n;
  }
}

TEST(SweepCells, ShardSyntax) {
  auto shard = parse_shard("3/8");
  ASSERT_TRUE(shard.ok());
  EXPECT_EQ(shard->index, 3u);
  EXPECT_EQ(shard->count, 8u);
  EXPECT_EQ(parse_shard("0/3").status().message(), "--shard: expected I/N with 1 <= I <= N, got '0/3'");
  EXPECT_EQ(parse_shard("4/3").status().message(), "--shard: expected I/N with 1 <= I <= N, got '4/3'");
  EXPECT_EQ(parse_shard("1/0").status().message(), "--shard: expected I/N with 1 <= I <= N, got '1/0'");
  EXPECT_EQ(parse_shard("a/b").status().message(), "--shard: expected I/N with 1 <= I <= N, got 'a/b'");
  EXPECT_EQ(parse_shard("3").status().message(), "--shard: expected I/N (e.g. 3/8), got '3'");
}

TEST(SweepCells, RunCommandSpellsEveryRunOption) {
  const auto cells = cells_of("s.json", R"({"schedulers": ["vtime"], "variants": ["slow:--cost=context_switch=3us"],
      "workloads": ["pingpong:pairs=2"], "topologies": ["nodes=1,llcs=2,cores=2"], "seeds": [7], "duration": "20ms",
      "noise": ["off"]})");
  ASSERT_EQ(cells.size(), 2u);
  EXPECT_EQ(run_command(cells[1]),
            "scxsim run --workload pingpong:pairs=2 --topology nodes=1,llcs=2,cores=2 --duration 20ms --seed 7 "
            "--sched vtime --kernel 6.18 --cost-profile default --cost context_switch=3us --noise off --fingerprint");
  EXPECT_EQ(describe(cells[1]), cells[1].id + "  workload=pingpong:pairs=2 topology=nodes=1,llcs=2,cores=2 variant=slow seed=7");
}

// A BPF object named relative to the sweep file is found there, wherever scxsim runs; the id and
// the report keep the file's spelling, the run and its command take the resolved path.
TEST(SweepCells, RelativePathsResolveAgainstTheSweepFile) {
  const std::filesystem::path dir = testing::test_temp_path("dir");
  std::filesystem::create_directories(dir / "objs");
  std::filesystem::copy_file(std::string(SCXSIM_BINARY_DIR) + "/bpf/schedulers/simple.bpf.o", dir / "objs/simple.bpf.o",
                             std::filesystem::copy_options::overwrite_existing);
  const std::string text = R"({"schedulers": ["eevdf", "objs/simple.bpf.o"],
      "variants": ["fifo:--sched=objs/simple.bpf.o --set fifo_sched=1"], "workloads": ["demo"], "seeds": 1})";
  std::ofstream((dir / "sweep.json").string()) << text;
  auto spec = read_sweep_file((dir / "sweep.json").string());
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  auto cells = enumerate_cells(*spec);
  ASSERT_TRUE(cells.ok()) << cells.status().message();
  ASSERT_EQ(cells->size(), 3u);
  EXPECT_EQ((*cells)[1].variant, "simple");
  EXPECT_EQ((*cells)[1].as_written.sched, "objs/simple.bpf.o");
  EXPECT_EQ((*cells)[1].run.sched, (dir / "objs/simple.bpf.o").string());
  EXPECT_EQ((*cells)[2].run.sched, (dir / "objs/simple.bpf.o").string());
  EXPECT_EQ((*cells)[2].run.bpf_globals, std::vector<std::string>{"fifo_sched=1"});
  EXPECT_NE(run_command((*cells)[2]).find(" --sched " + (dir / "objs/simple.bpf.o").string() + " "), std::string::npos);
  // Resolved against the working directory instead, the object would not be found.
  EXPECT_FALSE(std::filesystem::exists("objs/simple.bpf.o"));
}

}  // namespace
}  // namespace scx::sweep
