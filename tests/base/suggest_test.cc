#include "base/suggest.h"

#include <gtest/gtest.h>

namespace scx {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsChangesAndSwaps) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("run", "run"), 0u);
  EXPECT_EQ(edit_distance("runn", "run"), 1u);      // one deletion
  EXPECT_EQ(edit_distance("rum", "run"), 1u);       // one change
  EXPECT_EQ(edit_distance("eevfd", "eevdf"), 1u);   // 'fd' -> 'df': one swap, not two changes
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);  // k->s, e->i, +g
  EXPECT_EQ(edit_distance("", "abc"), 3u);
}

TEST(DidYouMean, OffersOnlyNamesNearEnoughToBeATypo) {
  const std::vector<std::string> scheds{"eevdf", "fifo", "vtime", "central", "prio", "llc"};
  EXPECT_EQ(did_you_mean("eevfd", scheds), " (did you mean 'eevdf'?)");
  EXPECT_EQ(did_you_mean("centrl", scheds), " (did you mean 'central'?)");
  EXPECT_EQ(did_you_mean("pri", scheds), " (did you mean 'prio'?)");  // 4 letters or fewer: 1 edit
  EXPECT_EQ(did_you_mean("fiof", scheds), " (did you mean 'fifo'?)");  // a swap is one edit
  EXPECT_EQ(did_you_mean("rusty", scheds), "");                       // 3+ edits from everything
  EXPECT_EQ(did_you_mean("ab", scheds), "");
}

}  // namespace
}  // namespace scx
