/* SPDX-License-Identifier: GPL-2.0 */
/* A bpf_list_head without __contains(type, field): the kernel rejects the map at load time. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct val {
  struct bpf_spin_lock lock;
  struct bpf_list_head head;
};
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, u32);
  __type(value, struct val);
  __uint(max_entries, 1);
} bad SEC(".maps");

SEC("syscall")
int touch(void *ctx) {
  u32 k = 0;
  return bpf_map_lookup_elem(&bad, &k) != NULL;
}
