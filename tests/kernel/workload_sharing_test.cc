// The kernel keeps a shared workload rather than a copy of it (issue #12: the workload held once
// per run): tasks run the caller's programs.
#include "harness.h"

namespace scx::testing {
namespace {

TEST(WorkloadSharing, TasksRunTheCallersPrograms) {
  Sim s("2");
  WorkloadBuilder wb("shared");
  wb.task("a").fifo(10).program().run(ms(1));  // rt: the bare kernel has no fair class
  wb.task("b").fifo(10).program().run(ms(2));
  const auto workload = std::make_shared<const Workload>(wb.build());
  const Status st = s.kernel->load(workload);
  ASSERT_TRUE(st.ok()) << st.message();
  // Two tasks, one program each, in creation order: each points into the caller's workload.
  ASSERT_EQ(s.kernel->tasks().size(), 2u);
  EXPECT_EQ(s.kernel->tasks()[0]->program, &workload->programs[0]);
  EXPECT_EQ(s.kernel->tasks()[1]->program, &workload->programs[1]);
  EXPECT_EQ(workload.use_count(), 2);  // the caller and the kernel
  ASSERT_TRUE(s.kernel->run_until_idle(ms(10)).ok());
}

}  // namespace
}  // namespace scx::testing
