#include "base/check.h"

#include <cstdio>
#include <cstdlib>

namespace scx {
namespace {
// Per thread: `scxsim compare` runs several kernels at once, one per worker thread.
thread_local CheckContextFn g_context_fn = nullptr;
thread_local const void* g_context_arg = nullptr;
}  // namespace

void set_check_context(CheckContextFn fn, const void* arg) {
  g_context_fn = fn;
  g_context_arg = arg;
}

void check_failed(const char* cond, const char* file, int line, const std::string& msg) {
  std::string context = g_context_fn ? g_context_fn(g_context_arg) : std::string();
  std::string line_text = std::string("scxsim: internal check failed: ") + cond + " at " + file +
                          ":" + std::to_string(line);
  if (!msg.empty()) line_text += ": " + msg;
  if (!context.empty()) line_text += " [" + context + "]";
  std::fprintf(stderr, "%s\n", line_text.c_str());
  std::abort();
}

}  // namespace scx
