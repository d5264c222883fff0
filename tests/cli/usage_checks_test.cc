#include "cli/usage_checks.h"

#include <gtest/gtest.h>

#include "temp_file.h"

namespace scx {
namespace {

TEST(ParseSeed, TakesEveryUint64AndNothingElse) {
  EXPECT_EQ(*parse_seed("0"), 0u);
  EXPECT_EQ(*parse_seed("18446744073709551615"), UINT64_MAX);  // 2^64-1
  // CLI11's own conversion turned "-1" into 2^64-1 and 2^64 into 2^64-1.
  EXPECT_EQ(parse_seed("-1").status().message(),
            "--seed: expected a whole number from 0 to 18446744073709551615, got '-1'");
  EXPECT_FALSE(parse_seed("18446744073709551616").ok());  // 2^64
  EXPECT_FALSE(parse_seed("").ok());
  EXPECT_FALSE(parse_seed("7x").ok());
  EXPECT_FALSE(parse_seed("+7").ok());
}

TEST(ParsePositiveDuration, NeedsAUnitAndMoreThanZero) {
  EXPECT_EQ(*parse_positive_duration("100ms", "--stats"), 100 * kNsPerMs);
  EXPECT_EQ(parse_positive_duration("0.1", "--stats").status().message(),
            "--stats: '0.1' needs a unit (ns, us, ms, s)");
  EXPECT_EQ(parse_positive_duration("0ms", "--stats").status().message(), "--stats: must be greater than zero");
}

TEST(CheckOutputPath, WantsAnExistingDirectoryAndNotADirectory) {
  EXPECT_TRUE(check_output_path("", "--html").ok());
  EXPECT_TRUE(check_output_path("-", "--trace").ok());
  EXPECT_TRUE(check_output_path("report.html", "--html").ok());  // the current directory
  EXPECT_TRUE(check_output_path(testing::test_temp_path("r.html"), "--html").ok());
  EXPECT_EQ(check_output_path("/nonexistent-dir/r.html", "--html").message(),
            "--html: cannot write '/nonexistent-dir/r.html': directory '/nonexistent-dir' does not exist");
  EXPECT_EQ(check_output_path("/", "--perfetto").message(), "--perfetto: '/' is a directory, not a file");
}

TEST(UnknownSubcommand, SuggestsTheNearest) {
  EXPECT_EQ(unknown_subcommand_message("runn", {"run", "compare", "list"}),
            "unknown subcommand 'runn' (did you mean 'run'?) (subcommands: run, compare, list)");
  EXPECT_EQ(unknown_subcommand_message("frobnicate", {"run", "compare"}),
            "unknown subcommand 'frobnicate' (subcommands: run, compare)");
}

}  // namespace
}  // namespace scx
