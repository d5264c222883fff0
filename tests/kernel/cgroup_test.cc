// The cgroup core: the controller files' formats, the hierarchy, the kernel objects BPF reads,
// and what the scheduler core does with a workload's cgroups (placement, cpusets, timed moves
// and writes, errors).
#include "harness.h"
#include "base/cpulist.h"
#include "kernel/cgroup/cgroup.h"

namespace scx::testing {
namespace {

TEST(CgroupFiles, WeightsAndNiceFollowTheKernelConversions) {
  EXPECT_EQ(parse_cpu_weight("300\n").value(), 300u);
  EXPECT_FALSE(parse_cpu_weight("0").ok());
  EXPECT_FALSE(parse_cpu_weight("10001").ok());
  EXPECT_EQ(parse_cpu_weight("x").status().message(), "cpu.weight: \"x\" is not a weight in 1..10000");
  // sched_prio_to_weight[nice + 20] * 100 / 1024, rounded: nice 0 -> 1024 -> 100,
  // nice -20 -> 88761 -> 8668.07 -> 8668, nice 19 -> 15 -> 1.46 -> 1, nice 5 -> 335 -> 32.7 -> 33.
  EXPECT_EQ(parse_cpu_weight_nice("0").value(), 100u);
  EXPECT_EQ(parse_cpu_weight_nice("-20").value(), 8668u);
  EXPECT_EQ(parse_cpu_weight_nice("19").value(), 1u);
  EXPECT_EQ(parse_cpu_weight_nice("5").value(), 33u);
  EXPECT_FALSE(parse_cpu_weight_nice("20").ok());
  // tg->shares = weight * 1024 / 100, rounded: 100 -> 1024, 300 -> 3072, 33 -> 337.92 -> 338.
  EXPECT_EQ(shares_from_cgroup_weight(100), 1024u);
  EXPECT_EQ(shares_from_cgroup_weight(300), 3072u);
  EXPECT_EQ(shares_from_cgroup_weight(33), 338u);
  // Reading cpu.weight.nice back: the closest table weight to the shares (338 is nearest 335,
  // nice 5; 1024 is nice 0).
  EXPECT_EQ(cgroup_weight_to_nice(33), 5);
  EXPECT_EQ(cgroup_weight_to_nice(100), 0);
  // v1's cpu.shares sets tg->shares directly; cpu.weight reads it back rounded and clamped:
  // 262144 -> 25600 -> 10000, 3072 -> 300, 2 -> 0.2 -> 1.
  EXPECT_EQ(parse_cpu_shares("262144").value(), 262144u);
  EXPECT_FALSE(parse_cpu_shares("1").ok());
  EXPECT_EQ(cgroup_weight_from_shares(262144), 10000u);
  EXPECT_EQ(cgroup_weight_from_shares(3072), 300u);
  EXPECT_EQ(cgroup_weight_from_shares(2), 1u);
  // Every cpu.weight survives the round trip through tg->shares.
  for (uint32_t w = kCgroupWeightMin; w <= kCgroupWeightMax; ++w)
    ASSERT_EQ(cgroup_weight_from_shares(shares_from_cgroup_weight(w)), w);
}

TEST(CgroupFiles, CpuMaxIsQuotaAndPeriodInMicroseconds) {
  CpuMax m = parse_cpu_max("50000 100000").value();
  EXPECT_EQ(m.quota, ms(50));
  EXPECT_EQ(m.period, ms(100));
  EXPECT_EQ(format_cpu_max(m), "50000 100000");
  CpuMax unlimited = parse_cpu_max("max").value();
  EXPECT_FALSE(unlimited.limited());
  EXPECT_EQ(unlimited.period, ms(100));
  EXPECT_EQ(parse_cpu_max("max 20000").value().period, ms(20));
  EXPECT_EQ(format_cpu_max(parse_cpu_max("max 20000").value()), "max 20000");
  EXPECT_EQ(parse_cpu_max("500 100000").status().message(), "cpu.max: \"500 100000\": the quota must be at least 1000 us");
  EXPECT_EQ(parse_cpu_max("50000 2000000").status().message(),
            "cpu.max: \"50000 2000000\": the period must be 1000..1000000 us");
  EXPECT_FALSE(parse_cpu_max("lots").ok());
  EXPECT_TRUE(parse_cpu_idle("1").value());
  EXPECT_FALSE(parse_cpu_idle("2").ok());
}

TEST(CgroupTree, MkdirRmdirIdsAndPreorder) {
  CgroupTree t(CpuMask::first_n(4));
  EXPECT_EQ(t.root().id(), 1u);
  EXPECT_EQ(t.root().path(), "/");
  EXPECT_EQ(t.mkdir("/a/b").status().message(), "cannot create cgroup \"/a/b\": \"/a\" does not exist");
  Cgroup* b = t.mkdir_p("/a/b").value();
  Cgroup* c = t.mkdir("/c").value();
  Cgroup* a = t.find("/a");
  ASSERT_NE(a, nullptr);
  // Ids in creation order: /a 2, /a/b 3, /c 4.
  EXPECT_EQ(a->id(), 2u);
  EXPECT_EQ(b->id(), 3u);
  EXPECT_EQ(c->id(), 4u);
  EXPECT_EQ(b->level(), 2);
  EXPECT_EQ(t.find_by_id(3), b);
  std::vector<std::string> order;
  for (Cgroup* g : t.preorder()) order.push_back(g->path());
  EXPECT_EQ(order, (std::vector<std::string>{"/", "/a", "/a/b", "/c"}));
  EXPECT_FALSE(t.mkdir("/c").ok());
  EXPECT_FALSE(t.mkdir("/c//d").ok());
  EXPECT_FALSE(t.mkdir("c").ok());
  EXPECT_EQ(t.rmdir(*a).message(), "/a: cannot remove a cgroup that has children");
  t.attach(*b, 1000);
  EXPECT_EQ(t.rmdir(*b).message(), "/a/b: cannot remove a cgroup that has tasks");
  t.detach(*b, 1000);
  EXPECT_TRUE(t.rmdir(*b).ok());
  EXPECT_EQ(t.find("/a/b"), nullptr);
  // A new cgroup takes a new id, never a removed one.
  EXPECT_EQ(t.mkdir("/a/b").value()->id(), 5u);
}

TEST(CgroupTree, KernelObjectsLinkAncestorsAndKernfs) {
  CgroupTree t(CpuMask::first_n(2));
  Cgroup* b = t.mkdir_p("/a/b").value();
  Cgroup* a = t.find("/a");
  const ::cgroup* kb = b->kernel_cgroup();
  EXPECT_EQ(kb->level, 2);
  EXPECT_EQ(kb->kn->id, 3u);
  EXPECT_STREQ(kb->kn->name, "b");
  EXPECT_EQ(kb->kn->parent, a->kernfs());
  EXPECT_EQ(kb->ancestors[0], t.root().kernel_cgroup());
  EXPECT_EQ(kb->ancestors[1], a->kernel_cgroup());
  EXPECT_EQ(kb->ancestors[2], kb);
  EXPECT_EQ(b->kernel_size(), sizeof(::cgroup) + 2 * sizeof(::cgroup*));
  EXPECT_EQ(Cgroup::from_kernel(kb), b);
  EXPECT_EQ(b->css_set()->dfl_cgrp, kb);
}

TEST(CgroupTree, EffectiveCpusetIsWithinTheParentsAndFollowsIt) {
  CgroupTree t(CpuMask::first_n(8));
  Cgroup* a = t.mkdir("/a").value();
  Cgroup* b = t.mkdir("/a/b").value();
  EXPECT_EQ(b->effective_cpus().to_list(), "0-7");
  t.set_cpuset(*a, parse_cpulist("0-3").value());
  EXPECT_EQ(b->effective_cpus().to_list(), "0-3");  // inherited
  t.set_cpuset(*b, parse_cpulist("2-5").value());
  EXPECT_EQ(b->effective_cpus().to_list(), "2-3");  // within the parent's
  t.set_cpuset(*b, parse_cpulist("6-7").value());
  EXPECT_EQ(b->effective_cpus().to_list(), "0-3");  // nothing left: the parent's
  t.set_cpuset(*a, CpuMask{});
  EXPECT_EQ(b->effective_cpus().to_list(), "6-7");  // the parent unset: its own again
}

// Records the cgroup events as "t_us:type:pid:id" lines.
class CgroupRecorder : public TraceSink {
 public:
  void on_event(const TraceEvent& e) override {
    switch (e.type) {
      case TraceType::CgroupNew:
        lines.push_back(fmt::format("{}:mkdir:{}:{}", e.time / 1000, e.arg, e.comm));
        break;
      case TraceType::CgroupWrite:
        lines.push_back(fmt::format("{}:write:{}:{}={}", e.time / 1000, e.arg, e.comm, e.text));
        break;
      case TraceType::CgroupAttach:
        lines.push_back(fmt::format("{}:attach:{}:{}<-{}", e.time / 1000, e.pid, e.arg, e.arg2));
        break;
      default:
        break;
    }
  }
  std::vector<std::string> lines;
};

Workload two_groups() {
  WorkloadBuilder wb("groups");
  wb.task("a").fifo(1).program().run(ms(100));
  wb.task("b").fifo(1).cpus(CpuMask::first_n(4)).program().run(ms(100));
  Workload w = wb.build();
  w.cgroups.push_back({"/web/front", {{"cpu.weight", "300"}, {"cpuset.cpus", "2-5"}}});
  w.cgroups.push_back({"/batch", {{"cpu.max", "50000 100000"}}});
  w.tasks[0].cgroup = "/web/front";
  return w;
}

TEST(KernelCgroups, TasksStartInTheirCgroupConfinedByItsCpuset) {
  Sim s("8");
  CgroupRecorder rec;
  s.kernel->trace().subscribe(&rec);
  s.load(two_groups());
  Cgroup* front = s.kernel->cgroups().find("/web/front");
  ASSERT_NE(front, nullptr);
  EXPECT_EQ(front->weight(), 300u);
  EXPECT_EQ(s.kernel->cgroups().find("/batch")->max().quota, ms(50));
  const Task& a = *s.kernel->tasks()[0];
  const Task& b = *s.kernel->tasks()[1];
  EXPECT_EQ(a.cgroup, front);
  EXPECT_EQ(a.kt().cgroups->dfl_cgrp, front->kernel_cgroup());
  EXPECT_EQ(a.cpus_allowed.to_list(), "2-5");
  EXPECT_EQ(b.cgroup, &s.kernel->cgroups().root());
  EXPECT_EQ(b.cpus_allowed.to_list(), "0-3");
  EXPECT_EQ(front->tasks(), std::vector<int>{a.pid});
  // /web is made before /web/front; a's attach follows its task_new.
  EXPECT_EQ(rec.lines, (std::vector<std::string>{
                           "0:mkdir:2:/web", "0:mkdir:3:/web/front", "0:write:3:cpu.weight=300",
                           "0:write:3:cpuset.cpus=2-5", "0:mkdir:4:/batch", "0:write:4:cpu.max=50000 100000",
                           fmt::format("0:attach:{}:3<-0", a.pid)}));
}

TEST(KernelCgroups, TimedMovesAndCpusetWritesApplyAtTheirTime) {
  Sim s("8");
  CgroupRecorder rec;
  s.kernel->trace().subscribe(&rec);
  Workload w = two_groups();
  // At 10 ms b (in the root, cpus 0-3) moves to /web/front (cpus 2-5): its cpus become 2-3; at
  // 20 ms /web/front's cpuset becomes 4-7, which b's own mask does not meet: b gets 4-7.
  w.cgroup_events.push_back({.at = ms(10), .cgroup = 0, .task = 1});
  w.cgroup_events.push_back({.at = ms(20), .cgroup = 0, .file = "cpuset.cpus", .value = "4-7"});
  s.load(w);
  const Task& b = *s.kernel->tasks()[1];
  ASSERT_TRUE(s.kernel->advance_to(ms(15)).ok());
  EXPECT_EQ(b.cgroup->path(), "/web/front");
  EXPECT_EQ(b.cpus_allowed.to_list(), "2-3");
  EXPECT_TRUE(b.cpus_allowed.test(b.cpu) || !b.on_rq);
  ASSERT_TRUE(s.kernel->advance_to(ms(25)).ok());
  EXPECT_EQ(b.cpus_allowed.to_list(), "4-7");
  EXPECT_EQ(s.kernel->tasks()[0]->cpus_allowed.to_list(), "4-7");
  EXPECT_TRUE(s.kernel->check_invariants().ok());
  EXPECT_EQ(rec.lines.back(), "20000:write:3:cpuset.cpus=4-7");
  EXPECT_EQ(rec.lines[rec.lines.size() - 2], fmt::format("10000:attach:{}:3<-1", b.pid));
}

TEST(KernelCgroups, ForkedChildrenStayInTheParentsCgroup) {
  Sim s("2");
  WorkloadBuilder wb("fork");
  wb.task("child").fifo(1).instances(0).program().run(ms(1));
  wb.task("parent").fifo(1).program().fork("child", 2).run(ms(1));
  Workload w = wb.build();
  w.cgroups.push_back({"/p", {}});
  w.tasks[1].cgroup = "/p";
  s.load(w);
  ASSERT_TRUE(s.kernel->run_until(ms(5)).ok());
  Cgroup* p = s.kernel->cgroups().find("/p");
  ASSERT_EQ(p->tasks().size(), 3u);
  for (const auto& t : s.kernel->tasks()) EXPECT_EQ(t->cgroup, p) << t->comm;
}

TEST(KernelCgroups, V1SharesAndV2WeightWriteTheSameGroupWeight) {
  Sim s("8");
  s.load(two_groups());
  Cgroup& front = *s.kernel->cgroups().find("/web/front");
  ASSERT_TRUE(s.kernel->write_cgroup_file(front, "cpu.shares", "262144").ok());
  EXPECT_EQ(front.shares(), 262144u);
  EXPECT_EQ(front.weight(), 10000u);
  ASSERT_TRUE(s.kernel->write_cgroup_file(front, "cpu.weight.nice", "-5").ok());
  EXPECT_EQ(front.shares(), 3123u);  // nice -5: 3121 -> weight 304.8 -> 305 -> 3123.2 -> 3123
  // An idle group weighs 3 and refuses weight writes; leaving idle resets it to 1024.
  ASSERT_TRUE(s.kernel->write_cgroup_file(front, "cpu.idle", "1").ok());
  EXPECT_EQ(front.shares(), 3u);
  EXPECT_EQ(s.kernel->write_cgroup_file(front, "cpu.weight", "50").message(),
            "/web/front/cpu.weight: the group is idle (cpu.idle 1): its weight cannot be set");
  ASSERT_TRUE(s.kernel->write_cgroup_file(front, "cpu.idle", "0").ok());
  EXPECT_EQ(front.shares(), 1024u);
  EXPECT_EQ(s.kernel->write_cgroup_file(s.kernel->cgroups().root(), "cpu.weight", "5").message(),
            "/cpu.weight: the root cgroup has no cpu controller files");
}

TEST(KernelCgroups, BadCgroupsAreOneLineErrors) {
  auto error = [](Workload w) {
    Sim s("8");
    Status st = s.kernel->load(w);
    return st.ok() ? std::string() : st.message();
  };
  Workload w = two_groups();
  w.cgroups[1].files = {{"cpu.max", "10 100000"}};
  EXPECT_EQ(error(w), "groups: cgroup '/batch': /batch/cpu.max: \"10 100000\": the quota must be at least 1000 us");
  w = two_groups();
  w.cgroups[1].files = {{"cpu.stat", "1"}};
  EXPECT_EQ(error(w), "groups: cgroup '/batch': /batch/cpu.stat: unknown cgroup file (cpu.weight, cpu.weight.nice, "
                      "cpu.shares, cpu.max, cpu.idle, cpuset.cpus)");
  w = two_groups();
  w.cgroups[0].files = {{"cpuset.cpus", "0-9"}};
  EXPECT_EQ(error(w), "groups: cgroup '/web/front': /web/front/cpuset.cpus: CPUs 0-9 include CPUs this 8-CPU "
                      "machine does not have");
  w = two_groups();
  w.tasks[1].cgroup = "/nowhere";
  EXPECT_EQ(error(w), "groups: task 'b': cgroup \"/nowhere\" is not among the workload's cgroups");
  w = two_groups();
  w.cgroups[0].path = "web";
  EXPECT_EQ(error(w), "groups: cgroup 'web': cgroup path \"web\" must start with '/'");
  w = two_groups();
  w.cgroup_events.push_back({.at = ms(1), .cgroup = 7, .task = 0});
  EXPECT_EQ(error(w), "groups: cgroup event at 1ms: refers to unknown cgroup 7");
}

}  // namespace
}  // namespace scx::testing
