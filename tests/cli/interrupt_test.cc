// Ctrl-C during `scxsim run`, `compare` and `validate`: runs stop at the next simulated
// millisecond, the report covers what was simulated, a `partial:` line says so, exit 130; when
// no signal comes, the stepped run is the straight run.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "cli/compare.h"
#include "cli/runner.h"
#include "temp_file.h"

namespace scx {
namespace {

// Raises the interrupt flag at the first event at or after `at`, as the signal handler would,
// and remembers that event's time.
class InterruptAt : public TraceSink {
 public:
  InterruptAt(Ns at, std::atomic<bool>* flag) : at_(at), flag_(flag) {}
  void on_event(const TraceEvent& e) override {
    if (e.time < at_ || raised_at_) return;
    raised_at_ = e.time;
    flag_->store(true);
  }
  Ns raised_at() const { return raised_at_; }

 private:
  Ns at_;
  std::atomic<bool>* flag_;
  Ns raised_at_ = 0;
};

RunOptions scenario(const std::string& workload) {
  RunOptions o;
  o.workload = workload;
  o.noise = {"off"};
  o.duration = 200 * kNsPerMs;
  o.fingerprint = true;
  return o;
}

// A step only handles the events due by its end, so without a signal the stepped run handles
// the same events as one straight run: same fingerprint, same report.
TEST(CliInterrupt, WithoutASignalTheSteppedRunIsTheStraightRun) {
  for (const char* workload : {"demo", "hackbench:groups=1,fds=2,loops=10"}) {
    RunOptions straight = scenario(workload);
    std::atomic<bool> never{false};
    RunOptions stepped = straight;
    stepped.interrupt = &never;
    auto a = run_simulation(straight);
    auto b = run_simulation(stepped);
    ASSERT_TRUE(a.ok() && b.ok()) << workload;
    EXPECT_FALSE(b->interrupted);
    EXPECT_EQ(format_run_text(a->report), format_run_text(b->report)) << workload;
  }
}

// Raised at an event at time T, the flag is seen before the next step: the run ends at T rounded
// up to a whole millisecond (the step that handled T), and reports exactly what a run asked
// for that long reports.
TEST(CliInterrupt, AnInterruptedRunReportsTheTimeSimulatedSoFar) {
  std::atomic<bool> flag{false};
  InterruptAt hook(50 * kNsPerMs, &flag);
  RunOptions o = scenario("demo");
  o.interrupt = &flag;
  o.sinks.push_back(&hook);
  auto r = run_simulation(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->interrupted);
  ASSERT_GE(hook.raised_at(), 50 * kNsPerMs);
  const Ns expected_end = (hook.raised_at() + kNsPerMs - 1) / kNsPerMs * kNsPerMs;
  EXPECT_EQ(r->report.info.duration, expected_end);
  RunOptions as_long = scenario("demo");
  as_long.duration = expected_end;
  auto s = run_simulation(as_long);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(format_run_text(r->report), format_run_text(s->report));
}

// The real thing: SIGINT to a child `scxsim run` of an hour of simulated time.
TEST(CliInterrupt, SigintToARunPrintsThePartialReportAndExits130) {
  const std::string out = testing::test_temp_path("stdout"), err = testing::test_temp_path("stderr");
  const std::string bin = std::string(SCXSIM_BINARY_DIR) + "/src/cli/scxsim";
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (!std::freopen(out.c_str(), "w", stdout) || !std::freopen(err.c_str(), "w", stderr)) _exit(126);
    // Thousands of wake-ups per simulated millisecond: an hour of it takes hours.
    execl(bin.c_str(), "scxsim", "run", "--topology", "server-2s64", "--workload", "pingpong:pairs=64", "--duration",
          "3600s", "--stats", "10ms", nullptr);
    _exit(127);
  }
  // The first --stats row on stderr says the run is under way (the handler is installed before).
  auto started = [&] {
    std::error_code ec;  // file_size is -1 while the child has not created the file yet
    const uintmax_t size = std::filesystem::file_size(err, ec);
    return !ec && size > 0;
  };
  for (int i = 0; i < 6000 && !started(); ++i) usleep(10000);
  ASSERT_TRUE(started()) << "the run did not start";
  ASSERT_EQ(kill(pid, SIGINT), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by the signal instead of stopping";
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const std::string text = testing::read_test_file(out);
  EXPECT_EQ(text.rfind("scxsim run: workload pingpong:pairs=64", 0), 0u) << text;
  const size_t last = text.rfind("partial: interrupted after ");
  ASSERT_NE(last, std::string::npos) << text;
  const std::string line = text.substr(last);
  EXPECT_NE(line.find(" of simulated time (of 3600s); the report covers only that\n"), std::string::npos) << line;
  // The header's "simulated X" is the same X as the partial line's.
  const std::string x = line.substr(27, line.find(" of simulated") - 27);
  EXPECT_NE(text.find("simulated " + x + "\n"), std::string::npos) << x;
}

// A flag raised before the comparison starts: no run starts, every seed is "not measured".
TEST(CliInterrupt, ACompareInterruptedBeforeItsRunsStartsNone) {
  std::atomic<bool> flag{true};
  CompareOptions o;
  o.base.topology = "2";
  o.base.duration = 20 * kNsPerMs;
  o.scheds = {"eevdf", "vtime"};
  o.seeds = {1, 2};
  o.interrupt = &flag;
  auto r = run_compare(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(describe_interruption(*r, 20 * kNsPerMs), "0 of 4 runs complete, 0 stopped early, 4 not started");
  for (const CompareRow& row : r->rows)
    for (const CompareCell& c : row.cells) EXPECT_EQ(c.n, 0) << row.def.key;
  flag = false;
  auto whole = run_compare(o);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(describe_interruption(*whole, 20 * kNsPerMs), "");
}

// Whether `pid` has a handler for SIGINT (SigCgt in /proc/PID/status): the CLI installed it.
bool catches_sigint(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("SigCgt:", 0) == 0) return (std::stoull(line.substr(7), nullptr, 16) >> (SIGINT - 1)) & 1;
  return false;
}

// Runs `args` in a child scxsim, sends SIGINT once it catches it, and returns (exit status, stdout).
std::pair<int, std::string> interrupt_child(const std::vector<std::string>& args) {
  const std::string out = testing::test_temp_path("stdout"), err = testing::test_temp_path("stderr");
  const std::string bin = std::string(SCXSIM_BINARY_DIR) + "/src/cli/scxsim";
  const pid_t pid = fork();
  if (pid == 0) {
    if (!std::freopen(out.c_str(), "w", stdout) || !std::freopen(err.c_str(), "w", stderr)) _exit(126);
    std::vector<char*> argv{const_cast<char*>("scxsim")};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  for (int i = 0; i < 6000 && !catches_sigint(pid); ++i) usleep(10000);
  usleep(200000);  // let the runs get under way
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, testing::read_test_file(out)};
}

TEST(CliInterrupt, SigintToACompareReportsTheRunsSoFarAndExits130) {
  const auto [code, text] = interrupt_child({"compare", "--sched", "eevdf,vtime", "--seeds", "2", "--jobs", "2",
                                             "--topology", "server-2s64", "--workload", "pingpong:pairs=64",
                                             "--duration", "3600s"});
  EXPECT_EQ(code, 130);
  EXPECT_EQ(text.rfind("scxsim compare: workload pingpong:pairs=64", 0), 0u) << text;
  const size_t at = text.find("partial: interrupted; 0 of 4 runs complete, 2 stopped early (after ");
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_NE(text.find(" of 3600s), 2 not started; the table covers only those\n", at), std::string::npos) << text;
}

// 40 seeds of 10 s: seconds of work even on a quiet machine, so the signal comes first.
TEST(CliInterrupt, SigintToAValidateReportsTheSeedsSoFarAndExits130) {
  const std::string src = SCXSIM_SOURCE_DIR;
  const auto [code, text] =
      interrupt_child({"validate", src + "/workloads/validation/periodic-run.json", "--reference",
                       src + "/validation/reference/periodic-run", "--seeds", "40", "--jobs", "1"});
  EXPECT_EQ(code, 130);
  // How many seeds ran by then depends on the machine's speed; the line says which.
  const size_t at = text.find("partial: interrupted; the scxsim side has ");
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_NE(text.find(" of 40 seeds", at), std::string::npos) << text;
  EXPECT_NE(text.find("; the table covers only those\n", at), std::string::npos) << text;
}

}  // namespace
}  // namespace scx
