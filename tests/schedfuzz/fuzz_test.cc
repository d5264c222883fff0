// The fuzz loop: it finds the planted stall of nice_stall.bpf.o (nice-5 tasks never run) and
// shrinks it to a reproducer the printed command replays; a correct scheduler gives nothing.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "schedfuzz/fuzz.h"
#include "run_command.h"
#include "temp_file.h"

namespace scx::fuzz {
namespace {

const std::string kScxsim = std::string(SCXSIM_BINARY_DIR) + "/src/cli/scxsim";
const std::string kNiceStall = std::string(SCXSIM_SCHEDFUZZ_SUBJECTS) + "/nice_stall.bpf.o";

FuzzOptions options_for(const std::string& sched, const std::string& dir) {
  FuzzOptions o;
  o.base.sched = sched;
  o.out_dir = testing::test_temp_path(dir);
  std::filesystem::create_directories(o.out_dir);
  o.program = kScxsim;
  return o;
}

// The "done when" of the feature: found within 60 s, at most 3 tasks, and the printed command
// shows the same stall. The minimal file keeps the trigger, a nice-5 task.
TEST(Fuzz, FindsThePlantedStallAndPrintsAReproducer) {
  FuzzOptions o = options_for(kNiceStall, "stall");
  o.budget = 60 * kNsPerSec;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_fuzz(o);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_TRUE(r->finding.has_value()) << format_fuzz_summary(*r);
  const FuzzFinding& f = *r->finding;
  EXPECT_LT(wall, 60.0);
  EXPECT_EQ(f.outcome.kind, FailureKind::kStall) << f.outcome.detail;
  EXPECT_LE(scenario_task_count(f.minimal), 3) << scenario_json_text(f.minimal);
  EXPECT_EQ(r->tried, f.index + 1);
  EXPECT_EQ(r->by_kind[static_cast<size_t>(FailureKind::kStall)], 1u);
  EXPECT_NE(testing::read_test_file(f.repro_path).find("\"priority\": 5"), std::string::npos)
      << testing::read_test_file(f.repro_path);
  EXPECT_EQ(testing::read_test_file(f.repro_path), scenario_json_text(f.minimal));
  const testing::CommandResult replay = testing::run_command(f.command);
  EXPECT_EQ(replay.code, 0) << f.command << "\n" << replay.err;
  EXPECT_NE(replay.out.find("runnable task stall"), std::string::npos) << f.command << "\n" << replay.out;
  EXPECT_NE(format_fuzz_summary(*r).find(f.command), std::string::npos);
}

// Same seed, same scenarios, same finding.
TEST(Fuzz, SameSeedSameFinding) {
  FuzzOptions a = options_for(kNiceStall, "a");
  FuzzOptions b = options_for(kNiceStall, "b");
  a.seed = b.seed = 5;
  auto ra = run_fuzz(a);
  auto rb = run_fuzz(b);
  ASSERT_TRUE(ra.ok() && rb.ok());
  ASSERT_TRUE(ra->finding && rb->finding);
  EXPECT_EQ(ra->finding->index, rb->finding->index);
  EXPECT_EQ(scenario_json_text(ra->finding->minimal), scenario_json_text(rb->finding->minimal));
  EXPECT_EQ(ra->finding->minimal.seed, rb->finding->minimal.seed);
  EXPECT_EQ(ra->finding->minimal.topology, rb->finding->minimal.topology);
}

// Correct schedulers: a native policy and a BPF one run their scenarios without a failure.
TEST(Fuzz, ACorrectSchedulerGivesNoFailure) {
  for (const std::string& sched : {std::string("vtime"), std::string(SCXSIM_BPF_SCHEDULERS) + "/simple.bpf.o"}) {
    FuzzOptions o = options_for(sched, "ok");
    o.max_scenarios = 25;
    auto r = run_fuzz(o);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_FALSE(r->finding.has_value()) << sched << "\n" << format_fuzz_summary(*r);
    EXPECT_EQ(r->tried, 25u);
    EXPECT_EQ(r->by_kind[static_cast<size_t>(FailureKind::kNone)], 25u);
  }
}

TEST(Fuzz, CommandLineExitCodes) {
  const std::string out = testing::test_temp_path("cli");
  const testing::CommandResult found = testing::run_command(kScxsim + " fuzz --sched " + kNiceStall + " --out " + out);
  EXPECT_EQ(found.code, 3) << found.err;
  EXPECT_NE(found.out.find("reproduce with:"), std::string::npos) << found.out;
  EXPECT_TRUE(std::filesystem::exists(out + "/repro.json"));
  const testing::CommandResult none = testing::run_command(kScxsim + " fuzz --sched vtime --scenarios 3 --out " + out);
  EXPECT_EQ(none.code, 0) << none.err;
  EXPECT_NE(none.out.find("no failure found"), std::string::npos) << none.out;
  const testing::CommandResult bad = testing::run_command(kScxsim + " fuzz --sched vtime --budget 10");
  EXPECT_EQ(bad.code, 2) << bad.err;
  EXPECT_EQ(bad.err, "scxsim: --budget: '10' needs a unit (ns, us, ms, s)\n");
  EXPECT_EQ(bad.out, "");
  const testing::CommandResult no_sched = testing::run_command(kScxsim + " fuzz --sched nosuch");
  EXPECT_EQ(no_sched.code, 2) << no_sched.err;
}

// The reproducer's words are quoted for the shell where they need it.
TEST(Fuzz, ReproducerQuotesSettings) {
  FuzzOptions o;
  o.program = "scxsim";
  o.base.sched = "x.bpf.o";
  o.base.bpf_globals = {"slice_ns=5000"};
  o.base.cgroup = "/box:cpu.max=50000 100000";
  FuzzScenario s;
  s.topology = "nodes=1,llcs=2,cores=2,smt=2";
  s.seed = 3;
  s.duration = 1500 * kNsPerMs;
  EXPECT_EQ(reproducer_command(o, s, "/tmp/r.json"),
            "scxsim run -w /tmp/r.json --sched x.bpf.o --topology nodes=1,llcs=2,cores=2,smt=2 --seed 3 "
            "--duration 1.5s --set slice_ns=5000 --cgroup '/box:cpu.max=50000 100000' --check");
}

}  // namespace
}  // namespace scx::fuzz
