/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scx_simple in FIFO mode (the same ops as bpf/schedulers/simple.bpf.c with fifo_sched = 1, so
 * the schedule must be the native fifo policy's) plus tracing programs that count what they
 * see and check their arguments against the kernel's:
 * - tp_btf/ sched_switch, sched_waking, sched_wakeup, sched_wakeup_new, sched_migrate_task,
 *   task_newtask, sched_process_fork, sched_process_exit, sched_process_free, and
 *   raw_tp/sched_switch;
 * - fentry/bpf_scx_reg reading current->migration_disabled as scx's scx_lib_init_probe does,
 *   and fexit/bpf_scx_reg;
 * - targets the simulator has but never reaches (task_rename, cpuset_write_resmask), and an
 *   autoload-off program whose target does not exist (libbpf never loads it).
 * fault_after = N makes the N-th sched_switch run read past its context (a fault), probe_fault
 * the fentry/bpf_scx_reg run; fexit_ret makes fexit/bpf_scx_reg return that value.
 */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define MAX_CPUS 16
#define SHARED_DSQ 0

const volatile u32 fault_after;
const volatile bool probe_fault;
const volatile int fexit_ret;
volatile u32 ctx_index = 4; /* sched_switch has 4 arguments: ctx[4] is out of bounds */

u64 nr_switch, nr_raw_switch, nr_waking, nr_wakeup, nr_wakeup_new, nr_migrate;
u64 nr_newtask, nr_fork, nr_exit, nr_group_dead, nr_free, nr_rename, nr_resmask, nr_optional;
u64 switch_cpu[MAX_CPUS], wakeup_cpu[MAX_CPUS];
u32 switch_node[MAX_CPUS]; /* bpf_get_numa_node_id() + 1 on each CPU that switched */
u64 bad_switch, bad_current, bad_migrate, bad_fork;
u64 nr_reg_entry, nr_reg_exit, init_saw_entry = 99, init_saw_exit = 99;
s64 reg_ret = 99;
u32 probe_md = 1000; /* 2000: the kernel's task_struct has no migration_disabled */
s32 probe_pid = -1;

UEI_DEFINE(uei);

/* Read through a local flavor so the object loads whether or not the kernel has the field. */
struct task_struct___md {
  unsigned short migration_disabled;
} __attribute__((preserve_access_index));

static void count_cpu(u64 *per_cpu) {
  u32 cpu = bpf_get_smp_processor_id();

  if (cpu < MAX_CPUS) per_cpu[cpu]++;
}

SEC("fentry/bpf_scx_reg")
int BPF_PROG(tr_reg_entry, void *kdata, void *link) {
  struct task_struct *cur = bpf_get_current_task_btf();

  nr_reg_entry++;
  if (probe_fault) return ctx[ctx_index] != 0; /* 2 arguments */
  probe_pid = cur->pid;
  if (bpf_core_field_exists(((struct task_struct___md *)0)->migration_disabled))
    probe_md = ((struct task_struct___md *)cur)->migration_disabled;
  else
    probe_md = 2000;
  return 0;
}

SEC("fexit/bpf_scx_reg")
int BPF_PROG(tr_reg_exit, void *kdata, void *link, int ret) {
  nr_reg_exit++;
  reg_ret = ret;
  return fexit_ret;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(tr_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
             unsigned int prev_state) {
  if (++nr_switch == fault_after) return ctx[ctx_index] != 0;
  if (nr_switch == 1) bpf_printk("first switch %s -> %s", prev->comm, next->comm);
  count_cpu(switch_cpu);
  if (bpf_get_smp_processor_id() < MAX_CPUS) switch_node[bpf_get_smp_processor_id()] = bpf_get_numa_node_id() + 1;
  if (prev == next || preempt != (prev_state == 0)) bad_switch++;
  if ((void *)bpf_get_current_task_btf() != (void *)prev) bad_current++;
  return 0;
}

SEC("raw_tp/sched_switch")
int tr_raw_switch(u64 *ctx) {
  nr_raw_switch++;
  return 0;
}

SEC("tp_btf/sched_waking")
int BPF_PROG(tr_waking, struct task_struct *p) {
  nr_waking++;
  return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(tr_wakeup, struct task_struct *p) {
  nr_wakeup++;
  count_cpu(wakeup_cpu);
  return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(tr_wakeup_new, struct task_struct *p) {
  nr_wakeup_new++;
  return 0;
}

/* task_cpu(p) is still the CPU p leaves; scx_bpf_task_cpu is a kfunc of scx_kfunc_set_any. */
SEC("tp_btf/sched_migrate_task")
int BPF_PROG(tr_migrate, struct task_struct *p, int dest_cpu) {
  nr_migrate++;
  if (scx_bpf_task_cpu(p) == dest_cpu) bad_migrate++;
  return 0;
}

SEC("tp_btf/task_newtask")
int BPF_PROG(tr_newtask, struct task_struct *p, u64 clone_flags) {
  nr_newtask++;
  if ((void *)bpf_get_current_task_btf() == (void *)p) bad_current++;
  return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(tr_fork, struct task_struct *parent, struct task_struct *child) {
  nr_fork++;
  if (parent == child || child->pid <= parent->pid) bad_fork++;
  if ((void *)bpf_get_current_task_btf() != (void *)parent) bad_current++;
  return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(tr_exit, struct task_struct *p, bool group_dead) {
  nr_exit++;
  if (group_dead) nr_group_dead++;
  if ((void *)bpf_get_current_task_btf() != (void *)p) bad_current++;
  return 0;
}

SEC("tp_btf/sched_process_free")
int BPF_PROG(tr_free, struct task_struct *p) {
  nr_free++;
  return 0;
}

SEC("tp_btf/task_rename")
int BPF_PROG(tr_rename, struct task_struct *task, const char *comm) {
  nr_rename++;
  return 0;
}

SEC("fentry/cpuset_write_resmask")
int BPF_PROG(tr_resmask) {
  nr_resmask++;
  return 0;
}

SEC("?tp_btf/no_such_tracepoint")
int BPF_PROG(tr_optional) {
  nr_optional++;
  return 0;
}

s32 BPF_STRUCT_OPS(tr_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags) {
  bool is_idle = false;
  s32 cpu;

  cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);
  if (is_idle) scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, 0);
  return cpu;
}

void BPF_STRUCT_OPS(tr_enqueue, struct task_struct *p, u64 enq_flags) {
  scx_bpf_dsq_insert(p, SHARED_DSQ, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(tr_dispatch, s32 cpu, struct task_struct *prev) {
  scx_bpf_dsq_move_to_local(SHARED_DSQ);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(tr_init) {
  init_saw_entry = nr_reg_entry;
  init_saw_exit = nr_reg_exit;
  return scx_bpf_create_dsq(SHARED_DSQ, -1);
}

void BPF_STRUCT_OPS(tr_exit_op, struct scx_exit_info *ei) { UEI_RECORD(uei, ei); }

SCX_OPS_DEFINE(tracing_ops,
               .select_cpu = (void *)tr_select_cpu,
               .enqueue = (void *)tr_enqueue,
               .dispatch = (void *)tr_dispatch,
               .init = (void *)tr_init,
               .exit = (void *)tr_exit_op,
               .name = "tracing");
