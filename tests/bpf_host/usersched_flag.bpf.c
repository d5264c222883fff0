/* SPDX-License-Identifier: GPL-2.0 */
/* scx_userland's BPF side as far as waking its user-space task goes (scheds/c/scx_userland.bpf.c
 * at sched-ext/scx 0f379644a, rewritten), with its messages, so the built-in "userland" runs on it:
 * - a task allowed on every CPU is pushed into `enqueued` and sets `usersched_needed`; a pinned
 *   one stays in the kernel (its CPU's local DSQ); the user-space task itself is held (ops.enqueue
 *   inserts it nowhere);
 * - ops.dispatch test-and-clears `usersched_needed` and, when it was set, inserts the user-space
 *   task into the global DSQ; then it inserts every pid user space pushed into `dispatched`;
 * - ops.update_idle sets the flag again (and kicks the CPU) when a CPU goes idle while
 *   nr_queued || nr_scheduled, counters that only user space writes.
 * The kernel drops the insert of a task it does not hold queued (finish_dispatch), so a flag
 * consumed while the user-space task runs is lost until another such task is enqueued.
 * Counters for tests: nr_user_enqueues, nr_usersched_inserts. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct enq_task {
  s32 pid;
  u64 sum_exec_runtime;
  u64 weight;
};

const volatile s32 usersched_pid;
volatile u64 nr_queued, nr_scheduled;
u64 nr_user_enqueues, nr_usersched_inserts;
static volatile u32 usersched_needed;

struct {
  __uint(type, BPF_MAP_TYPE_QUEUE);
  __uint(max_entries, 4096);
  __type(value, struct enq_task);
} enqueued SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_QUEUE);
  __uint(max_entries, 4096);
  __type(value, s32);
} dispatched SEC(".maps");

/* Never the kernel's default selection, whose direct dispatch would skip user space. */
s32 BPF_STRUCT_OPS(usf_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags) { return prev_cpu; }

void BPF_STRUCT_OPS(usf_enqueue, struct task_struct *p, u64 enq_flags) {
  struct enq_task t = {.pid = p->pid, .sum_exec_runtime = p->se.sum_exec_runtime, .weight = p->scx.weight};

  if (p->nr_cpus_allowed < scx_bpf_nr_cpu_ids()) {
    scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, enq_flags);
    return;
  }
  if (p->pid == usersched_pid) return;
  if (bpf_map_push_elem(&enqueued, &t, 0)) {
    scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
    return;
  }
  nr_user_enqueues++;
  __sync_fetch_and_or(&usersched_needed, 1);
}

void BPF_STRUCT_OPS(usf_dispatch, s32 cpu, struct task_struct *prev) {
  if (__sync_fetch_and_and(&usersched_needed, 0)) {
    struct task_struct *p = bpf_task_from_pid(usersched_pid);

    if (p) {
      nr_usersched_inserts++;
      scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, 0);
      bpf_task_release(p);
    }
  }
  bpf_repeat(4096) {
    struct task_struct *p;
    s32 pid;

    if (bpf_map_pop_elem(&dispatched, &pid)) break;
    p = bpf_task_from_pid(pid);
    if (!p) continue;
    scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, 0);
    bpf_task_release(p);
  }
}

void BPF_STRUCT_OPS(usf_update_idle, s32 cpu, bool idle) {
  if (!idle || !(nr_queued || nr_scheduled)) return;
  __sync_fetch_and_or(&usersched_needed, 1);
  scx_bpf_kick_cpu(cpu, 0);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(usf_init) {
  if (usersched_pid <= 0) {
    scx_bpf_error("usersched_pid not set (%d)", usersched_pid);
    return -22;
  }
  return 0;
}

SCX_OPS_DEFINE(usf_ops,
               .select_cpu = (void *)usf_select_cpu,
               .enqueue = (void *)usf_enqueue,
               .dispatch = (void *)usf_dispatch,
               .update_idle = (void *)usf_update_idle,
               .init = (void *)usf_init,
               .flags = SCX_OPS_ENQ_LAST | SCX_OPS_KEEP_BUILTIN_IDLE,
               .name = "usersched_flag");
