#include "base/text_file.h"

#include <cstdio>

namespace scx {

Status write_text_file(const std::string& path, const std::string& text, const std::string& what) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return Status::Errorf(what, "cannot write '{}'", path);
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) return Status::Errorf(what, "error writing '{}'", path);
  return {};
}

}  // namespace scx
