// Text-level preparation of rt-app JSON before nlohmann parses it. rt-app reads its files with
// json-c, which is more lenient than JSON and silently drops repeated keys; this pass
//  * blanks /* */ and // comments,
//  * blanks trailing commas before '}' or ']' (json-c accepts them; published rt-app examples
//    contain them),
//  * finds the first key repeated inside one object, with its byte offset and path.
// Everything is replaced by spaces in place, so byte offsets (and line/column numbers) of the
// prepared text are those of the original. Malformed input is left for the JSON parser to
// report.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scx {

struct DuplicateKey {
  std::vector<std::string> path;  // keys (or "[i]" for array items) leading to the object
  std::string key;                // as written, escapes not decoded
  size_t offset = 0;              // byte offset of the second occurrence's opening quote
};

struct PreparedJson {
  std::string text;
  std::optional<DuplicateKey> duplicate;
};

PreparedJson prepare_json(std::string_view text);

struct LineCol {
  int line = 1;    // 1-based
  int column = 1;  // 1-based, in bytes
};
// Position of byte `offset` (clamped to the text).
LineCol line_col(std::string_view text, size_t offset);

}  // namespace scx
