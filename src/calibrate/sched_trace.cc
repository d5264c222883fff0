#include "calibrate/sched_trace.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "calibrate/probes.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

namespace scx::calib {
namespace {

constexpr const char* kTraceFs = "/sys/kernel/tracing";

bool put(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

// Nanoseconds per TSC tick, from 20 ms of CLOCK_MONOTONIC.
double ns_per_tsc_tick() {
#if defined(__x86_64__) || defined(__i386__)
  const long long t0 = now_ns();
  const unsigned long long c0 = __rdtsc();
  while (now_ns() - t0 < 20000000) {}
  const long long t1 = now_ns();
  const unsigned long long c1 = __rdtsc();
  return static_cast<double>(t1 - t0) / static_cast<double>(c1 - c0);
#else
  return 0;
#endif
}

// The timestamp token just before ": sched_...", e.g. "  123456789: sched_switch: ...".
bool event_time(std::string_view line, size_t at, unsigned long long* ts) {
  size_t end = at;
  size_t begin = line.rfind(' ', end - 1);
  if (begin == std::string_view::npos) return false;
  *ts = std::strtoull(std::string(line.substr(begin + 1, end - begin - 1)).c_str(), nullptr, 10);
  return *ts != 0;
}

}  // namespace

std::unique_ptr<SchedTrace> SchedTrace::open(int tid) {
  const double ns_per_tick = ns_per_tsc_tick();
  if (ns_per_tick <= 0 || !std::filesystem::exists(std::string(kTraceFs) + "/instances")) return nullptr;
  const std::string dir = std::string(kTraceFs) + "/instances/scxsim-calibrate-" + std::to_string(getpid());
  std::error_code ec;
  std::filesystem::create_directory(dir, ec);
  if (ec) return nullptr;
  std::unique_ptr<SchedTrace> t(new SchedTrace(dir, tid, ns_per_tick));
  const std::string ev = dir + "/events/sched/";
  const bool ok = put(dir + "/trace_clock", "x86-tsc") &&
                  put(ev + "sched_waking/filter", "pid == " + std::to_string(tid)) &&
                  put(ev + "sched_switch/filter", "next_pid == " + std::to_string(tid)) &&
                  put(ev + "sched_waking/enable", "1") && put(ev + "sched_switch/enable", "1") &&
                  put(dir + "/tracing_on", "1");
  return ok ? std::move(t) : nullptr;
}

SchedTrace::~SchedTrace() {
  put(dir_ + "/tracing_on", "0");
  put(dir_ + "/events/sched/sched_waking/enable", "0");
  put(dir_ + "/events/sched/sched_switch/enable", "0");
  std::error_code ec;
  std::filesystem::remove(dir_, ec);  // rmdir of an instance frees it
}

std::vector<double> SchedTrace::waking_to_switch_ns() {
  put(dir_ + "/tracing_on", "0");
  std::ifstream in(dir_ + "/trace");
  std::vector<double> out;
  unsigned long long woke = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("#")) continue;
    unsigned long long ts = 0;
    if (size_t at = line.find(": sched_waking:"); at != std::string::npos) {
      if (event_time(line, at, &ts)) woke = ts;
    } else if (size_t sw = line.find(": sched_switch:"); sw != std::string::npos && woke) {
      if (event_time(line, sw, &ts) && ts > woke) out.push_back(static_cast<double>(ts - woke) * ns_per_tick_);
      woke = 0;
    }
  }
  return out;
}

}  // namespace scx::calib
