#include <memory>

#include "policy/central.h"
#include "policy/llc.h"
#include "policy/policy.h"
#include "policy/prio.h"
#include "policy/simple.h"

namespace scx {

const std::vector<PolicyInfo>& native_policies() {
  static const std::vector<PolicyInfo> kPolicies = {
      {"fifo", "sched_ext: one global FIFO DSQ (scx_simple, fifo mode)",
       [] { return std::make_unique<SimplePolicy>(true); }},
      {"vtime", "sched_ext: one global DSQ ordered by weighted vtime (scx_simple)",
       [] { return std::make_unique<SimplePolicy>(false); }},
      {"central", "sched_ext: CPU 0 decides for all CPUs, others run tickless (scx_central)",
       [] { return std::make_unique<CentralPolicy>(); }},
      {"prio", "sched_ext: five weighted FIFO queues by task weight (scx_qmap-like)",
       [] { return std::make_unique<PrioPolicy>(); }},
      {"llc", "sched_ext: one shared FIFO per last-level cache, stealing across LLCs",
       [] { return std::make_unique<LlcPolicy>(); }},
  };
  return kPolicies;
}

const PolicyInfo* find_native_policy(const std::string& name) {
  for (const PolicyInfo& p : native_policies())
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace scx
