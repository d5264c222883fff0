/* SPDX-License-Identifier: GPL-2.0 */
/* Per-CPU kernel variables through typed ksyms, as scx's percpu.bpf.h and scx_lavd read them:
 * bpf_per_cpu_ptr / bpf_this_cpu_ptr on the ksym, CO-RE reads of the cpufreq policy, a weak
 * ksym the simulated kernel lacks, and lavd's probe read of the ksym address itself. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

extern int sd_llc_size __ksym __weak;
extern int sd_llc_id __ksym __weak;
extern int sched_core_priority __ksym __weak;
extern const unsigned long hw_pressure __ksym __weak;
extern struct cpufreq_policy *cpufreq_cpu_data __ksym;
extern struct rq runqueues __ksym;
extern int kernel_stat __ksym __weak;

s64 out[32];

SEC("syscall")
int ksyms_test(void *ctx) {
  struct cpufreq_policy **pp, *pol = 0;
  const unsigned long *hw;
  struct rq *rq;
  int *ip;
  u32 cpu;

  for (cpu = 0; cpu < 5; cpu++) {
    ip = bpf_per_cpu_ptr(&sd_llc_size, cpu);
    out[cpu] = ip ? *ip : -1;
    ip = bpf_per_cpu_ptr(&sd_llc_id, cpu);
    out[5 + cpu] = ip ? *ip : -1;
    pp = bpf_per_cpu_ptr(&cpufreq_cpu_data, cpu);
    out[10 + cpu] = pp && *pp ? (s64)BPF_CORE_READ(*pp, cpuinfo.max_freq) : -1;
    rq = bpf_per_cpu_ptr(&runqueues, cpu);
    out[15 + cpu] = rq ? rq->cpu : -1;
  }
  ip = bpf_this_cpu_ptr(&sd_llc_id);
  out[20] = *ip;
  out[21] = bpf_ksym_exists(&kernel_stat);
  /* scx_lavd reads (&cpufreq_cpu_data)[cpu] directly: not readable, as the kernel's percpu
   * address. */
  out[22] = bpf_probe_read_kernel(&pol, sizeof(pol), (struct cpufreq_policy **)&cpufreq_cpu_data + 1);
  ip = bpf_per_cpu_ptr(&sched_core_priority, 3);
  out[23] = ip ? *ip : -1;
  hw = bpf_per_cpu_ptr(&hw_pressure, 0);
  out[24] = hw ? (s64)*hw : -1;
  pp = bpf_this_cpu_ptr(&cpufreq_cpu_data);
  out[25] = BPF_CORE_READ(*pp, cur);
  out[26] = BPF_CORE_READ(*pp, max);
  out[27] = BPF_CORE_READ(*pp, min);
  out[28] = BPF_CORE_READ(*pp, cpu);
  return 0;
}

/* A per-CPU ksym's address is not memory the program may read. */
SEC("syscall")
int ksym_deref(void *ctx) {
  return sd_llc_size;
}

/* The copies are read-only. */
SEC("syscall")
int ksym_write(void *ctx) {
  int *ip = bpf_per_cpu_ptr(&sd_llc_size, 0);

  if (ip) *ip = 5;
  return 0;
}
