#include "calibrate/calibrate.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "calibrate/machine.h"
#include "calibrate/probes.h"

namespace scx {
namespace {

// Sizes of one repetition.
struct Plan {
  int repeats;
  int syscalls;
  int batch;          // messages per non-blocking batch
  int rounds;         // ping-pong round trips
  int wake_samples;   // timer and remote wake-ups
};

constexpr Plan kFull{9, 200000, 128, 20000, 300};
constexpr Plan kQuick{3, 20000, 64, 2000, 40};
constexpr long long kTimerInterval = 200000;  // 200 us between timer wake-ups

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size()))) ;
  return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
}

// Figures by name, one value per repetition.
using Series = std::map<std::string, std::vector<double>>;

void add_distribution(Series& s, const std::string& name, const std::vector<double>& samples) {
  if (samples.empty()) return;
  s[name + ".min"].push_back(percentile(samples, 0));
  s[name + ".p50"].push_back(percentile(samples, 0.5));
  s[name + ".p99"].push_back(percentile(samples, 0.99));
}

void measure_once(const Plan& plan, const std::vector<int>& cpus, Series& s) {
  using namespace calib;
  s["syscall"].push_back(syscall_ns(plan.syscalls));
  const MessageCost p1 = pipe_message(1, plan.batch), p100 = pipe_message(100, plan.batch);
  const MessageCost s100 = socket_message(100, plan.batch);
  s["pipe_write_1B"].push_back(p1.write_ns);
  s["pipe_read_1B"].push_back(p1.read_ns);
  s["pipe_write_100B"].push_back(p100.write_ns);
  s["pipe_read_100B"].push_back(p100.read_ns);
  s["socket_write_100B"].push_back(s100.write_ns);
  s["socket_read_100B"].push_back(s100.read_ns);
  s["pingpong_half"].push_back(pingpong_half_ns(cpus[0], plan.rounds, true));
  s["pingpong_half_threads"].push_back(pingpong_half_ns(cpus[0], plan.rounds, false));
  std::vector<double> traced;
  add_distribution(s, "timer_wakeup_busy",
                   timer_overshoot_ns(cpus[0], plan.wake_samples, kTimerInterval, true, &traced));
  add_distribution(s, "timer_waking_to_switch", traced);
  add_distribution(s, "timer_wakeup_idle", timer_overshoot_ns(cpus[0], plan.wake_samples, kTimerInterval, false));
  traced.clear();
  add_distribution(s, "local_pipe_wakeup", pipe_wake_ns(cpus[0], cpus[0], plan.wake_samples, false, &traced));
  add_distribution(s, "local_pipe_waking_to_switch", traced);
  if (cpus.size() < 2) return;
  std::vector<double> writes;
  add_distribution(s, "remote_wakeup_busy", pipe_wake_ns(cpus[0], cpus[1], plan.wake_samples, true, nullptr, &writes));
  add_distribution(s, "remote_waking_write", writes);
  add_distribution(s, "remote_wakeup_idle", pipe_wake_ns(cpus[0], cpus[1], plan.wake_samples, false));
}

CostFigure summarize(const std::string& name, std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {name, percentile(v, 0.5), v.front(), v.back()};
}

std::string cost_text(double ns) {
  const double rounded = std::max(0.0, std::round(ns / 10) * 10);
  return format_duration(static_cast<Ns>(rounded));
}

// The cost model's values from the medians (m: figure name -> median ns).
std::vector<std::pair<std::string, std::string>> derive_costs(const std::map<std::string, double>& m) {
  auto at = [&](const std::string& k) { return m.at(k); };
  const double pipe_1b = at("pipe_write_1B") + at("pipe_read_1B");
  const double context_switch = at("pingpong_half") - pipe_1b;
  std::vector<std::pair<std::string, std::string>> out = {{"context_switch", cost_text(context_switch)}};
  if (m.count("timer_waking_to_switch.p50")) out.emplace_back("wakeup_local", cost_text(at("timer_waking_to_switch.p50")));
  if (m.count("local_pipe_waking_to_switch.p50"))
    out.emplace_back("resched_syscall", cost_text(at("local_pipe_waking_to_switch.p50")));
  if (m.count("remote_wakeup_busy.p50")) {
    out.emplace_back("wakeup_ipi", cost_text(at("remote_wakeup_busy.p50") - context_switch - pipe_1b));
    out.emplace_back("idle_exit", cost_text(at("remote_wakeup_idle.p50") - at("remote_wakeup_busy.p50")));
    out.emplace_back("ipi_send", cost_text(at("remote_waking_write.p50") - at("pipe_write_1B")));
  }
  out.emplace_back("pipe_write", cost_text(at("pipe_write_100B")));
  out.emplace_back("pipe_read", cost_text(at("pipe_read_100B")));
  out.emplace_back("socket_write", cost_text(at("socket_write_100B")));
  out.emplace_back("socket_read", cost_text(at("socket_read_100B")));
  return out;
}

constexpr const char* kNote =
    "medians over the repetitions (min..max beside them); ns. context_switch = pingpong_half (two "
    "processes; pingpong_half_threads: two threads of one process) - "
    "pipe_write_1B - pipe_read_1B; wakeup_local = timer_waking_to_switch.p50, resched_syscall = local_pipe_waking_to_switch.p50 (tracefs; "
    "absent without it); "
    "wakeup_ipi = remote_wakeup_busy.p50 - context_switch - pipe_write_1B - pipe_read_1B; "
    "idle_exit = remote_wakeup_idle.p50 - remote_wakeup_busy.p50; ipi_send = remote_waking_write.p50 "
    "(a write() that wakes a reader preempting a busy remote CPU) - pipe_write_1B; pipe_/socket_write/read = the "
    "100-byte figures";

}  // namespace

Result<CostProfile> calibrate_host(const CalibrateOptions& opts) {
  const Plan& plan = opts.quick ? kQuick : kFull;
  Series series;
  try {
    const std::vector<int> cpus = calib::allowed_cpus();
    for (int r = 0; r < plan.repeats; ++r) {
      if (opts.progress) fmt::print(opts.progress, "calibrate: repetition {}/{}\n", r + 1, plan.repeats);
      measure_once(plan, cpus, series);
    }
  } catch (const std::exception& e) {
    return Status::Error("calibrate", e.what());
  }
  CostProfile p;
  p.machine = calib::describe_machine();
  std::map<std::string, double> medians;
  for (const auto& [name, values] : series) {
    p.measurements.push_back(summarize(name, values));
    medians[name] = p.measurements.back().median_ns;
  }
  p.costs = derive_costs(medians);
  p.measurements_note = fmt::format("{} repetitions; {}", plan.repeats, kNote);
  return p;
}

}  // namespace scx
