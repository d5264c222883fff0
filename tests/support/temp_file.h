// A file for a test to hand to the code under test (a profile, a spec), in the test temp
// directory and named after the running test: ctest runs every test as its own process, in
// parallel, so two tests writing "profile.json" would read each other's.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace scx::testing {

inline std::string test_temp_path(const std::string& name) {
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string prefix = test ? std::string(test->test_suite_name()) + "." + test->name() + "-" : std::string();
  return ::testing::TempDir() + prefix + name;
}

// Writes `text` to test_temp_path(name) and returns the path.
inline std::string write_test_file(const std::string& name, const std::string& text) {
  const std::string path = test_temp_path(name);
  std::ofstream(path) << text;
  return path;
}

// The whole content of the file at `path` ("" when it cannot be read).
inline std::string read_test_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace scx::testing
