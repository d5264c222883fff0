#include "sim/time.h"

#include <gtest/gtest.h>

namespace scx {
namespace {

TEST(Duration, ParsesUnits) {
  EXPECT_EQ(*parse_duration("500ms"), 500 * kNsPerMs);
  EXPECT_EQ(*parse_duration("2s"), 2 * kNsPerSec);
  EXPECT_EQ(*parse_duration("1.5s"), 1500 * kNsPerMs);
  EXPECT_EQ(*parse_duration("250us"), 250 * kNsPerUs);
  EXPECT_EQ(*parse_duration("7ns"), 7u);
  EXPECT_EQ(*parse_duration("1m"), 60 * kNsPerSec);
}

TEST(Duration, RejectsNonsenseWithTheText) {
  auto r = parse_duration("fast");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'fast'"), std::string::npos);
  EXPECT_FALSE(parse_duration("10parsecs").ok());
  EXPECT_FALSE(parse_duration("").ok());
  EXPECT_FALSE(parse_duration("99999999999999999999s").ok());
}

// A bare number used to mean seconds ("--cost context_switch=3" = 3 s); now it must carry a unit.
TEST(Duration, RefusesABareNumber) {
  auto r = parse_duration("10");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "'10' needs a unit (ns, us, ms, s)");
  EXPECT_EQ(r.status().within("--duration").message(), "--duration: '10' needs a unit (ns, us, ms, s)");
  EXPECT_FALSE(parse_duration("0.5").ok());
}

TEST(Duration, Formats) {
  EXPECT_EQ(format_seconds(1234567890), "1.234567");
  EXPECT_EQ(format_duration(2 * kNsPerSec), "2s");
  EXPECT_EQ(format_duration(1500 * kNsPerUs), "1.5ms");
  EXPECT_EQ(format_duration(12), "12ns");
}

}  // namespace
}  // namespace scx
