// Repeated keys: renamed like rt-app's workgen by default (with warnings), an error in strict mode.
#include <gtest/gtest.h>

#include "dump.h"
#include "workload/json_prep.h"
#include "workload/rtapp.h"

namespace scx {
namespace {

TEST(JsonPrepRename, AppendsWorkgensCounter) {
  // workgen: one counter per object, starting at 1, grown only when the new name is taken.
  const std::string in =
      R"({"a": {"run": 1, "sleep": 2, "run": 3, "sleep": 4, "run": 5, "run1": 6, "x": {"run": 7}}})";
  PreparedJson p = prepare_json(in, true);
  ASSERT_EQ(p.renamed.size(), 4u);
  EXPECT_EQ(p.renamed[0].renamed, "run1");
  EXPECT_EQ(p.renamed[1].renamed, "sleep1");
  EXPECT_EQ(p.renamed[2].renamed, "run2");
  EXPECT_EQ(p.renamed[3].key, "run1");  // the file's own "run1" now collides
  EXPECT_EQ(p.renamed[3].renamed, "run12");
  EXPECT_EQ(p.renamed[0].path, (std::vector<std::string>{"a"}));
  EXPECT_EQ(p.renamed[0].offset, in.find("\"run\": 3"));
  EXPECT_EQ(p.text,
            R"({"a": {"run": 1, "sleep": 2, "run1": 3, "sleep1": 4, "run2": 5, "run12": 6, "x": {"run": 7}}})");
  ASSERT_TRUE(p.duplicate);  // still reported
  EXPECT_EQ(p.duplicate->key, "run");
  // Without renaming the text is untouched.
  EXPECT_EQ(prepare_json(in).text, in);
  EXPECT_TRUE(prepare_json(in).renamed.empty());
}

TEST(RtAppRename, RenamesAndWarns) {
  const std::string text =
      "{\"tasks\": {\"hog\": {\"loop\": 1, \"phases\": {\"p1\": {\n"
      "  \"run\": 1000,\n"
      "  \"sleep\": 500,\n"
      "  \"run\": 2000}}}}}";
  auto r = parse_rtapp_json(text, "dup.json");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(testing::dump(*r, 0), "Run(1ms) Sleep(500us) Run(2ms) PhaseEnd(0) Mark(loops,1) Exit");
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0],
            "dup.json: line 4: task 'hog', phase 'p1', key 'run': duplicate key renamed 'run1' (as "
            "rt-app's workgen does; json-c would keep only one of them)");
  // The same file with distinct names compiles to the same programs, without warnings.
  auto same = parse_rtapp_json(
      "{\"tasks\": {\"hog\": {\"loop\": 1, \"phases\": {\"p1\": {\"run\": 1000, \"sleep\": 500, "
      "\"run1\": 2000}}}}}",
      "dup.json");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(testing::dump(*same, 0), testing::dump(*r, 0));
  EXPECT_TRUE(same->warnings.empty());
}

TEST(RtAppRename, DuplicateTasksAndPhases) {
  auto r = parse_rtapp_json(
      R"({"tasks": {"a": {"loop": 1, "run": 1}, "a": {"loop": 1, "run": 2}}})", "t.json");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->tasks.size(), 2u);
  EXPECT_EQ(r->tasks[1].name, "a1");
  EXPECT_EQ(r->warnings.size(), 1u);
  // A renamed property is no longer a known key: an error, as the file is ambiguous.
  auto p = parse_rtapp_json(R"({"tasks": {"a": {"loop": 1, "loop": 2, "run": 1}}})", "t.json");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("loop1"), std::string::npos) << p.status().message();
}

TEST(RtAppRename, StrictModeRefuses) {
  RtAppOptions strict;
  strict.rename_duplicates = false;
  auto r = parse_rtapp_json(R"({"tasks": {"a": {"run": 1, "run": 2}}})", "t.json", strict);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "t.json: line 1, column 28: task 'a', key 'run': duplicate key: rt-app would silently "
            "keep only one of them; give each a distinct name (e.g. 'run1', 'run2')");
}

TEST(RtAppRename, SyntaxErrorLinesSurviveRenaming) {
  auto r = parse_rtapp_json("{\"tasks\": {\"a\": {\"run\": 1, \"run\": 2,\n\"x\" 3}}}", "t.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().substr(0, 24), "t.json: line 2, column 5");
}

}  // namespace
}  // namespace scx
