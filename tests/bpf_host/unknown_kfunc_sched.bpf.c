/* SPDX-License-Identifier: GPL-2.0 */
/* A scheduler calling a kfunc the kernel does not have (non-weak): a load error. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

extern void scx_bpf_no_such_kfunc(u64 x) __ksym;

void BPF_STRUCT_OPS(uk_enqueue, struct task_struct *p, u64 enq_flags) {
  scx_bpf_no_such_kfunc(1);
  scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(uk_ops, .enqueue = (void *)uk_enqueue, .name = "unknown_kfunc");
