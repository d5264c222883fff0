/* SPDX-License-Identifier: GPL-2.0 */
/* A global FIFO whose tasks wait in queue maps that only user space can create, as scx_pair's
 * per-cgroup queues: `queues` is an array of maps, empty in the object, that a profile fills
 * ("maps": {"queues": {"count": ..., "key": "i", "inner_map": {...}}}).
 * - ops.enqueue pushes the pid into queue pid % NR_QUEUES (a missing queue is an error exit,
 *   "no queue N"; a full one sends the task straight to the global DSQ);
 * - ops.dispatch pops from each queue in turn and inserts the task into the global DSQ.
 * Counters for tests: nr_pushed, nr_popped, nr_full, nr_gone (popped pids whose task exited). */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define NR_QUEUES 4

u64 nr_pushed, nr_popped, nr_full, nr_gone;

struct pid_queue {
  __uint(type, BPF_MAP_TYPE_QUEUE);
  __uint(max_entries, 64);
  __type(value, u32);
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
  __uint(max_entries, NR_QUEUES);
  __type(key, u32);
  __array(values, struct pid_queue);
} queues SEC(".maps");

void BPF_STRUCT_OPS(moq_enqueue, struct task_struct *p, u64 enq_flags) {
  u32 idx = (u32)p->pid % NR_QUEUES, pid = p->pid;
  void *q = bpf_map_lookup_elem(&queues, &idx);

  if (!q) {
    scx_bpf_error("no queue %u", idx);
    return;
  }
  if (bpf_map_push_elem(q, &pid, 0)) {
    nr_full++;
    scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
    return;
  }
  nr_pushed++;
}

/* One task from queue idx into the global DSQ; false when the queue is empty. */
static bool move_one(u32 idx) {
  void *q = bpf_map_lookup_elem(&queues, &idx);
  struct task_struct *p;
  u32 pid;

  if (!q || bpf_map_pop_elem(q, &pid)) return false;
  nr_popped++;
  p = bpf_task_from_pid(pid);
  if (!p) {
    nr_gone++;
    return true;
  }
  scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, 0);
  bpf_task_release(p);
  return true;
}

void BPF_STRUCT_OPS(moq_dispatch, s32 cpu, struct task_struct *prev) {
  u32 idx;

  bpf_for(idx, 0, NR_QUEUES) {
    if (move_one(idx)) return;
  }
}

SCX_OPS_DEFINE(moq_ops,
               .enqueue = (void *)moq_enqueue,
               .dispatch = (void *)moq_dispatch,
               .name = "map_of_queues");
