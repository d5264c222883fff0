/* SPDX-License-Identifier: GPL-2.0 */
/* A global FIFO scheduler that exercises what the host does around the callbacks:
 * - bpf_printk in ops.init and ops.enable (the lines go to the trace);
 * - task-local storage made in init_task and checked in exit_task (the host frees a dead
 *   task's storage after exit_task; a task never sees a stale entry at init_task);
 * - bpf_cpumask_any_distribute / any_and_distribute, recorded in dist[] by ops.init and in
 *   dist_cpu[cpu] by the first dispatch on each CPU. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define MAX_CPUS 64
#define NR_DIST 6
#define SHARED_DSQ 0

u32 nr_init_task, nr_exit_task, nr_stale, nr_bad_exit;
const volatile u32 cpu_llc_id[8]; /* filled by the host; too small for more than 8 CPUs */
s32 dist[NR_DIST];
s32 dist_cpu[MAX_CPUS];
bool dist_done[MAX_CPUS];

struct task_ctx {
  s32 pid;
  u64 enabled_at;
};

struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct task_ctx);
} task_ctxs SEC(".maps");

/* CPUs 0, 2 and 3 (the test runs on 4 CPUs). */
static struct bpf_cpumask *mask_023(void) {
  struct bpf_cpumask *m = bpf_cpumask_create();

  if (!m) return NULL;
  bpf_cpumask_set_cpu(0, m);
  bpf_cpumask_set_cpu(2, m);
  bpf_cpumask_set_cpu(3, m);
  return m;
}

void BPF_STRUCT_OPS(lc_enqueue, struct task_struct *p, u64 enq_flags) {
  scx_bpf_dsq_insert(p, SHARED_DSQ, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(lc_dispatch, s32 cpu, struct task_struct *prev) {
  struct bpf_cpumask *m;

  if (cpu >= 0 && cpu < MAX_CPUS && !dist_done[cpu] && (m = mask_023())) {
    dist_done[cpu] = true;
    dist_cpu[cpu] = bpf_cpumask_any_distribute((const struct cpumask *)m);
    bpf_cpumask_release(m);
  }
  scx_bpf_dsq_move_to_local(SHARED_DSQ);
}

void BPF_STRUCT_OPS(lc_enable, struct task_struct *p) {
  struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);

  if (tctx) tctx->enabled_at = bpf_ktime_get_ns();
  bpf_printk("enable %s pid=%d", p->comm, p->pid);
}

s32 BPF_STRUCT_OPS(lc_init_task, struct task_struct *p, struct scx_init_task_args *args) {
  struct task_ctx *tctx;

  nr_init_task++;
  if (bpf_task_storage_get(&task_ctxs, p, 0, 0)) nr_stale++;
  tctx = bpf_task_storage_get(&task_ctxs, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (!tctx) return -12; /* -ENOMEM */
  tctx->pid = p->pid;
  return 0;
}

void BPF_STRUCT_OPS(lc_exit_task, struct task_struct *p, struct scx_exit_task_args *args) {
  struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);

  nr_exit_task++;
  /* Still there during exit_task: the kernel frees it afterwards. */
  if (!tctx || tctx->pid != p->pid) nr_bad_exit++;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(lc_init) {
  struct bpf_cpumask *m = mask_023(), *and;
  int i;

  bpf_printk("lifecycle up on %u cpus", scx_bpf_nr_cpu_ids());
  if (!m) return -12;
  for (i = 0; i < 4; i++) dist[i] = bpf_cpumask_any_distribute((const struct cpumask *)m);
  and = bpf_cpumask_create();
  if (and) {
    bpf_cpumask_set_cpu(3, and);
    bpf_cpumask_set_cpu(0, and);
    /* Shares the cursor (2 after the loop): 3, then 0. */
    dist[4] = bpf_cpumask_any_and_distribute((const struct cpumask *)m, (const struct cpumask *)and);
    dist[5] = bpf_cpumask_any_and_distribute((const struct cpumask *)m, (const struct cpumask *)and);
    bpf_cpumask_release(and);
  }
  bpf_cpumask_release(m);
  return scx_bpf_create_dsq(SHARED_DSQ, -1);
}

SCX_OPS_DEFINE(lc_ops,
               .enqueue = (void *)lc_enqueue,
               .dispatch = (void *)lc_dispatch,
               .enable = (void *)lc_enable,
               .init_task = (void *)lc_init_task,
               .exit_task = (void *)lc_exit_task,
               .init = (void *)lc_init,
               .name = "lifecycle");
