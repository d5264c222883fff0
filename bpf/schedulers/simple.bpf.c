/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BPF twin of src/policy/simple.cc (the native scx_simple): one shared DSQ, weighted vtime
 * ordering, or global FIFO with fifo_sched = 1 (--set fifo_sched=1). Same ops, same flags, same
 * arithmetic as the native policy, so both give the same event stream.
 */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

const volatile bool fifo_sched;

static u64 vtime_now;
UEI_DEFINE(uei);

#define SHARED_DSQ 0

s32 BPF_STRUCT_OPS(simple_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags) {
  bool is_idle = false;
  s32 cpu;

  cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);
  if (is_idle) scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, 0);
  return cpu;
}

void BPF_STRUCT_OPS(simple_enqueue, struct task_struct *p, u64 enq_flags) {
  if (fifo_sched) {
    scx_bpf_dsq_insert(p, SHARED_DSQ, SCX_SLICE_DFL, enq_flags);
  } else {
    u64 vtime = p->scx.dsq_vtime;
    /* Limit the budget an idling task can accumulate to one slice. */
    if (time_before(vtime, vtime_now - SCX_SLICE_DFL)) vtime = vtime_now - SCX_SLICE_DFL;
    scx_bpf_dsq_insert_vtime(p, SHARED_DSQ, SCX_SLICE_DFL, vtime, enq_flags);
  }
}

void BPF_STRUCT_OPS(simple_dispatch, s32 cpu, struct task_struct *prev) {
  scx_bpf_dsq_move_to_local(SHARED_DSQ);
}

void BPF_STRUCT_OPS(simple_running, struct task_struct *p) {
  if (fifo_sched) return;
  if (time_before(vtime_now, p->scx.dsq_vtime)) vtime_now = p->scx.dsq_vtime;
}

void BPF_STRUCT_OPS(simple_stopping, struct task_struct *p, bool runnable) {
  if (fifo_sched) return;
  /* Scale the execution time by the inverse of the weight and charge. */
  p->scx.dsq_vtime += (SCX_SLICE_DFL - p->scx.slice) * 100 / p->scx.weight;
}

void BPF_STRUCT_OPS(simple_enable, struct task_struct *p) { p->scx.dsq_vtime = vtime_now; }

s32 BPF_STRUCT_OPS_SLEEPABLE(simple_init) { return scx_bpf_create_dsq(SHARED_DSQ, -1); }

void BPF_STRUCT_OPS(simple_exit, struct scx_exit_info *ei) { UEI_RECORD(uei, ei); }

SCX_OPS_DEFINE(simple_ops,
               .select_cpu = (void *)simple_select_cpu,
               .enqueue = (void *)simple_enqueue,
               .dispatch = (void *)simple_dispatch,
               .running = (void *)simple_running,
               .stopping = (void *)simple_stopping,
               .enable = (void *)simple_enable,
               .init = (void *)simple_init,
               .exit = (void *)simple_exit,
               .name = "simple");
