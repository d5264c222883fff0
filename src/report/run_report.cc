#include "report/run_report.h"

#include "report/param_json.h"
#include "report/run_details.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace scx {
namespace {

std::string ms(Ns v) { return fmt::format("{:.3f}", static_cast<double>(v) / 1e6); }
std::string us_or_dash(int64_t v) {
  return v < 0 ? "-" : fmt::format("{:.1f}", static_cast<double>(v) / 1e3);
}
nlohmann::json ns_or_null(int64_t v) { return v < 0 ? nlohmann::json() : nlohmann::json(v); }
// A task's wake-up latency p50, p99 and max (-1: none), selected on one copy of its samples.
std::vector<int64_t> latency_p50_p99_max(const TaskMetrics& t) {
  std::vector<Ns> samples = t.wakeup_latency;
  return select_percentiles(samples, {50, 99, 100});
}

std::string policy_short(int policy) {
  switch (static_cast<Policy>(policy)) {
    case Policy::Normal: return "normal";
    case Policy::Fifo: return "fifo";
    case Policy::RR: return "rr";
    case Policy::Batch: return "batch";
    case Policy::Idle: return "idle";
    case Policy::Deadline: return "deadline";
    case Policy::Ext: return "ext";
  }
  return "?";
}

}  // namespace

std::string format_run_header(const RunReport& r) {
  const RunInfo& i = r.info;
  std::string out;
  out += fmt::format("scxsim run: workload {} on {} [{}]\n", i.workload, i.topology, i.topology_summary);
  out += fmt::format("scheduler {}, kernel {}, seed {}, simulated {}\n", i.scheduler, i.kernel, i.seed,
                     format_duration(i.duration));
  std::string costs;
  for (const auto& p : i.cost.describe()) costs += fmt::format("{}{}={}", costs.empty() ? "" : " ", p.name, p.value);
  out += "cost model: " + costs + "\n";
  std::string noise;
  for (const auto& p : i.noise.describe()) noise += fmt::format("{}{}={}", noise.empty() ? "" : " ", p.name, p.value);
  out += "noise: " + (i.noise.any() ? noise : std::string("off")) + "\n";
  for (const auto& [k, v] : i.scheduler_state) out += fmt::format("{}: {}\n", k, v);
  out += fmt::format("events {}  context switches {}  wakeups {} ({} via IPI)  migrations {}\n",
                     r.stats.events, r.stats.context_switches, r.stats.wakeups, r.stats.remote_wakeups,
                     r.stats.migrations);
  if (i.fingerprint) out += "fingerprint " + *i.fingerprint + "\n";
  if (i.unfinished_tasks)
    out += fmt::format("warning: stopped by --duration {} with {} task(s) still running: the workload did not "
                       "finish, and its figures cover only that time\n", format_duration(i.duration),
                       i.unfinished_tasks);
  return out;
}

std::string format_run_text(const RunReport& r) {
  const RunInfo& i = r.info;
  const MetricsCollector& m = *r.metrics;
  std::string out = format_run_header(r);
  const double wall = static_cast<double>(m.end_time());
  out += "\nTasks (times in ms, latencies in us)\n";
  out += fmt::format("{:>7} {:<16} {:<7} {:>4} {:>10} {:>6} {:>10} {:>8} {:>8} {:>8} {:>9} {:>7} {:>7} {:>6}\n",
                     "pid", "comm", "policy", "prio", "cpu", "cpu%", "wait", "wakeups", "lat_p50",
                     "lat_p99", "lat_max", "vcsw", "ivcsw", "migr");
  for (const TaskMetrics& t : m.tasks()) {
    if (t.kthread && t.cpu_time == 0) continue;
    const std::vector<int64_t> lat = latency_p50_p99_max(t);
    out += fmt::format("{:>7} {:<16} {:<7} {:>4} {:>10} {:>6.1f} {:>10} {:>8} {:>8} {:>8} {:>9} {:>7} {:>7} {:>6}\n",
                       t.pid, t.comm, policy_short(t.policy), t.prio, ms(t.cpu_time),
                       wall > 0 ? 100.0 * static_cast<double>(t.cpu_time) / wall : 0.0, ms(t.wait_time),
                       t.wakeups, us_or_dash(lat[0]), us_or_dash(lat[1]), us_or_dash(lat[2]), t.nvcsw, t.nivcsw,
                       t.total_migrations());
  }
  out += "\nCPUs\n";
  out += fmt::format("{:>4} {:>7} {:>10} {:>10} {:>9}\n", "cpu", "busy%", "busy", "idle", "switches");
  for (size_t c = 0; c < m.cpus().size(); ++c) {
    const CpuMetrics& cm = m.cpus()[c];
    out += fmt::format("{:>4} {:>7.1f} {:>10} {:>10} {:>9}\n", c,
                       wall > 0 ? 100.0 * static_cast<double>(cm.busy) / wall : 0.0, ms(cm.busy),
                       ms(cm.idle), cm.switches);
  }
  if (!m.counters().empty()) {
    out += "\nWorkload counters\n";
    for (size_t c = 0; c < m.counters().size(); ++c)
      out += fmt::format("  {:<20} {}\n", c < i.counters.size() ? i.counters[c] : std::to_string(c),
                         m.counters()[c]);
  }
  out += format_run_details_text(r, summarize(m));
  if (!r.workload_figures_text.empty()) out += "\nWorkload figures\n" + r.workload_figures_text;
  return out;
}

std::string format_run_json(const RunReport& r) {
  const RunInfo& i = r.info;
  const MetricsCollector& m = *r.metrics;
  nlohmann::ordered_json j;
  j["workload"] = i.workload;
  j["topology"] = {{"spec", i.topology}, {"summary", i.topology_summary}};
  j["scheduler"] = i.scheduler;
  j["kernel"] = i.kernel;
  j["seed"] = i.seed;
  j["duration_ns"] = i.duration;
  j["cost_model"] = cost_model_json(i.cost);
  j["noise"] = noise_json(i.noise);
  for (const auto& [k, v] : i.scheduler_state) {
    if (k == kKernelLogKey) j["scheduler_state"][k].push_back(v);  // every line, not the last one
    else j["scheduler_state"][k] = v;
  }
  j["stats"] = {{"events", r.stats.events},
                {"context_switches", r.stats.context_switches},
                {"wakeups", r.stats.wakeups},
                {"remote_wakeups", r.stats.remote_wakeups},
                {"migrations", r.stats.migrations},
                {"rt_pushes", r.stats.rt_pushes},
                {"rt_pulls", r.stats.rt_pulls},
                {"forks", r.stats.forks},
                {"exits", r.stats.exits},
                {"timer_misses", r.stats.timer_misses}};
  if (r.stats.cgroup_moves_refused) j["stats"]["cgroup_moves_refused"] = r.stats.cgroup_moves_refused;
  if (i.fingerprint) j["fingerprint"] = *i.fingerprint;
  if (i.unfinished_tasks) j["unfinished_tasks"] = i.unfinished_tasks;  // absent when the workload finished
  nlohmann::ordered_json tasks = nlohmann::ordered_json::array();
  for (const TaskMetrics& t : m.tasks()) {
    nlohmann::ordered_json tj;
    tj["pid"] = t.pid;
    tj["comm"] = t.comm;
    tj["policy"] = policy_short(t.policy);
    tj["prio"] = t.prio;
    tj["kthread"] = t.kthread;
    tj["cpu_time_ns"] = t.cpu_time;
    tj["wait_time_ns"] = t.wait_time;
    tj["wakeups"] = t.wakeups;
    const std::vector<int64_t> lat = latency_p50_p99_max(t);
    tj["wakeup_latency_ns"] = {{"samples", t.wakeup_latency.size()},
                               {"p50", ns_or_null(lat[0])},
                               {"p99", ns_or_null(lat[1])},
                               {"max", ns_or_null(lat[2])}};
    tj["nvcsw"] = t.nvcsw;
    tj["nivcsw"] = t.nivcsw;
    nlohmann::ordered_json migr;
    for (int l = 0; l < kMigrationLevels; ++l)
      migr[migration_level_name(static_cast<MigrationLevel>(l))] = t.migrations[l];
    tj["migrations"] = migr;
    tj["timer_misses"] = t.timer_misses;
    tasks.push_back(tj);
  }
  j["tasks"] = tasks;
  nlohmann::ordered_json cpus = nlohmann::ordered_json::array();
  for (size_t c = 0; c < m.cpus().size(); ++c)
    cpus.push_back({{"cpu", c}, {"busy_ns", m.cpus()[c].busy}, {"idle_ns", m.cpus()[c].idle},
                    {"switches", m.cpus()[c].switches}});
  j["cpus"] = cpus;
  nlohmann::ordered_json counters;
  for (size_t c = 0; c < m.counters().size(); ++c)
    counters[c < i.counters.size() ? i.counters[c] : std::to_string(c)] = m.counters()[c];
  j["counters"] = counters;
  j["summary"] = run_details_json(r, summarize(m));
  if (!r.workload_warnings.empty()) j["workload_warnings"] = r.workload_warnings;
  if (r.workload_figures_text.empty() && r.workload_figures.empty()) {
    j["workload_figures"] = nullptr;
  } else {
    nlohmann::ordered_json figs = nlohmann::ordered_json::array();
    for (const WorkloadFigure& f : r.workload_figures)
      figs.push_back({{"name", f.name},
                      {"value", f.value ? nlohmann::ordered_json(*f.value) : nlohmann::ordered_json()},
                      {"unit", f.unit},
                      {"higher_is_better", f.higher_is_better}});
    j["workload_figures"] = {{"text", r.workload_figures_text}, {"figures", figs}};
  }
  return j.dump(2) + "\n";
}

}  // namespace scx
