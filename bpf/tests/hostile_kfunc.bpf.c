/* SPDX-License-Identifier: GPL-2.0 */
/* Hostile: calls a kfunc nobody provides (not weak). */
#include <scx/common.bpf.h>
char _license[] SEC("license") = "GPL";
extern void scx_bpf_no_such_kfunc(u64 x) __ksym;
SEC("syscall")
int call_it(void *ctx) {
  scx_bpf_no_such_kfunc(1);
  return 0;
}
