#include "validate/ftrace_text.h"

#include <charconv>

namespace scx {
namespace {

std::optional<int64_t> to_int(std::string_view s) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// "10188.598977" -> ns (any number of decimals, cut at 9).
std::optional<Ns> to_ns(std::string_view s) {
  const size_t dot = s.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto secs = to_int(s.substr(0, dot));
  std::string frac(s.substr(dot + 1));
  if (!secs || *secs < 0 || frac.empty() || frac.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  frac = frac.substr(0, 9);
  frac.append(9 - frac.size(), '0');
  return static_cast<Ns>(*secs) * kNsPerSec + static_cast<Ns>(std::stoll(frac));
}

// The " [NNN]" CPU column: its position and value.
std::optional<std::pair<size_t, int>> cpu_column(std::string_view line) {
  for (size_t at = line.find(" ["); at != std::string_view::npos; at = line.find(" [", at + 1)) {
    const size_t close = line.find(']', at);
    if (close == std::string_view::npos) return std::nullopt;
    if (auto cpu = to_int(line.substr(at + 2, close - at - 2)); cpu && *cpu >= 0 && *cpu < 65536)
      return std::pair<size_t, int>{at, static_cast<int>(*cpu)};
  }
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// "comm-123" or "comm-123 (  456)" (with the record-tgid option) -> 123.
std::optional<int> task_pid(std::string_view head) {
  head = trim(head);
  if (const size_t paren = head.find(" ("); paren != std::string_view::npos) head = trim(head.substr(0, paren));
  const size_t dash = head.rfind('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto pid = to_int(head.substr(dash + 1));
  if (!pid || *pid < 0) return std::nullopt;
  return static_cast<int>(*pid);
}

}  // namespace

std::optional<FtraceRecord> parse_ftrace_line(std::string_view line) {
  auto cpu = cpu_column(line);
  if (!cpu) return std::nullopt;
  auto pid = task_pid(line.substr(0, cpu->first));
  if (!pid) return std::nullopt;
  // After the CPU column: optional flags, then "<timestamp>: <event>: <fields>".
  std::string_view rest = line.substr(line.find(']', cpu->first) + 1);
  const size_t colon = rest.find(": ");
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view stamp = trim(rest.substr(0, colon));
  if (const size_t space = stamp.rfind(' '); space != std::string_view::npos) stamp = stamp.substr(space + 1);
  auto time = to_ns(stamp);
  if (!time) return std::nullopt;
  std::string_view body = rest.substr(colon + 2);
  const size_t ev_end = body.find(':');
  if (ev_end == std::string_view::npos || ev_end == 0) return std::nullopt;
  FtraceRecord r;
  r.time = *time;
  r.cpu = cpu->second;
  r.cur_pid = *pid;
  r.event = std::string(body.substr(0, ev_end));
  r.fields = std::string(trim(body.substr(ev_end + 1)));
  return r;
}

FtraceText parse_ftrace_text(std::string_view text) {
  FtraceText out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = trim(text.substr(pos, eol - pos));
    pos = eol + 1;
    if (line.empty() || line.front() == '#') continue;
    if (line.substr(0, 4) == "CPU:" && line.find("LOST") != std::string_view::npos) {
      const size_t at = line.find("LOST ") + 5;
      const size_t end = line.find(' ', at);
      auto n = to_int(line.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
      out.lost_events += n && *n > 0 ? static_cast<uint64_t>(*n) : 1;
      continue;
    }
    if (auto r = parse_ftrace_line(line)) out.records.push_back(std::move(*r));
    else ++out.unreadable_lines;
  }
  return out;
}

std::optional<std::string_view> ftrace_field(std::string_view fields, std::string_view key,
                                             std::string_view next_key) {
  const std::string needle = std::string(key) + "=";
  size_t at = 0;
  for (;; ++at) {
    at = fields.find(needle, at);
    if (at == std::string_view::npos) return std::nullopt;
    if (at == 0 || fields[at - 1] == ' ') break;
  }
  const size_t from = at + needle.size();
  size_t end = std::string_view::npos;
  if (!next_key.empty()) end = fields.find(" " + std::string(next_key) + "=", from);
  if (end == std::string_view::npos) end = next_key.empty() ? fields.find(' ', from) : fields.size();
  if (end == std::string_view::npos) end = fields.size();
  return fields.substr(from, end - from);
}

std::optional<int64_t> ftrace_int(std::string_view fields, std::string_view key) {
  auto v = ftrace_field(fields, key);
  return v ? to_int(*v) : std::nullopt;
}

}  // namespace scx
