// Simulated time: unsigned 64-bit nanoseconds since the start of the run.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace scx {

using Ns = uint64_t;

inline constexpr Ns kNsPerUs = 1000;
inline constexpr Ns kNsPerMs = 1000 * kNsPerUs;
inline constexpr Ns kNsPerSec = 1000 * kNsPerMs;
inline constexpr Ns kNever = ~Ns{0};

// "500ms", "2s", "1.5s", "250us", "100ns", "3m"; a bare number is an error (it needs a unit).
Result<Ns> parse_duration(std::string_view text);
// Seconds with 6 decimals, as ftrace prints timestamps: "12.345678".
std::string format_seconds(Ns t);
// Shortest exact human form: "2s", "500ms", "1.5ms", "750us", "12ns".
std::string format_duration(Ns t);

}  // namespace scx
