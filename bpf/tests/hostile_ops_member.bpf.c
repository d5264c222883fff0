/* SPDX-License-Identifier: GPL-2.0 */
/* Hostile: a sched_ext_ops with a member the kernel type does not have (set). */
#include <scx/common.bpf.h>
char _license[] SEC("license") = "GPL";
struct sched_ext_ops___x {
  void (*enqueue)(struct task_struct *p, u64 enq_flags);
  u64 frobnicate;
  char name[128];
};
void BPF_STRUCT_OPS(x_enqueue, struct task_struct *p, u64 f) {}
SEC(".struct_ops.link")
struct sched_ext_ops___x x_ops = {.enqueue = (void *)x_enqueue, .frobnicate = 3, .name = "x"};
