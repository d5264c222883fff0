#include "bpf/host/kernel_ksyms.h"

#include <algorithm>
#include <cstring>

namespace scx::bpf {

namespace {
constexpr uint64_t kFullCapacityKhz = 3'000'000;  // the frequency of a capacity-1024 CPU
}  // namespace

KernelKsyms::KernelKsyms(uint32_t nr_cpus, const Topology* topo)
    : nr_cpus_(std::max<uint32_t>(1, nr_cpus)),
      llc_size_(nr_cpus_), llc_id_(nr_cpus_), core_priority_(nr_cpus_), hw_pressure_(nr_cpus_),
      policies_(nr_cpus_), policy_ptrs_(nr_cpus_) {
  const bool asym = topo && topo->is_asymmetric();
  for (uint32_t c = 0; c < nr_cpus_; ++c) {
    const bool known = topo && static_cast<int>(c) < topo->nr_cpus();
    const CpuMask* llc = known ? &topo->llc_cpus(topo->cpu(static_cast<int>(c)).llc) : nullptr;
    llc_size_[c] = llc ? llc->weight() : static_cast<int32_t>(nr_cpus_);
    llc_id_[c] = llc ? llc->first() : 0;
    const uint32_t cap = known ? topo->cpu(static_cast<int>(c)).capacity : kCapacityScale;
    core_priority_[c] = asym ? static_cast<int32_t>(cap) : 0;
    const auto khz = static_cast<unsigned>(kFullCapacityKhz * cap / kCapacityScale);
    policies_[c] = cpufreq_policy{c, khz, khz, khz, cpufreq_cpuinfo{khz, khz, 0}};
    policy_ptrs_[c] = &policies_[c];
  }
  add_var("sd_llc_size", sizeof(int32_t), llc_size_.data());
  add_var("sd_llc_id", sizeof(int32_t), llc_id_.data());
  add_var("sched_core_priority", sizeof(int32_t), core_priority_.data());
  add_var("hw_pressure", sizeof(uint64_t), hw_pressure_.data());
  add_var("cpufreq_cpu_data", sizeof(void*), policy_ptrs_.data());
  add_var("runqueues", sizeof(struct rq), nullptr);
}

KernelKsyms::~KernelKsyms() = default;

void KernelKsyms::add_var(const char* name, size_t elem_size, const void* copies) {
  Var v;
  v.name = name;
  v.elem_size = elem_size;
  v.copies = copies;
  // As large as the copies would be, so that `handle + cpu` arithmetic stays inside it.
  v.handle_block = std::make_unique<uint8_t[]>(elem_size * nr_cpus_);
  table_[v.name] = reinterpret_cast<uint64_t>(v.handle_block.get());
  vars_.push_back(std::move(v));
}

void KernelKsyms::install(HelperEnv& helpers, AddressSpace& memory, std::function<uint64_t(uint32_t)> rq_of) {
  const uint32_t n = nr_cpus_;
  for (const Var& v : vars_) {
    const uint64_t h = handle(v);
    if (memory.add(Region{h, v.elem_size * n, kPermNone, "percpu ksym " + v.name}).ok()) mapped_.push_back(h);
    if (!v.copies) {
      helpers.add_percpu_ksym(h, [n, rq_of](uint32_t cpu) -> uint64_t { return cpu < n ? rq_of(cpu) : 0; });
      continue;
    }
    const uint64_t base = reinterpret_cast<uint64_t>(v.copies);
    if (memory.add(Region{base, v.elem_size * n, kPermRead, v.name + " (per-CPU)"}).ok()) mapped_.push_back(base);
    const size_t sz = v.elem_size;
    helpers.add_percpu_ksym(h, [n, base, sz](uint32_t cpu) -> uint64_t { return cpu < n ? base + sz * cpu : 0; });
  }
  if (memory.add(Region{reinterpret_cast<uint64_t>(policies_.data()), sizeof(cpufreq_policy) * n, kPermRead,
                        "cpufreq_policy"})
          .ok())
    mapped_.push_back(reinterpret_cast<uint64_t>(policies_.data()));
}

void KernelKsyms::uninstall(AddressSpace& memory) {
  for (uint64_t base : mapped_) memory.remove(base);
  mapped_.clear();
}

}  // namespace scx::bpf
