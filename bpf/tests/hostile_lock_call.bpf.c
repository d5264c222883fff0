/* SPDX-License-Identifier: GPL-2.0 */
/* Hostile: a global function called with a bpf_spin_lock held. The kernel's verifier refuses
 * the load (a global function is verified on its own and may not run under the caller's lock);
 * so does scxsim's loader. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

private(L) struct bpf_spin_lock lock;
u64 counter;

__noinline u64 add_global(u64 x) { return counter += x; }

SEC("syscall")
int global_under_lock(void *ctx) {
  bpf_spin_lock(&lock);
  add_global(1);
  bpf_spin_unlock(&lock);
  return 0;
}
