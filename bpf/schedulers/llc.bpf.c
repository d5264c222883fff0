/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BPF twin of src/policy/llc.cc: one FIFO DSQ per last-level cache (DSQ id = LLC index).
 * Wakeups prefer prev_cpu when idle, else an idle CPU of prev's LLC; a CPU consumes its own
 * LLC's DSQ first and then steals from the other LLCs, nearest NUMA node first (ties by index).
 *
 * The machine's shape comes from user space before load, as scx schedulers get it (scx_rusty's
 * cpu_dom_id_map, for one): the host fills the topology globals below (docs/sched_ext.md).
 */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define MAX_CPUS 1024
#define MAX_LLCS 256
#define MAX_NODES 64
#define SLICE_NS 5000000ULL /* 5 ms: shared queues want shorter turns */

UEI_DEFINE(uei);

/* Filled by user space (the scxsim host) before load. */
const volatile u32 nr_cpu_ids = 1;
const volatile u32 nr_llcs = 1;
const volatile u32 nr_nodes = 1;
const volatile u32 cpu_llc_id[MAX_CPUS];
const volatile u32 cpu_node_id[MAX_CPUS];
const volatile u32 node_distance[MAX_NODES * MAX_NODES]; /* [a * nr_nodes + b] */

/* Built by ops.init: for each LLC, the other LLCs nearest first. */
u32 steal_order[MAX_LLCS][MAX_LLCS];

struct llc_ctx {
  struct bpf_cpumask __kptr *cpumask;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, MAX_LLCS);
  __type(key, u32);
  __type(value, struct llc_ctx);
} llc_ctxs SEC(".maps");

static u32 llc_of(s32 cpu) {
  if (cpu < 0 || cpu >= MAX_CPUS) return 0;
  return cpu_llc_id[cpu];
}

s32 BPF_STRUCT_OPS(llc_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags) {
  struct bpf_cpumask *allowed;
  struct llc_ctx *lctx;
  u32 llc = llc_of(prev_cpu);
  s32 cpu;

  if (scx_bpf_test_and_clear_cpu_idle(prev_cpu)) {
    scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, SLICE_NS, 0);
    return prev_cpu;
  }
  /* An idle CPU within prev's LLC and the task's affinity. */
  lctx = bpf_map_lookup_elem(&llc_ctxs, &llc);
  if (!lctx || !lctx->cpumask) {
    scx_bpf_error("no cpumask for LLC %u", llc);
    return prev_cpu;
  }
  allowed = bpf_cpumask_create();
  if (!allowed) {
    scx_bpf_error("bpf_cpumask_create failed");
    return prev_cpu;
  }
  bpf_cpumask_and(allowed, (const struct cpumask *)lctx->cpumask, p->cpus_ptr);
  cpu = scx_bpf_pick_idle_cpu((const struct cpumask *)allowed, 0);
  bpf_cpumask_release(allowed);
  if (cpu >= 0) {
    scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, SLICE_NS, 0);
    return cpu;
  }
  return prev_cpu;
}

void BPF_STRUCT_OPS(llc_enqueue, struct task_struct *p, u64 enq_flags) {
  scx_bpf_dsq_insert(p, llc_of(scx_bpf_task_cpu(p)), SLICE_NS, enq_flags);
}

void BPF_STRUCT_OPS(llc_dispatch, s32 cpu, struct task_struct *prev) {
  u32 own = llc_of(cpu);
  u32 i;

  if (own >= MAX_LLCS) return;
  if (scx_bpf_dsq_move_to_local(own)) return;
  for (i = 0; i + 1 < nr_llcs && i < MAX_LLCS; i++)
    if (scx_bpf_dsq_move_to_local(steal_order[own][i])) return;
}

static u32 llc_node(u32 llc) {
  u32 cpu;

  for (cpu = 0; cpu < nr_cpu_ids && cpu < MAX_CPUS; cpu++)
    if (cpu_llc_id[cpu] == llc) return cpu_node_id[cpu];
  return 0;
}

static u32 distance(u32 a, u32 b) {
  u32 i = a * nr_nodes + b;

  return i < MAX_NODES * MAX_NODES ? node_distance[i] : 0;
}

/* Stable insertion sort of the other LLCs by NUMA distance from `llc` (index order on ties). */
static void build_steal_order(u32 llc) {
  u32 node = llc_node(llc), n = 0, o, j;

  if (llc >= MAX_LLCS) return;
  for (o = 0; o < nr_llcs && o < MAX_LLCS; o++) {
    u32 d;

    if (o == llc) continue;
    d = distance(node, llc_node(o));
    for (j = n; j > 0 && j < MAX_LLCS; j--) {
      u32 prev = steal_order[llc][j - 1];

      if (prev >= MAX_LLCS || distance(node, llc_node(prev)) <= d) break;
      steal_order[llc][j] = prev;
    }
    if (j < MAX_LLCS) steal_order[llc][j] = o;
    n++;
  }
}

s32 BPF_STRUCT_OPS_SLEEPABLE(llc_init) {
  u32 llc, cpu;
  s32 ret;

  if (nr_llcs > MAX_LLCS || nr_cpu_ids > MAX_CPUS || nr_nodes > MAX_NODES) {
    scx_bpf_error("machine too large: %u LLCs, %u CPUs, %u nodes", nr_llcs, nr_cpu_ids, nr_nodes);
    return -7; /* -E2BIG */
  }
  for (llc = 0; llc < nr_llcs && llc < MAX_LLCS; llc++) {
    struct bpf_cpumask *mask;
    struct llc_ctx *lctx = bpf_map_lookup_elem(&llc_ctxs, &llc);

    if (!lctx) return -2; /* -ENOENT */
    mask = bpf_cpumask_create();
    if (!mask) return -12; /* -ENOMEM */
    for (cpu = 0; cpu < nr_cpu_ids && cpu < MAX_CPUS; cpu++)
      if (cpu_llc_id[cpu] == llc) bpf_cpumask_set_cpu(cpu, mask);
    mask = bpf_kptr_xchg(&lctx->cpumask, mask);
    if (mask) bpf_cpumask_release(mask);
    build_steal_order(llc);
  }
  for (llc = 0; llc < nr_llcs && llc < MAX_LLCS; llc++) {
    ret = scx_bpf_create_dsq(llc, llc_node(llc));
    if (ret) return ret;
  }
  return 0;
}

void BPF_STRUCT_OPS(llc_exit, struct scx_exit_info *ei) { UEI_RECORD(uei, ei); }

SCX_OPS_DEFINE(llc_ops,
               .select_cpu = (void *)llc_select_cpu,
               .enqueue = (void *)llc_enqueue,
               .dispatch = (void *)llc_dispatch,
               .init = (void *)llc_init,
               .exit = (void *)llc_exit,
               .name = "llc");
