// Runs the built `scxsim` binary as a user types it (shell words) and collects its exit code,
// stdout and stderr: for tests of the command line.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "temp_file.h"

namespace scx::testing {

struct Outcome {
  int code = -1;
  std::string out, err;
};

inline Outcome scxsim(const std::string& args) {
  const std::string out = test_temp_path("stdout"), err = test_temp_path("stderr");
  const std::string cmd = std::string(SCXSIM_BINARY_DIR) + "/src/cli/scxsim " + args + " >" + out + " 2>" + err;
  const int status = std::system(cmd.c_str());
  Outcome o;
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  o.out = read_test_file(out);
  o.err = read_test_file(err);
  return o;
}

}  // namespace scx::testing
