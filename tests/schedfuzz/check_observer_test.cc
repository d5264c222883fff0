// --check observes: the same schedule with and without it, and a BPF scheduler's stall is the
// watchdog's business (the scheduler is ejected and the run goes on under fair), not an error.
#include <gtest/gtest.h>

#include "cli/runner.h"
#include "temp_file.h"

namespace scx {
namespace {

const std::string kNiceStall = std::string(SCXSIM_SCHEDFUZZ_SUBJECTS) + "/nice_stall.bpf.o";

RunOptions fingerprinted(const std::string& sched, const std::string& workload, const std::string& topology,
                         Ns duration) {
  RunOptions o;
  o.sched = sched;
  o.workload = workload;
  o.topology = topology;
  o.duration = duration;
  o.fingerprint = true;
  return o;
}

std::string fingerprint_of(RunOptions o, bool check) {
  o.check = check;
  auto r = run_simulation(o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r->report.info.fingerprint.value_or("") : std::string();
}

TEST(CheckObserver, SameFingerprintWithAndWithoutCheck) {
  const std::string hog5 = testing::write_test_file(
      "hog5.json", R"({"tasks": {"a": {"priority": 5, "phases": {"p": {"run": 3000, "sleep": 1000}}},
                                 "b": {"instance": 2, "phases": {"p": {"run": 5000}}}}})");
  for (const RunOptions& o : {fingerprinted("eevdf", "pinned-mix", "4", kNsPerSec),
                              fingerprinted("vtime", "fork-churn", "4", kNsPerSec),
                              fingerprinted("eevdf", "hackbench:groups=1,fds=2,loops=10", "4", kNsPerSec),
                              fingerprinted(kNiceStall, hog5, "2", kNsPerSec)}) {
    const std::string plain = fingerprint_of(o, false);
    EXPECT_FALSE(plain.empty());
    EXPECT_EQ(plain, fingerprint_of(o, true)) << o.sched << " " << o.workload;
  }
}

// One nice-5 hog on one CPU under nice_stall.bpf.o (timeout_ms 500): it never runs, the
// watchdog ejects the scheduler at 750 ms (the check runs every timeout/2 = 250 ms and fires
// once the task has waited longer than 500 ms: at 750 ms it has waited ~748 ms), and --check
// lets the run end normally with the hog running under fair for the rest of the second.
TEST(CheckObserver, AStallIsTheWatchdogsBusiness) {
  const std::string hog5 =
      testing::write_test_file("hog5.json", R"({"tasks": {"a": {"priority": 5, "phases": {"p": {"run": 10000}}}}})");
  RunOptions o = fingerprinted(kNiceStall, hog5, "1", kNsPerSec);
  o.check = true;
  auto r = run_simulation(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->report.info.scheduler_ejected.rfind("at 0.750000s: runnable task stall", 0), 0u)
      << r->report.info.scheduler_ejected;
  Ns hog_time = 0;
  for (const TaskMetrics& t : r->metrics->tasks())
    if (t.comm == "a") hog_time = t.cpu_time;
  // Bounds, not exact: the 250 ms after the ejection less the switch's costs.
  EXPECT_GT(hog_time, 240 * kNsPerMs);
  EXPECT_LE(hog_time, 250 * kNsPerMs);
}

// A task that leaves its CPU by changing its own affinity is queued there, outside the new
// mask, until the stopper already queued on that CPU moves it. Found by `scxsim fuzz --sched
// eevdf` (shrunk): at t=107 ms the check fell between the affinity change and the stopper's
// migration at that same nanosecond, and --check stopped a correct run.
TEST(CheckObserver, AMoveDueToTheStopperIsNoInvariantBreak) {
  const std::string wl = testing::write_test_file(
      "hop.json", R"({"tasks": {"t1": {"instance": 3, "phases": {"p0": {"run": 14261, "cpus": [0, 2, 3, 4]},
                                                                "p2": {"sleep": 67, "cpus": [0, 1, 2]}}}}})");
  RunOptions o = fingerprinted("eevdf", wl, "5", 125 * kNsPerMs);
  o.seed = 353730;
  o.check = true;
  auto r = run_simulation(o);
  EXPECT_TRUE(r.ok()) << r.status().message();
}

}  // namespace
}  // namespace scx
