#include "metrics/metrics.h"

#include <algorithm>
#include <cmath>

#include "base/cpulist.h"

namespace scx {

const char* migration_level_name(MigrationLevel l) {
  switch (l) {
    case MigrationLevel::Smt: return "smt";
    case MigrationLevel::Llc: return "llc";
    case MigrationLevel::CrossLlc: return "cross_llc";
    case MigrationLevel::CrossNode: return "cross_node";
  }
  return "?";
}

uint64_t TaskMetrics::total_migrations() const {
  uint64_t n = 0;
  for (uint64_t m : migrations) n += m;
  return n;
}

std::string comm_family(const std::string& comm) {
  size_t n = comm.size();
  while (n > 0 && comm[n - 1] >= '0' && comm[n - 1] <= '9') --n;
  if (n == comm.size()) return comm;
  while (n > 0 && (comm[n - 1] == '-' || comm[n - 1] == '_' || comm[n - 1] == '/')) --n;
  return n == 0 ? comm : comm.substr(0, n);
}

void add_to_buckets(std::vector<uint64_t>& buckets, Ns width, Ns from, Ns to, uint64_t weight) {
  if (width == 0 || to <= from || weight == 0) return;
  size_t last = static_cast<size_t>((to - 1) / width);
  if (buckets.size() <= last) buckets.resize(last + 1, 0);
  for (size_t b = static_cast<size_t>(from / width); b <= last; ++b) {
    Ns lo = std::max<Ns>(from, b * width), hi = std::min<Ns>(to, (b + 1) * width);
    buckets[b] += (hi - lo) * weight;
  }
}

MetricsCollector::MetricsCollector(const Topology& topo)
    : topo_(topo),
      cpus_(topo.nr_cpus()),
      cpu_curr_(topo.nr_cpus(), 0),
      cpu_since_(topo.nr_cpus(), 0),
      queued_(topo.nr_cpus(), 0),
      queued_since_(topo.nr_cpus(), 0),
      iww_(topo.all_cpus(), topo.nr_cpus()),
      cgroups_(topo.all_cpus()) {}

void MetricsCollector::limit_samples(uint64_t max, std::function<void(const Status&)> over) {
  max_samples_ = max;
  samples_over_ = std::move(over);
}

bool MetricsCollector::take_sample() {
  if (++samples_ <= max_samples_) return true;
  if (samples_ == max_samples_ + 1 && samples_over_)
    samples_over_(Status::Errorf("metrics", "more than {} latency samples (raise the limit with --max-samples, or "
                                 "shorten --duration)", max_samples_));
  return false;
}

void MetricsCollector::reserve_tasks(size_t tasks, int pid_end) {
  tasks_.reserve(tasks);
  live_.reserve(static_cast<size_t>(std::max(pid_end, 0)));
}

void MetricsCollector::enable_series(Ns width) {
  series_.width = width;
  series_.busy.assign(cpus_.size(), {});
  series_.queued.assign(cpus_.size(), {});
  scx_.enable_series(width);
}

MetricsCollector::Live* MetricsCollector::live(int pid) {
  if (pid <= 0 || static_cast<size_t>(pid) >= live_.size() || live_[pid].index < 0) return nullptr;
  return &live_[pid];
}

void MetricsCollector::set_allowed(TaskMetrics& t, const char* cpus) {
  t.allowed = topo_.all_cpus();
  if (cpus && *cpus) {
    auto m = parse_cpulist(cpus);
    if (m.ok() && !(*m & topo_.all_cpus()).empty()) t.allowed = *m & topo_.all_cpus();
  }
}

TaskMetrics& MetricsCollector::add_task(const TraceEvent& e) {
  if (static_cast<size_t>(e.pid) >= live_.size()) live_.resize(e.pid + 1);
  live_[e.pid] = Live{};
  live_[e.pid].index = static_cast<int>(tasks_.size());
  TaskMetrics& t = tasks_.emplace_back();
  t.pid = e.pid;
  t.comm = e.comm ? e.comm : "";
  t.group = e.group && *e.group ? std::string(e.group) : comm_family(t.comm);
  t.created = e.time;
  t.prio = e.prio;
  set_allowed(t, e.cpus);
  return t;
}

void MetricsCollector::add_busy_series(int cpu, Ns from, Ns to) {
  if (series_.width) add_to_buckets(series_.busy[cpu], series_.width, from, to);
}

void MetricsCollector::set_queued(int cpu, int64_t delta, Ns now) {
  if (cpu < 0 || cpu >= static_cast<int>(queued_.size())) return;
  if (series_.width && queued_[cpu] > 0)
    add_to_buckets(series_.queued[cpu], series_.width, queued_since_[cpu], now,
                   static_cast<uint64_t>(queued_[cpu]));
  queued_since_[cpu] = now;
  queued_[cpu] += delta;
}

void MetricsCollector::start_waiting(Live& l, int cpu, Ns now) {
  if (l.queued_on >= 0) stop_waiting(l, now);
  l.queued_on = cpu;
  set_queued(cpu, +1, now);
  iww_.start_waiting(tasks_[l.index].allowed, cpu, now);
}

void MetricsCollector::stop_waiting(Live& l, Ns now) {
  if (l.queued_on < 0) return;
  const int cpu = l.queued_on;
  l.queued_on = -1;
  set_queued(cpu, -1, now);
  iww_.stop_waiting(tasks_[l.index].allowed, cpu, now);
}

void MetricsCollector::move_waiting(Live& l, int to, Ns now) {
  const int from = l.queued_on;
  if (from < 0 || from == to) return;
  set_queued(from, -1, now);
  set_queued(to, +1, now);
  l.queued_on = to;
  iww_.move_waiting(tasks_[l.index].allowed, from, to, now);
}

void MetricsCollector::on_event(const TraceEvent& e) {
  switch (e.type) {
    case TraceType::TaskNew: {
      if (e.pid == 0) return;  // per-CPU idle tasks are accounted as CPU idle time
      TaskMetrics& t = add_task(e);
      t.tgid = e.pid2;
      t.policy = e.arg;
      t.kthread = e.arg2 != 0;
      return;
    }
    case TraceType::SchedProcessFork: {
      TaskMetrics& t = add_task(e);
      t.tgid = e.pid;
      if (Live* parent = live(e.pid2)) {
        t.policy = tasks_[parent->index].policy;
        if (!e.cpus) t.allowed = tasks_[parent->index].allowed;  // sched_fork(): inherited
      }
      return;
    }
    case TraceType::SchedWaking:
      if (Live* l = live(e.pid); l && l->waking_since == kNever) l->waking_since = e.time;
      return;
    case TraceType::SchedWakeup:
    case TraceType::SchedWakeupNew:
      if (Live* l = live(e.pid)) {
        l->runnable_since = l->wait_mark = e.time;
        if (e.type == TraceType::SchedWakeup) ++tasks_[l->index].wakeups;
        cgroups_.set_runnable(e.time, e.pid, true);
        if (l->running_on < 0) start_waiting(*l, e.arg, e.time);
      }
      return;
    case TraceType::SchedMigrateTask:
      if (Live* l = live(e.pid)) {
        int from = e.arg2, to = e.arg;
        MigrationLevel level = topo_.share_core(from, to)  ? MigrationLevel::Smt
                               : topo_.share_llc(from, to) ? MigrationLevel::Llc
                               : topo_.share_node(from, to) ? MigrationLevel::CrossLlc
                                                            : MigrationLevel::CrossNode;
        ++tasks_[l->index].migrations[static_cast<int>(level)];
        if (l->queued_on >= 0) move_waiting(*l, to, e.time);
      }
      return;
    case TraceType::SchedSwitch: {
      const int cpu = e.cpu;
      CpuMetrics& c = cpus_[cpu];
      if (cpu_curr_[cpu] == 0) {
        c.idle += e.time - cpu_since_[cpu];
      } else {
        c.busy += e.time - cpu_since_[cpu];
        add_busy_series(cpu, cpu_since_[cpu], e.time);
      }
      cpu_since_[cpu] = e.time;
      cpu_curr_[cpu] = e.pid2;
      ++c.switches;
      if (Live* prev = live(e.pid)) {
        TaskMetrics& t = tasks_[prev->index];
        t.cpu_time += e.time - prev->running_since;
        cgroups_.ran(e.pid, e.time - prev->running_since);
        prev->running_on = -1;
        if (static_cast<SwitchState>(e.arg) == SwitchState::Running) {
          ++t.nivcsw;
          prev->runnable_since = prev->wait_mark = e.time;
          start_waiting(*prev, cpu, e.time);
        } else {
          ++t.nvcsw;
          prev->runnable_since = kNever;
          cgroups_.set_runnable(e.time, e.pid, false);
        }
      }
      if (Live* next = live(e.pid2)) {
        TaskMetrics& t = tasks_[next->index];
        next->running_on = cpu;
        next->running_since = e.time;
        stop_waiting(*next, e.time);
        if (next->runnable_since != kNever) {
          t.wait_time += e.time - next->wait_mark;
          if (take_sample()) t.run_delay.push_back(e.time - next->runnable_since);
          cgroups_.waited(e.pid2, e.time - next->runnable_since);
          next->runnable_since = kNever;
        }
        if (next->waking_since != kNever) {
          if (take_sample()) t.wakeup_latency.push_back(e.time - next->waking_since);
          cgroups_.woke_after(e.pid2, e.time - next->waking_since);
          next->waking_since = kNever;
        }
      }
      iww_.set_idle(cpu, e.pid2 == 0, e.time);
      return;
    }
    case TraceType::SchedProcessExit:
      if (Live* l = live(e.pid)) {
        tasks_[l->index].exited = e.time;
        stop_waiting(*l, e.time);
        cgroups_.set_runnable(e.time, e.pid, false);
      }
      return;
    case TraceType::Mark:
      if (e.arg >= 0) {
        if (static_cast<size_t>(e.arg) >= counters_.size()) counters_.resize(e.arg + 1, 0);
        counters_[e.arg] += e.value;
        if (Live* l = live(e.pid)) {
          std::vector<int64_t>& tc = tasks_[l->index].counters;
          if (static_cast<size_t>(e.arg) >= tc.size()) tc.resize(e.arg + 1, 0);
          tc[e.arg] += e.value;
        }
      }
      return;
    case TraceType::PhaseEnd:
      ++phases_;
      if (Live* l = live(e.pid)) {
        ++tasks_[l->index].phases;
        if (e.value < 0) ++tasks_[l->index].phase_misses;
      }
      return;
    case TraceType::TimerMiss:
      ++misses_;
      if (Live* l = live(e.pid)) {
        TaskMetrics& t = tasks_[l->index];
        ++t.timer_misses;
        if (e.value > 0) t.timer_late_max = std::max<Ns>(t.timer_late_max, static_cast<Ns>(e.value));
      }
      return;
    case TraceType::Tick:
      return;
    case TraceType::ScxDsqInsert:
      scx_.dsq_insert(e.time, static_cast<uint64_t>(e.value), e.arg, e.pid);
      return;
    case TraceType::ScxDsqRemove:
      scx_.dsq_remove(e.time, static_cast<uint64_t>(e.value), e.arg, e.pid);
      return;
    case TraceType::ScxExit:
      scx_.exit(std::to_string(e.arg), e.comm ? e.comm : "", e.time);
      return;
    case TraceType::BpfTracePrintk:
      scx_.printk_line();
      return;
    case TraceType::CgroupNew:
      cgroups_.created(e.time, static_cast<uint32_t>(e.arg), static_cast<uint32_t>(e.arg2), e.comm ? e.comm : "");
      return;
    case TraceType::CgroupRemove:
      cgroups_.removed(e.time, static_cast<uint32_t>(e.arg));
      return;
    case TraceType::CgroupWrite:
      cgroups_.written(e.time, static_cast<uint32_t>(e.arg), e.comm ? e.comm : "", e.text ? e.text : "");
      return;
    case TraceType::CgroupAttach:
      cgroups_.attached(e.time, e.pid, static_cast<uint32_t>(e.arg));
      return;
    case TraceType::CgroupThrottle:
      cgroups_.throttled(e.time, static_cast<uint32_t>(e.arg), e.cpu);
      return;
    case TraceType::CgroupUnthrottle:
      cgroups_.unthrottled(e.time, static_cast<uint32_t>(e.arg), e.cpu, static_cast<Ns>(e.value));
      return;
  }
}

void MetricsCollector::on_finish(Ns end) {
  end_ = end;
  for (size_t cpu = 0; cpu < cpus_.size(); ++cpu) {
    if (cpu_curr_[cpu] == 0) {
      cpus_[cpu].idle += end - cpu_since_[cpu];
    } else {
      cpus_[cpu].busy += end - cpu_since_[cpu];
      add_busy_series(static_cast<int>(cpu), cpu_since_[cpu], end);
    }
    cpu_since_[cpu] = end;
    set_queued(static_cast<int>(cpu), 0, end);
  }
  iww_.settle_all(end);
  for (size_t cpu = 0; cpu < cpus_.size(); ++cpu) cpus_[cpu].idle_while_waiting = iww_.total(static_cast<int>(cpu));
  for (Live& l : live_) {
    if (l.index < 0) continue;
    TaskMetrics& t = tasks_[l.index];
    if (l.running_on >= 0) {
      t.cpu_time += end - l.running_since;
      cgroups_.ran(t.pid, end - l.running_since);
      l.running_since = end;
    } else if (l.runnable_since != kNever) {
      t.wait_time += end - l.wait_mark;  // still waiting when the run ended
      l.wait_mark = end;
    }
  }
  scx_.finish(end);
  cgroups_.finish(end);
}

size_t percentile_index(size_t n, double pct) {
  // Integer rank (pct in 0.001 steps) so 99.9 % of 1000 samples is rank 999, not 1000.
  const uint64_t milli = static_cast<uint64_t>(std::llround(std::clamp(pct, 0.0, 100.0) * 1000.0));
  size_t rank = static_cast<size_t>((milli * n + 99999) / 100000);
  if (rank == 0) rank = 1;
  return std::min(rank, n) - 1;
}

int64_t percentile_sorted(const std::vector<Ns>& samples, double pct) {
  if (samples.empty()) return -1;
  return static_cast<int64_t>(samples[percentile_index(samples.size(), pct)]);
}

namespace {

// Puts at each of `positions` (ascending, within [lo, hi)) the element a full sort would put
// there: select the middle one, then each side holds exactly its own elements. O(n log k) for k
// positions, against O(n log n) for a sort.
void select_positions(std::span<Ns> s, std::span<const size_t> positions, size_t lo, size_t hi) {
  if (positions.empty()) return;
  const size_t mid = positions.size() / 2, pos = positions[mid];
  std::nth_element(s.begin() + static_cast<std::ptrdiff_t>(lo), s.begin() + static_cast<std::ptrdiff_t>(pos),
                   s.begin() + static_cast<std::ptrdiff_t>(hi));
  select_positions(s, positions.first(mid), lo, pos);
  select_positions(s, positions.subspan(mid + 1), pos + 1, hi);
}

}  // namespace

std::vector<int64_t> select_percentiles(std::span<Ns> samples, std::span<const double> pcts) {
  std::vector<int64_t> out(pcts.size(), -1);
  if (samples.empty()) return out;
  std::vector<size_t> at(pcts.size());
  for (size_t i = 0; i < pcts.size(); ++i) at[i] = percentile_index(samples.size(), pcts[i]);
  std::vector<size_t> positions = at;
  std::sort(positions.begin(), positions.end());
  positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
  select_positions(samples, positions, 0, samples.size());
  for (size_t i = 0; i < at.size(); ++i) out[i] = static_cast<int64_t>(samples[at[i]]);
  return out;
}

std::vector<int64_t> select_percentiles(std::span<Ns> samples, std::initializer_list<double> pcts) {
  return select_percentiles(samples, std::span<const double>(pcts.begin(), pcts.size()));
}

int64_t percentile(std::vector<Ns> samples, double pct) { return select_percentiles(samples, {pct})[0]; }

}  // namespace scx
