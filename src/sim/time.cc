#include "sim/time.h"

#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace scx {

Result<Ns> parse_duration(std::string_view text) {
  std::string_view s = text;
  size_t i = 0;
  Ns whole = 0;
  int digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    whole = whole * 10 + (s[i] - '0');
    ++i, ++digits;
    if (digits > 18) return Status::Errorf("", "duration '{}' is too large", std::string(text));
  }
  Ns frac = 0, frac_scale = 1;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (frac_scale < 1000000000ULL) frac = frac * 10 + (s[i] - '0'), frac_scale *= 10;
      ++i, ++digits;
    }
  }
  if (digits == 0)
    return Status::Errorf("", "duration '{}' must start with a number (e.g. 500ms, 2s)",
                          std::string(text));
  std::string_view unit = s.substr(i);
  Ns mult;
  // A bare number is refused rather than read as seconds: "--cost context_switch=3" meaning 3 s
  // was a silent trap.
  if (unit.empty())
    return Status::Errorf("", "'{}' needs a unit (ns, us, ms, s)", std::string(text));
  if (unit == "s") mult = kNsPerSec;
  else if (unit == "ms") mult = kNsPerMs;
  else if (unit == "us") mult = kNsPerUs;
  else if (unit == "ns") mult = 1;
  else if (unit == "m" || unit == "min") mult = 60 * kNsPerSec;
  else
    return Status::Errorf("", "duration '{}' has unknown unit '{}' (use ns, us, ms, s or m)",
                          std::string(text), std::string(unit));
  if (whole > kNever / mult) return Status::Errorf("", "duration '{}' is too large", std::string(text));
  return whole * mult + frac * mult / frac_scale;
}

std::string format_seconds(Ns t) {
  return fmt::format("{}.{:06}", t / kNsPerSec, (t % kNsPerSec) / kNsPerUs);
}

std::string format_duration(Ns t) {
  struct Unit {
    Ns ns;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{kNsPerSec, "s"}, {kNsPerMs, "ms"}, {kNsPerUs, "us"}};
  for (const Unit& u : kUnits) {
    if (t < u.ns) continue;
    if (t % u.ns == 0) return fmt::format("{}{}", t / u.ns, u.name);
    // Up to 3 decimals, trailing zeros trimmed.
    std::string s = fmt::format("{:.3f}", static_cast<double>(t) / static_cast<double>(u.ns));
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s + u.name;
  }
  return fmt::format("{}ns", t);
}

}  // namespace scx
