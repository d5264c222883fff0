/* SPDX-License-Identifier: GPL-2.0 */
/* Per-node idle masks (6.15's SCX_OPS_BUILTIN_IDLE_PER_NODE): a vtime scheduler that picks
 * idle CPUs with the _node kfuncs, starting in prev's node, and checks what they return
 * (scx_bpf_error on any surprise). `misuse` makes ops.enqueue call one kfunc the kernel
 * refuses in this mode, to see the error exit:
 *   1 scx_bpf_pick_idle_cpu     2 scx_bpf_get_idle_cpumask   3 scx_bpf_pick_any_cpu
 *   4 a node past nr_node_ids   5 NUMA_NO_NODE (-ENOENT, no error: exits with "enoent ok")
 * Run with a profile that clears the flag, every _node kfunc is an error. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define DSQ 9

const volatile u32 misuse;
u64 nr_node_picks, nr_remote_picks, nr_in_node_picks;

static bool mask_in_node(const struct cpumask *m, s32 node) {
  u32 nr = scx_bpf_nr_cpu_ids();
  s32 cpu;

  bpf_for(cpu, 0, nr) {
    if (bpf_cpumask_test_cpu(cpu, m) && scx_bpf_cpu_node(cpu) != node) return false;
  }
  return true;
}

/* The node's masks hold only its CPUs; the smt mask is a subset of the cpu mask. */
static void check_node_masks(s32 node) {
  const struct cpumask *idle = scx_bpf_get_idle_cpumask_node(node);
  const struct cpumask *smt = scx_bpf_get_idle_smtmask_node(node);

  if (!mask_in_node(idle, node) || !mask_in_node(smt, node)) scx_bpf_error("node %d mask has other CPUs", node);
  if (!bpf_cpumask_subset(smt, idle)) scx_bpf_error("node %d smt mask not in idle mask", node);
  scx_bpf_put_idle_cpumask(smt);
  scx_bpf_put_idle_cpumask(idle);
}

s32 BPF_STRUCT_OPS(in_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags) {
  s32 node = scx_bpf_cpu_node(prev_cpu), cpu;

  check_node_masks(node);
  cpu = scx_bpf_pick_idle_cpu_node(p->cpus_ptr, node, SCX_PICK_IDLE_IN_NODE);
  if (cpu >= 0) {
    nr_in_node_picks++;
    if (scx_bpf_cpu_node(cpu) != node) scx_bpf_error("IN_NODE pick %d outside node %d", cpu, node);
  } else {
    cpu = scx_bpf_pick_idle_cpu_node(p->cpus_ptr, node, 0);
    if (cpu >= 0 && scx_bpf_cpu_node(cpu) != node) nr_remote_picks++;
  }
  if (cpu >= 0) {
    nr_node_picks++;
    scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, 0);
    return cpu;
  }
  return prev_cpu;
}

static void misuse_kfunc(struct task_struct *p) {
  const struct cpumask *m;
  s32 ret;

  switch (misuse) {
  case 1: scx_bpf_pick_idle_cpu(p->cpus_ptr, 0); break;
  case 2:
    m = scx_bpf_get_idle_cpumask();
    scx_bpf_put_idle_cpumask(m);
    break;
  case 3: scx_bpf_pick_any_cpu(p->cpus_ptr, 0); break;
  case 4: scx_bpf_pick_idle_cpu_node(p->cpus_ptr, scx_bpf_nr_node_ids(), 0); break;
  case 5:
    ret = scx_bpf_pick_any_cpu_node(p->cpus_ptr, -1, 0);
    if (ret == -2) scx_bpf_exit(0, "enoent ok");
    else scx_bpf_error("NUMA_NO_NODE gave %d", ret);
    break;
  }
}

void BPF_STRUCT_OPS(in_enqueue, struct task_struct *p, u64 enq_flags) {
  s32 node = scx_bpf_cpu_node(scx_bpf_task_cpu(p)), cpu;

  misuse_kfunc(p);
  scx_bpf_dsq_insert_vtime(p, DSQ, SCX_SLICE_DFL, p->scx.dsq_vtime, enq_flags);
  /* Wake an idle CPU of the task's node if there is one, else any (never fails). */
  cpu = scx_bpf_pick_any_cpu_node(p->cpus_ptr, node, 0);
  if (cpu < 0) scx_bpf_error("pick_any_cpu_node gave %d", cpu);
  else scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
}

void BPF_STRUCT_OPS(in_dispatch, s32 cpu, struct task_struct *prev) {
  scx_bpf_dsq_move_to_local(DSQ);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(in_init) {
  return scx_bpf_create_dsq(DSQ, -1);
}

SCX_OPS_DEFINE(idle_node_ops, .select_cpu = (void *)in_select_cpu, .enqueue = (void *)in_enqueue,
               .dispatch = (void *)in_dispatch, .init = (void *)in_init,
               .flags = SCX_OPS_BUILTIN_IDLE_PER_NODE, .name = "idle_node");
