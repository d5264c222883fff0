#include "cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

namespace scx {

bool stderr_is_tty() { return ::isatty(STDERR_FILENO) == 1; }

std::string format_eta(double seconds) {
  if (seconds < 1) return "<1 s";
  if (seconds < 100) return fmt::format("{:.0f} s", seconds);
  if (seconds < 100 * 60) return fmt::format("{:.0f} min", seconds / 60);
  return fmt::format("{:.0f} h", seconds / 3600);
}

ProgressMeter::ProgressMeter(size_t jobs, Ns duration, bool enabled)
    : jobs_(jobs), duration_(std::max<Ns>(duration, 1)), enabled_(enabled) {
  for (size_t i = 0; i < jobs; ++i) slots_.push_back(std::make_unique<Slot>());
}

ProgressMeter::~ProgressMeter() { stop(); }

void ProgressMeter::start() {
  t0_ = std::chrono::steady_clock::now();
  if (!enabled_ || thread_.joinable()) return;
  thread_ = std::thread([this] { loop(); });
}

std::string ProgressMeter::line(double wall) const {
  uint64_t sim = 0, events = 0, done = 0;
  for (const auto& s : slots_) {
    const bool d = s->done.load(std::memory_order_relaxed);
    sim += d ? duration_ : std::min<uint64_t>(s->sim_ns.load(std::memory_order_relaxed), duration_);
    events += s->events.load(std::memory_order_relaxed);
    done += d ? 1 : 0;
  }
  const double total = static_cast<double>(duration_) * static_cast<double>(jobs_);
  const double frac = total > 0 ? std::min(1.0, static_cast<double>(sim) / total) : 1.0;
  const int width = 24, filled = static_cast<int>(frac * width);
  std::string bar = std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(width - filled), '.');
  const double rate = wall > 0 ? static_cast<double>(events) / wall : 0;
  // Simulated time still to do over the simulated time done per wall second so far.
  const double sim_rate = wall > 0 ? static_cast<double>(sim) / wall : 0;
  const std::string eta = frac > 0.001 && sim_rate > 0 ? format_eta((total - static_cast<double>(sim)) / sim_rate) : "?";
  std::string out = fmt::format("[{}] {:5.1f}%  sim {}/{}", bar, 100 * frac,
                                format_seconds(jobs_ == 1 ? sim : sim / jobs_), format_duration(duration_));
  if (jobs_ > 1) out += fmt::format("  runs {}/{}", done, jobs_);
  out += fmt::format("  {:.2f}M ev/s  ETA {}", rate / 1e6, eta);
  return out;
}

void ProgressMeter::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(250));
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    std::fprintf(stderr, "\r%s\x1b[K", line(wall).c_str());
    std::fflush(stderr);
  }
}

void ProgressMeter::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  std::fprintf(stderr, "\r\x1b[K");
  std::fflush(stderr);
}

}  // namespace scx
