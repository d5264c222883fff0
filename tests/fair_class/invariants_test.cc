// Random fair workloads on random topologies, invariants checked every simulated ms.
#include "random_fair.h"

namespace scx::testing {
namespace {

TEST(FairInvariants, RandomWorkloadsOnRandomTopologies) { check_random_fair_workloads(48, ms(500)); }

}  // namespace
}  // namespace scx::testing
