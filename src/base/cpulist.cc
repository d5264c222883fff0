#include "base/cpulist.h"

#include <charconv>
#include <string>

namespace scx {
namespace {

bool parse_int(std::string_view s, int* out) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n')) s.remove_suffix(1);
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

Result<CpuMask> parse_cpulist(std::string_view text) {
  CpuMask mask;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (text.empty()) return mask;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view token = text.substr(pos, comma - pos);
    size_t dash = token.find('-');
    int lo = 0, hi = 0;
    bool ok = dash == std::string_view::npos
                  ? parse_int(token, &lo) && (hi = lo, true)
                  : parse_int(token.substr(0, dash), &lo) && parse_int(token.substr(dash + 1), &hi);
    if (!ok || lo < 0 || hi < lo)
      return Status::Errorf("", "bad cpu list item '{}' in '{}'", std::string(token), std::string(text));
    if (hi >= kMaxCpus)
      return Status::Errorf("", "cpu {} in '{}' is beyond the simulator's limit of {} CPUs", hi,
                            std::string(text), kMaxCpus);
    for (int c = lo; c <= hi; ++c) mask.set(c);
    pos = comma + 1;
  }
  return mask;
}

}  // namespace scx
