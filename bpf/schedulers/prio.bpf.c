/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BPF twin of src/policy/prio.cc (scx_qmap-like): five FIFO queues of pids by task weight; the
 * dispatcher visits them in turn and moves 1 << idx tasks from queue idx to the shared DSQ, so
 * heavier tasks get proportionally more turns. A task woken onto an idle CPU goes straight to
 * that CPU's local DSQ (the per-task flag lives in task-local storage).
 */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define SHARED_DSQ 0
#define NR_QUEUES 5
#define DISPATCH_BATCH 8
#define MAX_CPUS 1024

UEI_DEFINE(uei);

#define QUEUE(name)                        \
  struct {                                 \
    __uint(type, BPF_MAP_TYPE_QUEUE);      \
    __uint(max_entries, 4096);             \
    __type(value, s32);                    \
  } name SEC(".maps")
QUEUE(queue0);
QUEUE(queue1);
QUEUE(queue2);
QUEUE(queue3);
QUEUE(queue4);

struct task_ctx {
  bool force_local;
};

struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct task_ctx);
} task_ctx_stor SEC(".maps");

struct cpu_ctx {
  u64 dsp_idx;
  u64 dsp_cnt;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, MAX_CPUS);
  __type(key, u32);
  __type(value, struct cpu_ctx);
} cpu_ctx_stor SEC(".maps");

static void *queue_of(u32 idx) {
  switch (idx) {
    case 0: return &queue0;
    case 1: return &queue1;
    case 2: return &queue2;
    case 3: return &queue3;
    default: return &queue4;
  }
}

static u32 weight_to_idx(u32 weight) {
  if (weight <= 25) return 0;
  if (weight <= 50) return 1;
  if (weight < 200) return 2;
  if (weight < 400) return 3;
  return 4;
}

s32 BPF_STRUCT_OPS(prio_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags) {
  struct task_ctx *tctx = bpf_task_storage_get(&task_ctx_stor, p, 0, 0);
  s32 cpu;

  if (!tctx) {
    scx_bpf_error("task_ctx lookup failed");
    return -3; /* -ESRCH */
  }
  if (p->nr_cpus_allowed == 1 || scx_bpf_test_and_clear_cpu_idle(prev_cpu)) {
    tctx->force_local = true;
    return prev_cpu;
  }
  cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);
  if (cpu >= 0) {
    tctx->force_local = true;
    return cpu;
  }
  return prev_cpu;
}

void BPF_STRUCT_OPS(prio_enqueue, struct task_struct *p, u64 enq_flags) {
  struct task_ctx *tctx = bpf_task_storage_get(&task_ctx_stor, p, 0, 0);
  s32 pid = p->pid;

  if (!tctx) {
    scx_bpf_error("task_ctx lookup failed");
    return;
  }
  if (tctx->force_local) {
    tctx->force_local = false;
    scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, enq_flags);
    return;
  }
  if (bpf_map_push_elem(queue_of(weight_to_idx(p->scx.weight)), &pid, 0))
    scx_bpf_error("queue overflow");
}

void BPF_STRUCT_OPS(prio_dispatch, s32 cpu, struct task_struct *prev) {
  u32 key = cpu;
  struct cpu_ctx *c;
  int batch = DISPATCH_BATCH;
  int i;

  if (scx_bpf_dsq_move_to_local(SHARED_DSQ)) return;
  c = bpf_map_lookup_elem(&cpu_ctx_stor, &key);
  if (!c) {
    scx_bpf_error("no cpu_ctx for cpu %d", cpu);
    return;
  }
  for (i = 0; i < NR_QUEUES; i++) {
    void *fifo;
    s32 pid;

    /* Advance the cursor: queue idx gets 1 << idx dispatches per visit. */
    if (!c->dsp_cnt) {
      c->dsp_idx = (c->dsp_idx + 1) % NR_QUEUES;
      c->dsp_cnt = 1 << c->dsp_idx;
    }
    fifo = queue_of(c->dsp_idx);
    bpf_repeat(4096) {
      struct task_struct *p;

      if (bpf_map_pop_elem(fifo, &pid)) break;
      p = bpf_task_from_pid(pid);
      if (!p) continue;
      scx_bpf_dsq_insert(p, SHARED_DSQ, SCX_SLICE_DFL, 0);
      bpf_task_release(p);
      batch--;
      c->dsp_cnt--;
      if (!batch || !scx_bpf_dispatch_nr_slots()) {
        scx_bpf_dsq_move_to_local(SHARED_DSQ);
        return;
      }
      if (!c->dsp_cnt) break;
    }
    c->dsp_cnt = 0;
  }
}

s32 BPF_STRUCT_OPS(prio_init_task, struct task_struct *p, struct scx_init_task_args *args) {
  if (bpf_task_storage_get(&task_ctx_stor, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE)) return 0;
  return -12; /* -ENOMEM */
}

void BPF_STRUCT_OPS(prio_exit_task, struct task_struct *p, struct scx_exit_task_args *args) {
  struct task_ctx *tctx = bpf_task_storage_get(&task_ctx_stor, p, 0, 0);

  if (tctx) tctx->force_local = false;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(prio_init) { return scx_bpf_create_dsq(SHARED_DSQ, -1); }

void BPF_STRUCT_OPS(prio_exit, struct scx_exit_info *ei) { UEI_RECORD(uei, ei); }

SCX_OPS_DEFINE(prio_ops,
               .select_cpu = (void *)prio_select_cpu,
               .enqueue = (void *)prio_enqueue,
               .dispatch = (void *)prio_dispatch,
               .init_task = (void *)prio_init_task,
               .exit_task = (void *)prio_exit_task,
               .init = (void *)prio_init,
               .exit = (void *)prio_exit,
               .name = "prio");
