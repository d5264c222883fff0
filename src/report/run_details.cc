#include "report/run_details.h"

#include <fmt/format.h>

#include "report/compare.h"

namespace scx {
namespace {

using json = nlohmann::ordered_json;

json opt(const std::optional<double>& v) { return v ? json(*v) : json(); }
std::string us(const std::optional<double>& ns) { return ns ? fmt::format("{:.1f}", *ns / 1e3) : "-"; }
std::string ms(Ns v) { return fmt::format("{:.3f}", static_cast<double>(v) / 1e6); }
std::string pct(const std::optional<double>& v) { return v ? fmt::format("{:.1f}", *v) : "-"; }
std::string fix(const std::optional<double>& v, int digits) {
  return v ? fmt::format("{:.{}f}", *v, digits) : "-";
}

// schbench-style block: "Wakeup latency percentiles (us) (N samples)" then one line per percentile.
std::string latency_block(const std::string& label, const Dist& d) {
  std::string out = fmt::format("{} percentiles (us) ({} samples)\n", label, d.n);
  if (d.n == 0) return out + "\t-\n";
  out += fmt::format("\t  50.0th: {}\n\t  90.0th: {}\n\t* 99.0th: {}\n\t  99.9th: {}\n", us(d.p50), us(d.p90),
                     us(d.p99), us(d.p999));
  out += fmt::format("\tmin={}, max={}\n", us(d.min), us(d.max));
  return out;
}

json entity_json(const EntitySummary& e, const RunReport& r) {
  json j;
  j["name"] = e.name;
  j["tasks"] = e.tasks;
  j["cpu_time_ns"] = e.cpu_time;
  j["cpu_pct"] = e.cpu_pct;
  j["share_pct"] = opt(e.share_pct);
  j["run_delay_total_ns"] = e.wait_time;
  j["wakeups"] = e.wakeups;
  j["wakeup_latency_ns"] = dist_json(e.wakeup_latency);
  j["run_delay_ns"] = dist_json(e.run_delay);
  j["nvcsw"] = e.nvcsw;
  j["nivcsw"] = e.nivcsw;
  json migr;
  for (int l = 0; l < kMigrationLevels; ++l) migr[migration_level_name(static_cast<MigrationLevel>(l))] = e.migrations[l];
  j["migrations"] = migr;
  j["timer_misses"] = e.timer_misses;
  j["timer_late_max_ns"] = e.timer_late_max ? json(*e.timer_late_max) : json();
  j["phases"] = e.phases;
  j["phase_misses"] = e.phase_misses;
  json counters = json::object();
  for (size_t c = 0; c < e.counters.size(); ++c)
    counters[c < r.info.counters.size() ? r.info.counters[c] : std::to_string(c)] = e.counters[c];
  j["counters"] = counters;
  return j;
}

// Per-cgroup rows (docs/reports.md); only for runs that created cgroups.
std::string cgroups_table(const RunSummary& s) {
  std::string out = "\nCgroups (times in ms, latencies in us; figures include the cgroups below)\n";
  out += fmt::format("{:<20} {:>6} {:>5} {:>10} {:>7} {:>9} {:>10} {:>9} {:>8} {:>8} {:>9}\n", "cgroup", "weight",
                     "tasks", "cpu", "share%", "entitled%", "throttled", "throttles", "lat_p50", "lat_p99",
                     "delay_p99");
  for (const CgroupSummary& c : s.cgroups)
    out += fmt::format("{:<20} {:>6} {:>5} {:>10} {:>7.1f} {:>9.1f} {:>10} {:>9} {:>8} {:>8} {:>9}\n", c.path, c.weight,
                       c.tasks, ms(c.cpu_time), c.cpu_share_pct, c.entitled_pct, ms(c.throttled_time), c.throttles,
                       us(c.wakeup_latency.p50), us(c.wakeup_latency.p99), us(c.run_delay.p99));
  return out;
}

}  // namespace

json cgroups_json(const RunSummary& s) {
  json rows = json::array();
  for (const CgroupSummary& c : s.cgroups) {
    json j;
    j["path"] = c.path;
    j["id"] = c.id;
    j["weight"] = c.weight;
    j["tasks"] = c.tasks;
    j["cpu_time_ns"] = c.cpu_time;
    j["cpu_share_pct"] = c.cpu_share_pct;
    j["entitled_share_pct"] = c.entitled_pct;
    j["throttled_ns"] = c.throttled_time;
    j["throttles"] = c.throttles;
    j["wakeup_latency_ns"] = dist_json(c.wakeup_latency);
    j["run_delay_ns"] = dist_json(c.run_delay);
    rows.push_back(j);
  }
  return rows;
}

json dist_json(const Dist& d) {
  json j;
  j["samples"] = d.n;
  j["min"] = opt(d.min);
  j["mean"] = opt(d.mean);
  j["p50"] = opt(d.p50);
  j["p90"] = opt(d.p90);
  j["p99"] = opt(d.p99);
  j["p99.9"] = opt(d.p999);
  j["max"] = opt(d.max);
  return j;
}

json scx_json(const ScxMetrics& x) {
  if (!x.present()) return json();
  json j;
  json dsqs = json::array();
  for (const auto& [id, q] : x.dsqs()) {
    json d;
    d["dsq"] = scx_dsq_name(id);
    d["inserts"] = q.inserts;
    d["removals"] = q.removals;
    d["max_depth"] = q.max_depth;
    d["latency_ns"] = dist_json(Dist::of(q.latency));
    dsqs.push_back(d);
  }
  j["dsqs"] = dsqs;
  json cb = json::object();
  for (const auto& [op, n] : x.callbacks()) cb[op] = n;
  j["callbacks"] = cb;
  json ev = json::object();
  for (const auto& [name, n] : x.events()) ev[name] = n;
  j["events"] = ev;
  j["printk_lines"] = x.printk_lines();
  j["exit_kind"] = x.exit_kind() ? json(*x.exit_kind()) : json();
  j["exit_reason"] = x.exit_reason() ? json(*x.exit_reason()) : json();
  j["state"] = x.state() ? json(*x.state()) : json();
  return j;
}

std::string format_run_details_text(const RunReport& r, const RunSummary& s) {
  std::string out = "\n";
  out += latency_block("Wakeup latency (all user tasks, sched_waking -> running)", s.overall.wakeup_latency);
  out += latency_block("Run delay (all user tasks, runnable -> running)", s.overall.run_delay);

  out += "\nTask groups (times in ms, latencies in us)\n";
  out += fmt::format("{:<16} {:>5} {:>10} {:>7} {:>6} {:>10} {:>8} {:>8} {:>9} {:>9} {:>7} {:>7} {:>6}\n", "group",
                     "tasks", "cpu", "cpu%", "share%", "wait", "lat_p50", "lat_p99", "lat_max", "delay_p99", "vcsw",
                     "ivcsw", "migr");
  for (const EntitySummary& g : s.groups)
    out += fmt::format("{:<16} {:>5} {:>10} {:>7.1f} {:>6} {:>10} {:>8} {:>8} {:>9} {:>9} {:>7} {:>7} {:>6}\n", g.name,
                       g.tasks, ms(g.cpu_time), g.cpu_pct, pct(g.share_pct), ms(g.wait_time), us(g.wakeup_latency.p50),
                       us(g.wakeup_latency.p99), us(g.wakeup_latency.max), us(g.run_delay.p99), g.nvcsw, g.nivcsw,
                       g.total_migrations());

  if (!s.cgroups.empty()) out += cgroups_table(s);

  out += "\nMigrations by level (all user tasks): ";
  for (int l = 0; l < kMigrationLevels; ++l)
    out += fmt::format("{}{} {}", l ? ", " : "", migration_level_name(static_cast<MigrationLevel>(l)),
                       s.overall.migrations[l]);
  out += "\n";

  out += "\nFairness among tasks of one group, weight and interval (share = CPU time / lifetime)\n";
  if (s.fairness.empty()) {
    out += "  - (no class with two or more tasks)\n";
  } else {
    out += fmt::format("  {:<24} {:>5} {:>9} {:>9} {:>9} {:>7} {:>6} {:>7}\n", "class", "tasks", "min", "max",
                       "max/min", "jain", "gini", "starved");
    for (const FairnessClass& f : s.fairness)
      out += fmt::format("  {:<24} {:>5} {:>9.4f} {:>9.4f} {:>9} {:>7} {:>6} {:>7}\n", f.label, f.tasks, f.min_share,
                         f.max_share, fix(f.max_min_ratio, 3), fix(f.jain, 4), fix(f.gini, 4), f.starved);
  }

  out += fmt::format("\nWork conservation: CPUs idle while a task allowed there waited elsewhere: {} ms in total\n",
                     ms(s.idle_while_waiting));
  out += fmt::format("Deadlines: timer misses {}, phases {}, phase misses {}\n", s.timer_misses, s.phases, s.phase_misses);

  if (!s.counter_rates.empty()) {
    out += "Throughput:";
    for (size_t c = 0; c < s.counter_rates.size(); ++c)
      out += fmt::format(" {} {}/s", c < r.info.counters.size() ? r.info.counters[c] : std::to_string(c),
                         format_value(s.counter_rates[c]));
    out += "\n";
  }

  const ScxMetrics* x = r.metrics ? &r.metrics->scx() : nullptr;
  out += "\nsched_ext: ";
  if (!x || !x->present()) {
    out += "- (no sched_ext events)\n";
  } else {
    out += fmt::format("state {}, exit {} ({})\n", x->state().value_or("-"), x->exit_kind().value_or("-"),
                       x->exit_reason().value_or("-"));
    out += fmt::format("  {:<16} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "dsq", "inserts", "removals", "max_depth",
                       "lat_p50", "lat_p99", "lat_max");
    for (const auto& [id, q] : x->dsqs()) {
      Dist l = Dist::of(q.latency);
      out += fmt::format("  {:<16} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", scx_dsq_name(id), q.inserts, q.removals,
                         q.max_depth, us(l.p50), us(l.p99), us(l.max));
    }
    if (!x->callbacks().empty()) {
      out += "  callbacks:";
      for (const auto& [op, n] : x->callbacks()) out += fmt::format(" {}={}", op, n);
      out += "\n";
    }
    if (!x->events().empty()) {
      out += "  events:";
      for (const auto& [name, n] : x->events()) out += fmt::format(" {}={}", name, n);
      out += "\n";
    }
    if (x->printk_lines()) out += fmt::format("  bpf_trace_printk lines: {}\n", x->printk_lines());
  }
  return out;
}

json run_details_json(const RunReport& r, const RunSummary& s) {
  json j;
  j["overall"] = entity_json(s.overall, r);
  json groups = json::array();
  for (const EntitySummary& g : s.groups) groups.push_back(entity_json(g, r));
  j["groups"] = groups;
  if (!s.cgroups.empty()) j["cgroups"] = cgroups_json(s);  // absent without cgroups: old reports unchanged
  json fair = json::array();
  for (const FairnessClass& f : s.fairness) {
    json fj;
    fj["class"] = f.label;
    fj["tasks"] = f.tasks;
    fj["min_share"] = f.min_share;
    fj["max_share"] = f.max_share;
    fj["mean_share"] = f.mean_share;
    fj["max_min_ratio"] = opt(f.max_min_ratio);
    fj["jain"] = opt(f.jain);
    fj["gini"] = opt(f.gini);
    fj["starved"] = f.starved;
    fair.push_back(fj);
  }
  j["fairness"] = fair;
  j["busy_pct"] = s.busy_pct;
  j["idle_while_waiting_ns"] = s.idle_while_waiting;
  json cpus = json::array();
  for (const CpuSummary& c : s.cpus)
    cpus.push_back({{"cpu", c.cpu}, {"busy_pct", c.busy_pct}, {"idle_while_waiting_ns", c.idle_while_waiting}});
  j["cpus"] = cpus;
  j["deadline"] = {{"timer_misses", s.timer_misses}, {"phases", s.phases}, {"phase_misses", s.phase_misses}};
  json rates = json::object();
  for (size_t c = 0; c < s.counter_rates.size(); ++c)
    rates[c < r.info.counters.size() ? r.info.counters[c] : std::to_string(c)] = opt(s.counter_rates[c]);
  j["throughput_per_s"] = rates;
  j["sched_ext"] = r.metrics ? scx_json(r.metrics->scx()) : json();
  return j;
}

}  // namespace scx
