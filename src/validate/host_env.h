// Where a host run finds what it needs (overridable for tests), and the checks that make every
// missing piece a one-line error before anything starts.
#pragma once

#include <string>

#include "base/status.h"

namespace scx {

struct HostEnv {
  std::string tracefs = "/sys/kernel/tracing";
  std::string rt_app = "rt-app";     // looked up in PATH unless it contains '/'
  std::string mounts = "/proc/mounts";
  int euid = -1;                     // -1: this process's effective uid
  bool mount_tracefs = true;         // mount tracefs at `tracefs` when it is not there
};

// Root, rt-app and tracefs (mounted when missing and allowed). Returns rt-app's path.
Result<std::string> check_host(const HostEnv& env);

// An executable named `name` in PATH (or `name` itself when it contains '/'); "" when none.
std::string find_executable(const std::string& name);

}  // namespace scx
