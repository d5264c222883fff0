// A simulated machine running one BPF scheduler object under a workload, for tests that read
// the object's globals while it runs.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "../ext/ext_harness.h"
#include "bpf/host/bpf_ops.h"
#include "workload/generators.h"

namespace scx::testing {

struct ObjectRun {
  ExtSim sim;
  bpf::BpfScxOps* ops = nullptr;

  explicit ObjectRun(const std::string& topology) : sim{topology, zero_costs()} {}

  template <typename T = uint64_t>
  T global(const char* name, size_t i = 0) const {
    return reinterpret_cast<const T*>(ops->object().global_data(name))[i];
  }

  // Loads the object at `path` (with `globals` set before load) at t=0, then the workload.
  void start(const std::string& path, const std::string& workload,
             std::vector<std::pair<std::string, std::string>> globals = {}) {
    bpf::BpfHostOptions o;
    o.nr_cpus = sim.topo.nr_cpus();
    o.topology = &sim.topo;
    o.globals = std::move(globals);
    auto loaded = bpf::BpfScxOps::load(path, o);
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    ops = loaded->get();
    sim.ext->load_at(std::move(*loaded), 0);
    auto w = resolve_workload(workload, sim.topo.nr_cpus(), 1);
    ASSERT_TRUE(w.ok()) << w.status().message();
    sim.load(*w);
  }
};

}  // namespace scx::testing
