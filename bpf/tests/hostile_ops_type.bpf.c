/* SPDX-License-Identifier: GPL-2.0 */
/* Hostile: a struct_ops map whose type is not sched_ext_ops. */
#include <scx/common.bpf.h>
char _license[] SEC("license") = "GPL";
struct tcp_congestion_ops {
  void (*init)(void *sk);
  char name[16];
};
SEC("struct_ops/cc_init")
void BPF_PROG(cc_init, void *sk) {}
SEC(".struct_ops.link")
struct tcp_congestion_ops cc = {.init = (void *)cc_init, .name = "cc"};
