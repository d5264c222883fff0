// The tracing programs scxsim attaches, by ELF section (libbpf's SEC() names that its
// skeleton attach auto-attaches): tp_btf/NAME, raw_tp/NAME and raw_tracepoint/NAME on the
// tracepoint NAME; fentry/FUNC and fexit/FUNC on the kernel function FUNC. A leading '?'
// turns autoload off: libbpf loads such a program only if user space asks.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace scx::bpf {

enum class TracingKind : unsigned char { kTracepoint, kFentry, kFexit };

struct TracingSection {
  TracingKind kind = TracingKind::kTracepoint;
  std::string target;  // may be empty (a load error for the host)
  bool autoload = true;
};

// nullopt for any other section (struct_ops, syscall, kprobe/, tp/, iter/, ...). A bare
// "raw_tp" / "raw_tracepoint" has no target and libbpf does not auto-attach it: nullopt too.
inline std::optional<TracingSection> parse_tracing_section(std::string_view sec) {
  TracingSection t;
  if (!sec.empty() && sec.front() == '?') {
    t.autoload = false;
    sec.remove_prefix(1);
  }
  static constexpr struct {
    std::string_view prefix;
    TracingKind kind;
  } kPrefixes[] = {{"tp_btf/", TracingKind::kTracepoint},
                   {"raw_tp/", TracingKind::kTracepoint},
                   {"raw_tracepoint/", TracingKind::kTracepoint},
                   {"fentry/", TracingKind::kFentry},
                   {"fexit/", TracingKind::kFexit}};
  for (const auto& p : kPrefixes) {
    if (sec.substr(0, p.prefix.size()) != p.prefix) continue;
    t.kind = p.kind;
    t.target = std::string(sec.substr(p.prefix.size()));
    return t;
  }
  return std::nullopt;
}

}  // namespace scx::bpf
