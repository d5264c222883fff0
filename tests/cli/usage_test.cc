// `scxsim` as a user types it: every usage error is one line "scxsim: ..." on stderr, nothing on
// stdout, exit code 2, and comes before any simulating (README "Errors and exit codes").
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "cli/usage_checks.h"
#include "run_command.h"
#include "temp_file.h"

namespace scx {
namespace {

using Outcome = testing::CommandResult;
using testing::scxsim;

// The usage error `line` (without "scxsim: " and the newline), exit 2, nothing on stdout.
void expect_usage_error(const std::string& args, const std::string& line) {
  const Outcome o = scxsim(args);
  EXPECT_EQ(o.code, 2) << args;
  EXPECT_EQ(o.err, "scxsim: " + line + "\n") << args;
  EXPECT_EQ(o.out, "") << args;
}

// Every duration takes a unit; a bare number used to mean seconds.
TEST(CliUsage, DurationsNeedAUnit) {
  expect_usage_error("run --duration 10", "--duration: '10' needs a unit (ns, us, ms, s)");
  expect_usage_error("run --stats 0.1", "--stats: '0.1' needs a unit (ns, us, ms, s)");
  expect_usage_error("run --sched-load-at 2", "--sched-load-at: '2' needs a unit (ns, us, ms, s)");
  expect_usage_error("run --cost context_switch=3", "--cost context_switch: '3' needs a unit (ns, us, ms, s)");
  expect_usage_error("run --noise kthread_run=5", "--noise kthread_run: '5' needs a unit (ns, us, ms, s)");
  expect_usage_error("run --fair base_slice=3000000", "--fair base_slice: '3000000' needs a unit (ns, us, ms, s)");
  expect_usage_error("run --workload demo:period=16",
                     "--workload demo: period=16: '16' needs a unit (ns, us, ms, s)");
  expect_usage_error("compare --duration 10", "--duration: '10' needs a unit (ns, us, ms, s)");
}

// A --variant's BPF settings (--set) are checked against the first --sched, its default
// scheduler (docs/reports.md's example; the up-front check used to assume eevdf).
TEST(CliUsage, VariantSettingsApplyToTheFirstSched) {
  const Outcome o = scxsim("compare --sched " + std::string(SCXSIM_BINARY_DIR) +
                           "/bpf/schedulers/simple.bpf.o --variant 'fifo:--set fifo_sched=1' --seeds 1 --duration 20ms");
  EXPECT_EQ(o.code, 0) << o.err;
  expect_usage_error("compare --variant 'fifo:--set fifo_sched=1' --seeds 1",
                     "--variant fifo: --set, --resize, --map-size, --profile, --sched-opt and --usersched apply only "
                     "to a --sched FILE.bpf.o, not to 'eevdf'");
}

// --jobs is checked by CLI11's Range validator (0 used to mean "the number of CPUs" silently).
TEST(CliUsage, JobsMustBePositive) {
  expect_usage_error("compare --sched eevdf,vtime --jobs 0",
                     "--jobs: Value 0 not in range 1 to 4096 (see 'scxsim --help')");
  expect_usage_error("validate x.json --jobs 5000", "--jobs: Value 5000 not in range 1 to 4096 (see 'scxsim --help')");
}

// validate's simulated-side settings fail before the host side (minutes of rt-app runs as root)
// or the reference is read: exit 2 even where no reference directory exists.
TEST(CliUsage, ValidateChecksItsSettingsUpFront) {
  const std::string wl = std::string(SCXSIM_SOURCE_DIR) + "/workloads/validation/periodic-run.json";
  expect_usage_error("validate " + wl + " --reference /nonexistent --cost context_switch=3",
                     "--cost context_switch: '3' needs a unit (ns, us, ms, s)");
  expect_usage_error("validate " + wl + " --reference /nonexistent --noise kthread_run=5",
                     "--noise kthread_run: '5' needs a unit (ns, us, ms, s)");
  expect_usage_error("validate " + wl + " --reference /nonexistent --fair base_slice=3",
                     "--fair base_slice: '3' needs a unit (ns, us, ms, s)");
  expect_usage_error("validate " + wl + " --reference /nonexistent --kernel 6.15",
                     "--kernel: unknown kernel version '6.15' (available: 6.12, 6.18)");
}

TEST(CliUsage, DurationsWithUnitsAndNsKnobsStillRun) {
  // base_slice_ns is the kernel's debugfs name: bare nanoseconds, as there.
  const Outcome o = scxsim("run --duration 2ms --stats 1ms --cost context_switch=3us --fair base_slice_ns=3000000");
  EXPECT_EQ(o.code, 0) << o.err;
}

TEST(CliUsage, RangesAreChecked) {
  const std::string bad_seed = "--seed: expected a whole number from 0 to 18446744073709551615, got ";
  expect_usage_error("run --seed -1", bad_seed + "'-1'");
  expect_usage_error("run --seed 18446744073709551616", bad_seed + "'18446744073709551616'");  // 2^64
  expect_usage_error("run --stats 0ms", "--stats: must be greater than zero");
  expect_usage_error("compare --variant foo",
                     "--variant: 'foo' has no options (expected NAME:OPTIONS, e.g. rtp0:--fair=RUN_TO_PARITY=0)");
  EXPECT_EQ(scxsim("run --seed 18446744073709551615 --duration 1ms").code, 0);  // 2^64-1 is a seed
}

TEST(CliUsage, ParserErrorsAreOneLineWithExitCode2) {
  // CLI11 said these on two lines with exit codes 109 and 104.
  expect_usage_error("run --bogus", "The following argument was not expected: --bogus (see 'scxsim --help')");
  expect_usage_error("compare --jobs -1", "--jobs: Value -1 not in range 1 to 4096 (see 'scxsim --help')");
  expect_usage_error("inspect", "file is required (see 'scxsim --help')");
}

TEST(CliUsage, MissingFilesAndUnwritableOutputsAreSaidBeforeRunning) {
  expect_usage_error("run --workload /tmp/scxsim-no-such-dir/w.json",
                     "--workload: no such file '/tmp/scxsim-no-such-dir/w.json'");
  // 1000 s of a 256-CPU machine would take minutes: each error comes before the simulation.
  const std::string long_run = "run --topology server-2s256 --duration 1000s ";
  for (const char* option : {"--html", "--perfetto", "--trace"})
    expect_usage_error(long_run + option + " /tmp/scxsim-no-such-dir/out",
                       std::string(option) +
                           ": cannot write '/tmp/scxsim-no-such-dir/out': directory '/tmp/scxsim-no-such-dir' does "
                           "not exist");
  expect_usage_error("compare --html /tmp/scxsim-no-such-dir/r.html",
                     "--html: cannot write '/tmp/scxsim-no-such-dir/r.html': directory '/tmp/scxsim-no-such-dir' "
                     "does not exist");
}

TEST(CliUsage, SuggestsTheNameMeant) {
  expect_usage_error("runn", "unknown subcommand 'runn' (did you mean 'run'?) (subcommands: run, compare, validate, sweep, "
                             "list, calibrate, inspect, fuzz)");
  const Outcome sched = scxsim("run --sched eevfd");
  EXPECT_EQ(sched.code, 2);
  EXPECT_EQ(sched.err.rfind("scxsim: --sched: unknown scheduler 'eevfd' (did you mean 'eevdf'?)", 0), 0u) << sched.err;
  const Outcome topo = scxsim("run --topology laptp");
  EXPECT_EQ(topo.err.rfind("scxsim: --topology: unknown topology 'laptp' (did you mean 'laptop'?)", 0), 0u) << topo.err;
  const Outcome wl = scxsim("run --workload pingpng");
  EXPECT_EQ(wl.err.rfind("scxsim: --workload: 'pingpng' (did you mean 'pingpong'?) is not a file", 0), 0u) << wl.err;
}

TEST(CliUsage, VersionAndHelp) {
  const Outcome v = scxsim("--version");
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.out, version_text() + "\n");
  EXPECT_EQ(v.out.rfind("scxsim ", 0), 0u);
  EXPECT_NE(v.out.find("Linux 6.12 and 6.18; default 6.18"), std::string::npos);
  // A bare `scxsim` asks what the tool does: the help on stdout, exit 0.
  const Outcome bare = scxsim("");
  EXPECT_EQ(bare.code, 0);
  EXPECT_EQ(bare.out.rfind("scxsim: a deterministic simulator", 0), 0u);
  EXPECT_NE(bare.out.find("Subcommands:"), std::string::npos);
  EXPECT_EQ(bare.err, "");
}

}  // namespace
}  // namespace scx
