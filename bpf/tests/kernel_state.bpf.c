/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel state the public schedulers read directly (scx_layered, scx_lavd, scx's helpers):
 * - task->cgroups->dfl_cgrp: the root cgroup (level 0, id 1, ancestors[0] itself, kernfs name
 *   ""), so scx_layered's path of it is "/";
 * - the runqueues ksym's clock_pelt / lost_idle_time (scx_clock_pelt()): rq_clock_pelt()
 *   never runs ahead of clock_task and never goes back on a CPU;
 * - class_rcu_t, the guard(rcu) type scx's cleanup.bpf.h uses (a CO-RE field access).
 * A global FIFO; every check failing is an scx_bpf_error(); after `checks` tasks ran it
 * exits with "kernel state ok". */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define DSQ 5

extern struct rq runqueues __ksym;

struct rq___pelt {
  u64 clock_task;
  u64 clock_pelt;
  unsigned long lost_idle_time;
} __attribute__((preserve_access_index));

const volatile u32 checks = 150;
u32 nr_checked;
u64 max_pelt_gap; /* the largest clock_task - rq_clock_pelt() seen */
u64 last_pelt[64];

static void check_cgroup(struct task_struct *p) {
  struct cgroup *cgrp = p->cgroups->dfl_cgrp;
  char name[8] = {1};
  long n;

  if (cgrp->level != 0 || cgrp->kn->id != 1 || cgrp->ancestors[0] != cgrp)
    scx_bpf_error("dfl_cgrp level %d id %llu", cgrp->level, cgrp->kn->id);
  n = bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(cgrp, ancestors[0], kn, name));
  if (n != 1 || name[0]) scx_bpf_error("root kernfs name: %ld bytes", n);
}

static void check_pelt(s32 cpu) {
  struct rq___pelt *rq = (void *)bpf_per_cpu_ptr(&runqueues, cpu);
  u64 pelt, *last;

  if (!rq) {
    scx_bpf_error("no rq for CPU %d", cpu);
    return;
  }
  pelt = rq->clock_pelt - rq->lost_idle_time;
  if (pelt > rq->clock_task) scx_bpf_error("CPU %d: rq_clock_pelt %llu > clock_task %llu", cpu, pelt, rq->clock_task);
  if (rq->clock_task - pelt > max_pelt_gap) max_pelt_gap = rq->clock_task - pelt;
  last = cpu < 64 ? &last_pelt[cpu] : NULL;
  if (!last) return;
  if (pelt < *last) scx_bpf_error("CPU %d: rq_clock_pelt went back %llu -> %llu", cpu, *last, pelt);
  *last = pelt;
}

void BPF_STRUCT_OPS(ks_enqueue, struct task_struct *p, u64 enq_flags) {
  scx_bpf_dsq_insert(p, DSQ, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(ks_running, struct task_struct *p) {
  class_rcu_t guard = {.lock = (void *)1};

  if (guard.lock) check_cgroup(p);
  check_pelt(scx_bpf_task_cpu(p));
  if (++nr_checked == checks) scx_bpf_exit(0, "kernel state ok (pelt gap %llu)", max_pelt_gap);
}

void BPF_STRUCT_OPS(ks_dispatch, s32 cpu, struct task_struct *prev) {
  check_pelt(cpu);
  scx_bpf_dsq_move_to_local(DSQ);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(ks_init) {
  return scx_bpf_create_dsq(DSQ, -1);
}

SCX_OPS_DEFINE(ks_ops, .enqueue = (void *)ks_enqueue, .running = (void *)ks_running, .dispatch = (void *)ks_dispatch, .init = (void *)ks_init,
               .name = "kernel_state");
