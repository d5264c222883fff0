/* SPDX-License-Identifier: GPL-2.0 */
/* A tracing program on a tracepoint the kernel does not have: the attach fails, a load error. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

SEC("tp_btf/sched_no_such_event")
int BPF_PROG(bt_probe, struct task_struct *p) { return 0; }

void BPF_STRUCT_OPS(bt_enqueue, struct task_struct *p, u64 enq_flags) {
  scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(bt_ops, .enqueue = (void *)bt_enqueue, .name = "tracing_bad_target");
