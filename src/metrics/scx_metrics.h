// sched_ext figures of one run: dispatch queues (depth and insert-to-dispatch latency), callback
// counts per op, SCX event counters (scx_bpf_events), how the scheduler exited and its state.
//
// The ext class's trace events (ScxDsqInsert{dsq, depth}, ScxDsqMove, ScxCallback{op},
// ScxExit{kind, reason}, ...) are forwarded here by MetricsCollector::on_event; until they exist
// `present` stays false and every report prints the section as not measured (null / "-").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/time.h"

namespace scx {

// Built-in DSQ ids as sched_ext numbers them (include/linux/sched/ext.h).
inline constexpr uint64_t kScxDsqFlagBuiltin = 1ULL << 63;
inline constexpr uint64_t kScxDsqFlagLocalOn = 1ULL << 62;
inline constexpr uint64_t kScxDsqGlobal = kScxDsqFlagBuiltin | 1;
inline constexpr uint64_t kScxDsqLocal = kScxDsqFlagBuiltin | 2;
// "global", "local", "local_on:3" or the decimal id of a user DSQ.
std::string scx_dsq_name(uint64_t id);

struct DsqMetrics {
  uint64_t id = 0;
  uint64_t inserts = 0;      // tasks inserted (scx_bpf_dsq_insert / enqueue to the DSQ)
  uint64_t removals = 0;     // tasks taken out (dispatched, moved, consumed, dequeued)
  int64_t depth = 0;         // current number of queued tasks
  int64_t max_depth = 0;
  uint64_t depth_ns = 0;     // time integral of depth (depth x ns), for the average
  Ns depth_since = 0;
  std::vector<Ns> latency;   // insert -> removal of each task, ns
  std::vector<uint64_t> depth_series;  // per bucket of ScxMetrics::series_width: depth x ns
  Ns first_seen = 0;
};

class ScxMetrics {
 public:
  // True once any sched_ext event was recorded.
  bool present() const { return present_; }
  void enable_series(Ns width) { series_width_ = width; }
  Ns series_width() const { return series_width_; }

  // A task was inserted into DSQ `dsq` at `t`; `depth` is the DSQ's depth after the insert.
  void dsq_insert(Ns t, uint64_t dsq, int64_t depth, int pid);
  // A task left DSQ `dsq` (dispatch, move, consume or dequeue); `depth` after the removal.
  void dsq_remove(Ns t, uint64_t dsq, int64_t depth, int pid);
  void callback(std::string_view op, uint64_t n = 1);
  void event_counter(std::string_view name, int64_t delta);
  void exit(std::string_view kind, std::string_view reason, Ns t);
  void set_state(std::string_view state);
  // A bpf_trace_printk line (BpfTracePrintk event).
  void printk_line() {
    ++printk_lines_;
    present_ = true;
  }
  uint64_t printk_lines() const { return printk_lines_; }
  // Closes the depth integrals at `end`.
  void finish(Ns end);

  const std::map<uint64_t, DsqMetrics>& dsqs() const { return dsqs_; }
  const std::map<std::string, uint64_t, std::less<>>& callbacks() const { return callbacks_; }
  const std::map<std::string, int64_t, std::less<>>& events() const { return events_; }
  const std::optional<std::string>& exit_kind() const { return exit_kind_; }
  const std::optional<std::string>& exit_reason() const { return exit_reason_; }
  const std::optional<Ns>& exit_time() const { return exit_time_; }
  const std::optional<std::string>& state() const { return state_; }

 private:
  DsqMetrics& dsq(Ns t, uint64_t id);
  void set_depth(DsqMetrics& d, Ns t, int64_t depth);

  bool present_ = false;
  Ns series_width_ = 0;
  std::map<uint64_t, DsqMetrics> dsqs_;
  std::map<int, std::pair<uint64_t, Ns>> queued_;  // pid -> (dsq, insert time)
  std::map<std::string, uint64_t, std::less<>> callbacks_;
  std::map<std::string, int64_t, std::less<>> events_;
  std::optional<std::string> exit_kind_, exit_reason_, state_;
  std::optional<Ns> exit_time_;
  uint64_t printk_lines_ = 0;
};

}  // namespace scx
