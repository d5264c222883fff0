/* SPDX-License-Identifier: GPL-2.0 */
/* A BPF side that leaves every scheduling decision to a user-space scheduler, talking through
 * queue maps with the message layout of scx_userland (so the built-in "userland" runs on it):
 * - ops.enqueue pushes {pid, sum_exec_runtime, weight} into `enqueued` and counts it in
 *   nr_queued; the user-space task itself goes to USERSCHED_DSQ instead. A full queue sends the
 *   task straight to the shared DSQ.
 * - ops.dispatch moves the pids user space pushed into `dispatched` to the shared DSQ, then runs
 *   the user-space task while it has work (nr_queued or nr_scheduled; when it is the task that
 *   just yielded, by giving it a new slice), else the shared DSQ.
 * - A push kicks an idle CPU, so that some CPU dispatches the user-space task soon.
 * - Counters for tests: nr_pushed, nr_push_failed, nr_popped, nr_gone (popped pids whose task
 *   had exited), nr_usersched_runs. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define SHARED_DSQ 0
#define USERSCHED_DSQ 1

struct enq_task {
  s32 pid;
  u64 sum_exec_runtime;
  u64 weight;
};

const volatile s32 usersched_pid;
volatile u64 nr_queued, nr_scheduled;
u64 nr_pushed, nr_push_failed, nr_popped, nr_gone, nr_usersched_runs;

struct {
  __uint(type, BPF_MAP_TYPE_QUEUE);
  __uint(max_entries, 256);
  __type(value, struct enq_task);
} enqueued SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_QUEUE);
  __uint(max_entries, 256);
  __type(value, s32);
} dispatched SEC(".maps");

/* Never the kernel's default selection, which would put tasks on idle CPUs itself. */
s32 BPF_STRUCT_OPS(usq_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags) { return prev_cpu; }

void BPF_STRUCT_OPS(usq_enqueue, struct task_struct *p, u64 enq_flags) {
  struct enq_task t = {.pid = p->pid, .sum_exec_runtime = p->se.sum_exec_runtime, .weight = p->scx.weight};
  s32 cpu;

  if (p->pid == usersched_pid) {
    scx_bpf_dsq_insert(p, USERSCHED_DSQ, SCX_SLICE_DFL, enq_flags);
    return;
  }
  if (bpf_map_push_elem(&enqueued, &t, 0)) {
    nr_push_failed++;
    scx_bpf_dsq_insert(p, SHARED_DSQ, SCX_SLICE_DFL, enq_flags);
    return;
  }
  nr_pushed++;
  nr_queued++;
  cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);
  if (cpu >= 0) scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
}

void BPF_STRUCT_OPS(usq_dispatch, s32 cpu, struct task_struct *prev) {
  bpf_repeat(32) {
    struct task_struct *p;
    s32 pid;

    if (bpf_map_pop_elem(&dispatched, &pid)) break;
    nr_popped++;
    p = bpf_task_from_pid(pid);
    if (!p) {
      nr_gone++;
      continue;
    }
    scx_bpf_dsq_insert(p, SHARED_DSQ, SCX_SLICE_DFL, 0);
    bpf_task_release(p);
  }
  if (!(nr_queued || nr_scheduled)) {
    scx_bpf_dsq_move_to_local(SHARED_DSQ);
    return;
  }
  /* The user-space task yielding with work left is not queued yet: it keeps the CPU. */
  if (prev && prev->pid == usersched_pid) {
    prev->scx.slice = SCX_SLICE_DFL;
    nr_usersched_runs++;
  } else if (scx_bpf_dsq_move_to_local(USERSCHED_DSQ)) {
    nr_usersched_runs++;
  } else {
    scx_bpf_dsq_move_to_local(SHARED_DSQ);
  }
}

s32 BPF_STRUCT_OPS_SLEEPABLE(usq_init) {
  if (usersched_pid <= 0) {
    scx_bpf_error("usersched_pid not set (%d)", usersched_pid);
    return -22;
  }
  if (scx_bpf_create_dsq(SHARED_DSQ, -1)) return -22;
  return scx_bpf_create_dsq(USERSCHED_DSQ, -1);
}

SCX_OPS_DEFINE(usq_ops,
               .select_cpu = (void *)usq_select_cpu,
               .enqueue = (void *)usq_enqueue,
               .dispatch = (void *)usq_dispatch,
               .init = (void *)usq_init,
               .flags = SCX_OPS_ENQ_LAST,
               .name = "usersched_queue");
