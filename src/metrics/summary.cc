#include "metrics/summary.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace scx {

const char* policy_short_name(int policy) {
  switch (policy) {
    case 0: return "normal";
    case 1: return "fifo";
    case 2: return "rr";
    case 3: return "batch";
    case 5: return "idle";
    case 6: return "deadline";
    case 7: return "ext";
  }
  return "?";
}

Dist Dist::of(std::vector<Ns> s) {
  Dist d;
  d.n = s.size();
  if (s.empty()) return d;
  // Integer partial sums below 2^64 are exact in a long double (64-bit mantissa): the order of
  // the samples (reordered by the selection below) does not change the mean.
  long double sum = 0;
  for (Ns v : s) sum += static_cast<long double>(v);
  const auto [lo, hi] = std::minmax_element(s.begin(), s.end());
  d.min = static_cast<double>(*lo);
  d.max = static_cast<double>(*hi);
  d.mean = static_cast<double>(sum / static_cast<long double>(s.size()));
  const std::vector<int64_t> p = select_percentiles(s, {50, 90, 99, 99.9});
  d.p50 = static_cast<double>(p[0]);
  d.p90 = static_cast<double>(p[1]);
  d.p99 = static_cast<double>(p[2]);
  d.p999 = static_cast<double>(p[3]);
  return d;
}

uint64_t EntitySummary::total_migrations() const {
  uint64_t n = 0;
  for (uint64_t m : migrations) n += m;
  return n;
}

double jain_index(const std::vector<double>& x) {
  double s = 0, s2 = 0;
  for (double v : x) s += v, s2 += v * v;
  return s2 > 0 ? s * s / (static_cast<double>(x.size()) * s2) : 1.0;
}

double gini_coefficient(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  double s = 0, weighted = 0;
  for (size_t i = 0; i < x.size(); ++i) s += x[i], weighted += static_cast<double>(i + 1) * x[i];
  const double n = static_cast<double>(x.size());
  return s > 0 ? 2.0 * weighted / (n * s) - (n + 1.0) / n : 0.0;
}

namespace {

// Accumulates tasks into one summary row; samples are pooled.
struct Acc {
  EntitySummary row;
  std::vector<Ns> wakeup, delay;
  void add(const TaskMetrics& t) {
    ++row.tasks;
    row.cpu_time += t.cpu_time;
    row.wait_time += t.wait_time;
    row.wakeups += t.wakeups;
    row.nvcsw += t.nvcsw;
    row.nivcsw += t.nivcsw;
    for (int l = 0; l < kMigrationLevels; ++l) row.migrations[l] += t.migrations[l];
    row.timer_misses += t.timer_misses;
    if (t.timer_misses) row.timer_late_max = std::max<Ns>(row.timer_late_max.value_or(0), t.timer_late_max);
    row.phases += t.phases;
    row.phase_misses += t.phase_misses;
    if (row.counters.size() < t.counters.size()) row.counters.resize(t.counters.size(), 0);
    for (size_t c = 0; c < t.counters.size(); ++c) row.counters[c] += t.counters[c];
    wakeup.insert(wakeup.end(), t.wakeup_latency.begin(), t.wakeup_latency.end());
    delay.insert(delay.end(), t.run_delay.begin(), t.run_delay.end());
  }
  EntitySummary finish(Ns duration, Ns user_cpu) {
    row.wakeup_latency = Dist::of(std::move(wakeup));
    row.run_delay = Dist::of(std::move(delay));
    row.cpu_pct = duration ? 100.0 * static_cast<double>(row.cpu_time) / static_cast<double>(duration) : 0.0;
    if (user_cpu) row.share_pct = 100.0 * static_cast<double>(row.cpu_time) / static_cast<double>(user_cpu);
    return std::move(row);
  }
};

}  // namespace

RunSummary summarize(const MetricsCollector& m) {
  RunSummary r;
  r.duration = m.end_time();
  r.nr_cpus = static_cast<int>(m.cpus().size());
  Ns user_cpu = 0;
  for (const TaskMetrics& t : m.tasks())
    if (!t.kthread) user_cpu += t.cpu_time;

  Acc all;
  all.row.name = "all";
  std::map<std::string, Acc> groups;
  // Fairness classes: same task group (same behaviour), same weight (policy, prio) and the same
  // interval in the run (created, gone), so that every task of a class wanted the same CPU.
  using ClassKey = std::tuple<std::string, int, int, Ns, Ns>;
  std::map<ClassKey, std::vector<double>> classes;
  std::map<ClassKey, uint64_t> starved;
  for (const TaskMetrics& t : m.tasks()) {
    if (t.kthread && t.cpu_time == 0) continue;
    Acc one;
    one.row.name = t.comm;
    one.row.pid = t.pid;
    one.row.policy = t.policy;
    one.row.prio = t.prio;
    one.add(t);
    r.tasks.push_back(one.finish(r.duration, t.kthread ? 0 : user_cpu));
    if (t.kthread) continue;
    all.add(t);
    Acc& g = groups[t.group];
    g.row.name = t.group;
    g.add(t);
    const bool weighted = t.policy == 0 || t.policy == 3 || t.policy == 5 || t.policy == 7;
    const Ns life = t.lifetime(r.duration);
    if (weighted && life > 0) {
      const ClassKey key{t.group, t.policy, t.prio, t.created, t.created + life};
      classes[key].push_back(static_cast<double>(t.cpu_time) / static_cast<double>(life));
      if (t.cpu_time == 0) ++starved[key];
    }
  }
  r.overall = all.finish(r.duration, user_cpu);
  for (auto& [name, g] : groups) r.groups.push_back(g.finish(r.duration, user_cpu));

  for (const auto& [key, shares] : classes) {
    if (shares.size() < 2) continue;
    FairnessClass f;
    f.policy = std::get<1>(key);
    f.prio = std::get<2>(key);
    f.label = std::get<0>(key) + " " + policy_short_name(f.policy) + "/nice" + std::to_string(f.prio - 120);
    f.tasks = shares.size();
    f.min_share = *std::min_element(shares.begin(), shares.end());
    f.max_share = *std::max_element(shares.begin(), shares.end());
    double sum = 0;
    for (double s : shares) sum += s;
    f.mean_share = sum / static_cast<double>(shares.size());
    f.starved = starved.count(key) ? starved.at(key) : 0;
    if (f.min_share > 0) f.max_min_ratio = f.max_share / f.min_share;
    if (sum > 0) {
      f.jain = jain_index(shares);
      f.gini = gini_coefficient(shares);
    }
    r.fairness.push_back(f);
  }

  for (size_t c = 0; c < m.cpus().size(); ++c) {
    const CpuMetrics& cm = m.cpus()[c];
    CpuSummary s;
    s.cpu = static_cast<int>(c);
    s.busy = cm.busy;
    s.idle = cm.idle;
    s.idle_while_waiting = cm.idle_while_waiting;
    s.switches = cm.switches;
    s.busy_pct = r.duration ? 100.0 * static_cast<double>(cm.busy) / static_cast<double>(r.duration) : 0.0;
    r.busy += cm.busy;
    r.idle += cm.idle;
    r.idle_while_waiting += cm.idle_while_waiting;
    r.switches += cm.switches;
    r.cpus.push_back(s);
  }
  const double capacity = static_cast<double>(r.duration) * static_cast<double>(r.nr_cpus);
  r.busy_pct = capacity > 0 ? 100.0 * static_cast<double>(r.busy) / capacity : 0.0;
  r.counters = m.counters();
  for (int64_t c : r.counters)
    r.counter_rates.push_back(r.duration ? std::optional<double>(static_cast<double>(c) * 1e9 /
                                                                 static_cast<double>(r.duration))
                                         : std::nullopt);
  r.timer_misses = m.deadline_misses();
  r.phases = m.phases_completed();
  r.phase_misses = r.overall.phase_misses;
  r.cgroups = summarize_cgroups(m.cgroups(), r.duration, r.nr_cpus);
  return r;
}

}  // namespace scx
