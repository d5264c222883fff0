#include "workload/json_prep.h"

#include <set>

namespace scx {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// One open object or array.
struct Frame {
  bool object = false;
  bool expect_key = true;  // objects: the next string is a key
  std::string key;         // objects: the last key read (names the child being parsed)
  int index = 0;           // arrays: position of the current item
  std::set<std::string> keys;
  int curid = 1;           // workgen's rename counter
};

std::vector<std::string> path_of(const std::vector<Frame>& stack) {
  std::vector<std::string> path;
  // The last frame is the object holding the repeated key; the ones above it name the way in.
  for (size_t i = 0; i + 1 < stack.size(); ++i)
    path.push_back(stack[i].object ? stack[i].key : "[" + std::to_string(stack[i].index) + "]");
  return path;
}

}  // namespace

PreparedJson prepare_json(std::string_view in, bool rename_duplicates) {
  PreparedJson out;
  out.text.assign(in);
  std::string& s = out.text;
  const size_t n = s.size();
  std::vector<Frame> stack;
  size_t pending_comma = std::string::npos;
  std::vector<std::pair<size_t, std::string>> inserts;  // (position, text), ascending
  size_t i = 0;
  while (i < n) {
    char c = s[i];
    if (c == '/' && i + 1 < n && s[i + 1] == '/') {
      while (i < n && s[i] != '\n') s[i++] = ' ';
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      size_t end = s.find("*/", i + 2);
      if (end == std::string::npos) break;  // unterminated: the parser reports it
      for (; i < end + 2; ++i)
        if (s[i] != '\n') s[i] = ' ';
      continue;
    }
    if (is_space(c)) {
      ++i;
      continue;
    }
    if ((c == '}' || c == ']') && pending_comma != std::string::npos) s[pending_comma] = ' ';
    pending_comma = std::string::npos;
    switch (c) {
      case '{':
        stack.push_back(Frame{.object = true});
        break;
      case '[':
        stack.push_back(Frame{.object = false});
        break;
      case '}':
      case ']':
        if (!stack.empty()) stack.pop_back();
        break;
      case ',':
        pending_comma = i;
        if (!stack.empty()) {
          if (stack.back().object)
            stack.back().expect_key = true;
          else
            ++stack.back().index;
        }
        break;
      case '"': {
        size_t start = i++;
        std::string raw;
        while (i < n && s[i] != '"') {
          if (s[i] == '\\' && i + 1 < n) raw += s[i++];
          raw += s[i++];
        }
        if (i >= n) return out;  // unterminated string
        if (!stack.empty() && stack.back().object && stack.back().expect_key) {
          Frame& f = stack.back();
          f.expect_key = false;
          f.key = raw;
          if (!f.keys.insert(raw).second) {
            if (!out.duplicate) out.duplicate = DuplicateKey{path_of(stack), raw, start};
            if (rename_duplicates) {
              std::string name = raw + std::to_string(f.curid);
              while (f.keys.count(name)) name = raw + std::to_string(++f.curid);
              f.keys.insert(name);
              out.renamed.push_back(RenamedKey{path_of(stack), raw, name, start});
              inserts.emplace_back(i, name.substr(raw.size()));  // before the closing quote
              f.key = name;
            }
          }
        }
        break;
      }
      default:
        break;
    }
    ++i;
  }
  for (auto it = inserts.rbegin(); it != inserts.rend(); ++it) s.insert(it->first, it->second);
  return out;
}

LineCol line_col(std::string_view text, size_t offset) {
  if (offset > text.size()) offset = text.size();
  LineCol lc;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++lc.line;
      line_start = i + 1;
    }
  }
  lc.column = static_cast<int>(offset - line_start) + 1;
  return lc;
}

}  // namespace scx
