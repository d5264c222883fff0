/* SPDX-License-Identifier: GPL-2.0 */
/* A global-FIFO scheduler that misbehaves in one way, chosen with `hostile_case` (the HC_*
 * values below; tests/bpf_host/hostile_suite_test.cc runs each), or prints pointers
 * (`print_pointers`, for sim_address_test.cc). Misbehaviour in ops.enqueue
 * and the later callbacks starts after `kArmAfter` enqueues, so the scheduler has run first;
 * in ops.init / init_task / enable it is immediate. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

enum hostile_cases {
  HC_NONE,
  HC_OOB_MAP_WRITE,         /* writes past the end of a map value */
  HC_NULL_DEREF,            /* reads through a NULL pointer */
  HC_ENDLESS_LOOP,          /* never returns */
  HC_READ_ONLY_FIELD,       /* writes p->pid */
  HC_MAP_VALUE_AS_TASK,     /* passes a map value to scx_bpf_dsq_insert as a task */
  HC_POINTER_INTO_TASK,     /* passes p + 8 as a task */
  HC_BAD_DSQ,               /* inserts into a DSQ that was never created */
  HC_INSERT_TWICE,          /* inserts the same task twice in one ops.enqueue */
  HC_LOCAL_ON_DISALLOWED,   /* inserts a pinned task into another CPU's local DSQ */
  HC_LOCAL_ON_BAD_CPU,      /* inserts into the local DSQ of a CPU that does not exist */
  HC_SELECT_BAD_CPU,        /* ops.select_cpu returns a CPU that does not exist */
  HC_EXIT_SELECT_CPU,       /* scx_bpf_exit() from each callback ... */
  HC_EXIT_ENQUEUE,
  HC_EXIT_DISPATCH,
  HC_EXIT_RUNNING,
  HC_EXIT_STOPPING,
  HC_EXIT_TICK,
  HC_EXIT_INIT_TASK,
  HC_EXIT_ENABLE,
  HC_EXIT_INIT,
  HC_ERROR_INIT,            /* scx_bpf_error() from ops.init / init_task / enable */
  HC_ERROR_INIT_TASK,
  HC_ERROR_ENABLE,
  HC_INIT_FAILS,            /* ops.init returns -ENOMEM */
  HC_INIT_TASK_FAILS,       /* ops.init_task returns -ENOMEM */
  HC_STALL,                 /* never dispatches anything */
  HC_HUGE_OBJECT,           /* asks bpf_obj_new for 64 KiB (NULL), then gives up */
  HC_UNRELEASED_TASK,       /* bpf_task_from_pid() without bpf_task_release() */
  HC_UNRELEASED_CPUMASK,    /* scx_bpf_get_idle_cpumask() without a put */
  HC_UNRELEASED_OBJECT,     /* bpf_obj_new() neither dropped nor stored */
  HC_BAD_CPUMASK_ARG,       /* bpf_cpumask_release() of a kernel cpumask */
  HC_USE_AFTER_DROP,        /* bpf_obj_drop() twice */
  HC_NESTED_SPIN_LOCK,      /* takes a bpf_spin_lock it holds */
  HC_UNLOCK_UNHELD,         /* releases a bpf_spin_lock it does not hold */
  HC_RETURN_LOCKED,         /* returns holding a bpf_spin_lock */
  HC_CTX_WRITE,             /* writes its (read-only) argument area */
  HC_DEEP_CALLS,            /* nine nested BPF-to-BPF calls */
};

#define ARM_AFTER 20
#define SHARED_DSQ 0

const volatile u32 hostile_case;
const volatile bool print_pointers; /* bpf_printk the first enqueues' task, map value, stack */
u64 nr_enqueued;
u64 counter;
u64 *volatile null_pointer; /* stays NULL */

struct big {
  u64 words[8192]; /* 64 KiB: more than bpf_mem_alloc serves, so bpf_obj_new gives NULL */
};

struct small {
  u64 v;
};

struct locked {
  struct bpf_spin_lock lock;
  u64 v;
};
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, u32);
  __type(value, struct locked);
  __uint(max_entries, 1);
} arr SEC(".maps");

static bool is(u32 c) { return hostile_case == c; }
static bool armed(u32 c) { return hostile_case == c && nr_enqueued > ARM_AFTER; }

static __noinline u64 depth(u64 n) { return n + 1; }
static __noinline u64 depth2(u64 n) { return depth(n) + 1; }
static __noinline u64 depth3(u64 n) { return depth2(n) + 1; }
static __noinline u64 depth4(u64 n) { return depth3(n) + 1; }
static __noinline u64 depth5(u64 n) { return depth4(n) + 1; }
static __noinline u64 depth6(u64 n) { return depth5(n) + 1; }
static __noinline u64 depth7(u64 n) { return depth6(n) + 1; }
static __noinline u64 depth8(u64 n) { return depth7(n) + 1; }
static __noinline u64 depth9(u64 n) { return depth8(n) + 1; }

static struct locked *locked_value(void) {
  u32 k = 0;
  return bpf_map_lookup_elem(&arr, &k);
}

static void allocate_huge_object(void) {
  struct big *b = bpf_obj_new(struct big);

  if (!b) {
    scx_bpf_error("bpf_obj_new failed after %llu enqueues", nr_enqueued);
    return;
  }
  bpf_obj_drop(b);
}

/* Memory and argument faults of ops.enqueue; returns the task to insert. */
static struct task_struct *misbehave_in_enqueue(struct task_struct *p) {
  struct locked *l = locked_value();

  if (armed(HC_OOB_MAP_WRITE) && l) {
    volatile int idx = 5;
    ((u64 *)l)[idx] = 42;
  } else if (armed(HC_NULL_DEREF)) {
    counter += *null_pointer;
  } else if (armed(HC_ENDLESS_LOOP)) {
    for (;;) {
      counter++;
      barrier_var(counter);
    }
  } else if (armed(HC_READ_ONLY_FIELD)) {
    p->pid = 1;
  } else if (armed(HC_MAP_VALUE_AS_TASK) && l) {
    return (struct task_struct *)l;
  } else if (armed(HC_POINTER_INTO_TASK)) {
    return (struct task_struct *)((char *)p + 8);
  } else if (armed(HC_UNRELEASED_TASK)) {
    struct task_struct *t = bpf_task_from_pid(p->pid);
    if (t) counter += t->pid;
  } else if (armed(HC_UNRELEASED_CPUMASK)) {
    const struct cpumask *idle = scx_bpf_get_idle_cpumask();
    if (idle) counter += bpf_cpumask_test_cpu(0, idle);
  } else if (armed(HC_UNRELEASED_OBJECT)) {
    struct small *s = bpf_obj_new(struct small);
    if (s) counter += s->v;
  } else if (armed(HC_BAD_CPUMASK_ARG)) {
    const struct cpumask *idle = scx_bpf_get_idle_cpumask();
    bpf_cpumask_release((struct bpf_cpumask *)idle);
  } else if (armed(HC_USE_AFTER_DROP)) {
    struct small *s = bpf_obj_new(struct small);
    if (s) {
      bpf_obj_drop(s);
      bpf_obj_drop(s);
    }
  } else if (armed(HC_NESTED_SPIN_LOCK) && l) {
    bpf_spin_lock(&l->lock);
    bpf_spin_lock(&l->lock);
    bpf_spin_unlock(&l->lock);
  } else if (armed(HC_UNLOCK_UNHELD) && l) {
    bpf_spin_unlock(&l->lock);
  } else if (armed(HC_RETURN_LOCKED) && l) {
    bpf_spin_lock(&l->lock);
    return p;
  } else if (armed(HC_DEEP_CALLS)) {
    counter += depth9(counter);
  } else if (armed(HC_HUGE_OBJECT)) {
    allocate_huge_object();
  }
  return p;
}

/* Insertion faults of ops.enqueue: true when it inserted (or tried to) itself. */
static bool misinsert_in_enqueue(struct task_struct *p, u64 enq_flags) {
  if (armed(HC_BAD_DSQ)) {
    scx_bpf_dsq_insert(p, 12345, SCX_SLICE_DFL, enq_flags);
  } else if (armed(HC_INSERT_TWICE)) {
    scx_bpf_dsq_insert(p, SHARED_DSQ, SCX_SLICE_DFL, enq_flags);
    scx_bpf_dsq_insert(p, SHARED_DSQ, SCX_SLICE_DFL, enq_flags);
  } else if (armed(HC_LOCAL_ON_DISALLOWED) && p->nr_cpus_allowed == 1) {
    s32 other = bpf_cpumask_test_cpu(0, p->cpus_ptr) ? 1 : 0;
    scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL_ON | other, SCX_SLICE_DFL, enq_flags);
  } else if (armed(HC_LOCAL_ON_BAD_CPU)) {
    scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL_ON | 999, SCX_SLICE_DFL, enq_flags);
  } else {
    return false;
  }
  return true;
}

s32 BPF_STRUCT_OPS(hc_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags) {
  if (armed(HC_EXIT_SELECT_CPU)) scx_bpf_exit(7, "exit from select_cpu");
  if (armed(HC_SELECT_BAD_CPU)) return 999;
  return prev_cpu;
}

void BPF_STRUCT_OPS(hc_enqueue, struct task_struct *p, u64 enq_flags) {
  nr_enqueued++;
  if (print_pointers && nr_enqueued <= 3) {
    u64 on_stack = nr_enqueued;
    bpf_printk("task %llx value %p stack %p", (u64)p, locked_value(), &on_stack);
  }
  if (armed(HC_EXIT_ENQUEUE)) scx_bpf_exit(7, "exit from enqueue");
  if (armed(HC_CTX_WRITE)) ctx[0] = 0;
  if (misinsert_in_enqueue(p, enq_flags)) return;
  p = misbehave_in_enqueue(p);
  scx_bpf_dsq_insert(p, SHARED_DSQ, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(hc_dispatch, s32 cpu, struct task_struct *prev) {
  if (armed(HC_EXIT_DISPATCH)) scx_bpf_exit(7, "exit from dispatch");
  if (is(HC_STALL)) return;
  scx_bpf_dsq_move_to_local(SHARED_DSQ);
}

void BPF_STRUCT_OPS(hc_running, struct task_struct *p) {
  if (armed(HC_EXIT_RUNNING)) scx_bpf_exit(7, "exit from running");
}

void BPF_STRUCT_OPS(hc_stopping, struct task_struct *p, bool runnable) {
  if (armed(HC_EXIT_STOPPING)) scx_bpf_exit(7, "exit from stopping");
}

void BPF_STRUCT_OPS(hc_tick, struct task_struct *p) {
  if (armed(HC_EXIT_TICK)) scx_bpf_exit(7, "exit from tick");
}

s32 BPF_STRUCT_OPS(hc_init_task, struct task_struct *p, struct scx_init_task_args *args) {
  if (is(HC_EXIT_INIT_TASK)) scx_bpf_exit(7, "exit from init_task");
  if (is(HC_ERROR_INIT_TASK)) scx_bpf_error("error in init_task");
  if (is(HC_INIT_TASK_FAILS)) return -12;
  return 0;
}

void BPF_STRUCT_OPS(hc_enable, struct task_struct *p) {
  if (is(HC_EXIT_ENABLE)) scx_bpf_exit(7, "exit from enable");
  if (is(HC_ERROR_ENABLE)) scx_bpf_error("error in enable");
}

s32 BPF_STRUCT_OPS_SLEEPABLE(hc_init) {
  if (is(HC_EXIT_INIT)) scx_bpf_exit(7, "exit from init");
  if (is(HC_ERROR_INIT)) scx_bpf_error("error in init");
  if (is(HC_INIT_FAILS)) return -12;
  return scx_bpf_create_dsq(SHARED_DSQ, -1);
}

SCX_OPS_DEFINE(hostile_cases_ops,
               .select_cpu = (void *)hc_select_cpu,
               .enqueue = (void *)hc_enqueue,
               .dispatch = (void *)hc_dispatch,
               .running = (void *)hc_running,
               .stopping = (void *)hc_stopping,
               .tick = (void *)hc_tick,
               .init_task = (void *)hc_init_task,
               .enable = (void *)hc_enable,
               .init = (void *)hc_init,
               .timeout_ms = 500,
               .name = "hostile_cases");
