// The user-space half of scx_rustland_core (rust/scx_rustland_core/assets/bpf.rs, sched-ext/scx
// 7a58a3a1a): BpfScheduler's methods over the BPF side's `queued` ring buffer, `dispatched`
// user ring buffer, rs_select_cpu syscall program and nr_queued / nr_scheduled globals. Shared
// by the rustland and rlfifo schedulers.
#pragma once

#include <cstdint>
#include <optional>

#include "bpf/host/userspace.h"

namespace scx::usersched {

// struct queued_task_ctx (assets/bpf/intf.h): a task the BPF side hands to user space.
struct QueuedTask {
  int32_t pid;
  int32_t cpu;  // the CPU it last ran on
  uint64_t nr_cpus_allowed;
  uint64_t flags;  // enqueue flags
  uint64_t start_ts, stop_ts;  // when it last started / stopped running
  uint64_t exec_runtime;       // CPU time since it last slept
  uint64_t weight;
  uint64_t vtime;
  uint64_t enq_cnt;
  char comm[16];
};
static_assert(sizeof(QueuedTask) == 88);

// struct dispatched_task_ctx: a decision sent back.
struct DispatchedTask {
  int32_t pid;
  int32_t cpu;  // a CPU, or kCpuAny
  uint64_t flags;
  uint64_t slice_ns;  // 0 = the BPF side's slice_ns
  uint64_t vtime;
  uint64_t enq_cnt;
};
static_assert(sizeof(DispatchedTask) == 40);

inline constexpr int32_t kCpuAny = 1 << 20;  // RL_CPU_ANY: the shared DSQ, the first free CPU

// DispatchedTask::new(): the task back where it was queued from, default slice, vtime 0.
DispatchedTask dispatched_from(const QueuedTask& t);

class RustlandCore {
 public:
  // BpfScheduler::init(): usersched_pid = getpid(); khugepaged_pid stays 0 (no khugepaged here).
  static void attach(bpf::UserSchedContext& c);
  // dequeue_task(): one record of `queued`, keeping nr_queued (0 once the ring is empty).
  static std::optional<QueuedTask> dequeue_task(bpf::UserSchedContext& c);
  // dispatch_task(): one record into `dispatched`; false when the ring has no room.
  static bool dispatch_task(bpf::UserSchedContext& c, const DispatchedTask& t);
  // select_cpu(): rs_select_cpu(pid, cpu, flags) through BPF_PROG_RUN.
  static int32_t select_cpu(bpf::UserSchedContext& c, int32_t pid, int32_t cpu, uint64_t flags);
  // notify_complete(): nr_scheduled = pending (the host then yields).
  static void notify_complete(bpf::UserSchedContext& c, uint64_t pending);
};

}  // namespace scx::usersched
