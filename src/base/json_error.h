// Turning a JSON parser's error into the place an editor shows (shared by the JSON readers).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace scx {

// nlohmann reports the 1-based byte index of the last character it read; "line L, column C".
std::string line_column(std::string_view text, size_t byte);

// Drops nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 2: " prefix.
std::string parse_reason(const char* what);

}  // namespace scx
