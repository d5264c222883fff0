// Fuzzes scxsim's command line: bytes → argv (one argument per line, after "scxsim"), parsed
// and checked as `scxsim` does but never run (CommandMode::kCheckOnly), so no simulation, host
// measurement or file output happens. What it prints on stderr must be at most one line.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cli/command_line.h"
#include "one_line.h"

namespace {

constexpr size_t kMaxArgs = 64;

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> args{"scxsim"};
  while (!text.empty() && args.size() <= kMaxArgs) {
    const size_t end = text.find('\n');
    args.emplace_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return args;
}

// Device and kernel files could block (/dev/stdin) or never end; other paths are fair game.
bool names_special_files(std::string_view text) {
  for (std::string_view bad : {"/dev", "/proc", "/sys"})
    if (text.find(bad) != std::string_view::npos) return true;
  return false;
}

// Runs the check-only command line with `stderr` swapped for a memory stream, and returns
// what it printed there. Only the stdio stream is swapped: sanitizer and libFuzzer reports
// write to file descriptor 2 and stay visible.
std::string checked_stderr(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  char* buffer = nullptr;
  size_t length = 0;
  FILE* captured = open_memstream(&buffer, &length);
  FILE* real_stderr = stderr;
  stderr = captured;
  scx::run_command_line(static_cast<int>(args.size()), argv.data(), scx::CommandMode::kCheckOnly);
  stderr = real_stderr;
  std::fclose(captured);
  std::string text(buffer, length);
  std::free(buffer);
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (names_special_files(text) || text.find('\0') != std::string_view::npos) return 0;
  std::vector<std::string> args = split_lines(text);
  std::string printed = checked_stderr(args);
  // One error line ends in '\n'; anything before that newline must not contain another.
  if (!printed.empty() && printed.back() == '\n') printed.pop_back();
  scx::fuzz::require_one_line(printed);
  return 0;
}
