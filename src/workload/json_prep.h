// Text-level preparation of rt-app JSON before nlohmann parses it. rt-app reads its files with
// json-c, which is more lenient than JSON and silently drops repeated keys; this pass
//  * blanks /* */ and // comments,
//  * blanks trailing commas before '}' or ']' (json-c accepts them; published rt-app examples
//    contain them),
//  * finds the first key repeated inside one object, with its byte offset and path,
//  * optionally renames every repeated key the way rt-app's `workgen` script does: append a
//    counter to the name ("run" -> "run1"); the counter is per object, starts at 1 and only
//    grows when the renamed key is taken too (so a second "run" and a second "sleep" both get
//    "1"). Unlike workgen, which works line by line, keys are tracked per JSON object.
// Comments and commas are replaced by spaces in place and renaming only inserts characters
// within a line, so line numbers of the prepared text are those of the original (columns after
// a renamed key on the same line shift). Malformed input is left for the JSON parser to report.
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

struct RenamedKey {
  std::vector<std::string> path;  // as DuplicateKey::path
  std::string key;                // as written
  std::string renamed;            // the new name
  size_t offset = 0;              // byte offset (in the original text) of the repeated key
};

struct PreparedJson {
  std::string text;
  std::optional<DuplicateKey> duplicate;  // the first repeated key (also when renaming)
  std::vector<RenamedKey> renamed;        // with rename_duplicates: every renamed key, in order
};

PreparedJson prepare_json(std::string_view text, bool rename_duplicates = false);

struct LineCol {
  int line = 1;    // 1-based
  int column = 1;  // 1-based, in bytes
};
// Position of byte `offset` (clamped to the text).
LineCol line_col(std::string_view text, size_t offset);

}  // namespace scx
