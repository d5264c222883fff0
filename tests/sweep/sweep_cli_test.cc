// `scxsim sweep` end to end: shards merge to the same bytes whatever their count and order,
// the merge gives compare's own tables, re-runs resume, and merge names missing, duplicate and
// foreign results.
#include <filesystem>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "run_command.h"
#include "temp_file.h"

namespace scx {
namespace {

using testing::scxsim;
namespace fs = std::filesystem;

// 2 workloads x 2 topologies x 3 variants x 2 seeds = 24 cells of 20 ms.
constexpr const char* kSweep = R"({
  "schedulers": ["eevdf", "vtime"],
  "variants": ["rtp0:--fair=RUN_TO_PARITY=0"],
  "workloads": ["demo", "pingpong:pairs=2"],
  "topologies": ["laptop", "2"],
  "seeds": 2,
  "duration": "20ms"
})";

std::string fresh_dir(const std::string& name) {
  const std::string dir = testing::test_temp_path(name);
  fs::remove_all(dir);
  return dir;
}

// File name -> content of every result in `dir`.
std::map<std::string, std::string> results_in(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().starts_with("cell-")) out[e.path().filename().string()] = testing::read_test_file(e.path());
  return out;
}

class SweepCli : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = testing::write_test_file("sweep.json", kSweep);
    whole_ = fresh_dir("whole");
    const auto o = scxsim("sweep " + file_ + " --out " + whole_ + " --jobs 2");
    ASSERT_EQ(o.code, 0) << o.err;
    ASSERT_EQ(o.err, "sweep: shard 1/1: ran 24 cells, skipped 0 with results in " + whole_ + " (24 cells in the sweep)\n");
  }
  std::string merge(const std::string& args) {
    const auto o = scxsim("sweep merge " + args);
    EXPECT_EQ(o.code, 0) << o.err;
    return o.out;
  }
  std::string file_, whole_;
};

// Seven shards run in a shuffled order, into one directory and into seven, give the same result
// files and the same merged tables as the single run.
TEST_F(SweepCli, ShardCountAndOrderDoNotChangeResults) {
  const std::string one_dir = fresh_dir("shards-in-one");
  std::string seven_dirs;
  for (int i : {7, 3, 5, 1, 2, 6, 4}) {
    ASSERT_EQ(scxsim("sweep " + file_ + " --shard " + std::to_string(i) + "/7 --out " + one_dir + " --jobs 1").code, 0);
    const std::string dir = fresh_dir("shard" + std::to_string(i));
    ASSERT_EQ(scxsim("sweep " + file_ + " --shard " + std::to_string(i) + "/7 --out " + dir).code, 0);
  }
  for (int i = 1; i <= 7; ++i) seven_dirs += " " + testing::test_temp_path("shard" + std::to_string(i));
  EXPECT_EQ(results_in(one_dir), results_in(whole_));
  EXPECT_EQ(results_in(one_dir).size(), 24u);
  for (const char* format : {"", " --json", " --csv"}) {
    const std::string reference = merge(whole_ + format);
    EXPECT_EQ(merge(one_dir + format), reference) << format;
    EXPECT_EQ(merge(seven_dirs + format), reference) << format;
  }
}

// A group of the merge is exactly `compare` run with the same settings.
TEST_F(SweepCli, MergeGivesComparesTables) {
  const auto merged = nlohmann::json::parse(merge(whole_ + " --json"));
  ASSERT_EQ(merged["groups"].size(), 4u);
  EXPECT_EQ(merged["groups"][3]["workload"], "pingpong:pairs=2");
  EXPECT_EQ(merged["groups"][3]["topology"], "2");
  const auto cmp = scxsim("compare --sched eevdf,vtime --variant rtp0:--fair=RUN_TO_PARITY=0 --workload pingpong:pairs=2 "
                          "--topology 2 --seeds 2 --duration 20ms --json");
  ASSERT_EQ(cmp.code, 0) << cmp.err;
  EXPECT_EQ(merged["groups"][3]["comparison"], nlohmann::json::parse(cmp.out));
  const std::string text = merge(whole_);
  EXPECT_NE(text.find("scxsim compare: workload pingpong:pairs=2 on 2 [1 node, 1 LLC, 2 cores, 2 CPUs], 20ms simulated, "
                      "kernel 6.18\n"), std::string::npos);
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "scxsim sweep merge: " + fs::path(file_).filename().string() + " (hash " +
                merged["sweep_hash"].get<std::string>() + "), 24 cells, 4 workload x topology groups");
}

// Each result names the command that reproduces its run: same fingerprint.
TEST_F(SweepCli, ResultCommandReproducesTheRun) {
  const auto results = results_in(whole_);
  const auto r = nlohmann::json::parse(results.begin()->second);
  const std::string command = r["command"];
  ASSERT_TRUE(command.starts_with("scxsim run "));
  const auto rerun = scxsim(command.substr(7));
  ASSERT_EQ(rerun.code, 0) << rerun.err;
  EXPECT_NE(rerun.out.find("fingerprint " + r["fingerprint"].get<std::string>() + "\n"), std::string::npos) << command;
  EXPECT_EQ(r["fingerprint"].get<std::string>().size(), 16u);
}

TEST_F(SweepCli, RerunsSkipExistingResults) {
  const auto before = results_in(whole_);
  auto o = scxsim("sweep " + file_ + " --out " + whole_);
  EXPECT_EQ(o.err, "sweep: shard 1/1: ran 0 cells, skipped 24 with results in " + whole_ + " (24 cells in the sweep)\n");
  const auto time_before = fs::last_write_time(whole_ + "/" + before.begin()->first);
  fs::remove(whole_ + "/" + std::next(before.begin())->first);
  fs::remove(whole_ + "/" + before.rbegin()->first);
  o = scxsim("sweep " + file_ + " --out " + whole_ + " --shard 1/1");
  EXPECT_EQ(o.err, "sweep: shard 1/1: ran 2 cells, skipped 22 with results in " + whole_ + " (24 cells in the sweep)\n");
  EXPECT_EQ(results_in(whole_), before);
  EXPECT_EQ(fs::last_write_time(whole_ + "/" + before.begin()->first), time_before);  // not rewritten
  for (const auto& e : fs::directory_iterator(whole_)) EXPECT_FALSE(e.path().string().find(".tmp.") != std::string::npos);
}

TEST_F(SweepCli, MergeNamesMissingAndDuplicateCells) {
  // Shard 1 of 7 holds cells 0, 7, 14 and 21: cell 0 is demo on laptop, eevdf seed 1.
  const std::string shard = fresh_dir("shard1");
  ASSERT_EQ(scxsim("sweep " + file_ + " --shard 1/7 --out " + shard).code, 0);
  const auto list = scxsim("sweep " + file_ + " --list --shard 1/7");
  const std::string id0 = list.out.substr(0, 16);
  EXPECT_EQ(list.out.substr(16, list.out.find('\n') - 16), "  workload=demo topology=laptop variant=eevdf seed=1");
  auto o = scxsim("sweep merge " + whole_ + " " + shard);
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(o.err.starts_with("scxsim: merge: 4 duplicate cell(s): " + id0 + " in " + whole_ + "/cell-" + id0 +
                                ".json and " + shard + "/cell-" + id0 + ".json; ")) << o.err;
  o = scxsim("sweep merge " + shard);
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(o.err.starts_with("scxsim: merge: 20 of 24 cells missing: ")) << o.err;
  EXPECT_TRUE(o.err.ends_with("; and 15 more\n")) << o.err;
  fs::remove(whole_ + "/cell-" + id0 + ".json");
  o = scxsim("sweep merge " + whole_);
  EXPECT_EQ(o.err, "scxsim: merge: 1 of 24 cells missing: " + id0 + " (demo on laptop, eevdf seed 1)\n");
  EXPECT_EQ(o.out, "");
}

// A changed sweep file is another sweep: its runs do not go into this one's directory, and
// results of the two do not merge.
TEST_F(SweepCli, ResultsOfAnotherSweepFileAreRefused) {
  const std::string other = testing::write_test_file("other.json", std::string(kSweep) + "\n");
  auto o = scxsim("sweep " + other + " --out " + whole_);
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(o.err.starts_with("scxsim: " + whole_ + ": holds results of another sweep file (")) << o.err;
  const std::string other_dir = fresh_dir("other");
  ASSERT_EQ(scxsim("sweep " + other + " --shard 2/2 --out " + other_dir).code, 0);
  o = scxsim("sweep merge " + whole_ + " " + other_dir);
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(o.err.starts_with("scxsim: " + other_dir + ": results of another sweep file (" +
                                fs::path(other).filename().string() + " hash ")) << o.err;
  // A foreign result copied into the directory is named.
  const auto foreign = results_in(other_dir).begin()->first;
  fs::copy_file(other_dir + "/" + foreign, whole_ + "/" + foreign, fs::copy_options::overwrite_existing);
  o = scxsim("sweep merge " + whole_);
  EXPECT_TRUE(o.err.starts_with("scxsim: " + whole_ + "/" + foreign + ": is a result of another sweep file (hash "))
      << o.err;
}

TEST_F(SweepCli, HtmlIndexLinksOnePagePerGroup) {
  const std::string html = testing::test_temp_path("report.html");
  merge(whole_ + " --html " + html);
  const std::string index = testing::read_test_file(html);
  for (const char* page : {"report.demo.laptop.html", "report.demo.2.html", "report.pingpong_pairs_2.laptop.html",
                           "report.pingpong_pairs_2.2.html"}) {
    const std::string name = fs::path(testing::test_temp_path(page)).filename().string();
    EXPECT_NE(index.find("<a href=\"" + name + "\">"), std::string::npos) << page;
    EXPECT_TRUE(fs::exists(testing::test_temp_path(page))) << page;
  }
}

TEST_F(SweepCli, UsageErrors) {
  auto o = scxsim("sweep merge " + whole_ + " --json --csv");
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "scxsim: sweep merge: choose one of --json and --csv\n");
  o = scxsim("sweep " + file_);
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "scxsim: sweep: --out DIR is required to run (or --list)\n");
  o = scxsim("sweep " + file_ + " --shard 8/7 --out " + whole_);
  EXPECT_EQ(o.err, "scxsim: --shard: expected I/N with 1 <= I <= N, got '8/7'\n");
  o = scxsim("sweep merge " + whole_ + "-nowhere");
  EXPECT_EQ(o.err, "scxsim: " + whole_ + "-nowhere: no such directory\n");
}

}  // namespace
}  // namespace scx
