// Fair group scheduling: cgroups' cpu.weight splits the CPU between task groups (hierarchical
// EEVDF, calc_group_shares()), nested groups compose, moves take effect at once, cpu.idle
// groups weigh WEIGHT_IDLEPRIO, and SMP balancing uses task_h_load(). docs/cgroups.md.
// Zero-cost model: every share below is a ratio of weights worked out by hand.
#include <functional>

#include "../kernel/harness.h"
#include "kernel/cgroup/cgroup.h"
#include "kernel/fair/fair_class.h"
#include "kernel/fair/task_group.h"

namespace scx::testing {
namespace {

FairClass& install_fair(Sim& s, KernelVersion v = KernelVersion::V6_12) {
  FairConfig cfg = FairConfig::for_kernel(v, s.topo.nr_cpus(), static_cast<unsigned>(s.kernel->cost().hz));
  auto fair = std::make_unique<FairClass>(*s.kernel, cfg);
  FairClass& ref = *fair;
  s.kernel->set_fair_class(std::move(fair));
  return ref;
}

// A workload of CPU hogs: {name, cgroup path ("" = root)}.
Workload hogs(const std::vector<std::pair<std::string, std::string>>& tasks,
              const std::vector<CgroupSpec>& cgroups) {
  WorkloadBuilder wb("groups");
  for (const auto& [name, cg] : tasks) wb.task(name).program().run(ms(1000000));
  Workload w = wb.build();
  w.cgroups = cgroups;
  for (size_t i = 0; i < tasks.size(); ++i) w.tasks[i].cgroup = tasks[i].second;
  return w;
}

Ns runtime_of(Sim& s, const std::string& comm) {
  for (const auto& t : s.kernel->tasks())
    if (t->comm == comm) return t->sum_exec_runtime;
  ADD_FAILURE() << "no task " << comm;
  return 0;
}

// Steps to `until` in 1 ms steps, checking the kernel's and the fair hierarchy's invariants.
void run_checked(Sim& s, FairClass& fair, Ns from, Ns until) {
  for (Ns t = from + ms(1); t <= until; t += ms(1)) {
    ASSERT_TRUE(s.kernel->advance_to(t).ok());
    Status inv = s.kernel->check_invariants();
    ASSERT_TRUE(inv.ok()) << "t=" << t << ": " << inv.message();
    Status h = fair.check_hierarchy();
    ASSERT_TRUE(h.ok()) << "t=" << t << ": " << h.message();
  }
}

double share(Sim& s, const std::vector<std::string>& comms, Ns total) {
  Ns sum = 0;
  for (const auto& c : comms) sum += runtime_of(s, c);
  return static_cast<double>(sum) / static_cast<double>(total);
}

// Done-when of the feature: /a (weight 100) and /b (weight 300) with two hogs each on one CPU
// get 100/400 and 300/400 of it, whatever the number of tasks inside (flat EEVDF would give
// each of the four tasks a quarter: 0.5/0.5).
TEST(FairGroup, TwoGroupsSplitOneCpuByWeight) {
  for (KernelVersion v : {KernelVersion::V6_12, KernelVersion::V6_18}) {
    Sim s("1", zero_costs(), 1, v);
    FairClass& fair = install_fair(s, v);
    s.load(hogs({{"a1", "/a"}, {"a2", "/a"}, {"b1", "/b"}, {"b2", "/b"}},
                {{"/a", {{"cpu.weight", "100"}}}, {"/b", {{"cpu.weight", "300"}}}}));
    run_checked(s, fair, 0, ms(2000));
    EXPECT_NEAR(share(s, {"a1", "a2"}, ms(2000)), 0.25, 0.01) << kernel_version_name(v);
    EXPECT_NEAR(share(s, {"b1", "b2"}, ms(2000)), 0.75, 0.01) << kernel_version_name(v);
    // Inside a group the two equal tasks split the group's share evenly.
    EXPECT_NEAR(share(s, {"a1"}, ms(2000)), 0.125, 0.01);
    EXPECT_NEAR(share(s, {"b1"}, ms(2000)), 0.375, 0.01);
  }
}

// Nested groups compose: /p (100) holds /p/x (100) and /p/y (300) beside /q (100); /p's half
// splits 1:3, so x 1/8, y 3/8, q 1/2.
TEST(FairGroup, NestedGroupsCompose) {
  Sim s("1");
  FairClass& fair = install_fair(s);
  s.load(hogs({{"x", "/p/x"}, {"y", "/p/y"}, {"q", "/q"}},
              {{"/p", {}}, {"/p/x", {}}, {"/p/y", {{"cpu.weight", "300"}}}, {"/q", {}}}));
  run_checked(s, fair, 0, ms(2000));
  EXPECT_NEAR(share(s, {"x"}, ms(2000)), 0.125, 0.01);
  EXPECT_NEAR(share(s, {"y"}, ms(2000)), 0.375, 0.01);
  EXPECT_NEAR(share(s, {"q"}, ms(2000)), 0.5, 0.01);
  // The group entities sit at depth 0 (/p, /q) and 1 (/p/x, /p/y); tasks one below.
  const fair::TaskGroup* px = fair.task_group(*s.kernel->cgroups().find("/p/x"));
  ASSERT_NE(px, nullptr);
  EXPECT_EQ(px->cpus[0]->se.depth, 1);
  EXPECT_EQ(px->cpus[0]->se.weight, fair::kNice0Load);  // one CPU: the group's whole shares
}

}  // namespace
}  // namespace scx::testing
