#include "validate/host_facts.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace scx {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// /boot/config-<release>, else /proc/config.gz through gzip.
std::string kernel_config(const std::string& release) {
  std::string text = read_text("/boot/config-" + release);
  if (!text.empty()) return text;
  std::FILE* p = ::popen("gzip -dc /proc/config.gz 2>/dev/null", "r");
  if (!p) return {};
  char buf[65536];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) text.append(buf, n);
  ::pclose(p);
  return text;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::optional<int> config_hz(std::string_view config) {
  for (size_t at = config.find("CONFIG_HZ="); at != std::string_view::npos; at = config.find("CONFIG_HZ=", at + 1)) {
    if (at > 0 && config[at - 1] != '\n') continue;
    int hz = 0;
    for (size_t i = at + 10; i < config.size() && config[i] >= '0' && config[i] <= '9'; ++i) hz = hz * 10 + (config[i] - '0');
    if (hz > 0) return hz;
  }
  return std::nullopt;
}

HostFacts gather_host_facts() {
  HostFacts h;
  struct utsname u {};
  if (::uname(&u) == 0) h.kernel = u.release;
  h.cpus = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  h.hz = config_hz(kernel_config(h.kernel));
  h.date = utc_now();
  return h;
}

std::string host_facts_text(const HostFacts& h) {
  std::string text = fmt::format("Linux {}, {} CPUs, HZ {}", h.kernel, h.cpus, h.hz ? std::to_string(*h.hz) : "unknown");
  if (h.rtapp_loop_ns) text += fmt::format(", rt-app loop {:.2f} ns", *h.rtapp_loop_ns);
  return text;
}

nlohmann::json host_facts_json(const HostFacts& h) {
  nlohmann::json j = {{"kernel", h.kernel},
                      {"cpus", h.cpus},
                      {"hz", h.hz ? nlohmann::json(*h.hz) : nlohmann::json(nullptr)},
                      {"date", h.date}};
  if (h.rtapp_loop_ns) j["rtapp_loop_ns"] = *h.rtapp_loop_ns;
  return j;
}

HostFacts host_facts_from_json(const nlohmann::json& j) {
  HostFacts h;
  if (!j.is_object()) return h;
  if (j.contains("kernel") && j["kernel"].is_string()) h.kernel = j["kernel"].get<std::string>();
  if (j.contains("cpus") && j["cpus"].is_number_integer()) h.cpus = j["cpus"].get<int>();
  if (j.contains("hz") && j["hz"].is_number_integer()) h.hz = j["hz"].get<int>();
  if (j.contains("date") && j["date"].is_string()) h.date = j["date"].get<std::string>();
  if (j.contains("rtapp_loop_ns") && j["rtapp_loop_ns"].is_number() && j["rtapp_loop_ns"].get<double>() > 0)
    h.rtapp_loop_ns = j["rtapp_loop_ns"].get<double>();
  return h;
}

}  // namespace scx
