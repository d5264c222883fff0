/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BPF twin of src/policy/central.cc (scx_central-like): CPU 0 makes every scheduling decision;
 * the other CPUs ask for work (gimme) and run their tasks with an infinite slice, preempted by
 * a 1 ms bpf_timer on CPU 0 when their slice ran out and work is pending.
 */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define CENTRAL_CPU 0
#define FALLBACK_DSQ 0
#define TIMER_INTERVAL_NS 1000000ULL
#define QUEUE_SIZE 4096
#define MAX_CPUS 1024

UEI_DEFINE(uei);

u64 nr_queued;
u64 nr_timers;
bool gimme[MAX_CPUS];
u64 started_at[MAX_CPUS];

struct {
  __uint(type, BPF_MAP_TYPE_QUEUE);
  __uint(max_entries, QUEUE_SIZE);
  __type(value, s32);
} central_q SEC(".maps");

struct central_timer {
  struct bpf_timer timer;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, u32);
  __type(value, struct central_timer);
} central_timer SEC(".maps");

s32 BPF_STRUCT_OPS(central_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags) {
  return CENTRAL_CPU;
}

void BPF_STRUCT_OPS(central_enqueue, struct task_struct *p, u64 enq_flags) {
  s32 pid = p->pid;

  if ((p->flags & PF_KTHREAD) && p->nr_cpus_allowed == 1) {
    scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_INF, enq_flags | SCX_ENQ_PREEMPT);
    return;
  }
  if (bpf_map_push_elem(&central_q, &pid, 0)) {
    scx_bpf_dsq_insert(p, FALLBACK_DSQ, SCX_SLICE_INF, enq_flags);
    return;
  }
  nr_queued++;
  if (!scx_bpf_task_running(p)) scx_bpf_kick_cpu(CENTRAL_CPU, SCX_KICK_PREEMPT);
}

static bool dispatch_to_cpu(s32 cpu) {
  struct task_struct *p;
  s32 pid;

  bpf_repeat(QUEUE_SIZE) {
    if (bpf_map_pop_elem(&central_q, &pid)) break;
    nr_queued--;
    p = bpf_task_from_pid(pid);
    if (!p) continue;
    if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr)) {
      scx_bpf_dsq_insert(p, FALLBACK_DSQ, SCX_SLICE_INF, 0);
      bpf_task_release(p);
      if (!scx_bpf_dispatch_nr_slots()) break;
      continue;
    }
    scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL_ON | cpu, SCX_SLICE_INF, 0);
    if (cpu != CENTRAL_CPU) scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
    bpf_task_release(p);
    return true;
  }
  return false;
}

void BPF_STRUCT_OPS(central_dispatch, s32 cpu, struct task_struct *prev) {
  if (cpu == CENTRAL_CPU) {
    s32 c;
    s32 n = scx_bpf_nr_cpu_ids();

    bpf_for(c, 0, n) {
      if (!scx_bpf_dispatch_nr_slots()) break;
      if (c >= MAX_CPUS || !gimme[c]) continue;
      if (dispatch_to_cpu(c)) gimme[c] = false;
    }
    if (!scx_bpf_dispatch_nr_slots()) {
      scx_bpf_kick_cpu(CENTRAL_CPU, SCX_KICK_PREEMPT);
      return;
    }
    if (scx_bpf_dsq_move_to_local(FALLBACK_DSQ)) return;
    dispatch_to_cpu(CENTRAL_CPU);
  } else {
    if (scx_bpf_dsq_move_to_local(FALLBACK_DSQ)) return;
    if (cpu >= 0 && cpu < MAX_CPUS) gimme[cpu] = true;
    scx_bpf_kick_cpu(CENTRAL_CPU, SCX_KICK_PREEMPT);
  }
}

void BPF_STRUCT_OPS(central_running, struct task_struct *p) {
  s32 cpu = scx_bpf_task_cpu(p);
  u64 now = scx_bpf_now();

  if (cpu >= 0 && cpu < MAX_CPUS) started_at[cpu] = now ? now : 1; /* 0 means idle */
}

void BPF_STRUCT_OPS(central_stopping, struct task_struct *p, bool runnable) {
  s32 cpu = scx_bpf_task_cpu(p);

  if (cpu >= 0 && cpu < MAX_CPUS) started_at[cpu] = 0;
}

static int central_timerfn(void *map, int *key, struct bpf_timer *timer) {
  u64 now = scx_bpf_now();
  u64 nr_to_kick = nr_queued;
  s32 n = scx_bpf_nr_cpu_ids();
  s32 i;

  bpf_for(i, 0, n) {
    s32 cpu = (nr_timers + i) % n;

    if (cpu == CENTRAL_CPU || cpu >= MAX_CPUS) continue;
    /* Kick only CPUs whose task exhausted its slice... */
    if (started_at[cpu] && time_before(now, started_at[cpu] + SCX_SLICE_DFL)) continue;
    /* ...and only if something is pending. */
    if (scx_bpf_dsq_nr_queued(FALLBACK_DSQ) > 0 || scx_bpf_dsq_nr_queued(SCX_DSQ_LOCAL_ON | cpu) > 0) {
    } else if (nr_to_kick) {
      nr_to_kick--;
    } else {
      continue;
    }
    scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
  }
  nr_timers++;
  bpf_timer_start(timer, TIMER_INTERVAL_NS, 0);
  return 0;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(central_init) {
  u32 key = 0;
  struct bpf_timer *timer;
  s32 ret;

  ret = scx_bpf_create_dsq(FALLBACK_DSQ, -1);
  if (ret) return ret;
  timer = bpf_map_lookup_elem(&central_timer, &key);
  if (!timer) return -3;
  bpf_timer_init(timer, &central_timer, CLOCK_MONOTONIC);
  bpf_timer_set_callback(timer, central_timerfn);
  return bpf_timer_start(timer, TIMER_INTERVAL_NS, 0);
}

void BPF_STRUCT_OPS(central_exit, struct scx_exit_info *ei) { UEI_RECORD(uei, ei); }

SCX_OPS_DEFINE(central_ops,
               .select_cpu = (void *)central_select_cpu,
               .enqueue = (void *)central_enqueue,
               .dispatch = (void *)central_dispatch,
               .running = (void *)central_running,
               .stopping = (void *)central_stopping,
               .init = (void *)central_init,
               .exit = (void *)central_exit,
               .name = "central");
