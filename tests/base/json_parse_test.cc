// parse_json: nlohmann's syntax errors unchanged, and numbers no double holds named by key path.
#include <gtest/gtest.h>

#include "base/json_parse.h"

namespace scx {
namespace {

std::string reason(std::string_view text, size_t* byte = nullptr) {
  nlohmann::json j;
  auto e = parse_json(text, &j);
  if (!e) return "ok";
  if (byte) *byte = e->byte;
  return e->reason;
}

TEST(JsonParse, NumbersOutOfRangeNameTheirKeyPath) {
  size_t byte = 0;
  // {"a": {"b": 1e999}}: the number is bytes 12..16 (0-based); nlohmann has read 17 chars.
  EXPECT_EQ(reason(R"({"a": {"b": 1e999}})", &byte), "a.b: number 1e999 is out of range");
  EXPECT_EQ(byte, 17u);
  EXPECT_EQ(reason(R"({"cpus": [1, 2, {"x": -1e999}]})"), "cpus[2].x: number -1e999 is out of range");
  EXPECT_EQ(reason(R"([[0], [1e400]])"), "[1][0]: number 1e400 is out of range");
  EXPECT_EQ(reason("1e999"), "number 1e999 is out of range");
  // Integers too large for 64 bits become doubles (a reader's type check refuses them).
  EXPECT_EQ(reason(R"({"n": 123456789012345678901234567890})"), "ok");
  EXPECT_EQ(reason(R"({"n": 1e308})"), "ok");
}

TEST(JsonParse, SyntaxErrorsKeepNlohmannsReason) {
  size_t byte = 0;
  EXPECT_EQ(reason(R"({"a": })", &byte),
            "syntax error while parsing value - unexpected '}'; expected '[', '{', or a literal");
  EXPECT_EQ(byte, 7u);
}

}  // namespace
}  // namespace scx
