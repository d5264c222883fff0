/* SPDX-License-Identifier: GPL-2.0 */
/* A BPF side that leaves every scheduling decision to a user-space scheduler, talking through a
 * ring buffer and a user ring buffer with the message layouts of scx_rustland_core (so the
 * built-in "rustland" and "rlfifo" run on it):
 * - ops.enqueue writes a queued_task_ctx record into `queued` (nr_queued counts them); the
 *   user-space task itself goes to USERSCHED_DSQ. No room: the task goes to the shared DSQ.
 * - ops.dispatch drains `dispatched`: each dispatched_task_ctx puts its task on the local DSQ of
 *   the CPU it names (or the shared DSQ for RL_CPU_ANY, or a CPU it may not use) with its slice
 *   (0: slice_ns) and kicks that CPU; a record older than the task's latest enqueue (enq_cnt)
 *   is cancelled. Then the user-space task runs while it has work (records in `queued`, or
 *   nr_scheduled; when it is the task that just yielded, by giving it a new slice), else the
 *   shared DSQ.
 * - rs_select_cpu(task_cpu_arg): an idle CPU for the pid (its own CPU if idle), or -EBUSY.
 * - Counters: nr_sent, nr_received, nr_cancelled, nr_congested, nr_select_calls, nr_any. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define SHARED_DSQ 0
#define USERSCHED_DSQ 1
#define RL_CPU_ANY (1 << 20)

struct queued_task_ctx {
  s32 pid;
  s32 cpu;
  u64 nr_cpus_allowed;
  u64 flags;
  u64 start_ts;
  u64 stop_ts;
  u64 exec_runtime;
  u64 weight;
  u64 vtime;
  u64 enq_cnt;
  char comm[16];
};

struct dispatched_task_ctx {
  s32 pid;
  s32 cpu;
  u64 flags;
  u64 slice_ns;
  u64 vtime;
  u64 enq_cnt;
};

struct task_cpu_arg {
  s32 pid;
  s32 cpu;
  u64 flags;
};

struct task_ctx {
  u64 start_ts, stop_ts, exec_runtime, enq_cnt;
};

const volatile u32 usersched_pid;
const volatile u64 slice_ns = 5000000;
volatile u64 nr_queued, nr_scheduled;
u64 nr_sent, nr_received, nr_cancelled, nr_congested, nr_select_calls, nr_any;

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 64 * sizeof(struct queued_task_ctx));
} queued SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_USER_RINGBUF);
  __uint(max_entries, 64 * sizeof(struct dispatched_task_ctx));
} dispatched SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct task_ctx);
} task_ctx_stor SEC(".maps");

static struct task_ctx *tctx_of(struct task_struct *p) {
  return bpf_task_storage_get(&task_ctx_stor, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
}

static void send_to_user(struct task_struct *p, struct task_ctx *t, u64 enq_flags) {
  struct queued_task_ctx *q = bpf_ringbuf_reserve(&queued, sizeof(*q), 0);
  s32 cpu;

  if (!q) {
    nr_congested++;
    scx_bpf_dsq_insert(p, SHARED_DSQ, slice_ns, enq_flags);
    return;
  }
  q->pid = p->pid;
  q->cpu = scx_bpf_task_cpu(p);
  q->nr_cpus_allowed = p->nr_cpus_allowed;
  q->flags = enq_flags;
  q->start_ts = t->start_ts;
  q->stop_ts = t->stop_ts;
  q->exec_runtime = t->exec_runtime;
  q->weight = p->scx.weight;
  q->vtime = p->scx.dsq_vtime;
  q->enq_cnt = ++t->enq_cnt;
  bpf_probe_read_kernel_str(q->comm, sizeof(q->comm), p->comm);
  bpf_ringbuf_submit(q, 0);
  nr_sent++;
  nr_queued++;
  cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);
  if (cpu >= 0) scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
}

/* Never the kernel's default selection, which would put tasks on idle CPUs itself. */
s32 BPF_STRUCT_OPS(usr_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags) { return prev_cpu; }

void BPF_STRUCT_OPS(usr_enqueue, struct task_struct *p, u64 enq_flags) {
  struct task_ctx *t;

  if (p->pid == usersched_pid) {
    scx_bpf_dsq_insert(p, USERSCHED_DSQ, SCX_SLICE_DFL, enq_flags);
    return;
  }
  t = tctx_of(p);
  if (!t) {
    scx_bpf_error("no task context for %d", p->pid);
    return;
  }
  send_to_user(p, t, enq_flags);
}

static long take_decision(struct bpf_dynptr *d, void *ctx) {
  const struct dispatched_task_ctx *rec = bpf_dynptr_data(d, 0, sizeof(*rec));
  struct task_struct *p;
  struct task_ctx *t;
  u64 slice;

  if (!rec) return 0;
  p = bpf_task_from_pid(rec->pid);
  if (!p) return 0;
  t = tctx_of(p);
  if (!t || t->enq_cnt > rec->enq_cnt) {
    nr_cancelled++;
  } else {
    slice = rec->slice_ns ? rec->slice_ns : slice_ns;
    nr_received++;
    if (rec->cpu == RL_CPU_ANY || !bpf_cpumask_test_cpu(rec->cpu, p->cpus_ptr)) {
      nr_any++;
      scx_bpf_dsq_insert(p, SHARED_DSQ, slice, 0);
    } else {
      scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL_ON | rec->cpu, slice, 0);
      scx_bpf_kick_cpu(rec->cpu, SCX_KICK_IDLE);
    }
  }
  bpf_task_release(p);
  return scx_bpf_dispatch_nr_slots() ? 0 : 1;
}

void BPF_STRUCT_OPS(usr_dispatch, s32 cpu, struct task_struct *prev) {
  bpf_user_ringbuf_drain(&dispatched, take_decision, NULL, 0);
  if (!(nr_scheduled || bpf_ringbuf_query(&queued, BPF_RB_AVAIL_DATA))) {
    scx_bpf_dsq_move_to_local(SHARED_DSQ);
    return;
  }
  /* The user-space task yielding with work left is not queued yet: it keeps the CPU. */
  if (prev && prev->pid == usersched_pid)
    prev->scx.slice = SCX_SLICE_DFL;
  else if (!scx_bpf_dsq_move_to_local(USERSCHED_DSQ))
    scx_bpf_dsq_move_to_local(SHARED_DSQ);
}

void BPF_STRUCT_OPS(usr_running, struct task_struct *p) {
  struct task_ctx *t = tctx_of(p);

  if (t) t->start_ts = scx_bpf_now();
}

void BPF_STRUCT_OPS(usr_stopping, struct task_struct *p, bool runnable) {
  struct task_ctx *t = tctx_of(p);

  if (!t) return;
  t->stop_ts = scx_bpf_now();
  t->exec_runtime += t->stop_ts - t->start_ts;
}

void BPF_STRUCT_OPS(usr_runnable, struct task_struct *p, u64 enq_flags) {
  struct task_ctx *t = tctx_of(p);

  if (t) t->exec_runtime = 0;
}

SEC("syscall")
int rs_select_cpu(struct task_cpu_arg *in) {
  struct task_struct *p = bpf_task_from_pid(in->pid);
  s32 cpu;

  nr_select_calls++;
  if (!p) return -22;
  cpu = scx_bpf_test_and_clear_cpu_idle(in->cpu) ? in->cpu : scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);
  bpf_task_release(p);
  return cpu;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(usr_init) {
  if (!usersched_pid) {
    scx_bpf_error("usersched_pid not set");
    return -22;
  }
  if (scx_bpf_create_dsq(SHARED_DSQ, -1)) return -22;
  return scx_bpf_create_dsq(USERSCHED_DSQ, -1);
}

SCX_OPS_DEFINE(usr_ops,
               .select_cpu = (void *)usr_select_cpu,
               .enqueue = (void *)usr_enqueue,
               .dispatch = (void *)usr_dispatch,
               .runnable = (void *)usr_runnable,
               .running = (void *)usr_running,
               .stopping = (void *)usr_stopping,
               .init = (void *)usr_init,
               .flags = SCX_OPS_ENQ_LAST,
               .name = "usersched_ring");
