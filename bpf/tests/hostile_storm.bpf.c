/* SPDX-License-Identifier: GPL-2.0 */
/* A FIFO scheduler that floods the machine, chosen with `mode`:
 * 1 a bpf_timer re-armed 0 ns after each expiry, 2 re-armed 1 ns after, 3 re-armed at the
 * absolute time 0 (always in the past), 4 every ops.dispatch kicks its own CPU with
 * SCX_KICK_PREEMPT, 5 every ops.update_idle kicks the CPU that went idle, 6 every ops.dispatch
 * kicks its neighbour (cpu ^ 1) with SCX_KICK_PREEMPT. `fired` counts timer callbacks, `kicks`
 * the kicks. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

const volatile u32 mode;
u64 fired;
u64 kicks;

struct storm {
  struct bpf_timer t;
};
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, u32);
  __type(value, struct storm);
  __uint(max_entries, 1);
} storm_timer SEC(".maps");

static int rearm(void *map, u32 *key, struct storm *s) {
  fired++;
  if (mode == 1) bpf_timer_start(&s->t, 0, 0);
  else if (mode == 2) bpf_timer_start(&s->t, 1, 0);
  else if (mode == 3) bpf_timer_start(&s->t, 0, BPF_F_TIMER_ABS);
  return 0;
}

void BPF_STRUCT_OPS(storm_enqueue, struct task_struct *p, u64 enq_flags) {
  scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(storm_dispatch, s32 cpu, struct task_struct *prev) {
  if (mode == 4) {
    kicks++;
    scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
  } else if (mode == 6) {
    kicks++;
    scx_bpf_kick_cpu(cpu ^ 1, SCX_KICK_PREEMPT);
  }
}

void BPF_STRUCT_OPS(storm_update_idle, s32 cpu, bool idle) {
  if (mode == 5 && idle) {
    kicks++;
    scx_bpf_kick_cpu(cpu, 0);
  }
}

s32 BPF_STRUCT_OPS_SLEEPABLE(storm_init) {
  u32 k = 0;
  struct storm *s = bpf_map_lookup_elem(&storm_timer, &k);

  if (mode < 1 || mode > 3) return 0;
  if (!s) return -1;
  if (bpf_timer_init(&s->t, &storm_timer, CLOCK_MONOTONIC)) return -2;
  if (bpf_timer_set_callback(&s->t, rearm)) return -3;
  return bpf_timer_start(&s->t, 0, 0);
}

SCX_OPS_DEFINE(storm_ops, .enqueue = (void *)storm_enqueue, .dispatch = (void *)storm_dispatch,
               .update_idle = (void *)storm_update_idle, .init = (void *)storm_init,
               .flags = SCX_OPS_KEEP_BUILTIN_IDLE, .name = "storm");
