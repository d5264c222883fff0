// The long version of the random fair workload property test (ctest -L slow).
#include "random_fair.h"

namespace scx::testing {
namespace {

TEST(FairInvariantsSlow, ManyLongRandomWorkloads) { check_random_fair_workloads(240, ms(2000)); }

}  // namespace
}  // namespace scx::testing
