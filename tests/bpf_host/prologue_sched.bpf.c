/* SPDX-License-Identifier: GPL-2.0 */
/* A global FIFO that depends on everything an scx scheduler's user space does before load:
 * - __SCX_* enum globals (SCX_ENUM_INIT): it queues on __SCX_DSQ_GLOBAL with __SCX_SLICE_DFL,
 *   so left at 0 it would insert into DSQ 0, which does not exist, and be ejected;
 * - a RESIZABLE_ARRAY of one counter per CPU and the exit-dump buffer (UEI_DEFINE);
 * - a map whose max_entries only user space sets (0 in the object);
 * - rodata integer arrays (--set a=1,2,3) and a syscall program without arguments;
 * - a syscall program with a context, run per (cpu, sibling) pair by a profile;
 * - maps with struct values and keys user space fills (topology records with CPU masks);
 * - arrays of structs of integer arrays (per-LLC CPU masks) written as one flat list. */
#include <scx/common.bpf.h>
#include <scx/user_exit_info.h>

char _license[] SEC("license") = "GPL";

const volatile u64 __SCX_DSQ_GLOBAL __weak;
const volatile u64 __SCX_SLICE_DFL __weak;
const volatile u64 __SCX_NOT_IN_ANY_KERNEL __weak; /* stays 0: the kernel has no such enum */
const volatile u32 weights[8];
const volatile u32 nr_cpus;
const volatile struct prologue_cfg {
  u32 a;
  u64 b;
  u32 grid[2][3];
} cfg; /* member paths and row-major arrays of arrays */

u64 RESIZABLE_ARRAY(data, enq_per_cpu);
UEI_DEFINE(uei);

u32 setup_runs;    /* by the argument-less syscall program */
u32 pairs_seen;    /* by the per-pair one */
u32 pair_sum;      /* sum of cpu * 100 + sibling over the pairs */
s32 init_cpu = -1, attached_cpu = -1; /* where ops.init and the after-attach program ran */
u32 seq, init_seq, attached_seq;      /* and in which order */

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 0); /* user space sizes it (bpf_map__set_max_entries) */
  __type(key, u32);
  __type(value, u64);
} sized_by_user SEC(".maps");

struct prologue_mask {
  u64 bits[4];
};

struct prologue_llc { /* a topology record, as scx_forge's user space writes them */
  u32 id;
  u32 nr_cpus;
  u8 smt;
  s32 first_cpu;
  struct prologue_mask span;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16);
  __type(key, u32);
  __type(value, struct prologue_llc);
} llc_recs SEC(".maps");

/* Arrays of structs as user space writes them: one of a single integer array (scx_mitosis's
 * llc_to_cpus), written flattened, row = struct; one whose members differ, which is not. */
struct prologue_mask llc_masks[3];
struct prologue_llc llc_table[2];

struct prologue_dist_key {
  u32 node;
  u32 idx;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16);
  __type(key, struct prologue_dist_key);
  __type(value, u32);
} dist_recs SEC(".maps");

struct pair_arg {
  s32 cpu;
  s32 sibling;
};

u32 complaints;

SEC("syscall")
int setup(void) {
  setup_runs++;
  return 0;
}

SEC("syscall")
int after_attach_probe(void) {
  attached_cpu = bpf_get_smp_processor_id();
  attached_seq = ++seq;
  return 0;
}

// Reports an error and carries on: before attach the kernel drops it (no scheduler is
// registered); after attach it ejects the scheduler.
SEC("syscall")
int complain(void) {
  complaints++;
  scx_bpf_error("complaint %u", complaints);
  return 0;
}

SEC("syscall")
int record_pair(struct pair_arg *arg) {
  pairs_seen++;
  pair_sum += arg->cpu * 100 + arg->sibling;
  return 0;
}

void BPF_STRUCT_OPS(prologue_enqueue, struct task_struct *p, u64 enq_flags) {
  u32 cpu = bpf_get_smp_processor_id();

  if (cpu < nr_cpus) {
    u64 *c = ARRAY_ELEM_PTR(enq_per_cpu, cpu, nr_cpus);
    if (c) (*c)++;
  }
  scx_bpf_dsq_insert(p, __SCX_DSQ_GLOBAL, __SCX_SLICE_DFL, enq_flags);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(prologue_init) {
  u32 k = 0;
  if (!bpf_map_lookup_elem(&sized_by_user, &k)) return -2; /* max_entries 0: never loads */
  init_cpu = bpf_get_smp_processor_id();
  init_seq = ++seq;
  return setup_runs == 1 ? 0 : -22;
}

void BPF_STRUCT_OPS(prologue_exit, struct scx_exit_info *ei) { UEI_RECORD(uei, ei); }

SCX_OPS_DEFINE(prologue_ops,
               .enqueue = (void *)prologue_enqueue,
               .init = (void *)prologue_init,
               .exit = (void *)prologue_exit,
               .name = "prologue_test");
