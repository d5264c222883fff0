#include "validate/host_env.h"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace scx {

std::string find_executable(const std::string& name) {
  if (name.empty()) return {};
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : std::string();
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t from = 0;
  while (from <= dirs.size()) {
    size_t to = dirs.find(':', from);
    if (to == std::string::npos) to = dirs.size();
    const std::string dir = dirs.substr(from, to - from);
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate)) return candidate;
    from = to + 1;
  }
  return {};
}

namespace {

Status check_tracefs(const HostEnv& env) {
  if (std::filesystem::exists(env.tracefs + "/trace")) return {};
  if (!env.mount_tracefs)
    return Status::Errorf("validate", "tracefs is not mounted at {}", env.tracefs);
  if (::mount("nodev", env.tracefs.c_str(), "tracefs", 0, nullptr) != 0) {
    const int err = errno;
    return Status::Errorf("validate", "tracefs is not mounted at {} and cannot be mounted ({})", env.tracefs,
                          std::strerror(err));
  }
  if (!std::filesystem::exists(env.tracefs + "/trace"))
    return Status::Errorf("validate", "tracefs mounted at {} has no 'trace' file", env.tracefs);
  return {};
}

}  // namespace

Result<std::string> check_host(const HostEnv& env) {
  const int euid = env.euid >= 0 ? env.euid : static_cast<int>(::geteuid());
  if (euid != 0)
    return Status::Error("validate", "running the workload on this host needs root (or compare against saved runs with --reference DIR)");
  const std::string rt_app = find_executable(env.rt_app);
  if (rt_app.empty())
    return Status::Errorf("validate", "rt-app not found ('{}'; on Debian: apt-get install rt-app)", env.rt_app);
  SCX_RETURN_IF_ERROR(check_tracefs(env));
  return rt_app;
}

}  // namespace scx
