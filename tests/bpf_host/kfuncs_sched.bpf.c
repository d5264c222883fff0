/* SPDX-License-Identifier: GPL-2.0 */
/* Exercises the bpf_cpumask kfuncs, the idle/online masks, scx_bpf_events,
 * scx_bpf_select_cpu_and and scx_bpf_error/exit formatting:
 * each enqueue checks a few identities and reports a broken one with scx_bpf_error(). With
 * fail_after > 0 it calls scx_bpf_error("forced failure %d", n) at that enqueue; with
 * exit_after > 0 it calls scx_bpf_exit(7, "done after %d", n). */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

const volatile u32 fail_after;
const volatile u32 exit_after;
u32 nr_enqueued;
struct bpf_res_spin_lock res_lock;
/* A struct bpf_cpumask in a global, as scx_lavd's cpdom_cpumask[]: the verifier takes a pointer
 * to a struct of scalars as plain memory, so the kfuncs that change a mask accept it. */
struct bpf_cpumask global_mask;

void BPF_STRUCT_OPS(kf_enqueue, struct task_struct *p, u64 enq_flags) {
  struct bpf_cpumask *m = bpf_cpumask_create();
  const struct cpumask *online;
  u32 n = ++nr_enqueued;

  if (!m) {
    scx_bpf_error("bpf_cpumask_create failed");
    return;
  }
  bpf_cpumask_copy(m, p->cpus_ptr);
  if (bpf_cpumask_weight((const struct cpumask *)m) != p->nr_cpus_allowed)
    scx_bpf_error("weight %u != nr_cpus_allowed %d", bpf_cpumask_weight((const struct cpumask *)m),
                  p->nr_cpus_allowed);
  online = scx_bpf_get_online_cpumask();
  if (!bpf_cpumask_subset((const struct cpumask *)m, online)) scx_bpf_error("cpus_ptr not within online");
  scx_bpf_put_cpumask(online);
  bpf_cpumask_clear(m);
  bpf_cpumask_set_cpu(1, m);
  if (!bpf_cpumask_test_cpu(1, (const struct cpumask *)m) || bpf_cpumask_first((const struct cpumask *)m) != 1)
    scx_bpf_error("set_cpu/test_cpu/first broken");
  bpf_cpumask_release(m);
  bpf_cpumask_setall(&global_mask);
  bpf_cpumask_clear(&global_mask);
  bpf_cpumask_set_cpu(2, &global_mask);
  bpf_cpumask_set_cpu(3, &global_mask);
  bpf_cpumask_clear_cpu(3, &global_mask);
  if (!bpf_cpumask_test_cpu(2, (const struct cpumask *)&global_mask) ||
      bpf_cpumask_weight((const struct cpumask *)&global_mask) != 1)
    scx_bpf_error("a global bpf_cpumask is not changed in place");
  {
    /* The load went through bypass once; an idle CPU found for p is one p may use. */
    struct scx_event_stats ev = {};
    s32 cpu;

    scx_bpf_events(&ev, sizeof(ev));
    if (ev.SCX_EV_BYPASS_ACTIVATE != 1) scx_bpf_error("bypass activations %lld", ev.SCX_EV_BYPASS_ACTIVATE);
    cpu = scx_bpf_select_cpu_and(p, scx_bpf_task_cpu(p), 0, p->cpus_ptr, 0);
    if (cpu >= 0 ? !bpf_cpumask_test_cpu(cpu, p->cpus_ptr) : cpu != -16)
      scx_bpf_error("select_cpu_and gave %d", cpu);
  }
  {
    /* 6.15+ generic kfuncs: bits iterator, cpumask_populate, the resilient spin lock; 6.18+/6.19+
     * scx ones: cpu_curr, locked_rq, task_set_slice. */
    u64 words[2] = {0x5, 0x1};
    u64 src[16] = {0x3}; /* nr_cpu_ids <= 1024 bits: what populate reads */
    struct bpf_iter_bits it;
    struct bpf_cpumask *pm = bpf_cpumask_create();
    struct rq *rq = scx_bpf_locked_rq();
    int *bit, sum = 0, count = 0;

    if ((count = bpf_iter_bits_new(&it, words, 2))) scx_bpf_error("bits_new %d", count);
    while ((bit = bpf_iter_bits_next(&it))) {
      sum += *bit;
      count++;
    }
    bpf_iter_bits_destroy(&it);
    if (count != 3 || sum != 66) scx_bpf_error("bits iterator: %d bits summing to %d", count, sum);
    if (pm) {
      if (bpf_cpumask_populate((struct cpumask *)pm, src, sizeof(src)) ||
          bpf_cpumask_weight((const struct cpumask *)pm) != 2)
        scx_bpf_error("cpumask_populate");
      if (bpf_cpumask_populate((struct cpumask *)pm, src, 4) != -13) scx_bpf_error("populate size check");
      bpf_cpumask_release(pm);
    }
    if (bpf_res_spin_lock(&res_lock) || bpf_res_spin_lock(&res_lock) != -35) scx_bpf_error("res_spin_lock AA");
    bpf_res_spin_unlock(&res_lock);
    if (!scx_bpf_cpu_curr(scx_bpf_task_cpu(p))) scx_bpf_error("cpu_curr");
    if (!rq || rq->cpu != scx_bpf_task_cpu(p)) scx_bpf_error("locked_rq");
    if (!scx_bpf_task_set_slice(p, 1234) || p->scx.slice != 1234) scx_bpf_error("task_set_slice");
  }
  if (fail_after && n == fail_after) scx_bpf_error("forced failure %d", n);
  if (exit_after && n == exit_after) scx_bpf_exit(7, "done after %d", n);
  scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(kf_ops, .enqueue = (void *)kf_enqueue, .name = "kfuncs");
