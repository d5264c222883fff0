// Live progress on stderr while simulations run: simulated time, events/s and ETA. It is drawn
// only when stderr is a terminal, from a separate thread, and never touches the simulations'
// results: each run gets a ProgressSink (a trace listener) that publishes its simulated time and
// event count through relaxed atomics.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "trace/trace.h"

namespace scx {

class ProgressMeter {
 public:
  // `jobs` runs of `duration` simulated ns each.
  ProgressMeter(size_t jobs, Ns duration, bool enabled);
  ~ProgressMeter();
  bool enabled() const { return enabled_; }
  void start();
  void stop();  // final line, then newline

  struct Slot {
    std::atomic<uint64_t> sim_ns{0};
    std::atomic<uint64_t> events{0};
    std::atomic<bool> done{false};
  };
  Slot& slot(size_t job) { return *slots_[job]; }
  // The status line (exposed for tests): "[####......] 1.234s/5s sim  runs 2/6  1.20M ev/s  ETA 3 s".
  std::string line(double wall_seconds) const;

 private:
  void loop();
  size_t jobs_;
  Ns duration_;
  bool enabled_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::chrono::steady_clock::time_point t0_;
};

class ProgressSink : public TraceSink {
 public:
  explicit ProgressSink(ProgressMeter::Slot* slot) : slot_(slot) {}
  void on_event(const TraceEvent& e) override {
    if ((++n_ & 1023) == 0) {
      slot_->sim_ns.store(e.time, std::memory_order_relaxed);
      slot_->events.store(n_, std::memory_order_relaxed);
    }
  }
  void on_finish(Ns end) override {
    slot_->sim_ns.store(end, std::memory_order_relaxed);
    slot_->events.store(n_, std::memory_order_relaxed);
  }

 private:
  ProgressMeter::Slot* slot_;
  uint64_t n_ = 0;
};

// A wall-clock estimate in one unit, rounded: "<1 s", "42 s" (below 100 s), "3 min" (below
// 100 min), "2 h" — never mixed ("1m30s"): the figure is a rough guess, not a timestamp.
std::string format_eta(double seconds);

// True when stderr is a terminal.
bool stderr_is_tty();

}  // namespace scx
