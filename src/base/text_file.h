// Writing a whole text file, with errors that name the file and what it was for.
#pragma once

#include <string>

#include "base/status.h"

namespace scx {

// Writes `text` to `path` (replacing it). Errors read "WHAT: cannot write 'PATH'" or
// "WHAT: error writing 'PATH'".
Status write_text_file(const std::string& path, const std::string& text, const std::string& what);

}  // namespace scx
