// Running generator workloads in tests: the kernel test harness (zero-cost model by default)
// with the fair class installed and the workload's figures sink subscribed.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "../kernel/harness.h"
#include "kernel/fair/fair_class.h"
#include "workload/figures.h"
#include "workload/generators.h"

namespace scx::testing {

inline Workload make(const std::string& arg, int nr_cpus = 4, uint64_t seed = 1) {
  auto r = resolve_workload(arg, nr_cpus, seed);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : Workload{};
}

inline std::string make_error(const std::string& arg, int nr_cpus = 4) {
  auto r = resolve_workload(arg, nr_cpus, 1);
  if (r.ok()) return "ok";
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
  return r.status().message();
}

struct WlRun {
  WlRun(const std::string& topo, const Workload& w, CostModel cost = zero_costs())
      : sim(topo, cost), workload(w) {
    FairConfig cfg;
    cfg.tunables = fair::Tunables::for_machine(sim.topo.nr_cpus(), 250);
    sim.kernel->set_fair_class(std::make_unique<FairClass>(*sim.kernel, cfg));
    figures = make_figures_sink(workload);
    if (figures) sim.kernel->trace().subscribe(figures.get());
    status = sim.kernel->load(workload);
  }
  Status run(Ns limit) {
    if (!status.ok()) return status;
    return workload.run_until_done ? sim.kernel->run_until_idle(limit) : sim.kernel->run_until(limit);
  }
  int64_t counter(const std::string& name) const {
    for (size_t i = 0; i < workload.counters.size(); ++i)
      if (workload.counters[i] == name)
        return i < sim.metrics->counters().size() ? sim.metrics->counters()[i] : 0;
    return -1;
  }
  std::optional<double> figure(const std::string& name) const {
    for (const auto& f : figures->figures())
      if (f.name == name) return f.value;
    ADD_FAILURE() << "no figure " << name;
    return std::nullopt;
  }
  Sim sim;
  Workload workload;
  std::unique_ptr<WorkloadFiguresSink> figures;
  Status status;
};

}  // namespace scx::testing
