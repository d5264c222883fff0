// What an scx scheduler's user space does to its BPF object before attaching it, done by
// scxsim so that an unmodified .bpf.o runs as `scx_NAME` would run it (docs/sched_ext.md,
// "What scxsim does before load"):
//  1. between open and load (open_options): every RESIZABLE_ARRAY array gets nr_cpu_ids
//     elements and the exit dump buffer ops.exit_dump_len bytes (RESIZE_ARRAY, UEI_SET_SIZE);
//     explicit array lengths (--resize) and map sizes (--map-size) apply;
//  2. after load (fill_before_attach): every `__SCX_*` global gets the simulated kernel's value
//     of that enumerator from its BTF, 0 when the kernel lacks it (SCX_ENUM_INIT's __ENUM_set;
//     scx_utils' import_enums! does the same for the Rust schedulers); `NAME_dump_len` follows
//     its resized dump buffer; the topology globals (fill_topology_globals); then the caller's
//     --set values, which win;
//  3. SEC("syscall") programs run once before ops.init, when the scheduler registers
//     (BpfScxOps::registering).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "bpf/loader/btf.h"
#include "bpf/host/profile.h"
#include "bpf/loader/object.h"
#include "topo/topology.h"

namespace scx::bpf {

// User space's changes between open and load.
struct OpenPrologue {
  uint32_t nr_cpu_ids = 1;
  std::map<std::string, uint64_t> array_lengths;   // --resize NAME=N
  std::map<std::string, uint32_t> map_max_entries;  // --map-size NAME=N
};
void apply_open_prologue(const OpenPrologue& p, LoadOptions* lo);

// The profile for the object at `path`: `choice` "" = the bundled one for its ops name (of
// several, the one naming fewest variables the object lacks; none is fine), "none", a profile
// file, or a bundled profile's name ("scx_rlfifo"); resolved for `topo` with the --sched-opt
// `options`. A bundled profile's entries for variables the object lacks are dropped.
// Sets *origin to where the profile came from ("" without one).
Result<ResolvedProfile> choose_profile(const std::string& path, const std::string& choice,
                                       const std::vector<std::string>& options, const Topology& topo,
                                       std::string* origin);

// SEC("syscall") programs user space runs by convention: those taking no argument, once, in
// the object's order (unless `listed` already runs them).
std::vector<SyscallRun> conventional_syscalls(const BpfObject& obj, const std::vector<SyscallRun>& listed);

// Writes the `__SCX_*` / `__scx_*` enum globals of `obj` from `kernel` (the simulated kernel's
// BTF). Returns how many were written.
Result<int> fill_enum_globals(BpfObject& obj, const Btf& kernel);

// Map entries user space writes after load (a profile's "maps"), BPF_ANY: a number key or value
// at the map's key or value size, little-endian; struct members laid out from the map's BTF key
// or value type, the other bytes 0. An entry with an inner map creates that map (the object's
// template, overridden by the fields given) and stores it under the key of a map of maps.
Status fill_map_entries(BpfObject& obj, const std::map<std::string, std::vector<ResolvedMapEntry>>& entries);

// UEI_SET_SIZE's other half: a `NAME_dump_len` global gets the size of its `NAME_dump` buffer.
Status fill_dump_len_globals(BpfObject& obj);

// What an scx scheduler's user space writes into the object before load, from the machine's
// topology, for each of these globals the object declares (in a host-writable section):
// nr_cpu_ids, nr_llcs, nr_nodes (32- or 64-bit integers), cpu_llc_id[] and cpu_node_id[] (one
// u32 per CPU), node_distance[] (u32, nr_nodes x nr_nodes, row-major). Another type, or an
// array too small for the machine, is an error.
Status fill_topology_globals(BpfObject& obj, const Topology& topo);

}  // namespace scx::bpf
