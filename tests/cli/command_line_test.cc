// run_command_line's check-only mode (what fuzz/cli.cc drives): the same parsing and checks
// as a real command line, the same exit codes, and nothing run or written.
#include "cli/command_line.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "temp_file.h"

namespace scx {
namespace {

int check_only(std::vector<std::string> args) {
  args.insert(args.begin(), "scxsim");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return run_command_line(static_cast<int>(args.size()), argv.data(), CommandMode::kCheckOnly);
}

TEST(CheckOnlyCommandLine, UsageErrorsKeepExitCodeTwo) {
  EXPECT_EQ(check_only({"run", "--duration", "10"}), 2);  // no unit
  EXPECT_EQ(check_only({"run", "--workload", "no-such-workload"}), 2);
  EXPECT_EQ(check_only({"compare", "--json", "--csv"}), 2);
  EXPECT_EQ(check_only({"validate", "periodic-run", "--reference", "x", "--runs", "3"}), 2);
  EXPECT_EQ(check_only({"runn"}), 2);
}

TEST(CheckOnlyCommandLine, ValidCommandsRunNothing) {
  // Each would write its --html report if it ran (run and compare check the directory only).
  const std::string run_html = testing::test_temp_path("run.html");
  const std::string compare_html = testing::test_temp_path("compare.html");
  std::filesystem::remove(run_html);  // a file left by an earlier run of the test would pass for one
  std::filesystem::remove(compare_html);
  EXPECT_EQ(check_only({"run", "--duration", "100s", "--html", run_html}), 0);
  EXPECT_EQ(check_only({"compare", "--sched", "eevdf,vtime", "--seeds", "1-50", "--html", compare_html}), 0);
  EXPECT_FALSE(std::filesystem::exists(run_html));
  EXPECT_FALSE(std::filesystem::exists(compare_html));
  // Would measure this machine for seconds, and need root and rt-app.
  EXPECT_EQ(check_only({"calibrate"}), 0);
  EXPECT_EQ(check_only({"validate", "periodic-run", "--runs", "3"}), 0);
}

}  // namespace
}  // namespace scx
