// Random fair workloads on random topologies, invariants checked every simulated ms.
#include "random_fair.h"

namespace scx::testing {
namespace {

TEST(FairInvariants, RandomWorkloadsOnRandomTopologies) { check_random_fair_workloads(48, ms(500)); }
TEST(FairInvariants, RandomWorkloadsOnRandomTopologies618) {
  check_random_fair_workloads(14, ms(500), KernelVersion::V6_18);
}

}  // namespace
}  // namespace scx::testing
