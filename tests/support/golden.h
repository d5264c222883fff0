// Golden-file comparison for tests: `actual` must equal the file under tests/; with
// SCXSIM_UPDATE_GOLDEN=1 the file is rewritten instead (then review the diff).
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace scx::testing {

// `relative`: the file's path under tests/, e.g. "report/golden/compare_demo.txt".
inline void check_golden(const std::string& relative, const std::string& actual) {
  const std::string path = std::string(SCXSIM_SOURCE_DIR) + "/tests/" + relative;
  if (const char* u = std::getenv("SCXSIM_UPDATE_GOLDEN"); u && std::string(u) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
    GTEST_SKIP() << "updated " << path;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << "missing golden file " << path << " (run with SCXSIM_UPDATE_GOLDEN=1)";
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), actual) << "golden mismatch for " << path
                              << "; if the change is intended, rerun with SCXSIM_UPDATE_GOLDEN=1";
}

}  // namespace scx::testing
