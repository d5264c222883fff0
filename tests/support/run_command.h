// Running a shell command from a test (the built scxsim, a command it printed) and collecting
// its exit code, stdout and stderr.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "temp_file.h"

namespace scx::testing {

struct CommandResult {
  int code = -1;  // the exit code; -1 when the command did not exit normally
  std::string out, err;
};

// Runs `command` with /bin/sh, its output going to files named after the running test.
inline CommandResult run_command(const std::string& command) {
  const std::string out = test_temp_path("stdout"), err = test_temp_path("stderr");
  const int status = std::system((command + " >" + out + " 2>" + err).c_str());
  CommandResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_test_file(out);
  r.err = read_test_file(err);
  return r;
}

// Runs the built scxsim as a user types it (`args`: shell words).
inline CommandResult scxsim(const std::string& args) {
  return run_command(std::string(SCXSIM_BINARY_DIR) + "/src/cli/scxsim " + args);
}

}  // namespace scx::testing
