// Bundled workloads and, when installed, rt-app's own examples.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <gtest/gtest.h>

#include "dump.h"
#include "workload/rtapp.h"

namespace scx {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> json_files(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".json") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(BundledWorkloads, AllParse) {
  std::vector<fs::path> files = json_files(fs::path(SCXSIM_SOURCE_DIR) / "workloads");
  ASSERT_GE(files.size(), 6u);
  RtAppOptions opt;
  opt.nr_cpus = 4;  // every bundled workload fits a 4-CPU machine
  for (const fs::path& f : files) {
    SCOPED_TRACE(f.string());
    auto r = parse_rtapp_file(f.string(), opt);
    ASSERT_TRUE(r.ok()) << r.status().message();
    const Workload& w = *r;
    EXPECT_EQ(w.name, f.stem().string());
    EXPECT_FALSE(rtapp_description(read(f)).empty()) << "no /* description */ on the first line";
    EXPECT_GT(w.duration, 0u);
    // workloads/validation/ (scxsim validate) runs 10 s; the others 2 s.
    EXPECT_LE(w.duration, (f.parent_path().filename() == "validation" ? 10 : 2) * kNsPerSec);
    int threads = 0;
    for (const TaskSpec& t : w.tasks) threads += t.instances;
    EXPECT_GT(threads, 0);
    EXPECT_LE(threads, 64);
    for (const Program& p : w.programs) EXPECT_TRUE(testing::loops_paired(p));
  }
}

TEST(BundledWorkloads, Descriptions) {
  fs::path dir = fs::path(SCXSIM_SOURCE_DIR) / "workloads";
  EXPECT_EQ(rtapp_description(read(dir / "rt-mix.json")),
            "RT mix: SCHED_FIFO and SCHED_RR periodic tasks at several priorities preempting fair "
            "CPU hogs.");
}

TEST(BundledWorkloads, PipelineShape) {
  auto r = parse_rtapp_file(std::string(SCXSIM_SOURCE_DIR) + "/workloads/pipeline.json");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(
      testing::dump(*r, 1),
      "Loop(-1) Lock(q_parse) CondWait(item_ready,q_parse) Unlock(q_parse) Run(600us) "
      "Lock(q_work) CondBroadcast(parsed) Unlock(q_work) PhaseEnd(0) Mark(loops,1) EndLoop Exit");
}

// rt-app's examples: each must compile, or fail for a reason we refuse on purpose.
void check_examples(const fs::path& dir) {
  const char* kAccepted[] = {
      "duplicate key",  // relies on json-c dropping repeated keys
      "SCHED_DEADLINE is not supported yet",
      "missing 'tasks'",  // fragments for doc/merge.py
      "memrun is not supported",
      "syntax error",  // e.g. `"suspend",` without a value: json-c refuses it too
  };
  int parsed = 0;
  for (const fs::path& f : json_files(dir)) {
    // Inputs of doc/merge.py in an older format, not rt-app files.
    if (f.parent_path().filename() == "merge" || f.filename() == "taskset.json") continue;
    auto r = parse_rtapp_file(f.string());
    if (r.ok()) {
      ++parsed;
      for (const Program& p : r->programs) EXPECT_TRUE(testing::loops_paired(p)) << f;
      continue;
    }
    bool expected = false;
    for (const char* reason : kAccepted)
      expected |= r.status().message().find(reason) != std::string::npos;
    EXPECT_TRUE(expected) << r.status().message();
    std::cout << "  refused: " << r.status().message() << "\n";
  }
  EXPECT_GT(parsed, 0);
}

TEST(RtAppExamples, InstalledExamples) {
  fs::path dir = "/usr/share/doc/rt-app/examples";
  if (const char* env = std::getenv("SCXSIM_RTAPP_EXAMPLES")) dir = env;
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir << " not found (install rt-app)";
  check_examples(dir);
}

}  // namespace
}  // namespace scx
