// What scx_layered's user space writes into its BPF object before attaching, computed from the
// layer specs and the machine (scheds/rust/scx_layered/src/main.rs, Scheduler::init with
// init_layers, init_nodes, init_cpus + init_cpu_prox_map, init_llc_prox_map, init_node_prox_map,
// init_node_ctx, the hint map and initialize_pid_namespace). Pure computation: the result is a
// list of writes by BTF member path ("layers[2].matches[0].matches[1].kind"), which writer.h
// applies to an object, skipping members the object's structs lack (the two supported commits,
// 7a58a3a1a and 0f379644a, lay `struct layer`, `llc_ctx` and `node_ctx` out differently; each
// commit's own members are all listed).
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "base/cpumask.h"
#include "base/status.h"
#include "bpf/host/layered/spec.h"
#include "topo/topology.h"

namespace scx::bpf::layered {

inline constexpr uint32_t kNumProximityMaps = 32;  // NUM_PROXIMITY_MAPS (7a58a3a1a)

// A value for one member: an integer (any integer, enum or bool member), a C string (char
// array, NUL-terminated, cut to fit), elements of an integer array from index 0, or an
// enumerator.
// An enumerator: its value in the object's BTF when the object has it, else `value` (that of
// src/bpf/intf.h, the same at both commits; clang emits the enum types only where used).
struct EnumName {
  std::string name;  // "MATCH_COMM_PREFIX"
  int64_t value = 0;
};
using FieldValue = std::variant<int64_t, std::string, std::vector<int64_t>, EnumName>;
struct FieldWrite {
  std::string path;  // members and [index]es, from a global's name or a map value's struct
  FieldValue value;
};

// Members of one map value: a per-CPU map's value of CPU `cpu`, or (cpu -1) the value itself.
// A key the map lacks (a hash map) is inserted zeroed first.
struct MapWrite {
  std::string map;
  uint32_t key = 0;
  int cpu = -1;
  std::vector<FieldWrite> fields;
};

// One BPF_PROG_RUN of a SEC("syscall") program with a context struct of BTF type `ctx_type`
// ("" = no context), zeroed, then `fields` written.
struct ProgRun {
  std::string program;
  std::string ctx_type;
  std::vector<FieldWrite> fields;
  std::string what;  // for messages: "refresh_node_ctx(node=1)"
};

struct LayeredSetup {
  std::vector<FieldWrite> globals;  // .rodata / .bss, before load
  std::vector<MapWrite> maps;       // after load
  std::vector<ProgRun> runs;        // after load, before attach, in order
};

// The machine as scx_layered's user space sees it: with one node and one LLC topology
// awareness turns itself off and every spec's nodes and llcs are cleared.
bool topology_disabled(const Topology& topo);

// Scheduler::init's checks of specs against the machine (nodes, llcs, NumaNode, CgroupRegex
// count, NumaNode with NodeSpread*). `origin` names the specs in errors.
Status check_specs_for_machine(const std::vector<LayerSpec>& specs, const Topology& topo, const std::string& origin);

// Everything written before attach. `specs` have had apply_spec_defaults(); `slice_dfl_ns` is
// SCX_SLICE_DFL (min_open_layer_disallow_*_after_ns when no open layer).
LayeredSetup compute_setup(const std::vector<LayerSpec>& specs, const Topology& topo, uint64_t slice_dfl_ns);

// The proximity order of CPUs from `cpu` (itself, its core, LLC, node, the rest) with the end
// index of each group, as init_cpu_prox_map() builds it.
struct CpuProximity {
  std::vector<int> order;
  uint32_t core_end = 0, llc_end = 0, node_end = 0, sys_end = 0;
};
CpuProximity cpu_proximity(const Topology& topo, int cpu);

// fastrand 2's generator (wyrand) and slice shuffle, which scx_layered seeds to order layers
// per CPU, LLCs per LLC and cores per layer reproducibly.
class FastRand {
 public:
  explicit FastRand(uint64_t seed) : s_(seed) {}
  uint64_t next();
  uint64_t below(uint64_t n);  // uniform in [0, n), Lemire's method as fastrand does
  template <class T> void shuffle(std::vector<T>& v) {
    for (size_t i = 1; i < v.size(); ++i) std::swap(v[i], v[below(i + 1)]);
  }

 private:
  uint64_t s_;
};

}  // namespace scx::bpf::layered
