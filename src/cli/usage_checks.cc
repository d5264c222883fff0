#include "cli/usage_checks.h"

#include <charconv>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "base/suggest.h"
#include "kernel/kernel_version.h"

#ifndef SCXSIM_VERSION
#define SCXSIM_VERSION "unknown"
#endif

namespace scx {

Result<uint64_t> parse_seed(const std::string& text) {
  uint64_t v = 0;
  // from_chars for an unsigned type refuses a sign and reports overflow, unlike CLI11's conversion.
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    return Status::Errorf("--seed", "expected a whole number from 0 to {}, got '{}'", UINT64_MAX, text);
  return v;
}

Result<Ns> parse_positive_duration(const std::string& text, const std::string& option) {
  auto d = parse_duration(text);
  if (!d.ok()) return d.status().within(option);
  if (*d == 0) return Status::Error(option, "must be greater than zero");
  return *d;
}

Status check_output_path(const std::string& path, const std::string& option) {
  if (path.empty() || path == "-") return {};
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) return Status::Errorf(option, "'{}' is a directory, not a file", path);
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::is_directory(dir, ec))
    return Status::Errorf(option, "cannot write '{}': directory '{}' does not exist", path, dir.string());
  return {};
}

std::string version_text() {
  return fmt::format("scxsim {} (simulates the scheduler of Linux {} and {}; default {})", SCXSIM_VERSION,
                     kernel_version_name(KernelVersion::V6_12), kernel_version_name(KernelVersion::V6_18),
                     kernel_version_name(kCliDefaultKernel));
}

std::string unknown_subcommand_message(const std::string& word, const std::vector<std::string>& subcommands) {
  std::string names;
  for (const std::string& s : subcommands) names += (names.empty() ? "" : ", ") + s;
  return fmt::format("unknown subcommand '{}'{} (subcommands: {})", word, did_you_mean(word, subcommands), names);
}

}  // namespace scx
