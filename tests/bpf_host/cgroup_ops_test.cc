// sched_ext's cgroup support through a BPF object of our own (bpf/tests/cgroup_ops.bpf.c): the
// order of the cgroup ops over a scheduler's life, the cgroup kfuncs, cgroup local storage and
// the css iterators (docs/cgroups.md, "sched_ext and cgroups").
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "../ext/ext_harness.h"
#include "bpf/host/bpf_ops.h"
#include "kernel/cgroup/cgroup.h"
#include "workload/generators.h"

namespace scx {
namespace {

const std::string kSubjects = SCXSIM_BPF_HOST_SUBJECTS;

// The object's event codes (enum ev_op).
enum Ev : uint32_t { Init = 1, Exit, PrepMove, CancelMove, Move, SetWeight, SetBandwidth, InitTask };

struct CgroupOpsRun {
  explicit CgroupOpsRun(KernelVersion v = KernelVersion::V6_18) : sim("2", testing::zero_costs(), v) {}
  testing::ExtSim sim;
  bpf::BpfScxOps* ops = nullptr;
  Task* hog = nullptr;
  size_t seen = 0;  // events already returned by take()

  template <typename T>
  T* global(const char* name) {
    return reinterpret_cast<T*>(ops->object().global_data(name));
  }
  // The events logged since the last take(), as "op(a,b,c)".
  std::vector<std::string> take() {
    static const char* const kNames[] = {"", "init", "exit", "prep_move", "cancel_move", "move",
                                         "set_weight", "set_bandwidth", "init_task"};
    struct EvRec {
      uint32_t op, a, b, c;
    };
    const uint32_t n = *global<uint32_t>("nr_evs");
    const EvRec* evs = global<EvRec>("evs");
    std::vector<std::string> out;
    for (; seen < n; ++seen)
      out.push_back(fmt::format("{}({},{},{})", kNames[evs[seen].op], evs[seen].a, evs[seen].b, evs[seen].c));
    return out;
  }
  std::vector<uint32_t> walk(const char* name) {
    const uint32_t* w = global<uint32_t>(name);
    std::vector<uint32_t> out;
    for (int i = 0; i < 8 && w[i]; ++i) out.push_back(w[i]);
    return out;
  }
  Cgroup& cg(const char* path) { return *sim.kernel->cgroups().find(path); }
  void advance(Ns by) { ASSERT_TRUE(sim.kernel->run_until(sim.kernel->now() + by).ok()); }
};

// Cgroups /a (id 2), /a/b (id 3, cpu.weight 50) and /x (id 4, cpuset.cpus 1) and a hog in /a
// exist before the scheduler loads at 1 ms.
void start(CgroupOpsRun& run) {
  auto w = resolve_workload("hogs:count=1", 2, 1);
  ASSERT_TRUE(w.ok()) << w.status().message();
  w->cgroups = {{"/a", {}}, {"/a/b", {{"cpu.weight", "50"}}}, {"/x", {{"cpuset.cpus", "1"}}}};
  w->tasks[0].cgroup = "/a";
  run.sim.load(*w);
  bpf::BpfHostOptions o;
  o.nr_cpus = run.sim.topo.nr_cpus();
  o.topology = &run.sim.topo;
  auto ops = bpf::BpfScxOps::load(kSubjects + "/cgroup_ops.bpf.o", o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  run.ops = ops->get();
  run.sim.ext->load_at(std::move(*ops), kNsPerMs);
  run.advance(2 * kNsPerMs);
  ASSERT_EQ(run.sim.ext->state().state, "enabled");
  for (const auto& t : run.sim.kernel->tasks())
    if (t->cgroup == &run.cg("/a")) run.hog = t.get();
  ASSERT_NE(run.hog, nullptr);
  ASSERT_EQ(run.hog->pid, 1000);  // the first user pid on 2 CPUs
}

// The kernel's order (scx_enable(): ops.init, scx_cgroup_init() in pre-order, then every task's
// init_task with its cgroup; the moves, writes, rmdir and mkdir of a loaded scheduler; then
// scx_cgroup_exit() in post-order), worked out from kernel/sched/ext.c for this history.
TEST(ExtCgroupOps, OrderOverASchedulersLife) {
  CgroupOpsRun run;
  start(run);
  // cgroup_init(id, weight, quota: 0 = "max") in pre-order, before init_task(pid, cgroup, fork).
  EXPECT_EQ(run.take(), (std::vector<std::string>{"init(1,100,0)", "init(2,100,0)", "init(3,50,0)", "init(4,100,0)",
                                                  "init_task(1000,2,0)"}));
  // A cgroup made while loaded: scx_tg_online().
  ASSERT_TRUE(run.sim.kernel->make_cgroup("/c").ok());
  EXPECT_EQ(run.take(), (std::vector<std::string>{"init(5,100,0)"}));
  // A move: prep_move (cgrp_moving_from still unset), then inside sched_move_task() the move,
  // with the task already in its new cgroup.
  ASSERT_TRUE(run.sim.kernel->move_to_cgroup(*run.hog, run.cg("/c")).ok());
  EXPECT_EQ(run.take(), (std::vector<std::string>{"prep_move(2,5,0)", "move(2,5,5)"}));
  // A refusal (-EBUSY): the task stays; the refusing task itself gets no cancel_move (its
  // cgrp_moving_from was never set).
  *run.global<uint64_t>("refuse_to") = 2;
  EXPECT_FALSE(run.sim.kernel->move_to_cgroup(*run.hog, run.cg("/a")).ok());
  EXPECT_EQ(run.hog->cgroup, &run.cg("/c"));
  EXPECT_EQ(run.sim.kernel->stats().cgroup_moves_refused, 1u);
  EXPECT_EQ(run.take(), (std::vector<std::string>{"prep_move(5,2,0)"}));
  // Another controller refusing after sched_ext agreed: scx_cgroup_cancel_attach().
  *run.global<uint64_t>("refuse_to") = 0;
  EXPECT_EQ(run.sim.ext->cgroup_can_attach(*run.hog, run.cg("/c"), run.cg("/a")), 0);
  EXPECT_EQ(run.hog->kt().scx.cgrp_moving_from, run.cg("/c").kernel_cgroup());
  run.sim.ext->cgroup_cancel_attach(*run.hog, run.cg("/c"), run.cg("/a"));
  EXPECT_EQ(run.hog->kt().scx.cgrp_moving_from, nullptr);
  EXPECT_EQ(run.take(), (std::vector<std::string>{"prep_move(5,2,0)", "cancel_move(5,2,0)"}));
  // Writes: each op only when the value changes (the same history on 6.18.15 under qemu logged
  // one set_weight and one set_bandwidth); cpu.idle tells nothing (6.19's cgroup_set_idle is
  // no member of the simulated kernels' ops).
  Cgroup& c = run.cg("/c");
  for (const char* v : {"300", "300"}) ASSERT_TRUE(run.sim.kernel->write_cgroup_file(c, "cpu.weight", v).ok());
  for (const char* v : {"50000 100000", "50000"}) ASSERT_TRUE(run.sim.kernel->write_cgroup_file(c, "cpu.max", v).ok());
  for (const char* v : {"1", "1"}) ASSERT_TRUE(run.sim.kernel->write_cgroup_file(c, "cpu.idle", v).ok());
  EXPECT_EQ(run.take(), (std::vector<std::string>{"set_weight(5,300,0)", "set_bandwidth(5,100000,50000)"}));
  // Back to /a, then /c goes (scx_tg_offline()) with its local storage; /d is made while
  // bpf_cgroup_from_id(5) finds nothing any more.
  ASSERT_TRUE(run.sim.kernel->move_to_cgroup(*run.hog, run.cg("/a")).ok());
  bpf::Map* store = run.ops->object().map("cg_store");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->size(), 5u);
  ASSERT_TRUE(run.sim.kernel->remove_cgroup(c).ok());
  EXPECT_EQ(store->size(), 4u);
  *run.global<uint64_t>("probe_id") = 5;
  ASSERT_TRUE(run.sim.kernel->make_cgroup("/d").ok());
  EXPECT_EQ(*run.global<int32_t>("probe_found"), 0);
  EXPECT_EQ(run.take(), (std::vector<std::string>{"prep_move(5,2,0)", "move(5,2,2)", "exit(5,0,0)", "init(6,100,0)"}));
  // Unload: cgroup_exit in post-order (children first, siblings in creation order, root last).
  run.sim.ext->unload_at(run.sim.kernel->now() + kNsPerMs);
  run.advance(2 * kNsPerMs);
  EXPECT_EQ(run.sim.ext->state().state, "disabled");
  EXPECT_EQ(run.take(), (std::vector<std::string>{"exit(3,0,0)", "exit(2,0,0)", "exit(4,0,0)", "exit(6,0,0)",
                                                  "exit(1,0,0)"}));
  EXPECT_EQ(*run.global<uint32_t>("storage_ok"), 6u);  // every cgroup_exit found its own entry
  EXPECT_EQ(*run.global<uint32_t>("storage_bad"), 0u);
  // scx_bpf_task_cgroup() agreed with task->cgroups->dfl_cgrp on every ops.running.
  EXPECT_GT(*run.global<uint32_t>("task_cgroup_ok"), 0u);
  EXPECT_EQ(*run.global<uint32_t>("task_cgroup_bad"), 0u);
}

// 6.12 has no ops.cgroup_set_bandwidth (6.17 added it): a cpu.max write tells nothing.
TEST(ExtCgroupOps, NoBandwidthOpOn612) {
  CgroupOpsRun run(KernelVersion::V6_12);
  start(run);
  run.take();
  ASSERT_TRUE(run.sim.kernel->write_cgroup_file(run.cg("/x"), "cpu.max", "50000 100000").ok());
  ASSERT_TRUE(run.sim.kernel->write_cgroup_file(run.cg("/x"), "cpu.weight", "20").ok());
  EXPECT_EQ(run.take(), (std::vector<std::string>{"set_weight(4,20,0)"}));
}

// ops.init's css walks over / {a {b}, x}: bpf_iter_css in the kernel's four orders.
TEST(ExtCgroupOps, CssIteratorOrders) {
  CgroupOpsRun run;
  start(run);
  EXPECT_EQ(run.walk("walk_pre"), (std::vector<uint32_t>{1, 2, 3, 4}));
  EXPECT_EQ(run.walk("walk_post"), (std::vector<uint32_t>{3, 2, 4, 1}));
  EXPECT_EQ(run.walk("walk_children"), (std::vector<uint32_t>{2, 4}));
  EXPECT_EQ(run.walk("walk_up"), (std::vector<uint32_t>{3, 2, 1}));
}

// cgrp->subsys[cpuset_cgrp_id]'s struct cpuset: cpus_allowed is cpuset.cpus as written (the
// root's: every CPU, here CPUs 0-1 = 0b11; /x: CPU 1 = 0b10; unset: empty).
TEST(ExtCgroupOps, CpusetCpusAllowedIsReadable) {
  CgroupOpsRun run;
  start(run);
  const uint64_t* allowed = run.global<uint64_t>("cpus_allowed");
  EXPECT_EQ(allowed[1], 0b11u);
  EXPECT_EQ(allowed[2], 0u);
  EXPECT_EQ(allowed[3], 0u);
  EXPECT_EQ(allowed[4], 0b10u);
}

// A public scx object from SCXSIM_COMPAT_DIR (never in the repository), or "" when it is not there.
std::string compat_object(const std::string& name) {
  const char* dir = std::getenv("SCXSIM_COMPAT_DIR");
  if (!dir) return "";
  const std::string path = std::string(dir) + "/" + name + ".bpf.o";
  return std::ifstream(path) ? path : "";
}

// Four periodic tasks (10 ms period, 2 ms of work), two in each of `groups`, loaded on `sim`.
void load_two_groups(testing::ExtSim& sim, std::vector<CgroupSpec> groups) {
  auto w = resolve_workload("interactive:frames=4,hogs=0,period=10ms,work=2ms", sim.topo.nr_cpus(), 1);
  ASSERT_TRUE(w.ok()) << w.status().message();
  ASSERT_EQ(w->tasks.size(), 4u);
  for (size_t i = 0; i < w->tasks.size(); ++i) w->tasks[i].cgroup = groups[i < 2 ? 0 : 1].path;
  w->cgroups = std::move(groups);
  sim.load(*w);
}

// The public scx_flatcg (compat: SCXSIM_COMPAT_DIR holds the objects): two cgroups of weights
// 100 and 300, two hogs each, one CPU. flatcg's hierarchical weights give the cgroups 1/4 and
// 3/4 of the CPU (hweight = weight / sum of the active siblings' weights), split evenly between
// each cgroup's two hogs; the scheduler must stay loaded. Measured over 4 s after a 1 s start
// (flatcg adjusts the cgroup vtimes as it goes), within 0.02 of the share.
TEST(ExtCgroupCompat, FlatcgSharesFollowCgroupWeights) {
  const std::string path = compat_object("scx_flatcg");
  if (path.empty()) GTEST_SKIP() << "no scx_flatcg.bpf.o (SCXSIM_COMPAT_DIR)";
  testing::ExtSim sim{"1", testing::zero_costs()};
  auto w = resolve_workload("hogs:count=4", 1, 1);
  ASSERT_TRUE(w.ok()) << w.status().message();
  w->cgroups = {{"/lo", {{"cpu.weight", "100"}}}, {"/hi", {{"cpu.weight", "300"}}}};
  for (size_t i = 0; i < w->tasks.size(); ++i) w->tasks[i].cgroup = i < 2 ? "/lo" : "/hi";
  sim.load(*w);
  bpf::BpfHostOptions o;
  o.nr_cpus = 1;
  o.topology = &sim.topo;
  auto ops = bpf::BpfScxOps::load(path, o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  sim.ext->load_at(std::move(*ops), 0);
  ASSERT_TRUE(sim.kernel->run_until(kNsPerSec).ok());
  std::vector<Ns> at_start;
  for (const auto& t : sim.kernel->tasks()) at_start.push_back(t->sum_exec_runtime);
  ASSERT_TRUE(sim.kernel->run_until(5 * kNsPerSec).ok());
  EXPECT_EQ(sim.ext->state().state, "enabled");
  Ns lo = 0, hi = 0;
  size_t i = 0;
  for (const auto& t : sim.kernel->tasks()) {
    const Ns ran = t->sum_exec_runtime - at_start[i++];
    if (t->cgroup->path() == "/lo") lo += ran;
    if (t->cgroup->path() == "/hi") hi += ran;
  }
  ASSERT_GT(lo + hi, 0);
  const double lo_share = static_cast<double>(lo) / static_cast<double>(lo + hi);
  RecordProperty("lo_share", std::to_string(lo_share));
  EXPECT_NEAR(lo_share, 0.25, 0.02);
  EXPECT_NEAR(1 - lo_share, 0.75, 0.02);
}

// The public scx_mitosis (compat) with cgroups: /w1 and /w2 exist at load (ops.cgroup_init,
// cgroup storage), a hog moves /w1 -> /w2 at 200 ms (ops.cgroup_move) and /w3 is made at 300
// ms; the scheduler must stay loaded through 1 s.
TEST(ExtCgroupCompat, MitosisRunsWithCgroups) {
  const std::string path = compat_object("scx_mitosis");
  if (path.empty()) GTEST_SKIP() << "no scx_mitosis.bpf.o (SCXSIM_COMPAT_DIR)";
  testing::ExtSim sim{"4", testing::zero_costs()};
  auto w = resolve_workload("hogs:count=4", 4, 1);
  ASSERT_TRUE(w.ok()) << w.status().message();
  w->cgroups = {{"/w1", {}}, {"/w2", {{"cpu.weight", "200"}}}, {"/w3", {}}};
  for (size_t i = 0; i < w->tasks.size(); ++i) w->tasks[i].cgroup = i % 2 ? "/w2" : "/w1";
  CgroupEvent move;
  move.at = 200 * kNsPerMs;
  move.cgroup = 1;
  move.task = 0;
  w->cgroup_events.push_back(move);
  sim.load(*w);
  bpf::BpfHostOptions o;
  o.nr_cpus = 4;
  o.topology = &sim.topo;
  auto ops = bpf::BpfScxOps::load(path, o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  // The profile of 7a58a3a1a fills llc_to_cpus (struct llc_cpumask { u64 bits[128]; }[16])
  // flattened: one LLC of CPUs 0-3 is word 0x0f of row 0; the object of 0f379644a lacks it.
  if (const uint8_t* llc = (*ops)->object().global_data("llc_to_cpus")) {
    uint64_t words[129];
    std::memcpy(words, llc, sizeof(words));
    EXPECT_EQ(words[0], 0xfu);
    EXPECT_EQ(words[1], 0u);
    EXPECT_EQ(words[128], 0u);  // row 1: no second LLC
  }
  sim.ext->load_at(std::move(*ops), 0);
  ASSERT_TRUE(sim.kernel->run_until(300 * kNsPerMs).ok());
  ASSERT_TRUE(sim.kernel->make_cgroup("/w4").ok());
  ASSERT_TRUE(sim.kernel->run_until(kNsPerSec).ok());
  ASSERT_TRUE(sim.ext->exit_info() == std::nullopt) << sim.ext->exit_info()->msg;
  EXPECT_EQ(sim.ext->state().state, "enabled");
  EXPECT_EQ(sim.ext->callback_count(ScxOp::CgroupInit), 5u);  // /, /w1, /w2, /w3, then /w4
  EXPECT_EQ(sim.ext->callback_count(ScxOp::CgroupMove), 1u);
}

// The public scx_mitosis (compat, 7a58a3a1a) with its cell manager (--sched-opt
// cell-parent-cgroup=/p): /p/a and /p/b, two periodic tasks each (2 ms every 10 ms), 8 CPUs. Cells 1 (/p/a) and 2 (/p/b);
// targets 3, 3, 2 (1 + 5/3 each, the two left to cells 0 and 1), all CPUs unclaimed: cell 0 gets
// 0-2, /p/a 3-5, /p/b 6-7 (MitosisSplit's rules). /p/c appears at 300 ms; the process's pass at
// 1 s makes it cell 3 and splits 2 CPUs each: /p/a 2-3, /p/b 4-5. Each task is sampled every
// 10 ms and must be on its cell's CPUs. (Tasks take their new cell when they are enqueued again:
// a hog alone on its CPU keeps running there, as the kernel keeps the last task running
// without SCX_OPS_ENQ_LAST, so the test uses tasks that sleep.) The object of 0f379644a drives cells otherwise
// (not modelled): skipped.
TEST(ExtCgroupCompat, MitosisCellsConfineChildCgroups) {
  const std::string path = compat_object("scx_mitosis");
  if (path.empty()) GTEST_SKIP() << "no scx_mitosis.bpf.o (SCXSIM_COMPAT_DIR)";
  testing::ExtSim sim{"8", testing::zero_costs()};
  load_two_groups(sim, {{"/p/a", {}}, {"/p/b", {}}});
  bpf::BpfHostOptions o;
  o.nr_cpus = 8;
  o.topology = &sim.topo;
  {
    auto plain = bpf::BpfScxOps::load(path, o);
    ASSERT_TRUE(plain.ok()) << plain.status().message();
    if (!(*plain)->object().program("apply_cell_config")) GTEST_SKIP() << "no apply_cell_config (0f379644a)";
  }
  o.sched_opts = {"cell-parent-cgroup=/p"};
  auto ops = bpf::BpfScxOps::load(path, o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  sim.ext->load_at(std::move(*ops), 0);
  auto check = [&](Ns from, Ns to, const CpuMask& a, const CpuMask& b) {
    for (Ns t = from; t <= to; t += 10 * kNsPerMs) {
      ASSERT_TRUE(sim.kernel->run_until(t).ok());
      for (const auto& task : sim.kernel->tasks()) {
        const std::string& cg = task->cgroup->path();
        if (cg == "/p/a" || cg == "/p/b") {
          EXPECT_TRUE((cg == "/p/a" ? a : b).test(task->cpu)) << task->comm << " on CPU " << task->cpu << " at " << t;
        }
      }
    }
  };
  auto cpus = [](int from, int to) {
    CpuMask m;
    for (int c = from; c <= to; ++c) m.set(c);
    return m;
  };
  check(50 * kNsPerMs, 290 * kNsPerMs, cpus(3, 5), cpus(6, 7));
  ASSERT_TRUE(sim.kernel->make_cgroup("/p/c").ok());
  check(1050 * kNsPerMs, 1500 * kNsPerMs, cpus(2, 3), cpus(4, 5));
  ASSERT_TRUE(sim.ext->exit_info() == std::nullopt) << sim.ext->exit_info()->msg;
  EXPECT_EQ(sim.ext->state().state, "enabled");
}

// The public scx_mitosis of 0f379644a (compat): its BPF side alone makes cells, from the
// cgroups with a cpuset (update_timer_cb every 100 ms: a cgroup whose cpus_allowed is neither
// empty nor every CPU owns a new cell with those CPUs, which cell 0 loses); its user space only
// reads statistics. /a (cpuset.cpus 0-1) becomes cell 1 (cells[1].in_use), so /b, in cell 0,
// runs on CPUs 2-3 only, once the timer has run. Two periodic tasks in each, 4 CPUs. The object
// of 7a58a3a1a has no such timer (its cells come from user space): skipped.
TEST(ExtCgroupCompat, MitosisOldCommitMakesCellsFromCpusets) {
  const std::string path = compat_object("scx_mitosis");
  if (path.empty()) GTEST_SKIP() << "no scx_mitosis.bpf.o (SCXSIM_COMPAT_DIR)";
  testing::ExtSim sim{"4", testing::zero_costs()};
  load_two_groups(sim, {{"/a", {{"cpuset.cpus", "0-1"}}}, {"/b", {}}});
  bpf::BpfHostOptions o;
  o.nr_cpus = 4;
  o.topology = &sim.topo;
  auto ops = bpf::BpfScxOps::load(path, o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  if (!(*ops)->object().map("update_timer")) GTEST_SKIP() << "no update_timer (7a58a3a1a: cells from user space)";
  const bpf::BpfScxOps* raw = ops->get();
  sim.ext->load_at(std::move(*ops), 0);
  for (Ns t = 250 * kNsPerMs; t <= 1000 * kNsPerMs; t += 10 * kNsPerMs) {
    ASSERT_TRUE(sim.kernel->run_until(t).ok());
    for (const auto& task : sim.kernel->tasks()) {
      const std::string& cg = task->cgroup->path();
      if (cg == "/a" || cg == "/b") {
        EXPECT_EQ(task->cpu / 2, cg == "/a" ? 0 : 1) << task->comm << " on CPU " << task->cpu << " at " << t;
      }
    }
  }
  ASSERT_TRUE(sim.ext->exit_info() == std::nullopt) << sim.ext->exit_info()->msg;
  // struct cell { u64 vtime_now; u32 in_use; } cells[MAX_CELLS]: 16 bytes each.
  const uint8_t* cells = const_cast<bpf::BpfScxOps*>(raw)->object().global_data("cells");
  ASSERT_NE(cells, nullptr);
  uint32_t in_use[3];
  for (int c = 0; c < 3; ++c) std::memcpy(&in_use[c], cells + 16 * c + 8, 4);
  EXPECT_EQ(in_use[1], 1u);
  EXPECT_EQ(in_use[2], 0u);
}

// A cell parent that does not exist stops the scheduler as the real user space stops
// ("Cell parent cgroup path does not exist"), without a crash.
TEST(ExtCgroupCompat, MitosisMissingCellParentIsAnError) {
  const std::string path = compat_object("scx_mitosis");
  if (path.empty()) GTEST_SKIP() << "no scx_mitosis.bpf.o (SCXSIM_COMPAT_DIR)";
  testing::ExtSim sim{"2", testing::zero_costs()};
  auto w = resolve_workload("hogs:count=2", 2, 1);
  ASSERT_TRUE(w.ok());
  sim.load(*w);
  bpf::BpfHostOptions o;
  o.nr_cpus = 2;
  o.topology = &sim.topo;
  o.sched_opts = {"cell-parent-cgroup=/nope"};
  auto ops = bpf::BpfScxOps::load(path, o);
  if (!ops.ok()) GTEST_SKIP() << ops.status().message();  // 0f379644a's profile has no such option
  sim.ext->load_at(std::move(*ops), 0);
  ASSERT_TRUE(sim.kernel->run_until(100 * kNsPerMs).ok());
  ASSERT_TRUE(sim.ext->exit_info().has_value());
  EXPECT_NE(sim.ext->exit_info()->msg.find("Cell parent cgroup path does not exist: /sys/fs/cgroup/nope"), std::string::npos)
      << sim.ext->exit_info()->msg;
}

}  // namespace
}  // namespace scx
