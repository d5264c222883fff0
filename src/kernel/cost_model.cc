#include "kernel/cost_model.h"

#include <charconv>

#include <fmt/format.h>

namespace scx {
namespace {

struct Field {
  const char* name;
  Ns CostModel::*member;
  const char* help;
};

constexpr Field kFields[] = {
    {"context_switch", &CostModel::context_switch_ns, "delay before a switched-in task runs"},
    {"wakeup_local", &CostModel::wakeup_local_ns,
     "sched_waking to sched_switch of a wakee preempting on the same CPU"},
    {"resched_syscall", &CostModel::resched_syscall_ns,
     "system call that preempts its caller to sched_switch"},
    {"wakeup_ipi", &CostModel::wakeup_ipi_ns, "remote wakeup / resched IPI latency"},
    {"idle_exit", &CostModel::idle_exit_ns, "extra wakeup latency of an idle CPU"},
    {"ipi_send", &CostModel::ipi_send_ns, "CPU time the waking task spends sending a wake-up or resched IPI"},
    {"migration_smt", &CostModel::migration_smt_ns, "cache-cold work after a move to an SMT sibling"},
    {"migration_llc", &CostModel::migration_llc_ns, "cache-cold work after a move within an LLC"},
    {"migration_cross_llc", &CostModel::migration_cross_llc_ns,
     "cache-cold work after a move to another LLC"},
    {"migration_cross_node", &CostModel::migration_cross_node_ns,
     "cache-cold work after a move to another NUMA node"},
    {"timer_slack", &CostModel::timer_slack_ns, "hrtimer slack added to non-RT sleeps"},
    {"runtime_chunk", &CostModel::runtime_chunk_ns, "rt-app runtime event clock-check granularity"},
    {"stopper_work", &CostModel::stopper_work_ns, "CPU time of a migration stopper callback"},
    {"usersched_cycle", &CostModel::usersched_cycle_ns, "CPU time of one pass of a user-space scheduler's loop"},
    {"usersched_syscall", &CostModel::usersched_syscall_ns, "CPU time of each bpf() syscall of a user-space scheduler"},
    {"usersched_record", &CostModel::usersched_record_ns,
     "CPU time of each ring buffer record a user-space scheduler reads or writes"},
    {"pipe_write", &CostModel::pipe_write_ns, "CPU time of a non-blocking 100-byte pipe write()"},
    {"pipe_read", &CostModel::pipe_read_ns, "CPU time of a non-blocking 100-byte pipe read()"},
    {"socket_write", &CostModel::socket_write_ns, "CPU time of a non-blocking 100-byte unix stream socket write()"},
    {"socket_read", &CostModel::socket_read_ns, "CPU time of a non-blocking 100-byte unix stream socket read()"},
};

}  // namespace

std::vector<CostModel::Param> CostModel::describe() const {
  std::vector<Param> out;
  out.push_back({"hz", std::to_string(hz), "scheduler tick frequency (CONFIG_HZ)"});
  for (const Field& f : kFields) out.push_back({f.name, format_duration(this->*f.member), f.help});
  if (rtapp_loop_ns > 0)  // listed only when set, so that reports of nominal runs read as before
    out.push_back({"rtapp_loop", fmt::format("{:g}ns", rtapp_loop_ns), "time of one rt-app busy loop (run events)"});
  return out;
}

Status CostModel::set(std::string_view assignment) {
  size_t eq = assignment.find('=');
  if (eq == std::string_view::npos)
    return Status::Errorf("--cost", "expected NAME=VALUE, got '{}'", std::string(assignment));
  std::string_view name = assignment.substr(0, eq), value = assignment.substr(eq + 1);
  if (name == "hz") {
    int v = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || p != value.data() + value.size() || v < 10 || v > 10000)
      return Status::Errorf("--cost hz", "expected a tick rate between 10 and 10000, got '{}'",
                            std::string(value));
    hz = v;
    return {};
  }
  if (name == "rtapp_loop") {
    std::string_view v = value;
    // Fractional nanoseconds, so parse_duration does not fit; the unit is still required.
    if (v.size() <= 2 || v.substr(v.size() - 2) != "ns")
      return Status::Errorf("--cost rtapp_loop", "'{}' needs the unit ns (e.g. 18.5ns; 0ns = as the workload's "
                            "calibration)", std::string(value));
    v.remove_suffix(2);
    double ns = -1;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), ns);
    if (ec != std::errc() || p != v.data() + v.size() || !(ns >= 0 && ns <= 1e6))
      return Status::Errorf("--cost rtapp_loop", "expected a time per loop in ns (e.g. 18.5ns; 0ns = as "
                            "the workload's calibration), got '{}'", std::string(value));
    rtapp_loop_ns = ns;
    return {};
  }
  for (const Field& f : kFields) {
    if (name != f.name) continue;
    auto d = parse_duration(value);
    if (!d.ok()) return d.status().within(std::string("--cost ") + f.name);
    this->*f.member = *d;
    return {};
  }
  std::string names = "hz";
  for (const Field& f : kFields) names += std::string(", ") + f.name;
  names += ", rtapp_loop";
  return Status::Errorf("--cost", "unknown cost '{}' (known: {})", std::string(name), names);
}

}  // namespace scx
