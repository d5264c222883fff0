/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A scheduler with a planted bug, the target of the `scxsim fuzz` tests: like fifo.bpf.c (one
 * shared FIFO DSQ), except that tasks of nice `stalled_nice` (default 5) go to a DSQ that
 * ops.dispatch never consumes. Such a task never runs again, so the sched_ext watchdog ejects
 * the scheduler after timeout_ms (a runnable task stall) -- but only when the workload has a
 * task at that nice value, which is what the fuzzer has to find.
 */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

const volatile s32 stalled_nice = 5;

UEI_DEFINE(uei);

#define SHARED_DSQ 0
#define FORGOTTEN_DSQ 1
#define NICE_0_PRIO 120 /* static_prio of nice 0 */

static bool forgotten(const struct task_struct *p) { return p->static_prio == NICE_0_PRIO + stalled_nice; }

s32 BPF_STRUCT_OPS(nice_stall_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags) {
  bool is_idle = false;
  s32 cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);

  /* Dispatching to the local DSQ here would skip ops.enqueue, and with it the bug. */
  if (is_idle && !forgotten(p)) scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, 0);
  return cpu;
}

void BPF_STRUCT_OPS(nice_stall_enqueue, struct task_struct *p, u64 enq_flags) {
  scx_bpf_dsq_insert(p, forgotten(p) ? FORGOTTEN_DSQ : SHARED_DSQ, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(nice_stall_dispatch, s32 cpu, struct task_struct *prev) {
  scx_bpf_dsq_move_to_local(SHARED_DSQ);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(nice_stall_init) {
  s32 ret = scx_bpf_create_dsq(SHARED_DSQ, -1);
  if (ret) return ret;
  return scx_bpf_create_dsq(FORGOTTEN_DSQ, -1);
}

void BPF_STRUCT_OPS(nice_stall_exit, struct scx_exit_info *ei) { UEI_RECORD(uei, ei); }

SCX_OPS_DEFINE(nice_stall_ops,
               .select_cpu = (void *)nice_stall_select_cpu,
               .enqueue = (void *)nice_stall_enqueue,
               .dispatch = (void *)nice_stall_dispatch,
               .init = (void *)nice_stall_init,
               .exit = (void *)nice_stall_exit,
               .timeout_ms = 500,
               .name = "nice_stall");
