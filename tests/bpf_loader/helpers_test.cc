// Helper details not covered by the subjects: bprintf formatting.
#include <gtest/gtest.h>

#include "loader_test_util.h"

namespace scx::bpf::test {
namespace {

TEST(Bprintf, Directives) {
  AddressSpace mem;
  static const char s[] = "str";
  ASSERT_TRUE(mem.add(s, sizeof s, kPermRead, "s").ok());
  uint64_t args[] = {static_cast<uint64_t>(-5), 255, reinterpret_cast<uint64_t>(s), 'x', 0x1000};
  auto r = bpf_bprintf(mem, "%d %x %s %c %px %%", args);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, "-5 ff str x 0x1000 %");
  uint64_t three[] = {1ULL << 40, 42, 7};
  auto w = bpf_bprintf(mem, "%llu|%5d|%-3u|", three);
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_EQ(*w, "1099511627776|   42|7  |");
  EXPECT_FALSE(bpf_bprintf(mem, "%n", args).ok());
  EXPECT_FALSE(bpf_bprintf(mem, "%d %d %d %d %d %d", args).ok());
  uint64_t bad[] = {0x20};
  auto e = bpf_bprintf(mem, "[%s]", bad);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, "[]");
}

}  // namespace
}  // namespace scx::bpf::test
