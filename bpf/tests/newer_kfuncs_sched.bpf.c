/* SPDX-License-Identifier: GPL-2.0 */
/* A vtime scheduler through the kfuncs newer than 6.12 that the public scx schedulers reach:
 * 6.19's __scx_bpf_select_cpu_and / __scx_bpf_dsq_insert_vtime, bpf_rdonly_cast,
 * bpf_preempt_disable/enable, task_struct.migration_disabled, and the compat flavors the
 * simulated kernel leaves unresolved. Any surprise is an scx_bpf_error(). Every task's mm and numa_preferred_nid are checked too (exit_after_threads
 * ends the run once threads of a process were seen). */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define DSQ 7

const volatile u32 exit_after_threads; /* > 0: scx_bpf_exit once that many threads were seen */
const volatile u64 exit_after_utime;   /* > 0: scx_bpf_exit once a task has that much utime */
u32 nr_threads_seen;                   /* enqueues of tasks whose pid != tgid */
extern int CONFIG_HZ __kconfig;

/* tgid -> the mm its first task had, and back: a thread group has one mm, no two share one. */
struct { __uint(type, BPF_MAP_TYPE_HASH); __type(key, s32); __type(value, u64); __uint(max_entries, 4096); } group_mm SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __type(key, u64); __type(value, s32); __uint(max_entries, 4096); } mm_group SEC(".maps");

static void check_mm(struct task_struct *p) {
  u64 mm = (u64)p->mm, *seen;
  s32 tgid = p->tgid;

  if (p->numa_preferred_nid != -1) scx_bpf_error("numa_preferred_nid %d", p->numa_preferred_nid);
  if (!mm != !!(p->flags & PF_KTHREAD)) scx_bpf_error("mm %llx for flags %x", mm, p->flags);
  if (p->utime % (1000000000ULL / CONFIG_HZ) || (mm && p->stime)) scx_bpf_error("utime %llu stime %llu", p->utime, p->stime);
  if (exit_after_utime && p->utime >= exit_after_utime) scx_bpf_exit(0, "utime ok");
  if (!mm) return;
  seen = bpf_map_lookup_elem(&group_mm, &tgid);
  if (!seen) bpf_map_update_elem(&group_mm, &tgid, &mm, BPF_NOEXIST);
  else if (*seen != mm) scx_bpf_error("tgid %d: two mms", tgid);
  s32 *owner = bpf_map_lookup_elem(&mm_group, &mm);
  if (!owner) bpf_map_update_elem(&mm_group, &mm, &tgid, BPF_NOEXIST);
  else if (*owner != tgid) scx_bpf_error("tgids %d and %d share an mm", *owner, tgid);
  if (p->pid != p->tgid && ++nr_threads_seen == exit_after_threads)
    scx_bpf_exit(0, "threads ok after %u", nr_threads_seen);
}

bool scx_bpf_dsq_insert___v2___compat(struct task_struct *p, u64 dsq_id, u64 slice, u64 enq_flags) __ksym __weak;
void scx_bpf_reenqueue_local___v2___compat(void) __ksym __weak;
bool scx_bpf_dsq_move_to_local___v2(u64 dsq_id, u64 enq_flags) __ksym __weak;

s32 BPF_STRUCT_OPS(nk_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags) {
  struct scx_bpf_select_cpu_and_args args = {.prev_cpu = prev_cpu, .wake_flags = wake_flags, .flags = 0};
  s32 cpu = __scx_bpf_select_cpu_and(p, p->cpus_ptr, &args);

  if (cpu >= 0 && !bpf_cpumask_test_cpu(cpu, p->cpus_ptr)) scx_bpf_error("select_cpu_and gave %d", cpu);
  if (cpu < 0 && cpu != -16) scx_bpf_error("select_cpu_and error %d", cpu);
  return cpu >= 0 ? cpu : prev_cpu;
}

void BPF_STRUCT_OPS(nk_enqueue, struct task_struct *p, u64 enq_flags) {
  struct scx_bpf_dsq_insert_vtime_args args = {
      .dsq_id = DSQ, .slice = SCX_SLICE_DFL, .vtime = p->scx.dsq_vtime, .enq_flags = enq_flags};
  const struct task_struct *ro = bpf_rdonly_cast(p, 0);

  if (ro != p || ro->pid != p->pid) scx_bpf_error("rdonly_cast");
  if (p->migration_disabled) scx_bpf_error("migration_disabled %d", p->migration_disabled);
  check_mm(p);
  if (bpf_ksym_exists(scx_bpf_dsq_insert___v2___compat) || bpf_ksym_exists(scx_bpf_reenqueue_local___v2___compat) ||
      bpf_ksym_exists(scx_bpf_dsq_move_to_local___v2))
    scx_bpf_error("a newer flavor resolved");
  bpf_preempt_disable();
  if (!__scx_bpf_dsq_insert_vtime(p, &args)) scx_bpf_error("insert_vtime refused");
  bpf_preempt_enable();
}

void BPF_STRUCT_OPS(nk_dispatch, s32 cpu, struct task_struct *prev) {
  scx_bpf_dsq_move_to_local(DSQ);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(nk_init) {
  return scx_bpf_create_dsq(DSQ, -1);
}

SCX_OPS_DEFINE(nk_ops, .select_cpu = (void *)nk_select_cpu, .enqueue = (void *)nk_enqueue,
               .dispatch = (void *)nk_dispatch, .init = (void *)nk_init, .name = "newer_kfuncs");
