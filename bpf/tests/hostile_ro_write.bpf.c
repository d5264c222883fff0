/* SPDX-License-Identifier: GPL-2.0 */
/* Hostile: writes a read-only task field. */
#include <scx/common.bpf.h>
char _license[] SEC("license") = "GPL";
void BPF_STRUCT_OPS(bad_enable, struct task_struct *p) {
  p->pid = 1;
}
SCX_OPS_DEFINE(bad_ops, .enable = (void *)bad_enable, .name = "bad");
