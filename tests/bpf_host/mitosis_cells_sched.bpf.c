/* SPDX-License-Identifier: GPL-2.0 */
/* scx_mitosis's interface to its user space's cell manager (scheds/rust/scx_mitosis/src/bpf/intf.h
 * at sched-ext/scx 7a58a3a1a: struct cell_config, cpuset_seq, applied_cpuset_seq and the
 * SEC("syscall") apply_cell_config), rewritten around a global FIFO so that tests can read what
 * the hosted cell manager (src/bpf/host/mitosis/) writes:
 * - apply_cell_config counts its runs and copies the first entries of cell_config into seen_*;
 *   it returns apply_return (0 unless a test sets it);
 * - cpuset_seq is bumped by tests (scx_mitosis bumps it in fentry/cpuset_write_resmask). */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define MAX_CELLS 256
#define MAX_CPUS_U8 64
#define SEEN 4

struct cell_assignment {
  u64 cgid;
  u32 cell_id;
};

struct cell_cpumask_data {
  unsigned char mask[MAX_CPUS_U8];
};

struct cell_config {
  u32 num_cell_assignments;
  u32 num_cells;
  struct cell_assignment assignments[MAX_CELLS];
  struct cell_cpumask_data cpumasks[MAX_CELLS];
  struct cell_cpumask_data borrowable_cpumasks[MAX_CELLS];
};

struct cell_config cell_config;
u32 cpuset_seq, applied_cpuset_seq;
s32 apply_return;
u64 applies;
u32 seen_num_cells, seen_num_assignments;
u64 seen_cgid[SEEN];
u32 seen_cell_id[SEEN];
u8 seen_mask[SEEN], seen_borrowable[SEEN];

SEC("syscall")
int apply_cell_config(void *ctx)
{
  int i;

  applies++;
  seen_num_cells = cell_config.num_cells;
  seen_num_assignments = cell_config.num_cell_assignments;
  for (i = 0; i < SEEN; i++) {
    seen_cgid[i] = cell_config.assignments[i].cgid;
    seen_cell_id[i] = cell_config.assignments[i].cell_id;
    seen_mask[i] = cell_config.cpumasks[i].mask[0];
    seen_borrowable[i] = cell_config.borrowable_cpumasks[i].mask[0];
  }
  return apply_return;
}

void BPF_STRUCT_OPS(mitosis_cells_enqueue, struct task_struct *p, u64 enq_flags)
{
  scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(mitosis_cells_ops,
               .enqueue = (void *)mitosis_cells_enqueue,
               .name = "mitosis_cells");
