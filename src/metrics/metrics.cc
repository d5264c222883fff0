#include "metrics/metrics.h"

#include <algorithm>
#include <cmath>

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

MetricsCollector::MetricsCollector(const Topology& topo)
    : topo_(topo),
      cpus_(topo.nr_cpus()),
      cpu_curr_(topo.nr_cpus(), 0),
      cpu_since_(topo.nr_cpus(), 0) {}

MetricsCollector::Live* MetricsCollector::live(int pid) {
  if (pid <= 0 || static_cast<size_t>(pid) >= live_.size() || live_[pid].index < 0) return nullptr;
  return &live_[pid];
}

TaskMetrics& MetricsCollector::add_task(const TraceEvent& e) {
  if (static_cast<size_t>(e.pid) >= live_.size()) live_.resize(e.pid + 1);
  live_[e.pid] = Live{};
  live_[e.pid].index = static_cast<int>(tasks_.size());
  TaskMetrics& t = tasks_.emplace_back();
  t.pid = e.pid;
  t.comm = e.comm ? e.comm : "";
  t.created = e.time;
  t.prio = e.prio;
  return t;
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
      if (Live* parent = live(e.pid2)) t.policy = tasks_[parent->index].policy;
      return;
    }
    case TraceType::SchedWaking:
      if (Live* l = live(e.pid); l && l->waking_since == kNever) l->waking_since = e.time;
      return;
    case TraceType::SchedWakeup:
    case TraceType::SchedWakeupNew:
      if (Live* l = live(e.pid)) {
        l->runnable_since = e.time;
        if (e.type == TraceType::SchedWakeup) ++tasks_[l->index].wakeups;
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
      }
      return;
    case TraceType::SchedSwitch: {
      const int cpu = e.cpu;
      CpuMetrics& c = cpus_[cpu];
      (cpu_curr_[cpu] == 0 ? c.idle : c.busy) += e.time - cpu_since_[cpu];
      cpu_since_[cpu] = e.time;
      cpu_curr_[cpu] = e.pid2;
      ++c.switches;
      if (Live* prev = live(e.pid)) {
        TaskMetrics& t = tasks_[prev->index];
        t.cpu_time += e.time - prev->running_since;
        prev->running_on = -1;
        if (static_cast<SwitchState>(e.arg) == SwitchState::Running) {
          ++t.nivcsw;
          prev->runnable_since = e.time;
        } else {
          ++t.nvcsw;
          prev->runnable_since = kNever;
        }
      }
      if (Live* next = live(e.pid2)) {
        TaskMetrics& t = tasks_[next->index];
        next->running_on = cpu;
        next->running_since = e.time;
        if (next->runnable_since != kNever) {
          t.wait_time += e.time - next->runnable_since;
          t.run_delay.push_back(e.time - next->runnable_since);
          next->runnable_since = kNever;
        }
        if (next->waking_since != kNever) {
          t.wakeup_latency.push_back(e.time - next->waking_since);
          next->waking_since = kNever;
        }
      }
      return;
    }
    case TraceType::SchedProcessExit:
      if (Live* l = live(e.pid)) tasks_[l->index].exited = e.time;
      return;
    case TraceType::Mark:
      if (e.arg >= 0) {
        if (static_cast<size_t>(e.arg) >= counters_.size()) counters_.resize(e.arg + 1, 0);
        counters_[e.arg] += e.value;
      }
      return;
    case TraceType::PhaseEnd:
      ++phases_;
      return;
    case TraceType::TimerMiss:
      ++misses_;
      if (Live* l = live(e.pid)) ++tasks_[l->index].timer_misses;
      return;
    case TraceType::Tick:
      return;
  }
}

void MetricsCollector::on_finish(Ns end) {
  end_ = end;
  for (size_t cpu = 0; cpu < cpus_.size(); ++cpu) {
    (cpu_curr_[cpu] == 0 ? cpus_[cpu].idle : cpus_[cpu].busy) += end - cpu_since_[cpu];
    cpu_since_[cpu] = end;
  }
  for (Live& l : live_) {
    if (l.index < 0) continue;
    TaskMetrics& t = tasks_[l.index];
    if (l.running_on >= 0) {
      t.cpu_time += end - l.running_since;
      l.running_since = end;
    } else if (l.runnable_since != kNever) {
      t.wait_time += end - l.runnable_since;  // still waiting when the run ended
      l.runnable_since = end;
    }
  }
}

int64_t percentile(std::vector<Ns> samples, double pct) {
  if (samples.empty()) return -1;
  std::sort(samples.begin(), samples.end());
  size_t rank = static_cast<size_t>(std::ceil(pct / 100.0 * static_cast<double>(samples.size())));
  if (rank == 0) rank = 1;
  return static_cast<int64_t>(samples[std::min(rank, samples.size()) - 1]);
}

}  // namespace scx
