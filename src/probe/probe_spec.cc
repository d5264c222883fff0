#include "probe/probe_spec.h"

#include <charconv>

namespace scx {
namespace {

constexpr std::string_view kMapPrefix = "map:";

// A decimal or 0x-hex unsigned number, the whole of `s`.
bool parse_number(std::string_view s, uint64_t& out) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) base = 16, s.remove_prefix(2);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return !s.empty() && ec == std::errc() && ptr == s.data() + s.size();
}

// "@N" / "@each" at the end of a map probe.
Status parse_cpu_suffix(std::string_view suffix, ProbeSpec& spec, const std::string& where) {
  if (suffix == "each") {
    spec.cpus = ProbeSpec::Cpus::kEach;
    return {};
  }
  uint64_t cpu = 0;
  if (!parse_number(suffix, cpu) || cpu > UINT32_MAX)
    return Status::Errorf(where, "'@{}' is neither a CPU number nor 'each'", suffix);
  spec.cpus = ProbeSpec::Cpus::kOne;
  spec.cpu = static_cast<uint32_t>(cpu);
  return {};
}

Status parse_map_probe(std::string_view rest, ProbeSpec& spec, const std::string& where) {
  const size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    SCX_RETURN_IF_ERROR(parse_cpu_suffix(rest.substr(at + 1), spec, where));
    rest = rest.substr(0, at);
  }
  const size_t lb = rest.find('[');
  const size_t rb = rest.find(']');
  if (lb == 0 || lb == std::string_view::npos || rb == std::string_view::npos || rb < lb)
    return Status::Errorf(where, "expected map:MAP[KEY] (e.g. map:stats[0] or map:stats[0].nr_dispatched)");
  spec.path = std::string(rest.substr(0, lb));
  if (!parse_number(rest.substr(lb + 1, rb - lb - 1), spec.key))
    return Status::Errorf(where, "map key '{}' is not a number", rest.substr(lb + 1, rb - lb - 1));
  spec.member = std::string(rest.substr(rb + 1));
  if (!spec.member.empty() && spec.member[0] != '.' && spec.member[0] != '[')
    return Status::Errorf(where, "expected .MEMBER or [INDEX] after the key, got '{}'", spec.member);
  return {};
}

}  // namespace

Result<ProbeSpec> parse_probe(std::string_view text) {
  const std::string where = "--probe " + std::string(text);
  ProbeSpec spec;
  spec.text = std::string(text);
  if (text.empty()) return Status::Errorf("--probe", "empty name");
  if (text.starts_with(kMapPrefix)) {
    spec.map = true;
    SCX_RETURN_IF_ERROR(parse_map_probe(text.substr(kMapPrefix.size()), spec, where));
    return spec;
  }
  if (text.find('@') != std::string_view::npos)
    return Status::Errorf(where, "'@CPU' applies to per-CPU map values (map:MAP[KEY]@N), not to globals");
  const char c = text[0];
  if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
    return Status::Errorf(where, "expected a global's name (or map:MAP[KEY])");
  spec.path = std::string(text);
  return spec;
}

}  // namespace scx
