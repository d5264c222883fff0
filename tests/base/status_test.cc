#include "base/status.h"

#include <gtest/gtest.h>

namespace scx {
namespace {

Result<int> half(int x) {
  if (x % 2) return Status::Errorf("half", "{} is odd", x);
  return x / 2;
}

Result<int> quarter(int x) {
  SCX_ASSIGN_OR_RETURN(int h, half(x));
  SCX_ASSIGN_OR_RETURN(int q, half(h));
  return q;
}

TEST(Status, ResultPropagates) {
  EXPECT_EQ(*quarter(8), 2);
  auto r = quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "half: 3 is odd");
  EXPECT_EQ(r.status().within("file.json").message(), "file.json: half: 3 is odd");
}

TEST(Status, ControlBytesFromCorruptInputStayOnOneLine) {
  Status s = Status::Error("sym 'a\nb'", std::string("bad\x01name\x7f"));
  EXPECT_EQ(s.message(), "sym 'a\\nb': bad\\x01name\\x7f");
}

}  // namespace
}  // namespace scx
