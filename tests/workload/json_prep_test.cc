#include "workload/json_prep.h"

#include <gtest/gtest.h>

namespace scx {
namespace {

TEST(JsonPrep, BlanksCommentsKeepingOffsets) {
  std::string in = "{ /* a\nb */ \"x\": 1, // tail\n \"y\": \"/* not a comment */\" }";
  PreparedJson p = prepare_json(in);
  ASSERT_EQ(p.text.size(), in.size());
  EXPECT_EQ(p.text, "{     \n     \"x\": 1,        \n \"y\": \"/* not a comment */\" }");
  EXPECT_FALSE(p.duplicate);
}

TEST(JsonPrep, BlanksTrailingCommas) {
  PreparedJson p = prepare_json("{\"a\": [1, 2, ], \"b\": 3, /* c */ }");
  EXPECT_EQ(p.text, "{\"a\": [1, 2  ], \"b\": 3          }");
}

TEST(JsonPrep, FindsDuplicateKeysWithPath) {
  std::string in =
      "{\"tasks\": {\"t\": {\"phases\": {\"p\": {\"run\": 1, \"s\\\"x\": {\"run\": 2},\n"
      " \"run\": 3}}}}}";
  PreparedJson p = prepare_json(in);
  ASSERT_TRUE(p.duplicate);
  EXPECT_EQ(p.duplicate->key, "run");
  EXPECT_EQ(p.duplicate->path, (std::vector<std::string>{"tasks", "t", "phases", "p"}));
  EXPECT_EQ(p.duplicate->offset, in.rfind("\"run\""));
  LineCol lc = line_col(in, p.duplicate->offset);
  EXPECT_EQ(lc.line, 2);
  EXPECT_EQ(lc.column, 2);
}

TEST(JsonPrep, SameKeyInSiblingObjectsIsFine) {
  EXPECT_FALSE(
      prepare_json("{\"a\": {\"x\": 1}, \"b\": {\"x\": 2}, \"c\": [{\"x\": 1}, {\"x\": 2}]}")
          .duplicate);
  PreparedJson p = prepare_json("{\"c\": [{\"x\": 1}, {\"x\": 2, \"x\": 3}]}");
  ASSERT_TRUE(p.duplicate);
  EXPECT_EQ(p.duplicate->path, (std::vector<std::string>{"c", "[1]"}));
}

TEST(JsonPrep, LineCol) {
  EXPECT_EQ(line_col("ab\ncd", 0).line, 1);
  EXPECT_EQ(line_col("ab\ncd", 4).line, 2);
  EXPECT_EQ(line_col("ab\ncd", 4).column, 2);
  EXPECT_EQ(line_col("ab", 99).column, 3);
}

}  // namespace
}  // namespace scx
