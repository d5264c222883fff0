#include "policy/llc.h"

#include <algorithm>

#include "kernel/ext/ext_class.h"
#include "kernel/kernel.h"

namespace scx {

LlcPolicy::LlcPolicy() {
  info_.name = "llc";
  for (ScxOp op : {ScxOp::SelectCpu, ScxOp::Enqueue, ScxOp::Dispatch, ScxOp::Init})
    info_.implemented.set(static_cast<size_t>(op));
}

s32 LlcPolicy::select_cpu(task_struct* p, s32 prev_cpu, u64) {
  if (kf().test_and_clear_cpu_idle(prev_cpu)) {
    kf().dsq_insert(p, SCX_DSQ_LOCAL, kSliceNs, 0);
    return prev_cpu;
  }
  // An idle CPU within prev's LLC and the task's affinity.
  cpumask allowed{};
  const cpumask& llc = llc_mask_[cpu_llc_[prev_cpu]];
  for (size_t i = 0; i < sizeof(allowed.bits) / sizeof(allowed.bits[0]); ++i)
    allowed.bits[i] = llc.bits[i] & p->cpus_ptr->bits[i];
  s32 cpu = kf().pick_idle_cpu(&allowed, 0);
  if (cpu >= 0) {
    kf().dsq_insert(p, SCX_DSQ_LOCAL, kSliceNs, 0);
    return cpu;
  }
  return prev_cpu;
}

void LlcPolicy::enqueue(task_struct* p, u64 enq_flags) {
  kf().dsq_insert(p, static_cast<u64>(cpu_llc_[kf().task_cpu(p)]), kSliceNs, enq_flags);
}

void LlcPolicy::dispatch(s32 cpu, task_struct*) {
  const int own = cpu_llc_[cpu];
  if (kf().dsq_move_to_local(static_cast<u64>(own))) return;
  for (int other : steal_order_[own])
    if (kf().dsq_move_to_local(static_cast<u64>(other))) return;
}

s32 LlcPolicy::init() {
  const Topology& t = kf().kernel().topo();
  cpu_llc_.resize(t.nr_cpus());
  llc_mask_.assign(t.nr_llcs(), cpumask{});
  for (int cpu = 0; cpu < t.nr_cpus(); ++cpu) {
    const int llc = t.cpu(cpu).llc;
    cpu_llc_[cpu] = llc;
    llc_mask_[llc].bits[cpu / 64] |= 1UL << (cpu % 64);
  }
  // Steal order: other LLCs by NUMA distance from ours, then by index.
  steal_order_.assign(t.nr_llcs(), {});
  for (int llc = 0; llc < t.nr_llcs(); ++llc) {
    const int node = t.cpu(t.llc_cpus(llc).first()).node;
    std::vector<int> others;
    for (int o = 0; o < t.nr_llcs(); ++o)
      if (o != llc) others.push_back(o);
    std::stable_sort(others.begin(), others.end(), [&](int a, int b) {
      return t.node_distance(node, t.cpu(t.llc_cpus(a).first()).node) <
             t.node_distance(node, t.cpu(t.llc_cpus(b).first()).node);
    });
    steal_order_[llc] = others;
  }
  for (int llc = 0; llc < t.nr_llcs(); ++llc) {
    s32 ret = kf().create_dsq(static_cast<u64>(llc), t.cpu(t.llc_cpus(llc).first()).node);
    if (ret) return ret;
  }
  return 0;
}

}  // namespace scx
