// The BPF host: unmodified sched_ext objects run as policies. The BPF twins of the native
// fifo/vtime policies give the identical event stream (fingerprint), also when compiled against
// a different type layout (CO-RE); hostile objects are ejected and the run goes on under fair.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../ext/ext_harness.h"
#include "bpf/host/bpf_ops.h"
#include "cli/runner.h"
#include "object_run.h"
#include "workload/generators.h"

namespace scx {
namespace {

const std::string kSched = SCXSIM_BPF_SCHEDULERS;
const std::string kSubjects = SCXSIM_BPF_HOST_SUBJECTS;

struct Scenario {
  const char* topology;
  const char* workload;
  Ns duration;
};

const Scenario kScenarios[] = {
    {"2", "hogs:count=4", 300 * kNsPerMs},
    {"4", "interactive:hogs=2", 300 * kNsPerMs},  // sleepers (frames) and hogs
    {"4", "pingpong:pairs=3", 100 * kNsPerMs},
    {"4", "pinned", 200 * kNsPerMs},
    {"4", "build:tasks=30,max=20ms", 2 * kNsPerSec},
};

Result<RunOutput> run(const Scenario& s, const std::string& sched, std::vector<std::string> globals = {},
                      uint64_t seed = 1) {
  RunOptions o;
  o.topology = s.topology;
  o.workload = s.workload;
  o.duration = s.duration;
  o.seed = seed;
  o.sched = sched;
  o.bpf_globals = std::move(globals);
  o.fingerprint = true;
  o.series_buckets = 0;
  return run_simulation(o);
}

std::string state(const RunOutput& r, const std::string& key) {
  for (const auto& [k, v] : r.report.info.scheduler_state)
    if (k == key) return v;
  return "";
}

// Machines with several LLCs: 2 nodes x 2 LLCs (distance 10/20), and 4 nodes on a ring
// (distances 21/31, so the steal order is not the index order).
const std::string kRing = std::string(SCXSIM_SOURCE_DIR) + "/topologies/4s-ring.json";
const std::vector<Scenario> kLlcScenarios = {
    {"nodes=2,llcs=2,cores=2,smt=2", "interactive:hogs=4", 300 * kNsPerMs},
    {"nodes=2,llcs=2,cores=2", "pinned", 200 * kNsPerMs},
    {"nodes=2,llcs=2,cores=2", "build:tasks=30,max=20ms", 2 * kNsPerSec},
    {kRing.c_str(), "hogs:count=80", 200 * kNsPerMs},
    {kRing.c_str(), "pingpong:pairs=40", 100 * kNsPerMs},
};

void expect_twin(const std::string& native, const std::string& object, std::vector<std::string> globals,
                 const std::vector<Scenario>& extra = {}) {
  std::vector<Scenario> all(std::begin(kScenarios), std::end(kScenarios));
  all.insert(all.end(), extra.begin(), extra.end());
  for (const Scenario& s : all) {
    for (uint64_t seed : {1, 7}) {
      SCOPED_TRACE(fmt::format("{} on {} seed {}", s.workload, s.topology, seed));
      auto a = run(s, native, {}, seed);
      auto b = run(s, object, globals, seed);
      ASSERT_TRUE(a.ok()) << a.status().message();
      ASSERT_TRUE(b.ok()) << b.status().message();
      EXPECT_EQ(*a->report.info.fingerprint, *b->report.info.fingerprint);
      EXPECT_EQ(state(*b, "sched_ext state"), "enabled");
      EXPECT_EQ(state(*b, "EXIT"), "");
    }
  }
}

TEST(BpfTwin, VtimeGivesTheNativeFingerprint) { expect_twin("vtime", kSched + "/simple.bpf.o", {}); }
TEST(BpfTwin, FifoGivesTheNativeFingerprint) {
  expect_twin("fifo", kSched + "/simple.bpf.o", {"fifo_sched=1"});
}
TEST(BpfTwin, ShuffledLayoutGivesTheNativeFingerprint) {
  expect_twin("vtime", kSched + "/simple_shuffled.bpf.o", {});
}

TEST(BpfTwin, PrioGivesTheNativeFingerprint) { expect_twin("prio", kSched + "/prio.bpf.o", {}); }

TEST(BpfTwin, CentralGivesTheNativeFingerprint) { expect_twin("central", kSched + "/central.bpf.o", {}); }

TEST(BpfTwin, LlcGivesTheNativeFingerprint) {
  expect_twin("llc", kSched + "/llc.bpf.o", {}, kLlcScenarios);
}

// The twin's topology comes from the globals the host fills before load; a machine larger than
// an array is a load error, and --set wins over the fill.
TEST(BpfTwin, LlcTopologyGlobals) {
  auto t = resolve_topology(kRing);
  ASSERT_TRUE(t.ok()) << t.status().message();
  bpf::BpfHostOptions o;
  o.nr_cpus = t->nr_cpus();
  o.topology = &*t;
  o.globals = {{"nr_llcs", "3"}};
  auto ops = bpf::BpfScxOps::load(kSched + "/llc.bpf.o", o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  bpf::BpfObject& obj = (*ops)->object();
  auto u32_at = [&](const char* name, size_t i) { return reinterpret_cast<const uint32_t*>(obj.global_data(name))[i]; };
  EXPECT_EQ(u32_at("nr_cpu_ids", 0), 64u);
  EXPECT_EQ(u32_at("nr_nodes", 0), 4u);
  EXPECT_EQ(u32_at("nr_llcs", 0), 3u);  // --set
  EXPECT_EQ(u32_at("cpu_llc_id", 16), 2u);  // node by node, then the SMT siblings
  EXPECT_EQ(u32_at("cpu_llc_id", 63), 3u);
  EXPECT_EQ(u32_at("cpu_node_id", 40), 1u);
  EXPECT_EQ(u32_at("node_distance", 0 * 4 + 2), 31u);
  EXPECT_EQ(u32_at("node_distance", 3 * 4 + 0), 21u);

  // lifecycle_sched declares cpu_llc_id[8].
  auto big = resolve_topology("16");
  ASSERT_TRUE(big.ok());
  bpf::BpfHostOptions ob;
  ob.topology = &*big;
  auto bad = bpf::BpfScxOps::load(kSubjects + "/lifecycle_sched.bpf.o", ob);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), kSubjects + "/lifecycle_sched.bpf.o: topology global 'cpu_llc_id': holds 8 "
                                                "entries, the machine needs 16");
}

TEST(BpfTwin, DifferentPoliciesDiffer) {
  auto a = run(kScenarios[0], kSched + "/simple.bpf.o");
  auto b = run(kScenarios[0], kSched + "/simple.bpf.o", {"fifo_sched=1"});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a->report.info.fingerprint, *b->report.info.fingerprint);
}

TEST(BpfHost, InspectChecksExternsAgainstTheSchedulerKfuncs) {
  auto text = bpf::inspect_scheduler_file(kSched + "/simple.bpf.o", false);
  ASSERT_TRUE(text.ok()) << text.status().message();
  EXPECT_NE(text->find("scx_bpf_dsq_insert "), std::string::npos) << *text;
  EXPECT_EQ(text->find("not provided"), std::string::npos) << *text;  // every extern is bound
}

TEST(BpfHost, InfoComesFromStructOps) {
  bpf::BpfHostOptions o;
  auto ops = bpf::BpfScxOps::load(kSched + "/simple.bpf.o", o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  const ScxOpsInfo& info = (*ops)->info();
  EXPECT_EQ(info.name, "simple");
  EXPECT_TRUE(info.has(ScxOp::Enqueue));
  EXPECT_TRUE(info.has(ScxOp::Exit));
  EXPECT_FALSE(info.has(ScxOp::Dequeue));
  // No exit_task program, so not implemented (the host forgets a leaving task's memory through
  // ScxOps::task_released either way).
  EXPECT_FALSE(info.has(ScxOp::ExitTask));
}

// A hostile object is ejected with an error naming the place; tasks then finish under fair.
void expect_ejected(uint32_t mode, const std::string& what) {
  Scenario s{"2", "build:tasks=20,max=10ms", 5 * kNsPerSec};
  auto r = run(s, kSubjects + "/hostile_sched.bpf.o", {fmt::format("mode={}", mode)});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(state(*r, "sched_ext state"), "disabled");
  const std::string exit = state(*r, "EXIT");
  EXPECT_NE(exit.find("runtime error"), std::string::npos) << exit;
  EXPECT_NE(exit.find("hostile_enqueue"), std::string::npos) << exit;
  EXPECT_NE(exit.find("hostile_sched.bpf.c"), std::string::npos) << exit;  // the source line
  EXPECT_NE(exit.find(what), std::string::npos) << exit;
  std::printf("EXIT: %s\n", exit.c_str());
  // Every job finished (the run ended well before the limit).
  EXPECT_LT(r->report.info.duration, 4 * kNsPerSec);
}

TEST(BpfHostile, ReadOnlyFieldWriteIsEjected) { expect_ejected(1, "pid"); }
TEST(BpfHostile, OutOfBoundsWriteIsEjected) { expect_ejected(2, "insn"); }
TEST(BpfHostile, UnboundedLoopIsEjected) { expect_ejected(3, "budget"); }
TEST(BpfHostile, MapValueAsTaskIsEjected) { expect_ejected(4, "is not a task_struct"); }
TEST(BpfHostile, PointerIntoATaskIsEjected) { expect_ejected(5, "is not a task_struct"); }

TEST(BpfKfuncs, CpumaskKfuncsWork) {
  auto r = run(kScenarios[0], kSubjects + "/kfuncs_sched.bpf.o");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(state(*r, "sched_ext state"), "enabled");
  EXPECT_EQ(state(*r, "EXIT"), "");
}

TEST(BpfKfuncs, ErrorAndExitAreFormatted) {
  auto e = run(kScenarios[0], kSubjects + "/kfuncs_sched.bpf.o", {"fail_after=5"});
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(state(*e, "EXIT"), "scx_bpf_error (forced failure 5)");
  auto x = run(kScenarios[0], kSubjects + "/kfuncs_sched.bpf.o", {"exit_after=5"});
  ASSERT_TRUE(x.ok()) << x.status().message();
  EXPECT_NE(state(*x, "EXIT").find("done after 5"), std::string::npos) << state(*x, "EXIT");
  EXPECT_EQ(state(*x, "sched_ext state"), "disabled");
}

// 6.19's argument-struct kfuncs, bpf_rdonly_cast, bpf_preempt_*, migration_disabled and the
// unresolved newer compat flavors (newer_kfuncs_sched checks each and reports with scx_bpf_error).
TEST(BpfKfuncs, NewerKfuncsWork) {
  for (const Scenario& s : {kScenarios[1], kScenarios[2]}) {
    auto r = run(s, kSubjects + "/newer_kfuncs_sched.bpf.o");
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(state(*r, "sched_ext state"), "enabled");
    EXPECT_EQ(state(*r, "EXIT"), "");
  }
}

// task_struct.mm: one per thread group (schbench's workers are CLONE_THREAD children).
TEST(BpfKfuncs, ThreadsShareTheirProcessMm) {
  Scenario s{"4", "schbench", 300 * kNsPerMs};
  auto r = run(s, kSubjects + "/newer_kfuncs_sched.bpf.o", {"exit_after_threads=20"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_NE(state(*r, "EXIT").find("threads ok after 20"), std::string::npos) << state(*r, "EXIT");
}

// utime / stime: whole ticks charged to the task they interrupt (tick-based accounting).
TEST(BpfKfuncs, UtimeGrowsByTicks) {
  auto r = run(kScenarios[0], kSubjects + "/newer_kfuncs_sched.bpf.o", {"exit_after_utime=40000000"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_NE(state(*r, "EXIT").find("utime ok"), std::string::npos) << state(*r, "EXIT");
}

TEST(BpfHostile, UnknownKfuncIsALoadError) {
  auto r = run(kScenarios[0], kSubjects + "/unknown_kfunc_sched.bpf.o");
  ASSERT_FALSE(r.ok());
  const std::string msg = r.status().message();
  EXPECT_NE(msg.find("scx_bpf_no_such_kfunc"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown_kfunc_sched.bpf.o"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(BpfHostile, MissingFileIsALoadError) {
  auto r = run(kScenarios[0], "/nonexistent/x.bpf.o");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("x.bpf.o"), std::string::npos);
}

TEST(BpfHostile, UnknownGlobalIsAnError) {
  auto r = run(kScenarios[0], kSched + "/simple.bpf.o", {"no_such_var=1"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no_such_var"), std::string::npos);
}

// ---- The host around the callbacks: printk, task storage, distribute ----

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_with(const std::string& text, const std::string& what) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l.find(what) != std::string::npos) out.push_back(l);
  return out;
}

// bpf_printk lines appear in the text trace like trace_pipe's, counted in the report, and do
// not change the fingerprint.
TEST(BpfPrintk, LinesGoToTheTrace) {
  const std::string path = ::testing::TempDir() + "/printk_trace.txt";
  RunOptions o;
  o.topology = "2";
  o.workload = "hogs:count=2";
  o.duration = 20 * kNsPerMs;
  o.noise = {"off"};  // the noise kernel threads would print enable lines of their own
  o.sched = kSubjects + "/lifecycle_sched.bpf.o";
  o.fingerprint = true;
  o.trace_path = path;
  auto r = run_simulation(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(state(*r, "sched_ext state"), "enabled");
  const std::vector<std::string> lines = lines_with(read_file(path), "bpf_trace_printk:");
  ASSERT_EQ(lines.size(), 3u) << read_file(path);
  EXPECT_EQ(lines[0], "       swapper/0-0       [000]      0.000000: bpf_trace_printk: lifecycle up on 2 cpus");
  EXPECT_EQ(lines[1], "       swapper/0-0       [000]      0.000000: bpf_trace_printk: enable hog0-n0 pid=1000");
  EXPECT_EQ(lines[2], "       swapper/0-0       [000]      0.000000: bpf_trace_printk: enable hog1-n5 pid=1001");
  EXPECT_EQ(r->metrics->scx().printk_lines(), 3u);
  o.trace_path.clear();
  auto again = run_simulation(o);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again->report.info.fingerprint, *r->report.info.fingerprint);
}

// lifecycle_sched.bpf.o on 4 CPUs.
struct LifecycleRun : testing::ObjectRun {
  LifecycleRun() : ObjectRun("4") {}
};

void start(LifecycleRun& run, const std::string& workload) {
  run.start(kSubjects + "/lifecycle_sched.bpf.o", workload);
}

// The kernel frees a task's local storage when the task_struct goes (after ops.exit_task):
// dead tasks leave no entry behind, exit_task still sees its own.
TEST(BpfTaskStorage, FreedWhenTheTaskDies) {
  LifecycleRun run;
  start(run, "build:tasks=20,max=5ms");
  ASSERT_TRUE(run.sim.kernel->run_until_idle(5 * kNsPerSec).ok());
  EXPECT_EQ(run.sim.kernel->live_user_tasks(), 0);
  EXPECT_EQ(run.sim.ext->state().state, "enabled");
  const uint32_t inited = run.global<uint32_t>("nr_init_task");
  const uint32_t exited = run.global<uint32_t>("nr_exit_task");
  EXPECT_GE(exited, 20u);
  EXPECT_EQ(run.global<uint32_t>("nr_bad_exit"), 0u);
  EXPECT_EQ(run.global<uint32_t>("nr_stale"), 0u);
  // What is left: the tasks still alive (kthreads and the idle-less rest), none of the dead.
  bpf::Map* m = run.ops->object().map("task_ctxs");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->size(), inited - exited);
  size_t alive = 0;
  for (const auto& t : run.sim.kernel->tasks()) {
    uint64_t owner = reinterpret_cast<uint64_t>(&t->kt());
    const bool has = m->lookup_cpu(&owner, 0) != nullptr;
    EXPECT_EQ(has, t->state != TaskState::Dead) << t->comm;
    alive += has;
  }
  for (const auto& t : run.sim.kernel->kthreads()) {
    uint64_t owner = reinterpret_cast<uint64_t>(&t->kt());
    alive += m->lookup_cpu(&owner, 0) != nullptr;
  }
  EXPECT_EQ(alive, m->size());
}

// Unloading the scheduler runs exit_task for live tasks without freeing their storage.
TEST(BpfTaskStorage, KeptForLiveTasksOnUnload) {
  LifecycleRun run;
  start(run, "hogs:count=3");
  run.sim.ext->unload_at(10 * kNsPerMs);
  ASSERT_TRUE(run.sim.kernel->run_until(20 * kNsPerMs).ok());
  EXPECT_EQ(run.sim.ext->state().state, "disabled");
  EXPECT_EQ(run.global<uint32_t>("nr_exit_task"), run.global<uint32_t>("nr_init_task"));
  EXPECT_EQ(run.ops->object().map("task_ctxs")->size(), run.global<uint32_t>("nr_init_task"));
}

// bpf_cpumask_any_distribute: per-CPU round robin after the last pick, starting after CPU 0.
TEST(BpfKfuncs, AnyDistributeIsAPerCpuRoundRobin) {
  LifecycleRun run;
  start(run, "hogs:count=8");
  ASSERT_TRUE(run.sim.kernel->run_until(20 * kNsPerMs).ok());
  std::vector<int32_t> seq;
  for (size_t i = 0; i < 6; ++i) seq.push_back(run.global<int32_t>("dist", i));
  EXPECT_EQ(seq, (std::vector<int32_t>{2, 3, 0, 2, 3, 0}));
  // Every CPU's first call starts from its own cursor.
  for (size_t cpu = 0; cpu < 4; ++cpu) {
    EXPECT_TRUE(run.global<bool>("dist_done", cpu)) << cpu;
    EXPECT_EQ(run.global<int32_t>("dist_cpu", cpu), 2) << cpu;
  }
}

// bpf_cpumasks held in map values are released when the value goes (bpf_obj_free_fields ->
// bpf_cpumask_release_dtor): overwritten, deleted, or freed with a dead task's storage.
TEST(BpfKptr, CpumasksInFreedMapValuesAreReleased) {
  testing::ExtSim sim{"4", testing::zero_costs()};
  bpf::BpfHostOptions o;
  o.nr_cpus = sim.topo.nr_cpus();
  o.topology = &sim.topo;
  auto ops = bpf::BpfScxOps::load(kSubjects + "/kptr_sched.bpf.o", o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  bpf::BpfScxOps* h = ops->get();
  sim.ext->load_at(std::move(*ops), 0);
  auto w = resolve_workload("build:tasks=20,max=5ms", sim.topo.nr_cpus(), 1);
  ASSERT_TRUE(w.ok()) << w.status().message();
  sim.load(*w);
  ASSERT_TRUE(sim.kernel->run_until(1 * kNsPerMs).ok());
  ASSERT_EQ(sim.ext->state().state, "enabled");
  bpf::Map* cpu = h->object().map("cpu_masks");
  bpf::Map* llc = h->object().map("llc_masks");
  bpf::Map* tasks = h->object().map("task_masks");
  ASSERT_TRUE(cpu && llc && tasks);
  auto mask_of = [](bpf::Map* m, uint32_t key) {
    return static_cast<const uint64_t*>(m->lookup_cpu(&key, 0))[1];
  };
  const uint64_t m0 = mask_of(cpu, 0);
  ASSERT_NE(m0, 0u);
  EXPECT_EQ(mask_of(llc, 0), m0);
  EXPECT_EQ(h->cpumask_refcount(m0), 2);
  EXPECT_GT(tasks->size(), 0u);
  EXPECT_EQ(h->live_cpumasks(), 4 + tasks->size());
  // Overwriting the array element drops one reference, deleting the hash element the last.
  const uint8_t zero[16] = {};
  const uint32_t k = 0;
  EXPECT_EQ(cpu->update(&k, zero, 0), 0);
  EXPECT_EQ(mask_of(cpu, 0), 0u);
  EXPECT_EQ(h->cpumask_refcount(m0), 1);
  EXPECT_EQ(llc->remove(&k), 0);
  EXPECT_EQ(h->cpumask_refcount(m0), 0);
  EXPECT_EQ(h->vm().memory().find(m0), nullptr);
  EXPECT_EQ(h->live_cpumasks(), 3 + tasks->size());
  // A dead task's storage takes its mask along.
  ASSERT_TRUE(sim.kernel->run_until_idle(5 * kNsPerSec).ok());
  EXPECT_EQ(sim.kernel->live_user_tasks(), 0);
  EXPECT_GE(sim.kernel->tasks().size(), 20u);
  for (const auto& t : sim.kernel->tasks()) {
    const uint64_t owner = reinterpret_cast<uint64_t>(&t->kt());
    EXPECT_EQ(tasks->lookup_cpu(&owner, 0), nullptr) << t->comm;
  }
  EXPECT_EQ(h->live_cpumasks(), 3 + tasks->size());
  EXPECT_EQ(sim.ext->state().state, "enabled");
}

// ---- Nested ops: ops.cpu_release -> scx_bpf_reenqueue_local() -> ops.enqueue(SCX_ENQ_REENQ) ----

struct ReenqRun {
  testing::ExtSim sim;
  bpf::BpfScxOps* ops = nullptr;
  explicit ReenqRun(const std::string& topo) : sim(topo, testing::zero_costs()) {}
  uint64_t global(const char* name) {
    return *reinterpret_cast<const uint64_t*>(ops->object().global_data(name));
  }
};

void start_reenq(ReenqRun& run, const Workload& w,
                 std::vector<std::pair<std::string, std::string>> globals = {}) {
  bpf::BpfHostOptions o;
  o.nr_cpus = run.sim.topo.nr_cpus();
  o.topology = &run.sim.topo;
  o.globals = std::move(globals);
  auto ops = bpf::BpfScxOps::load(kSubjects + "/reenq_sched.bpf.o", o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  run.ops = ops->get();
  run.sim.ext->load_at(std::move(*ops), 0);
  ASSERT_TRUE(run.sim.kernel->run_until(0).ok());
  run.sim.load(w);
}

// One CPU: a runs, b and c wait on the local DSQ; at 5 ms an RT task takes the CPU, a goes back
// to the head of the local DSQ, and cpu_release re-enqueues all three.
Workload three_and_rt() {
  WorkloadBuilder wb("reenq");
  for (const char* n : {"a", "b", "c"}) wb.task(n).program().run(testing::ms(10));
  wb.task("r").fifo(10).delay(testing::ms(5)).program().run(testing::ms(2));
  return wb.build();
}

TEST(BpfNested, CpuReleaseReenqueuesTheLocalDsq) {
  ReenqRun run("1");
  start_reenq(run, three_and_rt());
  ASSERT_TRUE(run.sim.kernel->run_until_idle(kNsPerSec).ok());
  EXPECT_EQ(run.sim.kernel->live_user_tasks(), 0);
  EXPECT_EQ(run.sim.ext->state().state, "enabled");
  EXPECT_FALSE(run.sim.ext->exit_info().has_value());
  EXPECT_EQ(run.global("nr_released"), 1u);
  EXPECT_EQ(run.global("nr_reenq_ret"), 3u);
  EXPECT_EQ(run.global("nr_reenq"), 3u);
  EXPECT_EQ(run.global("nr_reenq_nested"), 3u);  // every one ran inside cpu_release
  EXPECT_EQ(run.global("nr_stack_bad"), 0u);
  EXPECT_EQ(run.global("nr_after"), 1u);
  EXPECT_EQ(run.sim.ext->callback_count(ScxOp::CpuRelease), 1u);
}

TEST(BpfNested, ReenqueueUnderAnRtMix) {
  ReenqRun run("4");
  auto w = resolve_workload("rt-mix", 4, 1);
  ASSERT_TRUE(w.ok()) << w.status().message();
  start_reenq(run, *w);
  ASSERT_TRUE(run.sim.kernel->run_until(500 * kNsPerMs).ok());
  EXPECT_EQ(run.sim.ext->state().state, "enabled");
  EXPECT_FALSE(run.sim.ext->exit_info().has_value());
  const uint64_t released = run.global("nr_released");
  EXPECT_GT(released, 0u);
  EXPECT_EQ(run.global("nr_after"), released);
  EXPECT_GT(run.global("nr_reenq"), 0u);
  EXPECT_EQ(run.global("nr_reenq"), run.global("nr_reenq_ret"));
  EXPECT_EQ(run.global("nr_reenq_nested"), run.global("nr_reenq"));
  EXPECT_EQ(run.global("nr_stack_bad"), 0u);
  std::printf("rt-mix: %llu releases, %llu re-enqueues\n",
              static_cast<unsigned long long>(released),
              static_cast<unsigned long long>(run.global("nr_reenq")));
}

// The first re-enqueue faults: the scheduler is ejected with that fault, the rest of the
// re-enqueues do not run and cpu_release stops when the kfunc returns.
TEST(BpfNested, FaultInTheNestedOpEjects) {
  ReenqRun run("1");
  start_reenq(run, three_and_rt(), {{"fault_mode", "1"}});
  ASSERT_TRUE(run.sim.kernel->run_until_idle(kNsPerSec).ok());
  EXPECT_EQ(run.sim.kernel->live_user_tasks(), 0);  // finished under fair
  EXPECT_EQ(run.sim.ext->state().state, "disabled");
  ASSERT_TRUE(run.sim.ext->exit_info().has_value());
  const std::string msg = run.sim.ext->exit_info()->msg;
  EXPECT_EQ(msg.rfind("BPF program reenq_enqueue (enqueue) faulted: reenq_enqueue: insn", 0), 0u)
      << msg;
  EXPECT_NE(msg.find("pid"), std::string::npos) << msg;
  EXPECT_NE(msg.find("reenq_sched.bpf.c"), std::string::npos) << msg;
  std::printf("EXIT: %s\n", msg.c_str());
  EXPECT_EQ(run.global("nr_released"), 1u);
  EXPECT_EQ(run.global("nr_reenq"), 1u);
  EXPECT_EQ(run.global("nr_after"), 0u);
}

}  // namespace
}  // namespace scx
