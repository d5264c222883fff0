// The Linux release whose scheduler behaviour the simulation follows (`--kernel 6.12|6.18`).
// Each behaviour that differs between the two is keyed on this value where it is implemented,
// with a comment naming the kernel commit; docs/kernel-versions.md lists them all.
//
// Defaults: the CLI runs 6.18 (the kernel scxsim is validated against). The configuration
// structs (KernelConfig, fair::Features) default to 6.12, the behaviour scxsim modelled first,
// so code and tests that build a kernel or a runqueue directly keep their 6.12 results unless
// they ask for a version.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace scx {

enum class KernelVersion : uint8_t {
  V6_12 = 0,  // v6.12 (EEVDF with DELAY_DEQUEUE, RUN_TO_PARITY to the deadline)
  V6_18 = 1,  // v6.18 (slice protection limited to the shortest queued slice, 0.70 ms base)
};

inline constexpr KernelVersion kCliDefaultKernel = KernelVersion::V6_18;

inline const char* kernel_version_name(KernelVersion v) {
  return v == KernelVersion::V6_18 ? "6.18" : "6.12";
}

// "6.12" / "6.18" (a leading "v" is accepted); nullopt for anything else.
inline std::optional<KernelVersion> parse_kernel_version(std::string_view s) {
  if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) s.remove_prefix(1);
  if (s == "6.12") return KernelVersion::V6_12;
  if (s == "6.18") return KernelVersion::V6_18;
  return std::nullopt;
}

}  // namespace scx
