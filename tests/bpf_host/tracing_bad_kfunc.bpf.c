/* SPDX-License-Identifier: GPL-2.0 */
/* A tracing program calling a kfunc the kernel registers for struct_ops programs only: the
 * verifier rejects it, a load error. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

SEC("tp_btf/sched_wakeup")
int BPF_PROG(bk_wakeup, struct task_struct *p) {
  scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, 0);
  return 0;
}

void BPF_STRUCT_OPS(bk_enqueue, struct task_struct *p, u64 enq_flags) {
  scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(bk_ops, .enqueue = (void *)bk_enqueue, .name = "tracing_bad_kfunc");
