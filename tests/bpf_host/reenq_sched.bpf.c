/* SPDX-License-Identifier: GPL-2.0 */
/* Ops that nest. When a higher class takes a CPU, ops.cpu_release calls
 * scx_bpf_reenqueue_local(), which runs ops.enqueue with SCX_ENQ_REENQ for every task on the
 * CPU's local DSQ while cpu_release is still running.
 * - Ordinary enqueues go straight to the local DSQ of the task's CPU, so tasks wait there;
 *   re-enqueued ones go to a shared DSQ that every CPU's dispatch takes from.
 * - Counters: nr_released (cpu_release calls), nr_reenq_ret (sum of what the kfunc returned),
 *   nr_reenq (enqueues with SCX_ENQ_REENQ), nr_reenq_nested (those seen while cpu_release was
 *   inside the kfunc), nr_stack_bad (cpu_release's stack changed across the call),
 *   nr_after (cpu_release runs that went on after the kfunc returned).
 * - fault_mode=1: a re-enqueue writes p->pid (read-only), so the nested op faults. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define SHARED_DSQ 0
#define NR_CANARIES 4

const volatile u32 fault_mode;
u64 nr_released, nr_reenq_ret, nr_reenq, nr_reenq_nested, nr_stack_bad, nr_after;
u32 in_release;

void BPF_STRUCT_OPS(reenq_enqueue, struct task_struct *p, u64 enq_flags) {
  if (enq_flags & SCX_ENQ_REENQ) {
    __sync_fetch_and_add(&nr_reenq, 1);
    if (in_release) __sync_fetch_and_add(&nr_reenq_nested, 1);
    if (fault_mode == 1) p->pid = 0;
    scx_bpf_dsq_insert(p, SHARED_DSQ, 0, enq_flags);
    return;
  }
  scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(reenq_dispatch, s32 cpu, struct task_struct *prev) {
  scx_bpf_dsq_move_to_local(SHARED_DSQ);
}

void BPF_STRUCT_OPS(reenq_cpu_release, s32 cpu, struct scx_cpu_release_args *args) {
  volatile u64 canary[NR_CANARIES];
  u32 cnt;
  int i;

  for (i = 0; i < NR_CANARIES; i++) canary[i] = cpu * 16 + i + 1;
  nr_released++;
  in_release = 1;
  cnt = scx_bpf_reenqueue_local();
  in_release = 0;
  for (i = 0; i < NR_CANARIES; i++)
    if (canary[i] != cpu * 16 + i + 1) nr_stack_bad++;
  nr_reenq_ret += cnt;
  nr_after++;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(reenq_init) { return scx_bpf_create_dsq(SHARED_DSQ, -1); }

SCX_OPS_DEFINE(reenq_ops,
               .enqueue = (void *)reenq_enqueue,
               .dispatch = (void *)reenq_dispatch,
               .cpu_release = (void *)reenq_cpu_release,
               .init = (void *)reenq_init,
               .name = "reenq");
