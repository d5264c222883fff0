/* SPDX-License-Identifier: GPL-2.0 */
/* sched_ext's cgroup support, seen from a BPF scheduler (docs/cgroups.md):
 * - every cgroup op appends an event to evs[] (op, cgroup ids, values), and so does init_task
 *   for user tasks (pid >= 1000), so the test can check the kernel's order exactly;
 * - ops.cgroup_prep_move refuses (-EBUSY) a move into the cgroup whose id is refuse_to;
 * - cgroup local storage: made in cgroup_init (id * 1000 + weight), checked in cgroup_exit;
 * - ops.running: scx_bpf_task_cgroup(p) must be p->cgroups->dfl_cgrp, its level-0 ancestor
 *   the root (bpf_cgroup_ancestor), bpf_cgroup_acquire gives it back;
 * - ops.init walks the hierarchy with the css iterator in the four orders (walk_*[]: ids);
 * - cgroup_init looks probe_id up with bpf_cgroup_from_id (probe_found: 1 found, 0 not), and
 *   records the first word of the cgroup's cpuset cpus_allowed (subsys[cpuset_cgrp_id], as
 *   scx_mitosis reads it) in cpus_allowed[id].
 * A global FIFO otherwise. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define DSQ 9
#define NR_EVS 64
#define NR_WALK 8

enum ev_op { EV_CGROUP_INIT = 1, EV_CGROUP_EXIT, EV_PREP_MOVE, EV_CANCEL_MOVE, EV_MOVE, EV_SET_WEIGHT,
             EV_SET_BANDWIDTH, EV_INIT_TASK };

struct ev {
  u32 op;
  u32 a, b, c;
};

struct ev evs[NR_EVS];
u32 nr_evs;
u64 refuse_to;
u64 probe_id;
s32 probe_found = -1;
u32 storage_ok, storage_bad, task_cgroup_ok, task_cgroup_bad;
u64 cpus_allowed[NR_WALK];
u32 walk_pre[NR_WALK], walk_post[NR_WALK], walk_children[NR_WALK], walk_up[NR_WALK];

struct {
  __uint(type, BPF_MAP_TYPE_CGRP_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, u64);
} cg_store SEC(".maps");

static void log_ev(u32 op, u64 a, u64 b, u64 c) {
  u32 i = nr_evs;

  if (i >= NR_EVS) return;
  evs[i].op = op;
  evs[i].a = (u32)a;
  evs[i].b = (u32)b;
  evs[i].c = (u32)c;
  nr_evs = i + 1;
}

static u64 cgid(struct cgroup *cgrp) { return cgrp->kn->id; }

/* Walks from `start` in `order`, recording ids (at most NR_WALK). */
static void walk(struct cgroup *start, unsigned int order, u32 *out) {
  struct bpf_iter_css it;
  struct cgroup_subsys_state *pos;
  int n = 0;

  bpf_iter_css_new(&it, &start->self, order);
  while ((pos = bpf_iter_css_next(&it)) && n < NR_WALK) out[n++] = (u32)pos->cgroup->kn->id;
  bpf_iter_css_destroy(&it);
}

void BPF_STRUCT_OPS(cgo_enqueue, struct task_struct *p, u64 enq_flags) {
  scx_bpf_dsq_insert(p, DSQ, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(cgo_dispatch, s32 cpu, struct task_struct *prev) { scx_bpf_dsq_move_to_local(DSQ); }

void BPF_STRUCT_OPS(cgo_running, struct task_struct *p) {
  struct cgroup *cg = scx_bpf_task_cgroup(p), *root, *again;

  if (!cg) return;
  root = bpf_cgroup_ancestor(cg, 0);
  again = bpf_cgroup_acquire(cg);
  if (cgid(cg) == p->cgroups->dfl_cgrp->kn->id && root && cgid(root) == 1 && again == cg &&
      !bpf_cgroup_ancestor(cg, cg->level + 1))
    task_cgroup_ok++;
  else
    task_cgroup_bad++;
  if (root) bpf_cgroup_release(root);
  if (again) bpf_cgroup_release(again);
  bpf_cgroup_release(cg);
}

s32 BPF_STRUCT_OPS(cgo_init_task, struct task_struct *p, struct scx_init_task_args *args) {
  if (p->pid >= 1000) log_ev(EV_INIT_TASK, p->pid, cgid(args->cgroup), args->fork);
  return 0;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(cgo_cgroup_init, struct cgroup *cgrp, struct scx_cgroup_init_args *args) {
  u64 *v = bpf_cgrp_storage_get(&cg_store, cgrp, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  struct cgroup *probe;

  struct cgroup_subsys_state *css = cgrp->subsys[cpuset_cgrp_id];

  if (v) *v = cgid(cgrp) * 1000 + args->weight;
  if (css && cgid(cgrp) < NR_WALK)
    cpus_allowed[cgid(cgrp)] = container_of(css, struct cpuset, css)->cpus_allowed[0].bits[0];
  if (probe_id) {
    probe = bpf_cgroup_from_id(probe_id);
    probe_found = probe ? 1 : 0;
    if (probe) bpf_cgroup_release(probe);
  }
  log_ev(EV_CGROUP_INIT, cgid(cgrp), args->weight, args->bw_quota_us == ~0ULL ? 0 : args->bw_quota_us);
  return 0;
}

void BPF_STRUCT_OPS(cgo_cgroup_exit, struct cgroup *cgrp) {
  u64 *v = bpf_cgrp_storage_get(&cg_store, cgrp, 0, 0);

  if (v && *v / 1000 == cgid(cgrp)) storage_ok++;
  else storage_bad++;
  log_ev(EV_CGROUP_EXIT, cgid(cgrp), 0, 0);
}

s32 BPF_STRUCT_OPS(cgo_cgroup_prep_move, struct task_struct *p, struct cgroup *from, struct cgroup *to) {
  log_ev(EV_PREP_MOVE, cgid(from), cgid(to), p->scx.cgrp_moving_from ? 1 : 0);
  return refuse_to && cgid(to) == refuse_to ? -16 /* -EBUSY */ : 0;
}

void BPF_STRUCT_OPS(cgo_cgroup_cancel_move, struct task_struct *p, struct cgroup *from, struct cgroup *to) {
  log_ev(EV_CANCEL_MOVE, cgid(from), cgid(to), 0);
}

void BPF_STRUCT_OPS(cgo_cgroup_move, struct task_struct *p, struct cgroup *from, struct cgroup *to) {
  /* c: p's cgroup is already the new one */
  log_ev(EV_MOVE, cgid(from), cgid(to), p->cgroups->dfl_cgrp->kn->id);
}

void BPF_STRUCT_OPS(cgo_cgroup_set_weight, struct cgroup *cgrp, u32 weight) {
  log_ev(EV_SET_WEIGHT, cgid(cgrp), weight, 0);
}

void BPF_STRUCT_OPS(cgo_cgroup_set_bandwidth, struct cgroup *cgrp, u64 period_us, u64 quota_us, u64 burst_us) {
  log_ev(EV_SET_BANDWIDTH, cgid(cgrp), period_us, quota_us == ~0ULL ? 0 : quota_us);
}


s32 BPF_STRUCT_OPS_SLEEPABLE(cgo_init) {
  struct cgroup *root = bpf_cgroup_from_id(1), *leaf;

  if (!root) return -2;
  walk(root, BPF_CGROUP_ITER_DESCENDANTS_PRE, walk_pre);
  walk(root, BPF_CGROUP_ITER_DESCENDANTS_POST, walk_post);
  walk(root, BPF_CGROUP_ITER_CHILDREN, walk_children);
  bpf_cgroup_release(root);
  leaf = bpf_cgroup_from_id(3);
  if (leaf) {
    walk(leaf, BPF_CGROUP_ITER_ANCESTORS_UP, walk_up);
    bpf_cgroup_release(leaf);
  }
  return scx_bpf_create_dsq(DSQ, -1);
}

SCX_OPS_DEFINE(cgo_ops, .enqueue = (void *)cgo_enqueue, .dispatch = (void *)cgo_dispatch, .running = (void *)cgo_running,
               .init_task = (void *)cgo_init_task, .cgroup_init = (void *)cgo_cgroup_init,
               .cgroup_exit = (void *)cgo_cgroup_exit, .cgroup_prep_move = (void *)cgo_cgroup_prep_move,
               .cgroup_cancel_move = (void *)cgo_cgroup_cancel_move, .cgroup_move = (void *)cgo_cgroup_move,
               .cgroup_set_weight = (void *)cgo_cgroup_set_weight,
               .cgroup_set_bandwidth = (void *)cgo_cgroup_set_bandwidth,
               .init = (void *)cgo_init, .name = "cgroup_ops");
