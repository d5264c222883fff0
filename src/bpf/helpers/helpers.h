// The generic BPF helpers (ids as the kernel's enum bpf_func_id), bound into a Vm's HostTable.
// Host-provided hooks supply what the simulated kernel knows: the clock, the current CPU, a
// deterministic RNG, the current task, and where printk output goes. The sched_ext kfuncs are
// not here: the sched_ext integration binds them through a KfuncRegistry (loader/kfuncs.h).
//
// Implemented: map_lookup/update/delete_elem, map_push/pop/peek_elem, ktime_get_ns,
// ktime_get_boot_ns, jiffies64, get_smp_processor_id, get_numa_node_id, get_prandom_u32,
// get_current_pid_tgid, get_current_comm, get_current_task(_btf), probe_read_kernel(_str)
// (and the legacy probe_read(_str)), trace_printk, trace_vprintk, snprintf (bpf_bprintf
// rules), loop, for_each_map_elem, spin_lock/unlock (pairing validated: no nesting, unlock of
// a lock not held, lock still held at the end of a run), timer_init/set_callback/start/cancel
// (host-driven: run_timers(); a timer whose map value is overwritten or deleted, or whose map
// is destroyed, is cancelled and freed, as bpf_timer_cancel_and_free),
// ringbuf_reserve/submit/discard/output/query, task_storage_get/delete, cgrp_storage_get/delete,
// kptr_xchg (a referenced kptr field is read-only to programs, so only this helper stores to
// it; local kptrs: helpers/graph.h), per_cpu_ptr / this_cpu_ptr (of bpf_percpu_obj_new
// objects: helpers/graph.h, and of per-CPU kernel variables: add_percpu_ksym).
// strncmp (-1/0/1, as the kernel's strncmp). event_helpers.cc: map_lookup_percpu_elem, perf_event_read / perf_event_read_value /
// perf_event_output (perf event arrays are always empty: the kernel's empty-slot errors),
// user_ringbuf_drain, dynptr_read / dynptr_data.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "bpf/maps/map.h"
#include "bpf/vm/vm.h"

namespace scx::bpf {

// Helper ids (enum bpf_func_id).
enum HelperId : uint32_t {
  kHelperMapLookupElem = 1,
  kHelperMapUpdateElem = 2,
  kHelperMapDeleteElem = 3,
  kHelperProbeRead = 4,
  kHelperPerfEventRead = 22,
  kHelperPerfEventOutput = 25,
  kHelperKtimeGetNs = 5,
  kHelperTracePrintk = 6,
  kHelperGetPrandomU32 = 7,
  kHelperGetSmpProcessorId = 8,
  kHelperGetCurrentPidTgid = 14,
  kHelperGetCurrentComm = 16,
  kHelperGetCurrentTask = 35,
  kHelperGetNumaNodeId = 42,
  kHelperProbeReadStr = 45,
  kHelperPerfEventReadValue = 55,
  kHelperMapPushElem = 87,
  kHelperMapPopElem = 88,
  kHelperMapPeekElem = 89,
  kHelperSpinLock = 93,
  kHelperSpinUnlock = 94,
  kHelperProbeReadKernel = 113,
  kHelperProbeReadKernelStr = 115,
  kHelperJiffies64 = 118,
  kHelperKtimeGetBootNs = 125,
  kHelperRingbufOutput = 130,
  kHelperRingbufReserve = 131,
  kHelperRingbufSubmit = 132,
  kHelperRingbufDiscard = 133,
  kHelperRingbufQuery = 134,
  kHelperPerCpuPtr = 153,
  kHelperThisCpuPtr = 154,
  kHelperTaskStorageGet = 156,
  kHelperTaskStorageDelete = 157,
  kHelperGetCurrentTaskBtf = 158,
  kHelperForEachMapElem = 164,
  kHelperSnprintf = 165,
  kHelperTimerInit = 169,
  kHelperTimerSetCallback = 170,
  kHelperTimerStart = 171,
  kHelperTimerCancel = 172,
  kHelperTraceVprintk = 177,
  kHelperLoop = 181,
  kHelperStrncmp = 182,
  kHelperKptrXchg = 194,
  kHelperMapLookupPercpuElem = 195,
  kHelperDynptrRead = 201,
  kHelperDynptrData = 203,
  kHelperUserRingbufDrain = 209,
  kHelperCgrpStorageGet = 210,
  kHelperCgrpStorageDelete = 211,
};

// "bpf_map_lookup_elem" for an implemented helper, nullptr otherwise.
const char* helper_name(uint32_t id);

// Formats like the kernel's bpf_bprintf_prepare + bstr_printf: %d %i %u %x %X %o %c %s %p
// (%pK %px %pS %ps print the value), with l/ll/h/hh length modifiers, flags, width and
// precision; %s reads a string from VM memory (checked). At most 12 arguments. Returns the
// formatted text, or an error describing the first bad directive.
Result<std::string> bpf_bprintf(const AddressSpace& memory, std::string_view fmt,
                                std::span<const uint64_t> args);

struct HelperHooks {
  std::function<uint64_t()> ktime_ns;        // monotonic ns (default: 0)
  std::function<uint32_t()> cpu;             // current CPU (default: 0)
  std::function<uint32_t()> numa_node;       // the current CPU's NUMA node (default: 0)
  std::function<uint32_t()> prandom;         // deterministic RNG (default: xorshift, seed 1)
  std::function<uint64_t()> current_task;    // task_struct address (default: 0)
  std::function<void(std::string_view)> log; // printk output (default: dropped)
  uint64_t jiffies_per_sec = 250;            // CONFIG_HZ
};

class HelperEnv : private TimerOwner {
 public:
  explicit HelperEnv(HelperHooks hooks = {});
  ~HelperEnv() override;
  HelperEnv(const HelperEnv&) = delete;
  HelperEnv& operator=(const HelperEnv&) = delete;

  // Installs every helper into vm.helpers() (the lambdas capture this HelperEnv).
  void bind(Vm& vm);
  HelperHooks& hooks() { return hooks_; }

  // bpf_spin_lock pairing: after each run the host calls end_run(); a lock still held is an
  // error (the kernel's verifier rejects such programs), and the lock is released. A nested
  // run answers only for the locks it took: pass held_locks() as seen before it started.
  Status end_run(size_t held_before = 0);
  size_t held_locks() const { return held_locks_.size(); }

  // ---- bpf_timer (host-driven) ----
  struct TimerState {
    uint64_t addr = 0;        // the struct bpf_timer in a map value
    Map* map = nullptr;
    const Program* prog = nullptr;
    uint64_t callback = 0;    // code address
    bool armed = false;
    uint64_t expires = 0;     // absolute ns
    uint64_t seq = 0;         // arming order (ties)
  };
  // False when no timer exists: the host skips next_timer() after every op then.
  bool has_timers() const { return !timers_.empty(); }
  // When the next pass of run_timers() is due: the earliest armed expiry, but never sooner
  // than kMinClockEventDeltaNs after the previous pass (nullopt: nothing armed).
  std::optional<uint64_t> next_timer() const;
  // One softirq pass (hrtimer_run_softirq -> __hrtimer_run_queues): runs every timer that was
  // armed before the pass and expires <= now, in (expiry, arming order), each as a top-level
  // run of its callback (map, key, value). A timer (re)started during the pass waits for the
  // next pass, however early it expires: the kernel's pass stops at the first timer expiring
  // after the clock read when it began, and a restart reads the clock again, later. Returns
  // the faults (one message per faulting callback).
  std::vector<std::string> run_timers(Vm& vm, uint64_t now);
  size_t armed_timers() const;
  // The clock event device is never programmed closer than min_delta_ns, at least 1 us
  // (cev_delta2ns: "Deltas less than 1usec are pointless noise"; clockevents_program_event
  // clamps to it): a timer re-armed in its callback to expire at once fires a microsecond later,
  // so simulated time always advances (docs/sched_ext.md, "bpf_timer").
  static constexpr uint64_t kMinClockEventDeltaNs = 1000;

  // A per-CPU kernel variable (a typed __ksym of a DEFINE_PER_CPU variable): `handle` is the
  // address the loader gives the ksym (LoadOptions::ksyms), which, like the kernel's percpu
  // offset, programs cannot dereference; bpf_per_cpu_ptr / bpf_this_cpu_ptr map it to a CPU's
  // copy with `copy` (which returns 0 for a CPU that has none, cpu >= nr_cpu_ids).
  void add_percpu_ksym(uint64_t handle, std::function<uint64_t(uint32_t cpu)> copy);
  // The CPU's copy of a per-CPU ksym, nullopt when `handle` is none.
  std::optional<uint64_t> percpu_ksym_ptr(uint64_t handle, uint32_t cpu) const;

  // Messages from bpf_printk & co. (also passed to hooks.log).
  const std::vector<std::string>& log() const { return log_; }
  void clear_log() { log_.clear(); }

 private:
  friend struct HelperImpl;
  // TimerOwner: the map freed a value holding a timer, or is going away.
  void free_timer(uint64_t timer_addr) override;
  void forget_map(const Map* map) override;

  HelperHooks hooks_;
  uint64_t rng_state_ = 0x9e3779b97f4a7c15ULL;
  std::vector<uint64_t> held_locks_;
  std::map<uint64_t, TimerState> timers_;  // by bpf_timer address
  std::set<Map*> timer_maps_;              // maps we are a TimerOwner of
  uint64_t timer_seq_ = 0;
  std::optional<uint64_t> last_timer_pass_;  // the time run_timers() last ran callbacks
  std::vector<std::string> log_;
  std::map<uint64_t, std::function<uint64_t(uint32_t)>> percpu_ksyms_;
};

// event_helpers.cc (installed by HelperEnv::bind).
void bind_event_helpers(HelperEnv& env, HostTable& table);

}  // namespace scx::bpf
