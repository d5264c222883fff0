// The simulated kernel's per-CPU variables that sched_ext schedulers reach through typed
// `__ksym` externs (scx's percpu.bpf.h, scx_lavd): each is a DEFINE_PER_CPU variable in the
// kernel, so the address the loader gives the extern (table(), for LoadOptions::ksyms) is a
// handle that programs pass to bpf_per_cpu_ptr / bpf_this_cpu_ptr and cannot dereference or
// probe-read (as the kernel's percpu address: a probe read of it fails with -EFAULT). A CPU's
// copy is read-only to programs; a CPU >= nr_cpu_ids has none (NULL).
//
//   sd_llc_size, sd_llc_id (int)    the CPU's LLC: its number of CPUs and its first CPU
//                                   (update_top_cache_domain)
//   sched_core_priority (int)       the ITMT priority: the CPU's capacity on a machine whose
//                                   capacities differ, 0 elsewhere (no ITMT)
//   hw_pressure (unsigned long)     0: no thermal pressure is simulated
//   cpufreq_cpu_data                a struct cpufreq_policy * per CPU, its own policy: the CPUs
//                                   run at a fixed frequency, capacity * 3 GHz / 1024 (kHz:
//                                   cur = min = max = cpuinfo.min_freq = cpuinfo.max_freq)
//   runqueues (struct rq)           the CPU's rq as the scx kfuncs show it (rq_of)
// Not provided (weak in every scheduler that names them, so bpf_ksym_exists() is false):
// kernel_cpustat, kernel_stat, psi_group_cpu, sugov_cpu, vm_event_states, __preempt_count and
// pcpu_hot (the scx helpers then report process context).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bpf/helpers/helpers.h"
#include "bpf/loader/kfuncs.h"
#include "scxsim/kernel_types.h"
#include "topo/topology.h"

namespace scx::bpf {

class KernelKsyms {
 public:
  // The per-CPU data of a machine of nr_cpus CPUs; without a topology, one LLC of every CPU
  // and full capacity.
  KernelKsyms(uint32_t nr_cpus, const Topology* topo);
  ~KernelKsyms();
  KernelKsyms(const KernelKsyms&) = delete;
  KernelKsyms& operator=(const KernelKsyms&) = delete;

  const KsymTable& table() const { return table_; }
  // Registers the handles and copies in `memory` and the handles with `helpers`; runqueues'
  // copies come from rq_of(cpu) (an address programs can read, 0 for none) at each call.
  void install(HelperEnv& helpers, AddressSpace& memory, std::function<uint64_t(uint32_t)> rq_of);
  void uninstall(AddressSpace& memory);

  const cpufreq_policy& policy(uint32_t cpu) const { return policies_[cpu]; }

 private:
  struct Var {
    std::string name;
    size_t elem_size = 0;
    const void* copies = nullptr;              // elem_size bytes per CPU, or nullptr (rq_of)
    std::unique_ptr<uint8_t[]> handle_block;   // inaccessible; the handle is its address
  };
  void add_var(const char* name, size_t elem_size, const void* copies);
  uint64_t handle(const Var& v) const { return reinterpret_cast<uint64_t>(v.handle_block.get()); }

  uint32_t nr_cpus_;
  std::vector<int32_t> llc_size_, llc_id_, core_priority_;
  std::vector<uint64_t> hw_pressure_;
  std::vector<cpufreq_policy> policies_;
  std::vector<const cpufreq_policy*> policy_ptrs_;
  std::vector<Var> vars_;
  KsymTable table_;
  std::vector<uint64_t> mapped_;  // region bases added by install()
};

}  // namespace scx::bpf
