/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal scheduler written like the kernel's tools/sched_ext/scx_simple.bpf.c: one shared
 * DSQ, global FIFO (fifo_sched = true, settable with --set) or weighted vtime ordering.
 * Test subject for the loader (and the loader benchmark).
 */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

const volatile bool fifo_sched;
const volatile u64 slice_ns = SCX_SLICE_DFL;

static u64 vtime_now;
UEI_DEFINE(uei);

#define SHARED_DSQ 0

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(key_size, sizeof(u32));
  __uint(value_size, sizeof(u64));
  __uint(max_entries, 2); /* [local, global] */
} stats SEC(".maps");

static __noinline void stat_inc(u32 idx) {
  u64 *cnt_p = bpf_map_lookup_elem(&stats, &idx);
  if (cnt_p) (*cnt_p)++;
}

s32 BPF_STRUCT_OPS(fifo_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags) {
  bool is_idle = false;
  s32 cpu;

  cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);
  if (is_idle) {
    stat_inc(0);
    scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, 0);
  }
  return cpu;
}

void BPF_STRUCT_OPS(fifo_enqueue, struct task_struct *p, u64 enq_flags) {
  stat_inc(1);
  if (fifo_sched) {
    scx_bpf_dsq_insert(p, SHARED_DSQ, slice_ns, enq_flags);
  } else {
    u64 vtime = p->scx.dsq_vtime;
    /* Limit the budget an idling task can accumulate to one slice. */
    if (time_before(vtime, vtime_now - slice_ns)) vtime = vtime_now - slice_ns;
    scx_bpf_dsq_insert_vtime(p, SHARED_DSQ, slice_ns, vtime, enq_flags);
  }
}

void BPF_STRUCT_OPS(fifo_dispatch, s32 cpu, struct task_struct *prev) {
  scx_bpf_dsq_move_to_local(SHARED_DSQ);
}

void BPF_STRUCT_OPS(fifo_running, struct task_struct *p) {
  if (fifo_sched) return;
  if (time_before(vtime_now, p->scx.dsq_vtime)) vtime_now = p->scx.dsq_vtime;
}

void BPF_STRUCT_OPS(fifo_stopping, struct task_struct *p, bool runnable) {
  if (fifo_sched) return;
  /* Scale the execution time by the inverse of the weight and charge. */
  p->scx.dsq_vtime += (slice_ns - p->scx.slice) * 100 / p->scx.weight;
}

void BPF_STRUCT_OPS(fifo_enable, struct task_struct *p) { p->scx.dsq_vtime = vtime_now; }

s32 BPF_STRUCT_OPS_SLEEPABLE(fifo_init) { return scx_bpf_create_dsq(SHARED_DSQ, -1); }

void BPF_STRUCT_OPS(fifo_exit, struct scx_exit_info *ei) { UEI_RECORD(uei, ei); }

SCX_OPS_DEFINE(fifo_ops,
               .select_cpu = (void *)fifo_select_cpu,
               .enqueue = (void *)fifo_enqueue,
               .dispatch = (void *)fifo_dispatch,
               .running = (void *)fifo_running,
               .stopping = (void *)fifo_stopping,
               .enable = (void *)fifo_enable,
               .init = (void *)fifo_init,
               .exit = (void *)fifo_exit,
               .flags = SCX_OPS_ENQ_LAST | SCX_OPS_SWITCH_PARTIAL,
               .timeout_ms = 5000,
               .name = "fifo");
