#include "calibrate/machine.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <string_view>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace scx::calib {
namespace {

// The value of the first "key : value" line of /proc/cpuinfo with this key.
std::string cpuinfo_field(std::string_view key) {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with(key)) continue;
    const size_t colon = line.find(':');
    if (colon != std::string::npos) return line.substr(colon + (colon + 1 < line.size() ? 2 : 1));
  }
  return "";
}

std::string first_line(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// The hypervisor's CPUID signature (leaf 0x40000000), e.g. "KVMKVMKVM".
std::string hypervisor_signature() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  __cpuid(0x40000000, a, b, c, d);
  char sig[13] = {};
  for (int i = 0; i < 4; ++i) {
    sig[i] = static_cast<char>(b >> (8 * i));
    sig[4 + i] = static_cast<char>(c >> (8 * i));
    sig[8 + i] = static_cast<char>(d >> (8 * i));
  }
  std::string s(sig);
  while (!s.empty() && (s.back() == '\0' || s.back() == ' ')) s.pop_back();
  return s;
#else
  return "";
#endif
}

std::string virtualized() {
  const std::string flags = " " + cpuinfo_field("flags") + " ";
  if (flags.find(" hypervisor ") == std::string::npos) return "no";
  const std::string sig = hypervisor_signature();
  return sig.empty() ? "yes" : "yes (" + sig + ")";
}

std::string today() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> describe_machine() {
  utsname u{};
  uname(&u);
  std::string model = cpuinfo_field("model name");
  if (model.empty()) model = cpuinfo_field("cpu model");
  const std::string idle = first_line("/sys/devices/system/cpu/cpuidle/current_driver");
  return {{"cpu", model.empty() ? "unknown" : model},
          {"cpus", std::to_string(sysconf(_SC_NPROCESSORS_ONLN))},
          {"kernel", u.release},
          {"virtualized", virtualized()},
          {"cpuidle", idle.empty() ? "none" : idle},
          {"date", today()}};
}

}  // namespace scx::calib
