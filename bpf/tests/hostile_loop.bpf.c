/* SPDX-License-Identifier: GPL-2.0 */
/* Hostile: an unbounded loop. */
#include <scx/common.bpf.h>
char _license[] SEC("license") = "GPL";
u64 counter;
SEC("syscall")
int spin(void *ctx) {
  for (;;) {
    counter++;
    barrier_var(counter);
  }
  return 0;
}
