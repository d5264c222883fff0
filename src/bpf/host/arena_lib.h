// scx_arena's ArenaLib::setup() (rust/scx_arena/scx_arena/src/arenalib.rs in sched-ext/scx),
// which the Rust schedulers built on scx's arena library (lib/arena.bpf.c, lib/sdt_task.bpf.c:
// scx_lavd, scx_p2dq, scx_chaos, scx_wd40, scx_cake) run from user space after load, before
// attaching: BPF_PROG_RUN of
//   arena_init {static_pages = 8, task_ctx_size}            the allocators
//   arena_topology_init {max_children[5]}                   (newer objects only) children per level
// then, for the machine, each NUMA node, each LLC, each core and each CPU (that order, by id):
//   arena_alloc_mask {bitmap}              -> an arena bitmap; user space writes the CPU mask
//                                             into it (span words; 9 words for a CPU)
//   arena_topology_node_init {bitmap, data_size = 0, id}
// A program returning non-zero stops the loader (an error naming it).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "base/status.h"
#include "topo/topology.h"

namespace scx::bpf {

struct ArenaLibIo {
  // BPF_PROG_RUN of the syscall program with ctx (read back after the run): r0, or nullopt
  // after the host ejected the scheduler (the run faulted).
  std::function<std::optional<int64_t>(const std::string& program, std::span<uint8_t> ctx)> run;
  // Whether the object has this SEC("syscall") program.
  std::function<bool(const std::string& program)> has;
  // User space's write of `words` at the arena's user address `uaddr`.
  std::function<Status(uint64_t uaddr, std::span<const uint64_t> words)> write;
};

// Runs ArenaLib::setup() for `topo`. An error names the program and its arguments; nullopt
// from io.run (already ejected) is returned as an error too.
Status run_arena_lib_setup(const Topology& topo, uint64_t task_ctx_size, const ArenaLibIo& io);

}  // namespace scx::bpf
