/* SPDX-License-Identifier: GPL-2.0 */
/* CO-RE relocation subject: every relocation kind, ___flavor handling, and direct field
 * access. The test compares out[] with offsetof() in the C++ view of kernel_types.h, and the
 * copy compiled against the shuffled header must give identical results. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct task_struct___old {
  int does_not_exist;
  int pid;
} __attribute__((preserve_access_index));

struct not_in_kernel {
  int x;
} __attribute__((preserve_access_index));

enum scx_enq_flags___x {
  SCX_ENQ_WAKEUP___x = 1,
  SCX_ENQ_BOGUS___x = 7,
};

u64 out[24];

SEC("syscall")
int core_values(struct task_struct *p) {
  out[0] = bpf_core_field_offset(p->scx.weight);
  out[1] = bpf_core_field_offset(p->scx.dsq_vtime);
  out[2] = bpf_core_field_size(p->comm);
  out[3] = bpf_core_field_exists(p->pid);
  out[4] = bpf_core_field_exists(((struct task_struct___old *)p)->does_not_exist);
  out[5] = bpf_core_field_signed(p->pid);
  out[6] = bpf_core_field_signed(p->scx.weight);
  out[7] = bpf_core_enum_value(enum scx_dsq_id_flags, SCX_DSQ_LOCAL);
  out[8] = bpf_core_enum_value_exists(enum scx_enq_flags___x, SCX_ENQ_WAKEUP___x);
  out[9] = bpf_core_enum_value_exists(enum scx_enq_flags___x, SCX_ENQ_BOGUS___x);
  out[10] = bpf_core_type_exists(struct task_struct);
  out[11] = bpf_core_type_exists(struct not_in_kernel);
  out[12] = bpf_core_type_size(struct rq);
  out[13] = bpf_core_field_offset(((struct task_struct___old *)p)->pid);
  out[14] = BPF_CORE_READ_BITFIELD(p, pid);
  out[15] = bpf_core_type_id_kernel(struct task_struct);
  out[16] = bpf_core_type_matches(struct sched_entity);
  out[17] = bpf_core_field_size(p->cpus_ptr);
  out[18] = bpf_core_field_offset(p->scx.slice);
  out[19] = bpf_core_enum_value(enum scx_enq_flags___x, SCX_ENQ_WAKEUP___x);
  out[20] = bpf_core_field_offset(p->cpus_mask.bits[3]);
  /* direct access, relocated: read weight and pid, write dsq_vtime */
  out[21] = p->scx.weight;
  out[22] = p->pid;
  p->scx.dsq_vtime = p->scx.weight * 3 + p->se.vruntime;
  out[23] = BPF_CORE_READ(p, real_parent, pid);
  return 0;
}

/* Reads a field the simulated kernel does not have, unguarded: the instruction is poisoned. */
SEC("syscall")
int core_poison(struct task_struct *p) {
  return ((struct task_struct___old *)p)->does_not_exist;
}
