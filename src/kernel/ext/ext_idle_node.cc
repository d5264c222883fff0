// 6.15's per-node idle kfuncs (SCX_OPS_BUILTIN_IDLE_PER_NODE, kernel/sched/ext_idle.c): the
// idle masks of one NUMA node and idle picks that start there. Without the flag each of them
// is a scheduler error; with it, the global-mask kfuncs are (ext_idle.cc).
#include <fmt/format.h>

#include "kernel/ext/ext_class.h"
#include "kernel/ext/ext_internal.h"
#include "kernel/kernel.h"

namespace scx {
namespace {
constexpr int kENOENT = 2;
constexpr int kEBUSY = 16;
constexpr int kEINVAL = 22;
constexpr int kEOPNOTSUPP = 95;
}  // namespace

s32 ExtClass::validate_node(s32 node) {
  if (!idle_per_node_) {
    scx_error(SCX_EXIT_ERROR, 0, "per-node idle tracking is disabled");
    return -kEOPNOTSUPP;
  }
  if (node == -1) return -kENOENT;  // NUMA_NO_NODE: no entry, not an error
  if (node < 0 || node >= k_.topo().nr_nodes()) {
    scx_error(SCX_EXIT_ERROR, 0, fmt::format("invalid node {}", node));
    return -kEINVAL;
  }
  return node;
}

const cpumask* ExtClass::get_idle_cpumask_node(s32 node) {
  node = validate_node(node);
  if (node < 0) return no_cpus();
  cpumask* view = &node_idle_views_[2 * static_cast<size_t>(node)];
  copy_mask(idle_cpu_ & k_.topo().node_cpus(node), view);
  return view;
}

const cpumask* ExtClass::get_idle_smtmask_node(s32 node) {
  node = validate_node(node);
  if (node < 0) return no_cpus();
  cpumask* view = &node_idle_views_[2 * static_cast<size_t>(node) + 1];
  copy_mask((k_.topo().has_smt() ? idle_smt_ : idle_cpu_) & k_.topo().node_cpus(node), view);
  return view;
}

s32 ExtClass::pick_idle_cpu_node(const cpumask* allowed, s32 node, u64 flags) {
  node = validate_node(node);
  if (node < 0) return node;
  return pick_idle_cpu_mask(mask_from(allowed), node, flags);
}

s32 ExtClass::pick_any_cpu_node(const cpumask* allowed, s32 node, u64 flags) {
  node = validate_node(node);
  if (node < 0) return node;
  const CpuMask m = mask_from(allowed) & k_.topo().all_cpus();
  s32 cpu = pick_idle_cpu_mask(m, node, flags);
  if (cpu >= 0) return cpu;
  // No idle CPU: any allowed one, of the node only with SCX_PICK_IDLE_IN_NODE.
  const CpuMask& from = (flags & SCX_PICK_IDLE_IN_NODE) ? k_.topo().node_cpus(node) : k_.topo().all_cpus();
  cpu = k_.any_and_distribute(from, m);
  return cpu >= 0 ? cpu : -kEBUSY;
}

}  // namespace scx
