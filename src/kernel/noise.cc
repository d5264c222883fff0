#include "kernel/noise.h"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>

namespace scx {
namespace {

Result<double> parse_number(std::string_view text, double lo, double hi, std::string_view what) {
  std::string s(text);
  bool percent = !s.empty() && s.back() == '%';
  if (percent) s.pop_back();
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty())
    return Status::Errorf("", "expected {}, got '{}'", what, std::string(text));
  if (percent) v /= 100;
  if (!(v >= lo && v <= hi))
    return Status::Errorf("", "{} must be in {}..{}, got '{}'", what, lo, hi, std::string(text));
  return v;
}

}  // namespace

NoiseModel NoiseModel::defaults() {
  NoiseModel n;
  n.timer_jitter_ns = 2 * kNsPerUs;
  n.wakeup_jitter_ns = 2 * kNsPerUs;
  n.kthread_rate = 25;
  // The validation host's background work (docs/validate.md): wake-ups of 34 us on average,
  // 5.4 % of them 1.2 ms (kdamond, writeback, unbound kworkers).
  n.kthread_run_ns = 34 * kNsPerUs;
  n.kthread_long = 0.054;
  n.kthread_long_run_ns = 1200 * kNsPerUs;
  n.unbound_rate = 10;
  n.work_jitter = 0.02;
  n.speed_spread = 0.005;
  n.tick_phase = true;
  n.timer_phase_ns = 2 * kNsPerMs;
  return n;
}

bool NoiseModel::any() const {
  return timer_jitter_ns || wakeup_jitter_ns || kthread_rate > 0 || unbound_rate > 0 || daemon_rate > 0 || work_jitter > 0 || speed_spread > 0 || tick_phase ||
         timer_phase_ns;
}

std::vector<NoiseModel::Param> NoiseModel::describe() const {
  std::vector<Param> params = {
      {"timer_jitter", format_duration(timer_jitter_ns), "mean extra delay of a timer expiry"},
      {"kthread_rate", fmt::format("{:g}/s", kthread_rate), "kernel-thread wake-ups per CPU"},
      {"kthread_run", format_duration(kthread_run_ns), "mean CPU time of a kernel-thread wake-up"},
      {"unbound_rate", fmt::format("{:g}/s", unbound_rate), "wake-ups of unbound kernel threads (any CPU)"},
      {"work_jitter", fmt::format("{:g}%", work_jitter * 100), "relative spread of a run event's work"},
      {"tick_phase", tick_phase ? "on" : "off", "tick grid at a random offset"},
      {"timer_phase", format_duration(timer_phase_ns), "late start of each task's timer time line, up to"},
  };
  if (daemon_rate > 0) {  // listed only when used, as the long tail below
    params.insert(params.begin() + 4, {"daemon_rate", fmt::format("{:g}/s", daemon_rate),
                                       "wake-ups of a user-space daemon (any CPU)"});
    params.insert(params.begin() + 5, {"daemon_run", format_duration(daemon_run_ns),
                                       "mean CPU time of a daemon wake-up"});
    params.insert(params.begin() + 6, {"daemon_nice", fmt::format("{}", daemon_nice), "the daemon's nice value"});
  }
  if (kthread_long > 0) {  // listed only when used, so that reports without it read as before
    params.insert(params.begin() + 3, {"kthread_long", fmt::format("{:g}%", kthread_long * 100),
                                       "kernel-thread wake-ups that run long"});
    params.insert(params.begin() + 4, {"kthread_long_run", format_duration(kthread_long_run_ns),
                                       "mean CPU time of a long wake-up"});
  }
  if (speed_spread > 0) {  // listed only when used, so that reports without it read as before
    auto at = std::find_if(params.begin(), params.end(), [](const Param& q) { return q.name == "work_jitter"; });
    params.insert(at + 1, {"speed_spread", fmt::format("{:g}%", speed_spread * 100),
                           "relative spread of the machine's speed from run to run"});
  }
  if (wakeup_jitter_ns)  // after the others' fixed positions; listed only when used, as above
    params.insert(params.begin() + 1, {"wakeup_jitter", format_duration(wakeup_jitter_ns),
                                       "mean extra time from a resched to __schedule()"});
  return params;
}

Status NoiseModel::set(std::string_view assignment) {
  if (assignment == "off" || assignment == "none") {
    *this = off();
    return {};
  }
  if (assignment == "on" || assignment == "default") {
    *this = defaults();
    return {};
  }
  size_t eq = assignment.find('=');
  if (eq == std::string_view::npos)
    return Status::Errorf("--noise", "expected KEY=VALUE, 'on' or 'off', got '{}'", std::string(assignment));
  const std::string name(assignment.substr(0, eq));
  const std::string_view value = assignment.substr(eq + 1);
  const std::string where = "--noise " + name;
  auto duration = [&](Ns* out) -> Status {
    auto d = parse_duration(value);
    if (!d.ok()) return d.status().within(where);
    *out = *d;
    return {};
  };
  if (name == "timer_jitter") return duration(&timer_jitter_ns);
  if (name == "wakeup_jitter") return duration(&wakeup_jitter_ns);
  if (name == "kthread_run") return duration(&kthread_run_ns);
  if (name == "timer_phase") return duration(&timer_phase_ns);
  if (name == "kthread_long_run") return duration(&kthread_long_run_ns);
  if (name == "kthread_long") {
    auto r = parse_number(value, 0, 1, "a fraction (0.05 or 5%)");
    if (!r.ok()) return r.status().within(where);
    kthread_long = *r;
    return {};
  }
  if (name == "daemon_run") return duration(&daemon_run_ns);
  if (name == "daemon_nice") {
    auto r = parse_number(value, -20, 19, "a nice value (-20..19)");
    if (!r.ok()) return r.status().within(where);
    if (*r != static_cast<int>(*r)) return Status::Errorf(where, "expected an integer nice value, got '{}'", std::string(value));
    daemon_nice = static_cast<int>(*r);
    return {};
  }
  if (name == "kthread_rate" || name == "unbound_rate" || name == "daemon_rate") {
    std::string_view v = value;
    if (v.size() > 2 && v.substr(v.size() - 2) == "/s") v.remove_suffix(2);
    auto r = parse_number(v, 0, 100000, "a rate in wake-ups per second");
    if (!r.ok()) return r.status().within(where);
    (name == "kthread_rate" ? kthread_rate : name == "unbound_rate" ? unbound_rate : daemon_rate) = *r;
    return {};
  }
  if (name == "work_jitter" || name == "speed_spread") {
    auto r = parse_number(value, 0, 0.5, "a fraction (0.02 or 2%)");
    if (!r.ok()) return r.status().within(where);
    (name == "work_jitter" ? work_jitter : speed_spread) = *r;
    return {};
  }
  if (name == "tick_phase") {
    if (value == "on" || value == "1") tick_phase = true;
    else if (value == "off" || value == "0") tick_phase = false;
    else return Status::Errorf(where, "expected on or off, got '{}'", std::string(value));
    return {};
  }
  return Status::Errorf("--noise", "unknown source '{}' (known: timer_jitter, wakeup_jitter, kthread_rate, "
                        "kthread_run, kthread_long, kthread_long_run, unbound_rate, daemon_rate, daemon_run, daemon_nice, "
                        "work_jitter, speed_spread, tick_phase, "
                        "timer_phase)", name);
}

}  // namespace scx
