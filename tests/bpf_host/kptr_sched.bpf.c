/* SPDX-License-Identifier: GPL-2.0 */
/* A global FIFO scheduler keeping bpf_cpumasks in map values, as scx schedulers do: one per
 * CPU in an array (ops.init), a second reference to CPU 0's in a hash (an "LLC" mask), and one
 * per task in task-local storage (init_task). The host releases a mask whose holder is freed. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define SHARED_DSQ 0

struct mask_ctx {
  u64 id;
  struct bpf_cpumask __kptr *mask;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, u32);
  __type(value, struct mask_ctx);
  __uint(max_entries, 4);
} cpu_masks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, u32);
  __type(value, struct mask_ctx);
  __uint(max_entries, 4);
} llc_masks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct mask_ctx);
} task_masks SEC(".maps");

/* Stores m (a reference the caller owns) in *slot; an old mask there is released. */
static void stash(struct bpf_cpumask __kptr **slot, struct bpf_cpumask *m) {
  struct bpf_cpumask *old = bpf_kptr_xchg(slot, m);

  if (old) bpf_cpumask_release(old);
}

void BPF_STRUCT_OPS(kptr_enqueue, struct task_struct *p, u64 enq_flags) {
  scx_bpf_dsq_insert(p, SHARED_DSQ, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(kptr_dispatch, s32 cpu, struct task_struct *prev) {
  scx_bpf_dsq_move_to_local(SHARED_DSQ);
}

s32 BPF_STRUCT_OPS(kptr_init_task, struct task_struct *p, struct scx_init_task_args *args) {
  struct mask_ctx *mc = bpf_task_storage_get(&task_masks, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  struct bpf_cpumask *m;

  if (!mc) return -12;
  m = bpf_cpumask_create();
  if (!m) return -12;
  bpf_cpumask_copy(m, p->cpus_ptr);
  mc->id = p->pid;
  stash(&mc->mask, m);
  return 0;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(kptr_init) {
  struct mask_ctx zero = {}, *mc;
  struct bpf_cpumask *m;
  u32 i, k = 0;

  for (i = 0; i < 4; i++) {
    mc = bpf_map_lookup_elem(&cpu_masks, &i);
    m = bpf_cpumask_create();
    if (!mc || !m) {
      if (m) bpf_cpumask_release(m);
      return -12;
    }
    bpf_cpumask_set_cpu(i, m);
    mc->id = i;
    if (i == 0) {
      /* A second reference, held by llc_masks[0]. */
      struct bpf_cpumask *ref = bpf_cpumask_acquire(m);
      struct mask_ctx *llc;

      if (bpf_map_update_elem(&llc_masks, &k, &zero, BPF_ANY) ||
          !(llc = bpf_map_lookup_elem(&llc_masks, &k))) {
        bpf_cpumask_release(ref);
        bpf_cpumask_release(m);
        return -12;
      }
      stash(&llc->mask, ref);
    }
    stash(&mc->mask, m);
  }
  return scx_bpf_create_dsq(SHARED_DSQ, -1);
}

SCX_OPS_DEFINE(kptr_ops,
               .enqueue = (void *)kptr_enqueue,
               .dispatch = (void *)kptr_dispatch,
               .init_task = (void *)kptr_init_task,
               .init = (void *)kptr_init,
               .name = "kptr");
