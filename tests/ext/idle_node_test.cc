// Per-node idle masks (6.15's SCX_OPS_BUILTIN_IDLE_PER_NODE, kernel/sched/ext_idle.c): the
// _node kfuncs search the given node first and then the others by distance, the flat kfuncs
// are errors with the flag and the _node ones without it.
#include <gtest/gtest.h>

#include "ext_harness.h"

namespace scx::testing {
namespace {

constexpr s32 kEBUSY = -16;
const std::string kRing = std::string(SCXSIM_SOURCE_DIR) + "/topologies/4s-ring.json";

// A policy with per-node idle masks whose ops.init runs `body` (the kfuncs work there).
RecordingPolicy& attach_with_init(ExtSim& s, uint64_t flags, std::function<void(ExtClass&)> body,
                                  std::vector<ScxOp> ops = {ScxOp::Enqueue, ScxOp::Dispatch, ScxOp::Init}) {
  auto pol = std::make_unique<RecordingPolicy>(ops, flags);
  RecordingPolicy* raw = pol.get();
  pol->on_init = [raw, body] {
    body(raw->kf());
    return 0;
  };
  return s.attach(std::move(pol));
}

cpumask mask_of(const CpuMask& m) {
  cpumask out{};
  for (int cpu : m) out.bits[cpu / 64] |= 1UL << (cpu % 64);
  return out;
}

CpuMask set_of(const cpumask* m) {
  CpuMask out;
  for (int cpu = 0; cpu < kMaxCpus; ++cpu)
    if ((m->bits[cpu / 64] >> (cpu % 64)) & 1) out.set(cpu);
  return out;
}

int node_of(const ExtSim& s, s32 cpu) { return cpu < 0 ? -1 : s.topo.cpu(cpu).node; }

TEST(ExtIdleNode, PicksStartInTheNodeThenGoByDistance) {
  ExtSim s(kRing);  // 4 nodes of 16 CPUs on a ring: 0-1 and 0-3 are 21 apart, 0-2 is 31
  const cpumask all = mask_of(s.topo.all_cpus());
  std::vector<int> nodes;
  s32 in_node_busy = 0;
  attach_with_init(s, SCX_OPS_BUILTIN_IDLE_PER_NODE, [&](ExtClass& kf) {
    nodes.push_back(node_of(s, kf.pick_idle_cpu_node(&all, 2, 0)));
    for (int cpu : s.topo.node_cpus(0)) kf.test_and_clear_cpu_idle(cpu);  // node 0 all busy
    in_node_busy = kf.pick_idle_cpu_node(&all, 0, SCX_PICK_IDLE_IN_NODE);
    nodes.push_back(node_of(s, kf.pick_idle_cpu_node(&all, 0, 0)));   // nearest: 1 (21, lower id than 3)
    for (int cpu : s.topo.node_cpus(1)) kf.test_and_clear_cpu_idle(cpu);
    nodes.push_back(node_of(s, kf.pick_idle_cpu_node(&all, 0, 0)));   // then 3 (21), before 2 (31)
    nodes.push_back(node_of(s, kf.pick_any_cpu_node(&all, 0, SCX_PICK_IDLE_IN_NODE)));  // any CPU of node 0
  });
  EXPECT_EQ(s.ext->state().state, "enabled");
  EXPECT_EQ(nodes, (std::vector<int>{2, 1, 3, 0}));
  EXPECT_EQ(in_node_busy, kEBUSY);
}

TEST(ExtIdleNode, NodeMasksHoldTheNodesIdleCpus) {
  ExtSim s("nodes=2,cores=2,smt=2");  // node 0: CPUs 0-1, 4-5; node 1: CPUs 2-3, 6-7 (cores {c, c+4})
  CpuMask idle1, smt1, idle0;
  attach_with_init(s, SCX_OPS_BUILTIN_IDLE_PER_NODE, [&](ExtClass& kf) {
    kf.test_and_clear_cpu_idle(6);
    idle1 = set_of(kf.get_idle_cpumask_node(1));
    smt1 = set_of(kf.get_idle_smtmask_node(1));
    idle0 = set_of(kf.get_idle_cpumask_node(0));
  });
  EXPECT_EQ(idle1.to_list(), "2-3,7");
  EXPECT_EQ(smt1.to_list(), "3,7");  // CPU 6's core {2, 6} is not wholly idle
  EXPECT_EQ(idle0.to_list(), "0-1,4-5");
}

TEST(ExtIdleNode, NoNodeIsENOENTWithoutAnError) {
  ExtSim s("nodes=2,cores=2");
  const cpumask all = mask_of(s.topo.all_cpus());
  s32 ret = 0;
  attach_with_init(s, SCX_OPS_BUILTIN_IDLE_PER_NODE, [&](ExtClass& kf) { ret = kf.pick_any_cpu_node(&all, -1, 0); });
  EXPECT_EQ(ret, -2);
  EXPECT_EQ(s.ext->state().state, "enabled");
}

struct Misuse {
  uint64_t flags;
  std::function<void(ExtClass&, const cpumask*)> call;
  const char* msg;
};

TEST(ExtIdleNode, WrongKfuncForTheModeIsAnError) {
  const Misuse cases[] = {
      {SCX_OPS_BUILTIN_IDLE_PER_NODE, [](ExtClass& kf, const cpumask* m) { kf.pick_idle_cpu(m, 0); },
       "per-node idle tracking is enabled"},
      {SCX_OPS_BUILTIN_IDLE_PER_NODE, [](ExtClass& kf, const cpumask* m) { kf.pick_any_cpu(m, 0); },
       "per-node idle tracking is enabled"},
      {SCX_OPS_BUILTIN_IDLE_PER_NODE, [](ExtClass& kf, const cpumask*) { kf.get_idle_cpumask(); },
       "SCX_OPS_BUILTIN_IDLE_PER_NODE enabled"},
      {SCX_OPS_BUILTIN_IDLE_PER_NODE, [](ExtClass& kf, const cpumask*) { kf.get_idle_smtmask(); },
       "SCX_OPS_BUILTIN_IDLE_PER_NODE enabled"},
      {SCX_OPS_BUILTIN_IDLE_PER_NODE, [](ExtClass& kf, const cpumask* m) { kf.pick_idle_cpu_node(m, 2, 0); },
       "invalid node 2"},
      {0, [](ExtClass& kf, const cpumask* m) { kf.pick_idle_cpu_node(m, 0, 0); }, "per-node idle tracking is disabled"},
      {0, [](ExtClass& kf, const cpumask*) { kf.get_idle_cpumask_node(0); }, "per-node idle tracking is disabled"},
  };
  for (const Misuse& c : cases) {
    SCOPED_TRACE(c.msg);
    ExtSim s("nodes=2,cores=2");
    const cpumask all = mask_of(s.topo.all_cpus());
    attach_with_init(s, c.flags, [&](ExtClass& kf) { c.call(kf, &all); });
    ASSERT_TRUE(s.ext->exit_info().has_value());
    EXPECT_EQ(s.ext->exit_info()->msg, c.msg);
    EXPECT_EQ(s.ext->state().state, "disabled");
  }
}

TEST(ExtIdleNode, FlagNeedsBuiltinIdle) {
  ExtSim s("nodes=2,cores=2");
  auto ops = std::vector<ScxOp>{ScxOp::Enqueue, ScxOp::Dispatch, ScxOp::Init, ScxOp::UpdateIdle};
  s.attach(std::make_unique<RecordingPolicy>(ops, SCX_OPS_BUILTIN_IDLE_PER_NODE));
  ASSERT_TRUE(s.ext->exit_info().has_value());
  EXPECT_EQ(s.ext->exit_info()->msg, "SCX_OPS_BUILTIN_IDLE_PER_NODE requires CPU idle selection enabled");
  ExtSim k("nodes=2,cores=2");
  k.attach(std::make_unique<RecordingPolicy>(ops, SCX_OPS_BUILTIN_IDLE_PER_NODE | SCX_OPS_KEEP_BUILTIN_IDLE));
  EXPECT_EQ(k.ext->state().state, "enabled");
}

// The default selection with per-node masks starts in prev's node: with prev and CPUs 4-6
// claimed, a task whose prev is in node 1 gets CPU 7 while it is idle, else a CPU of node 0.
TEST(ExtIdleNode, DefaultSelectionStartsInPrevsNode) {
  ExtSim s("nodes=2,cores=4");  // node 0: CPUs 0-3, node 1: CPUs 4-7
  auto pol = std::make_unique<RecordingPolicy>(
      std::vector<ScxOp>{ScxOp::SelectCpu, ScxOp::Enqueue, ScxOp::Dispatch, ScxOp::Init}, SCX_OPS_BUILTIN_IDLE_PER_NODE);
  RecordingPolicy* raw = pol.get();
  int checked = 0, wrong = 0;
  pol->on_select_cpu = [&, raw](task_struct* p, s32 prev, u64 wf) {
    ExtClass& kf = raw->kf();
    if (prev < 4) return prev + 4;  // move it to node 1 for its next wake-up
    for (int c = 4; c < 7; ++c) kf.test_and_clear_cpu_idle(c);
    kf.test_and_clear_cpu_idle(prev);
    const bool seven_idle = set_of(kf.get_idle_cpumask_node(1)).test(7);
    bool idle = false;
    const s32 cpu = kf.select_cpu_dfl(p, prev, wf, &idle);
    ++checked;
    if (idle && (seven_idle ? cpu != 7 : cpu >= 4)) ++wrong;
    return cpu;
  };
  s.attach(std::move(pol));
  WorkloadBuilder wb("w");
  for (int i = 0; i < 6; ++i) wb.task(fmt::format("t{}", i)).program().begin_loop(5).run(ms(1)).sleep(ms(1)).end_loop();
  s.load(wb.build());
  ASSERT_TRUE(s.kernel->run_until_idle(kNsPerSec).ok());
  EXPECT_GT(checked, 0);
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(s.ext->state().state, "enabled");
}

}  // namespace
}  // namespace scx::testing
