// scx_mitosis's process (scx 7a58a3a1a, scheds/rust/scx_mitosis/src/main.rs), run as a
// simulated task through the user-space scheduler hosting (userspace.h) when a cell parent
// cgroup is given (--sched-opt cell-parent-cgroup=/PATH):
//  - Before attach (Scheduler::init → CellManager::new): the parent's direct children become
//    cells (cell_table.h). A missing parent fails the process at its first pass (the real one
//    exits before attaching).
//  - At its first pass, right after attach (apply_initial_cells), and whenever the cells or
//    their cpusets change: the CPU split (cpu_split.h), written into the zeroed .bss
//    `cell_config` (assignments of cgroup ids to cells, byte masks of each cell's CPUs and, with
//    borrowing, of the CPUs it may borrow), then BPF_PROG_RUN of apply_cell_config; a non-zero
//    return is the process failing.
//  - Its main loop wakes every second like the real epoll loop (--monitor-interval-s 1);
//    at each pass it rescans the parent (the real one is woken at once by inotify on the
//    parent's directory: here a cgroup made or removed is seen at the next pass, up to 1 s
//    later) and compares cpuset_seq, which the BPF side bumps in fentry/cpuset_write_resmask,
//    with the last seen (check_cpuset_changes: re-read the cpusets, re-apply on a change, then
//    store applied_cpuset_seq). scxsim never fires that fentry (tracing.cc's unsimulated
//    functions), so this only runs when something else moves cpuset_seq.
// Not modelled: --enable-rebalancing (demand-weighted splits), --cell-exclude, and the stats
// the loop reads (refresh_bpf_cells, collect_metrics), which write nothing the BPF side reads.
#pragma once

#include <string>

#include "bpf/host/userspace.h"

namespace scx::bpf::mitosis {

inline constexpr Ns kDefaultMonitorInterval = 1'000'000'000;  // --monitor-interval-s 1

// The user-space scheduler entry for a cell parent cgroup (named "mitosis"; not in the registry:
// the loader adds it for an object whose profile names a cell parent). Its parameters:
// cell0_min_cpus (--cell0-min-cpus) and enable_borrowing (--enable-borrowing).
UserSchedInfo mitosis_user_scheduler(const std::string& cell_parent, Ns interval = kDefaultMonitorInterval);

}  // namespace scx::bpf::mitosis
