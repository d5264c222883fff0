// A tracefs instance of our own (instances/<name>): its own ring buffer and event switches, so
// the run neither disturbs nor is disturbed by other users of the top-level trace. Records the
// scheduler tracepoints the metrics need with the "mono" clock (one time line for all CPUs).
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace scx {

class TraceInstance {
 public:
  // The events recorded.
  static const char* const kEvents[7];

  static Result<TraceInstance> create(const std::string& tracefs, const std::string& name, size_t buffer_kb_per_cpu);
  TraceInstance(TraceInstance&& o) noexcept : dir_(std::move(o.dir_)) { o.dir_.clear(); }
  TraceInstance& operator=(TraceInstance&&) = delete;
  ~TraceInstance();

  Status start() const;  // clears the buffer, then turns recording on
  Status stop() const;
  Result<std::string> read() const;  // the `trace` file
  // Events lost because a CPU's buffer filled (overrun + dropped, over all CPUs).
  uint64_t lost() const;

 private:
  explicit TraceInstance(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace scx
