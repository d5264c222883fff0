/* SPDX-License-Identifier: GPL-2.0 */
/* A scheduler shaped like scx_lavd where it depends on lavd's user space (CpuOrder, main.rs
 * init_cpus/init_cpdoms): one DSQ per valid compute domain of the bss array cpdom_ctxs[],
 * found through each domain's CPU mask, stealing through its neighbour lists. Without the
 * native "lavd_cpu_order" setup no domain is valid, no DSQ exists and the first enqueue is
 * ejected, as the public lavd objects are.
 *
 * Its struct cpdom_ctx lists lavd's members in another order, with smaller limits, and lacks
 * alt_id; cpu_turbo[] is missing too: the writer must follow this object's BTF and skip what
 * it lacks. */
#include <scx/common.bpf.h>
#include <scx/user_exit_info.h>

char _license[] SEC("license") = "GPL";

#define CPU_ID_MAX 256
#define CPDOM_MAX_NR 16
#define CPDOM_MAX_DIST 3
#define PCO_STATE_MAX 4
#define DSQ_BASE 100

struct cpdom_ctx {
  u8 is_valid;
  u8 nr_neighbors[CPDOM_MAX_DIST];
  u32 runtime_counter; /* written by BPF, not by user space */
  u64 id;
  u8 neighbor_ids[CPDOM_MAX_DIST * CPDOM_MAX_NR];
  u8 numa_id;
  u8 llc_id;
  u8 is_big;
  u64 __cpumask[CPU_ID_MAX / 64];
};

const volatile u16 cpu_capacity[CPU_ID_MAX];
const volatile u8 cpu_big[CPU_ID_MAX];
const volatile u32 cpu_sibling[CPU_ID_MAX];
const volatile u8 nr_pco_states;
const volatile u32 pco_bounds[PCO_STATE_MAX];
const volatile u16 pco_nr_primary[PCO_STATE_MAX];
const volatile u16 pco_table[PCO_STATE_MAX][CPU_ID_MAX];

struct cpdom_ctx cpdom_ctxs[CPDOM_MAX_NR];
u32 nr_dsqs_created;
u64 nr_stolen;
UEI_DEFINE(uei);

static s32 cpdom_of(s32 cpu) {
  if (cpu < 0 || cpu >= CPU_ID_MAX) return -1;
  u32 c = cpu;
  for (s32 i = 0; i < CPDOM_MAX_NR; i++) {
    struct cpdom_ctx *d = &cpdom_ctxs[i];
    if (d->is_valid && (d->__cpumask[c / 64] & (1ULL << (c % 64)))) return i;
  }
  return -1;
}

void BPF_STRUCT_OPS(lavd_layout_enqueue, struct task_struct *p, u64 enq_flags) {
  s32 dom = cpdom_of(scx_bpf_task_cpu(p));
  /* Like lavd: the domain picks the DSQ; without user space's tables, one never created. */
  u64 dsq = dom < 0 ? DSQ_BASE + CPDOM_MAX_NR : DSQ_BASE + cpdom_ctxs[dom].id;

  scx_bpf_dsq_insert(p, dsq, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(lavd_layout_dispatch, s32 cpu, struct task_struct *prev) {
  s32 dom = cpdom_of(cpu);

  if (dom < 0) return;
  if (scx_bpf_dsq_move_to_local(DSQ_BASE + dom)) return;
  for (u32 k = 0; k < CPDOM_MAX_DIST; k++) {
    u32 n = cpdom_ctxs[dom].nr_neighbors[k];
    for (u32 i = 0; i < n && i < CPDOM_MAX_NR; i++) {
      if (scx_bpf_dsq_move_to_local(DSQ_BASE + cpdom_ctxs[dom].neighbor_ids[k * CPDOM_MAX_NR + i])) {
        nr_stolen++;
        return;
      }
    }
  }
}

s32 BPF_STRUCT_OPS_SLEEPABLE(lavd_layout_init) {
  for (s32 i = 0; i < CPDOM_MAX_NR; i++) {
    if (!cpdom_ctxs[i].is_valid) continue;
    s32 err = scx_bpf_create_dsq(DSQ_BASE + cpdom_ctxs[i].id, -1);
    if (err) return err;
    nr_dsqs_created++;
  }
  return 0;
}

void BPF_STRUCT_OPS(lavd_layout_exit, struct scx_exit_info *ei) { UEI_RECORD(uei, ei); }

SCX_OPS_DEFINE(lavd_layout_ops,
               .enqueue = (void *)lavd_layout_enqueue,
               .dispatch = (void *)lavd_layout_dispatch,
               .init = (void *)lavd_layout_init,
               .exit = (void *)lavd_layout_exit,
               .name = "lavd_layout_test");
