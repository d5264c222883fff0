/* SPDX-License-Identifier: GPL-2.0 */
/* A FIFO scheduler whose enqueue misbehaves after a few calls, chosen with `mode`:
 * 1 writes p->pid (read-only), 2 writes past a map value, 3 loops forever, 4 inserts a map
 * value as a task, 5 inserts a pointer 8 bytes into the task. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

const volatile u32 mode;
u64 counter;
u64 nr_enqueued;

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, u32);
  __type(value, u64);
  __uint(max_entries, 1);
} arr SEC(".maps");

void BPF_STRUCT_OPS(hostile_enqueue, struct task_struct *p, u64 enq_flags) {
  if (++nr_enqueued > 20) {
    if (mode == 1) {
      p->pid = 1;
    } else if (mode == 2) {
      u32 k = 0;
      u64 *v = bpf_map_lookup_elem(&arr, &k);
      volatile int idx = 3;
      if (v) v[idx] = 42;
    } else if (mode == 3) {
      for (;;) {
        counter++;
        barrier_var(counter);
      }
    } else if (mode == 4) {
      u32 k = 0;
      u64 *v = bpf_map_lookup_elem(&arr, &k);
      if (v) p = (struct task_struct *)v;
    } else if (mode == 5) {
      p = (struct task_struct *)((char *)p + 8);
    }
  }
  scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(hostile_ops, .enqueue = (void *)hostile_enqueue, .name = "hostile");
