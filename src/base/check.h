// Internal invariant checks. A failed check is a simulator bug, never a user error: it prints
// the condition, the source place and (when a context hook is installed) the simulated time,
// CPU and task, then aborts.
#pragma once

#include <string>

namespace scx {

// The kernel installs a hook that describes "where the simulation is" for failure messages.
using CheckContextFn = std::string (*)(const void* arg);
void set_check_context(CheckContextFn fn, const void* arg);

[[noreturn]] void check_failed(const char* cond, const char* file, int line, const std::string& msg);

}  // namespace scx

#define SCX_CHECK(cond)                                                   \
  do {                                                                    \
    if (__builtin_expect(!(cond), 0)) ::scx::check_failed(#cond, __FILE__, __LINE__, {}); \
  } while (0)

#define SCX_CHECK_MSG(cond, msg)                                          \
  do {                                                                    \
    if (__builtin_expect(!(cond), 0)) ::scx::check_failed(#cond, __FILE__, __LINE__, (msg)); \
  } while (0)
