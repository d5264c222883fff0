// Test harness: a topology, a kernel with a zero-cost model (so schedules can be worked out by
// hand), and a sink that records events as compact strings.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "kernel/kernel.h"
#include "metrics/metrics.h"
#include "topo/topology.h"
#include "trace/trace.h"
#include "trace/fingerprint_sink.h"
#include "workload/builder.h"

namespace scx::testing {

inline constexpr Ns us(Ns v) { return v * kNsPerUs; }
inline constexpr Ns ms(Ns v) { return v * kNsPerMs; }

inline CostModel zero_costs() {
  CostModel c;
  c.context_switch_ns = 0;
  c.wakeup_ipi_ns = 0;
  c.idle_exit_ns = 0;
  c.migration_smt_ns = c.migration_llc_ns = c.migration_cross_llc_ns = c.migration_cross_node_ns = 0;
  c.timer_slack_ns = 0;
  c.stopper_work_ns = 0;
  return c;
}

// Records "t_us:cpu:event..." lines for the events tests care about.
class Recorder : public TraceSink {
 public:
  void on_event(const TraceEvent& e) override {
    if (e.type == TraceType::TaskNew || e.type == TraceType::SchedProcessFork) {
      if (e.pid != 0) names_[e.pid] = e.comm;
      return;
    }
    switch (e.type) {
      case TraceType::SchedSwitch:
        lines.push_back(fmt::format("{}:{}:{}->{}", e.time / 1000, e.cpu, name(e.pid, e.cpu),
                                    name(e.pid2, e.cpu)));
        break;
      case TraceType::SchedMigrateTask:
        lines.push_back(fmt::format("{}:migrate:{}:{}->{}", e.time / 1000, name(e.pid, e.cpu), e.arg2, e.arg));
        break;
      case TraceType::SchedProcessExit:
        lines.push_back(fmt::format("{}:{}:exit:{}", e.time / 1000, e.cpu, name(e.pid, e.cpu)));
        break;
      default:
        break;
    }
  }
  std::string name(int pid, int cpu) const {
    if (pid == 0) return fmt::format("idle{}", cpu);
    auto it = names_.find(pid);
    return it == names_.end() ? std::to_string(pid) : it->second;
  }
  // Only the lines mentioning `what`.
  std::vector<std::string> filter(const std::string& what) const {
    std::vector<std::string> out;
    for (const auto& l : lines)
      if (l.find(what) != std::string::npos) out.push_back(l);
    return out;
  }
  std::vector<std::string> lines;

 private:
  std::map<int, std::string> names_;
};

struct Sim {
  explicit Sim(const std::string& topo_spec, CostModel cost = zero_costs(), uint64_t seed = 1,
               KernelVersion version = KernelVersion::V6_12, NoiseModel noise = NoiseModel::off(), Ns uptime = 0)
      : topo(resolve_topology(topo_spec).value()) {
    KernelConfig cfg;
    cfg.cost = cost;
    cfg.seed = seed;
    cfg.version = version;
    cfg.noise = noise;
    cfg.uptime = uptime;
    kernel = std::make_unique<Kernel>(topo, cfg);
    metrics = std::make_unique<MetricsCollector>(topo);
    kernel->trace().subscribe(&rec);
    kernel->trace().subscribe(metrics.get());
  }
  void load(const Workload& w) {
    Status st = kernel->load(w);
    ASSERT_TRUE(st.ok()) << st.message();
  }
  const TaskMetrics& task(const std::string& comm) const {
    for (const auto& t : metrics->tasks())
      if (t.comm == comm) return t;
    throw std::runtime_error("no task " + comm);
  }
  Topology topo;
  std::unique_ptr<Kernel> kernel;
  std::unique_ptr<MetricsCollector> metrics;
  Recorder rec;
};

}  // namespace scx::testing

namespace scx::testing {
struct FingerprintCheck {
  FingerprintSink sink;
};
}  // namespace scx::testing
