/* SPDX-License-Identifier: GPL-2.0 */
/* Hostile: writes past the end of a map value (the kernel's verifier would reject it). */
#include <scx/common.bpf.h>
char _license[] SEC("license") = "GPL";
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, u32); __type(value, u64); __uint(max_entries, 2); } arr SEC(".maps");
SEC("syscall")
int oob(void *ctx) {
  u32 k = 0;
  u64 *v = bpf_map_lookup_elem(&arr, &k);
  if (!v) return 1;
  volatile int idx = 1;
  v[idx] = 42; /* value is 8 bytes: this is out of bounds */
  return 0;
}
