// scx_layered's process, run as a simulated task through the user-space scheduler hosting
// (userspace.h): what its user space does after load and at run time.
//  - Before attach (UserScheduler::attach, before ops.init): BPF_PROG_RUN of refresh_node_ctx
//    per node (init) and initialize_pid_namespace, as Scheduler::init does (main.rs).
//  - Every --interval (0.1 s), Scheduler::step → refresh_cpumasks: reads each layer's CPU time
//    from the per-CPU cpu_ctxs map, resizes the confined and grouped layers (alloc.h), writes
//    layers[].cpus / nr_cpus / nr_llc_cpus / node[].nr_cpus / refresh_cpus / fully_allocated
//    and the fallback CPUs into .bss, runs refresh_layer_cpumasks, then refresh_node_ctx with
//    each node's empty layers (0f379644a: the empty_layer_ids globals instead). The process
//    sleeps between steps like the real one. Stats, GPU, netdev, idle-QoS and cross-NUMA rate
//    work of the real loop are not modelled (no BPF state the example depends on).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "bpf/host/layered/setup.h"
#include "bpf/host/layered/spec.h"
#include "bpf/host/userspace.h"
#include "topo/topology.h"

namespace scx::bpf::layered {

inline constexpr Ns kDefaultInterval = 100'000'000;  // -i 0.1

struct LayeredPlan {
  std::string origin;  // "the built-in example" or the spec file
  std::vector<LayerSpec> specs;  // with main()'s defaults
  LayeredSetup setup;
};

// The specs `choice` names ("example" = --run-example's, else a file), defaulted, checked and
// turned into the set-up for `topo`. `slice_us` is -s (a spec's slice_us 0 takes it).
Result<std::shared_ptr<const LayeredPlan>> make_plan(const std::string& choice, const Topology& topo, uint64_t slice_us,
                                                     uint64_t slice_dfl_ns);

// The user-space scheduler entry for `plan` (named "layered"; not in the registry, the loader
// adds it for an object whose profile names a layer spec).
UserSchedInfo layered_user_scheduler(std::shared_ptr<const LayeredPlan> plan, Ns interval = kDefaultInterval);

}  // namespace scx::bpf::layered
