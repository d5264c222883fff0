// Prints events the way ftrace's trace file does ("<comm>-<pid> [cpu] time: event: fields"),
// with simulated time, so a run can be read or diffed line by line.
#pragma once

#include <cstdio>
#include <string>
#include <unordered_map>

#include "trace/trace.h"

namespace scx {

class TextTraceSink : public TraceSink {
 public:
  explicit TextTraceSink(std::FILE* out, bool include_ticks = false)
      : out_(out), ticks_(include_ticks) {}
  void on_event(const TraceEvent& e) override;
  // Formats one event (without the trailing newline); exposed for tests.
  std::string format(const TraceEvent& e);

 private:
  const std::string& comm(int32_t pid, int32_t cpu);
  std::FILE* out_;
  bool ticks_;
  std::unordered_map<int64_t, std::string> comms_;  // lookup only, never iterated
  std::vector<int32_t> curr_;                        // pid running on each CPU
};

}  // namespace scx
