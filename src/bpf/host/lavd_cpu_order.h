// scx_lavd's CPU preference orders and compute domains (CpuOrder, in
// scheds/rust/scx_lavd/src/cpu_order.rs of sched-ext/scx), computed natively for a simulated
// machine. lavd's user space builds them from scx_utils' Topology (rust/scx_utils/src/
// topology.rs) and writes them into the BPF object before load (main.rs: init_cpus,
// init_cpdoms); without them no compute domain is valid and lavd's DSQ ids are garbage.
//
// What is modelled, for a machine without an energy model (scxsim has none, so lavd takes its
// "fake" performance-vs-CPU-order table):
//  - every CPU as scx_utils numbers it: LLC and core ids in first-seen order over the CPUs of
//    each node (nodes in sysfs directory order), ranks within the parent level, SMT level,
//    capacity scaled so the fastest CPU is 1024, core type from the capacities (turbo, big,
//    little), the first SMT sibling, no cache size (scxsim models none);
//  - the performance and powersave CPU orders (build_topo_order);
//  - the compute domains: one per (node, LLC, core type), ids in first-seen order over the
//    performance order, their CPUs, their neighbours grouped by distance and circularly
//    sorted, and the alternative-type domain (build_cpdom);
//  - the two-state performance-vs-CPU-order table (get_fake_perf_cpu_order_table).
// The writer into an object's globals is native_setup.h.
#pragma once

#include <cstdint>
#include <vector>

#include "topo/topology.h"

namespace scx::bpf {

// One CPU as lavd's CpuId describes it.
struct LavdCpu {
  int cpu = 0;            // cpu_adx: the kernel's CPU id
  int node = 0;           // numa_adx
  int llc_adx = 0;        // scx_utils' LLC id (system-wide)
  int llc_rdx = 0;        // rank of the LLC within its node
  int llc_kernel_id = 0;  // the LLC's cache id in sysfs (scxsim's LLC index)
  int core_rdx = 0;       // rank of the core within its LLC
  int cpu_rdx = 0;        // rank of the CPU within its core
  int smt_level = 1;      // CPUs of its core
  uint64_t cache_size = 0;
  uint32_t capacity = kCapacityScale;  // cpu_cap, the fastest CPU = 1024
  bool big = true, turbo = false;
  uint32_t sibling = 0xffffffffu;  // the other CPU of an SMT pair, u32 -1 without one
  int pd = 0;                      // pd_adx: the LLC id without an energy model
};

// A compute domain (ComputeDomain with its ComputeDomainId).
struct LavdCpdom {
  int id = 0, alt_id = 0;
  int node = 0, llc_adx = 0, llc_rdx = 0, llc_kernel_id = 0;
  bool is_big = true;
  std::vector<int> cpus;                    // in the order the performance order met them
  std::vector<std::vector<int>> neighbors;  // domain ids, one list per distance, nearest first
};

// One state of the performance-vs-CPU-order table (PerfCpuOrder).
struct LavdPco {
  uint32_t perf_cap = 0;
  std::vector<int> primary, overflow;  // CPU ids in preference order
};

struct LavdCpuOrder {
  std::vector<LavdCpu> cpus;         // by CPU id
  std::vector<int> perf_order;       // CPU ids, most preferred first (cpus_pf)
  std::vector<int> powersave_order;  // (cpus_ps)
  std::vector<LavdCpdom> cpdoms;     // by id
  std::vector<LavdPco> pco;          // by perf_cap, increasing
  int nr_llcs = 0;
  bool smt_enabled = false, has_biglittle = false;
};

LavdCpuOrder lavd_cpu_order(const Topology& topo);

// circular_sort(): `rest` ordered by circular distance from `start` among the sorted list of
// all of them, ties to the lower position (start 0 of 0..7: 1 7 2 6 3 5 4).
std::vector<int> lavd_circular_sort(int start, const std::vector<int>& rest);

// dist() between two compute domains: core type 100, node 10, otherwise LLC rank 1 plus LLC
// cache id 1.
int lavd_cpdom_distance(const LavdCpdom& a, const LavdCpdom& b);

}  // namespace scx::bpf
