/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The simulated kernel's types, declared once. scxsim's C++ side embeds these structs as the
 * real memory of its tasks, runqueues and scheduler state, and the build compiles this header
 * with `clang -g -target bpf` into the simulated kernel's BTF, against which the CO-RE
 * relocations of any sched_ext .bpf.o are resolved. Names and meanings follow Linux 6.12–6.17
 * (include/linux/sched/ext.h, kernel/sched/ext.c); the layout is our own, which CO-RE makes
 * invisible to correctly written BPF programs.
 *
 * Rules: valid C (clang, BPF target) and C++ (g++, x86_64); every struct is complete (clang only
 * emits forward declarations for structs reached through pointers, and CO-RE needs the full
 * type); fields may be added, never renamed.
 */
#ifndef SCXSIM_KERNEL_TYPES_H
#define SCXSIM_KERNEL_TYPES_H

#ifdef __cplusplus
extern "C" {
#define SCXSIM_BOOL bool
#else
#define SCXSIM_BOOL _Bool
#endif

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef signed short s16;
typedef signed int s32;
typedef signed long long s64;

/* ---- Constants, as the kernel's enums (so that they appear in BTF for scx's enum autogen) ---- */

enum scx_public_consts {
  SCX_OPS_NAME_LEN = 128,
  SCX_SLICE_DFL = 20 * 1000000ULL,
  SCX_SLICE_INF = ~0ULL,
};

enum scx_dsq_id_flags {
  SCX_DSQ_FLAG_BUILTIN = 1ULL << 63,
  SCX_DSQ_FLAG_LOCAL_ON = 1ULL << 62,
  SCX_DSQ_INVALID = SCX_DSQ_FLAG_BUILTIN | 0,
  SCX_DSQ_GLOBAL = SCX_DSQ_FLAG_BUILTIN | 1,
  SCX_DSQ_LOCAL = SCX_DSQ_FLAG_BUILTIN | 2,
  SCX_DSQ_LOCAL_ON = SCX_DSQ_FLAG_BUILTIN | SCX_DSQ_FLAG_LOCAL_ON,
  SCX_DSQ_LOCAL_CPU_MASK = 0xffffffffULL,
};

enum scx_ent_flags {
  SCX_TASK_QUEUED = 1 << 0,
  SCX_TASK_RESET_RUNNABLE_AT = 1 << 2,
  SCX_TASK_DEQD_FOR_SLEEP = 1 << 3,
  SCX_TASK_STATE_SHIFT = 8,
  SCX_TASK_STATE_BITS = 2,
  SCX_TASK_STATE_MASK = ((1 << 2) - 1) << 8,
  SCX_TASK_CURSOR = 1 << 31,
};

enum scx_task_state {
  SCX_TASK_NONE = 0,
  SCX_TASK_INIT = 1,
  SCX_TASK_READY = 2,
  SCX_TASK_ENABLED = 3,
  SCX_TASK_NR_STATES = 4,
};

/* rq->scx.flags (values as in 6.18). */
enum scx_rq_flags {
  SCX_RQ_ONLINE = 1 << 0,
  SCX_RQ_CAN_STOP_TICK = 1 << 1,
  SCX_RQ_BAL_PENDING = 1 << 2,
  SCX_RQ_BAL_KEEP = 1 << 3,
  SCX_RQ_BYPASSING = 1 << 4,
  SCX_RQ_CLK_VALID = 1 << 5,
  SCX_RQ_BAL_CB_PENDING = 1 << 6,
  SCX_RQ_IN_WAKEUP = 1 << 16,
  SCX_RQ_IN_BALANCE = 1 << 17,
};

enum scx_ent_dsq_flags {
  SCX_TASK_DSQ_ON_PRIQ = 1 << 0,
};

enum scx_kf_mask {
  SCX_KF_UNLOCKED = 0,
  SCX_KF_SLEEPABLE = 1 << 0,
  SCX_KF_CPU_RELEASE = 1 << 1,
  SCX_KF_DISPATCH = 1 << 2,
  SCX_KF_ENQUEUE = 1 << 3,
  SCX_KF_SELECT_CPU = 1 << 4,
  SCX_KF_REST = 1 << 5,
  __SCX_KF_RQ_LOCKED = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5),
  __SCX_KF_TERMINAL = (1 << 3) | (1 << 4) | (1 << 5),
};

enum scx_dsq_lnode_flags {
  SCX_DSQ_LNODE_ITER_CURSOR = 1 << 0,
  __SCX_DSQ_LNODE_PRIV_SHIFT = 16,
};

/* Linux 6.12 values (before the core ENQUEUE_* renumbering). */
enum scx_enq_flags {
  SCX_ENQ_WAKEUP = 0x01,
  SCX_ENQ_HEAD = 0x10,
  SCX_ENQ_CPU_SELECTED = 0x400,
  SCX_ENQ_PREEMPT = 1ULL << 32,
  SCX_ENQ_REENQ = 1ULL << 40,
  SCX_ENQ_LAST = 1ULL << 41,
  __SCX_ENQ_INTERNAL_MASK = 0xffULL << 56,
  SCX_ENQ_CLEAR_OPSS = 1ULL << 56,
  SCX_ENQ_DSQ_PRIQ = 1ULL << 57,
};

enum scx_deq_flags {
  SCX_DEQ_SLEEP = 0x01,
  SCX_DEQ_CORE_SCHED_EXEC = 1ULL << 32,
};

enum scx_pick_idle_cpu_flags {
  SCX_PICK_IDLE_CORE = 1 << 0,
  SCX_PICK_IDLE_IN_NODE = 1 << 1,
};

enum scx_kick_flags {
  SCX_KICK_IDLE = 1 << 0,
  SCX_KICK_PREEMPT = 1 << 1,
  SCX_KICK_WAIT = 1 << 2,
};

enum scx_tg_flags {
  SCX_TG_ONLINE = 1U << 0,
  SCX_TG_INITED = 1U << 1,
};

enum scx_exit_kind {
  SCX_EXIT_NONE = 0,
  SCX_EXIT_DONE = 1,
  SCX_EXIT_UNREG = 64,
  SCX_EXIT_UNREG_BPF = 65,
  SCX_EXIT_UNREG_KERN = 66,
  SCX_EXIT_SYSRQ = 67,
  SCX_EXIT_ERROR = 1024,
  SCX_EXIT_ERROR_BPF = 1025,
  SCX_EXIT_ERROR_STALL = 1026,
};

enum scx_exit_code {
  SCX_ECODE_RSN_HOTPLUG = 1ULL << 32,
  SCX_ECODE_ACT_RESTART = 1ULL << 48,
};

enum scx_ops_flags {
  SCX_OPS_KEEP_BUILTIN_IDLE = 1LLU << 0,
  SCX_OPS_ENQ_LAST = 1LLU << 1,
  SCX_OPS_ENQ_EXITING = 1LLU << 2,
  SCX_OPS_SWITCH_PARTIAL = 1LLU << 3,
  SCX_OPS_BUILTIN_IDLE_PER_NODE = 1LLU << 6, /* 6.15: per-node idle masks */
  SCX_OPS_HAS_CGROUP_WEIGHT = 1LLU << 16,
  SCX_OPS_ALL_FLAGS = (1LLU << 0) | (1LLU << 1) | (1LLU << 2) | (1LLU << 3) | (1LLU << 6) | (1LLU << 16),
};

enum scx_cpu_preempt_reason {
  SCX_CPU_PREEMPT_RT = 0,
  SCX_CPU_PREEMPT_DL = 1,
  SCX_CPU_PREEMPT_STOP = 2,
  SCX_CPU_PREEMPT_UNKNOWN = 3,
};

enum scx_wake_flags {
  SCX_WAKE_FORK = 0x04,
  SCX_WAKE_TTWU = 0x08,
  SCX_WAKE_SYNC = 0x10,
};

enum scx_ops_enable_state {
  SCX_OPS_ENABLING = 0,
  SCX_OPS_ENABLED = 1,
  SCX_OPS_DISABLING = 2,
  SCX_OPS_DISABLED = 3,
};

enum scx_ops_state {
  SCX_OPSS_NONE = 0,
  SCX_OPSS_QUEUEING = 1,
  SCX_OPSS_QUEUED = 2,
  SCX_OPSS_DISPATCHING = 3,
  SCX_OPSS_QSEQ_SHIFT = 2,
};

enum scx_consts {
  SCX_DSP_DFL_MAX_BATCH = 32,
  SCX_DSP_MAX_LOOPS = 32,
  SCX_WATCHDOG_MAX_TIMEOUT = 30 * 1000, /* ms; the kernel's is 30 * HZ jiffies */
  SCX_EXIT_BT_LEN = 64,
  SCX_EXIT_MSG_LEN = 1024,
  SCX_EXIT_DUMP_DFL_LEN = 32768,
  SCX_CPUPERF_ONE = 1024,
  SCX_OPS_TASK_ITER_BATCH = 32,
};

/* task_struct->flags */
enum scxsim_pf_flags {
  PF_IDLE = 0x00000002,
  PF_EXITING = 0x00000004,
  PF_KTHREAD = 0x00200000,
};

/* ---- Generic kernel structures ---- */

/* Debian's CONFIG_NR_CPUS: schedulers' CO-RE relocations check sizeof(cpumask_t.bits). */
#define SCXSIM_NR_CPUS 8192

struct cpumask {
  unsigned long bits[SCXSIM_NR_CPUS / 64];
};
typedef struct cpumask cpumask_t;

struct bpf_cpumask {
  cpumask_t cpumask;
  int usage; /* refcount_t */
};

struct list_head {
  struct list_head *next, *prev;
};

struct rb_node {
  unsigned long __rb_parent_color;
  struct rb_node *rb_right;
  struct rb_node *rb_left;
};

typedef struct {
  long counter;
} atomic_long_t;

typedef struct {
  int counter;
} atomic_t;

/* NUMA memory policy (include/linux/mempolicy.h); no simulated task has one (mempolicy NULL). */
typedef struct {
  unsigned long bits[1024 / 64]; /* MAX_NUMNODES with Debian's NODES_SHIFT = 10 */
} nodemask_t;

struct mempolicy {
  atomic_t refcnt;
  unsigned short mode;
  unsigned short flags;
  nodemask_t nodes;
  int home_node;
};

/* ---- sched_ext ---- */

struct scx_dsq_list_node {
  struct list_head node;
  u32 flags;
  u32 priv;
};

struct scx_dispatch_q {
  u64 id;
  u32 nr;
  u32 seq;
};

/* A cgroup's kernfs directory: kn->id is the cgroup id schedulers read (cgrp->kn->id). */
struct kernfs_node {
  atomic_t count;
  atomic_t active;
  struct kernfs_node *parent;
  const char *name;
  u64 id;
};

/* A css's reference count (include/linux/percpu-refcount.h). Bit 1 of percpu_count_ptr
 * (__PERCPU_REF_DEAD) marks a dying cgroup; the simulator frees a cgroup at rmdir, so a
 * cgroup BPF can still see is never dying. */
struct percpu_ref {
  atomic_long_t count;
  unsigned long percpu_count_ptr;
  void *data;
};

/* A controller's state in one cgroup (include/linux/cgroup-defs.h). cgroup->self is the
 * cgroup's own css (the one the css iterators walk): self.cgroup is the cgroup, self.parent
 * the parent's self. */
struct cgroup_subsys_state {
  struct cgroup *cgroup;
  struct percpu_ref refcnt;
  int id;
  unsigned int flags;
  u64 serial_nr;
  struct cgroup_subsys_state *parent;
};

/* The controllers with a css in every simulated cgroup, in the kernel's id order
 * (include/linux/cgroup_subsys.h: cpuset comes first, then cpu). */
enum cgroup_subsys_id {
  cpuset_cgrp_id = 0,
  cpu_cgrp_id = 1,
  CGROUP_SUBSYS_COUNT = 2,
};

struct cgroup {
  struct cgroup_subsys_state self;
  unsigned long flags;
  int level;
  int max_depth;
  struct kernfs_node *kn;
  /* subsys[cpuset_cgrp_id]: the cgroup's struct cpuset (its css first); subsys[cpu_cgrp_id]:
   * NULL (the task_group is not simulated as a kernel object). */
  struct cgroup_subsys_state *subsys[CGROUP_SUBSYS_COUNT];
  u64 kn_id; /* the same id, for the simulator's own use */
  void *__scxsim_cgroup; /* back pointer to the simulator's Cgroup; not visible to BPF */
  /* ancestors[i]: the ancestor at level i, ancestors[level] the cgroup itself (a flexible
   * array in the kernel: the simulator allocates level + 1 entries) */
  struct cgroup *ancestors[1];
};

/* cpumask_var_t without CONFIG_CPUMASK_OFFSTACK: the mask itself. */
typedef struct cpumask cpumask_var_t[1];

/* The cpuset controller's state (kernel/cgroup/cpuset-internal.h): cpus_allowed is
 * cpuset.cpus as written (empty: not set; the root: every CPU), effective_cpus what the
 * cgroup's tasks may use. */
struct cpuset {
  struct cgroup_subsys_state css;
  unsigned long flags;
  cpumask_var_t cpus_allowed;
  cpumask_var_t effective_cpus;
};

/* A task's cgroups (include/linux/cgroup-defs.h): dfl_cgrp is its cgroup in the default
 * hierarchy, read as task->cgroups->dfl_cgrp. */
struct css_set {
  struct cgroup *dfl_cgrp;
};

/* The kernel's guard(rcu) type (DEFINE_LOCK_GUARD_0), which scx's cleanup.bpf.h reuses. */
typedef struct {
  void *lock;
} class_rcu_t;

struct sched_ext_entity {
  struct scx_dispatch_q *dsq;
  struct scx_dsq_list_node dsq_list;
  struct rb_node dsq_priq;
  u32 dsq_seq;
  u32 dsq_flags;
  u32 flags;
  u32 weight;
  s32 sticky_cpu;
  s32 holding_cpu;
  u32 kf_mask;
  struct task_struct *kf_tasks[2];
  atomic_long_t ops_state;
  struct list_head runnable_node;
  unsigned long runnable_at;
  u64 core_sched_at;
  u64 ddsp_dsq_id;
  u64 ddsp_enq_flags;
  u64 slice;      /* writable by BPF */
  u64 dsq_vtime;  /* writable by BPF */
  SCXSIM_BOOL disallow; /* writable by BPF in ops.init_task */
  struct cgroup *cgrp_moving_from;
  struct list_head tasks_node;
};

struct sched_entity {
  u64 exec_start;
  u64 sum_exec_runtime;
  u64 prev_sum_exec_runtime;
  u64 vruntime;
  s64 vlag;
  u64 slice;
};

/* An address space: the tasks of one thread group share it; kernel threads have none. */
struct mm_struct {
  struct task_struct *owner; /* the thread group's leader */
};

struct task_struct {
  unsigned int __state;
  unsigned int flags;       /* PF_* */
  int on_cpu;
  int recent_used_cpu;
  int wake_cpu;
  int on_rq;
  int prio;
  int static_prio;
  int normal_prio;
  unsigned int rt_priority;
  struct sched_entity se;
  struct sched_ext_entity scx;
  unsigned int policy;
  int nr_cpus_allowed;
  unsigned short migration_disabled; /* 0: nothing in the simulation calls migrate_disable() */
  struct mm_struct *mm;      /* NULL for kernel threads */
  u64 utime;                 /* ns, tick-sampled (CONFIG_TICK_CPU_ACCOUNTING): user tasks */
  u64 stime;                 /* ns, tick-sampled: kernel threads */
  int numa_preferred_nid;    /* -1 (NUMA_NO_NODE): no NUMA balancing is simulated */
  struct mempolicy *mempolicy; /* NULL: the default policy (no set_mempolicy in the simulation) */
  struct css_set *cgroups;   /* init_css_set: every task is in the root cgroup */
  const cpumask_t *cpus_ptr;
  cpumask_t cpus_mask;
  u64 nvcsw;
  u64 nivcsw;
  int pid;
  int tgid;
  struct task_struct *real_parent;
  struct task_struct *group_leader;
  char comm[16];
  void *__scxsim_task; /* back pointer to the simulator's Task; not visible to BPF */
};

struct scx_rq {
  u32 nr_running;
  u32 flags;
  u64 ops_qseq;
  u32 cpuperf_target;
  SCXSIM_BOOL cpu_released;
};

struct rq {
  int cpu;
  unsigned int nr_running;
  struct task_struct *curr;
  struct task_struct *idle;
  u64 clock;
  u64 clock_task;
  u64 clock_pelt;               /* PELT clock: capacity-scaled while busy, = clock_task at idle */
  unsigned long lost_idle_time; /* clock_pelt - rq_clock_pelt(): idle time a busy CPU lost */
  struct scx_rq scx;
};

/*
 * cpufreq (include/linux/cpufreq.h), read by schedulers through the per-CPU ksym
 * cpufreq_cpu_data (struct cpufreq_policy *). Frequencies in kHz. The simulated CPUs run at a
 * fixed frequency: cur = min = max = cpuinfo.min_freq = cpuinfo.max_freq.
 */
struct cpufreq_cpuinfo {
  unsigned int max_freq;
  unsigned int min_freq;
  unsigned int transition_latency; /* ns */
};

struct cpufreq_policy {
  unsigned int cpu;
  unsigned int min;
  unsigned int max;
  unsigned int cur;
  struct cpufreq_cpuinfo cpuinfo;
};

struct scx_exit_info {
  enum scx_exit_kind kind;
  s64 exit_code;
  const char *reason;
  unsigned long *bt;
  u32 bt_len;
  char *msg;
  char *dump;
};

/* The SCX_EV_* counters scx_bpf_events() copies (the 6.15/6.16 set, in the kernel's order). */
struct scx_event_stats {
  s64 SCX_EV_SELECT_CPU_FALLBACK;
  s64 SCX_EV_DISPATCH_LOCAL_DSQ_OFFLINE;
  s64 SCX_EV_DISPATCH_KEEP_LAST;
  s64 SCX_EV_ENQ_SKIP_EXITING;
  s64 SCX_EV_ENQ_SKIP_MIGRATION_DISABLED;
  s64 SCX_EV_REFILL_SLICE_DFL;
  s64 SCX_EV_BYPASS_DURATION;
  s64 SCX_EV_BYPASS_DISPATCH;
  s64 SCX_EV_BYPASS_ACTIVATE;
};

struct scx_init_task_args {
  SCXSIM_BOOL fork;
  struct cgroup *cgroup;
};

struct scx_exit_task_args {
  SCXSIM_BOOL cancelled;
};

/* 6.17 added the bandwidth (cpu.max, in us; quota ~0ULL: "max"). */
struct scx_cgroup_init_args {
  u32 weight;
  u64 bw_period_us;
  u64 bw_quota_us;
  u64 bw_burst_us;
};

struct scx_cpu_acquire_args {
  int unused_; /* empty in the kernel; a member keeps C and C++ sizes equal */
};

struct scx_cpu_release_args {
  enum scx_cpu_preempt_reason reason;
  struct task_struct *task;
};

struct scx_dump_ctx {
  enum scx_exit_kind kind;
  s64 exit_code;
  const char *reason;
  u64 at_ns;
  u64 at_jiffies;
};

/* The struct_ops type: member order is the kernel's (V612), which is the ABI of the map. */
struct sched_ext_ops {
  s32 (*select_cpu)(struct task_struct *p, s32 prev_cpu, u64 wake_flags);
  void (*enqueue)(struct task_struct *p, u64 enq_flags);
  void (*dequeue)(struct task_struct *p, u64 deq_flags);
  void (*dispatch)(s32 cpu, struct task_struct *prev);
  void (*tick)(struct task_struct *p);
  void (*runnable)(struct task_struct *p, u64 enq_flags);
  void (*running)(struct task_struct *p);
  void (*stopping)(struct task_struct *p, SCXSIM_BOOL runnable);
  void (*quiescent)(struct task_struct *p, u64 deq_flags);
  SCXSIM_BOOL (*yield)(struct task_struct *from, struct task_struct *to);
  SCXSIM_BOOL (*core_sched_before)(struct task_struct *a, struct task_struct *b);
  void (*set_weight)(struct task_struct *p, u32 weight);
  void (*set_cpumask)(struct task_struct *p, const struct cpumask *cpumask);
  void (*update_idle)(s32 cpu, SCXSIM_BOOL idle);
  void (*cpu_acquire)(s32 cpu, struct scx_cpu_acquire_args *args);
  void (*cpu_release)(s32 cpu, struct scx_cpu_release_args *args);
  s32 (*init_task)(struct task_struct *p, struct scx_init_task_args *args);
  void (*exit_task)(struct task_struct *p, struct scx_exit_task_args *args);
  void (*enable)(struct task_struct *p);
  void (*disable)(struct task_struct *p);
  void (*dump)(struct scx_dump_ctx *ctx);
  void (*dump_cpu)(struct scx_dump_ctx *ctx, s32 cpu, SCXSIM_BOOL idle);
  void (*dump_task)(struct scx_dump_ctx *ctx, struct task_struct *p);
  s32 (*cgroup_init)(struct cgroup *cgrp, struct scx_cgroup_init_args *args);
  void (*cgroup_exit)(struct cgroup *cgrp);
  s32 (*cgroup_prep_move)(struct task_struct *p, struct cgroup *from, struct cgroup *to);
  void (*cgroup_move)(struct task_struct *p, struct cgroup *from, struct cgroup *to);
  void (*cgroup_cancel_move)(struct task_struct *p, struct cgroup *from, struct cgroup *to);
  void (*cgroup_set_weight)(struct cgroup *cgrp, u32 weight);
  void (*cgroup_set_bandwidth)(struct cgroup *cgrp, u64 period_us, u64 quota_us, u64 burst_us); /* 6.17 */
  void (*cpu_online)(s32 cpu);
  void (*cpu_offline)(s32 cpu);
  s32 (*init)(void);
  void (*exit)(struct scx_exit_info *info);
  u32 dispatch_max_batch;
  u64 flags;
  u32 timeout_ms;
  u32 exit_dump_len;
  u64 hotplug_seq;
  char name[SCX_OPS_NAME_LEN];
};

/* The argument structs of the 6.19 kfuncs __scx_bpf_select_cpu_and / __scx_bpf_dsq_insert_vtime. */
struct scx_bpf_select_cpu_and_args {
  s32 prev_cpu;
  u64 wake_flags;
  u64 flags;
};

struct scx_bpf_dsq_insert_vtime_args {
  u64 dsq_id;
  u64 slice;
  u64 vtime;
  u64 enq_flags;
};

/* The css iterator state (kernel/bpf/cgroup_iter.c: start, position, flags). */
struct bpf_iter_css {
  u64 __opaque[3];
};

/* The orders of bpf_iter_css_new() (include/uapi/linux/bpf.h); CHILDREN is 6.19's. */
enum bpf_cgroup_iter_order {
  BPF_CGROUP_ITER_ORDER_UNSPEC = 0,
  BPF_CGROUP_ITER_SELF_ONLY,
  BPF_CGROUP_ITER_DESCENDANTS_PRE,
  BPF_CGROUP_ITER_DESCENDANTS_POST,
  BPF_CGROUP_ITER_ANCESTORS_UP,
  BPF_CGROUP_ITER_CHILDREN,
};

/* The DSQ iterator state BPF programs see (opaque, 6 u64 words as in the kernel). */
struct bpf_iter_scx_dsq {
  u64 __opaque[6];
};

#ifdef __cplusplus
}
#endif
#endif /* SCXSIM_KERNEL_TYPES_H */
