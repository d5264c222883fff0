// What every harness asserts of an error besides "no crash": it is one line (README "Errors
// and exit codes"). A multi-line message aborts, so libFuzzer saves the input as a crash.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace scx::fuzz {

inline void require_one_line(const std::string& message) {
  if (message.find('\n') == std::string::npos) return;
  std::fprintf(stderr, "multi-line error message:\n%s\n", message.c_str());
  std::abort();
}

}  // namespace scx::fuzz
