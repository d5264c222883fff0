#include "base/json_error.h"
#include "base/json_parse.h"

#include <algorithm>

#include <fmt/format.h>

namespace scx {

std::string line_column(std::string_view text, size_t byte) {
  size_t pos = std::min(byte == 0 ? 0 : byte - 1, text.size());
  size_t line = 1 + std::count(text.begin(), text.begin() + pos, '\n');
  size_t line_start = pos == 0 ? std::string_view::npos : text.rfind('\n', pos - 1);
  size_t column = line_start == std::string_view::npos ? pos + 1 : pos - line_start;
  return fmt::format("line {}, column {}", line, column);
}

std::string parse_reason(const char* what) {
  std::string_view w(what);
  size_t at = w.find("parse error");
  size_t colon = at == std::string_view::npos ? at : w.find(": ", at);
  return std::string(colon == std::string_view::npos ? w : w.substr(colon + 2));
}

std::string json_path_join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string json_path_index(const std::string& path, size_t index) {
  return fmt::format("{}[{}]", path, index);
}

}  // namespace scx
