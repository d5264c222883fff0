/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A global-FIFO scheduler that keeps the kinds of state --probe reads: a scalar global, a
 * struct global with a signed member and an array member, and a per-CPU array map of structs.
 * Test subject for tests/probe.
 */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

const volatile u64 slice_ns = 5000000; /* 5 ms: slices end on ticks the tests count */

#define SHARED_DSQ 0

u64 nr_ticks;           /* ops.tick calls */
struct probe_stats {
  u64 nr_enqueued;      /* ops.enqueue calls */
  s32 balance;          /* ops.running calls minus ops.enqueue calls: <= 0 */
  u32 ran_on[4];        /* ops.running calls per CPU (CPUs 0-3) */
} stats;

struct pcpu_val {
  u64 pad;
  u64 nr_running;       /* ops.running calls on this CPU */
};
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __type(key, u32);
  __type(value, struct pcpu_val);
  __uint(max_entries, 1);
} pcpu SEC(".maps");

s32 BPF_STRUCT_OPS(probe_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags) {
  return prev_cpu;
}

void BPF_STRUCT_OPS(probe_enqueue, struct task_struct *p, u64 enq_flags) {
  stats.nr_enqueued++;
  stats.balance--;
  scx_bpf_dsq_insert(p, SHARED_DSQ, slice_ns, enq_flags);
}

void BPF_STRUCT_OPS(probe_dispatch, s32 cpu, struct task_struct *prev) {
  scx_bpf_dsq_move_to_local(SHARED_DSQ);
}

void BPF_STRUCT_OPS(probe_running, struct task_struct *p) {
  u32 key = 0;
  s32 cpu = bpf_get_smp_processor_id();
  struct pcpu_val *v = bpf_map_lookup_elem(&pcpu, &key);

  if (v) v->nr_running++;
  if (cpu >= 0 && cpu < 4) stats.ran_on[cpu]++;
  stats.balance++;
}

void BPF_STRUCT_OPS(probe_tick, struct task_struct *p) { nr_ticks++; }

s32 BPF_STRUCT_OPS_SLEEPABLE(probe_init) { return scx_bpf_create_dsq(SHARED_DSQ, -1); }

SCX_OPS_DEFINE(probe_ops,
               .select_cpu = (void *)probe_select_cpu,
               .enqueue = (void *)probe_enqueue,
               .dispatch = (void *)probe_dispatch,
               .running = (void *)probe_running,
               .tick = (void *)probe_tick,
               .init = (void *)probe_init,
               .name = "probe_counter");
