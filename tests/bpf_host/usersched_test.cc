// User-space schedulers (bpf/host/userspace.h): BPF sides that hand every task to user space
// (usersched_queue: queue maps, scx_userland's messages; usersched_ring: ring buffers,
// scx_rustland_core's messages) run with the built-in user-space schedulers, and with one
// registered here, on small deterministic scenarios.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../ext/ext_harness.h"
#include "bpf/host/bpf_ops.h"
#include "cli/runner.h"
#include "workload/builder.h"

namespace scx {
namespace {

const std::string kSubjects = SCXSIM_BPF_HOST_SUBJECTS;
const std::string kQueue = kSubjects + "/usersched_queue.bpf.o";
const std::string kRing = kSubjects + "/usersched_ring.bpf.o";
const std::string kFlag = kSubjects + "/usersched_flag.bpf.o";

// Four tasks of 10 ms of work each, started together: fewer CPUs than tasks, so some wait.
Workload four_jobs() {
  WorkloadBuilder wb("jobs");
  wb.task("job").instances(4).program().run(testing::ms(10));
  return wb.build();
}

// A simulation with the BPF object attached at t=0, before the workload exists.
struct UserRun {
  testing::ExtSim sim;
  bpf::BpfScxOps* ops = nullptr;
  explicit UserRun(const std::string& topo) : sim(topo, testing::zero_costs()) {}

  Status start(const std::string& object, const std::string& usersched, const Workload& w) {
    bpf::BpfHostOptions o;
    o.nr_cpus = sim.topo.nr_cpus();
    o.topology = &sim.topo;
    o.usersched = usersched;
    auto loaded = bpf::BpfScxOps::load(object, o);
    if (!loaded.ok()) return loaded.status();
    ops = loaded->get();
    sim.ext->load_at(std::move(*loaded), 0);
    SCX_RETURN_IF_ERROR(sim.kernel->run_until(0));
    sim.load(w);
    return Status();
  }
  uint64_t global(const char* name) { return *reinterpret_cast<const uint64_t*>(ops->object().global_data(name)); }
  const bpf::UserSchedHost& host() { return *ops->usersched(); }
  Task& daemon() { return *sim.kernel->find_task(host().pid()); }
  // Runs the workload to its end, then 1 ms more: the user-space task finishes its last pass.
  void finish() {
    ASSERT_TRUE(sim.kernel->run_until_idle(kNsPerSec).ok());
    ASSERT_TRUE(sim.kernel->run_until(sim.kernel->now() + kNsPerMs).ok());
  }
  void expect_healthy() {
    EXPECT_EQ(sim.ext->state().state, "enabled");
    EXPECT_FALSE(sim.ext->exit_info().has_value()) << sim.ext->exit_info()->msg;
    EXPECT_EQ(sim.kernel->live_user_tasks(), 0);
    for (const auto& t : sim.kernel->tasks()) {
      if (t->daemon) continue;
      EXPECT_EQ(t->sum_exec_runtime, testing::ms(10)) << t->comm;
    }
  }
};

// scx_userland's policy on the queue-map object: the process is forked first (pid 1000, as
// SCHED_EXT, its stats thread 1001), each task is queued to user space once (10 ms < the 20 ms
// slice) and comes back once, and so does the stats thread's first run; the process's CPU time
// is exactly what its passes cost (no context-switch cost here).
TEST(UserSched, UserlandOnTheQueueObject) {
  UserRun r("2");
  ASSERT_TRUE(r.start(kQueue, "userland", four_jobs()).ok());
  r.finish();
  r.expect_healthy();
  EXPECT_EQ(r.host().name(), "userland");
  EXPECT_EQ(r.host().pid(), 1000);
  EXPECT_EQ(r.daemon().policy, Policy::Ext);
  EXPECT_EQ(r.global("usersched_pid") & 0xffffffff, 1000u);
  EXPECT_EQ(r.global("nr_pushed"), 5u);
  EXPECT_EQ(r.global("nr_popped"), 5u);
  EXPECT_EQ(r.global("nr_push_failed"), 0u);
  EXPECT_EQ(r.global("nr_gone"), 0u);
  EXPECT_GT(r.host().passes(), 0u);
  EXPECT_EQ(r.daemon().sum_exec_runtime, r.host().charged());
  EXPECT_NE(r.daemon().state, TaskState::Dead);
}

// scx_rustland's policy on the ring-buffer object: 1 ms slices (slice_us_min * weight / 100),
// which end at the next tick (4 ms at HZ 250): the 4 tasks are queued at start and again at
// each of the 5 ticks of each CPU while they run (40 ms of work on 2 CPUs); every record sent
// comes back once, each with one rs_select_cpu.
TEST(UserSched, RustlandOnTheRingObject) {
  UserRun r("2");
  ASSERT_TRUE(r.start(kRing, "rustland", four_jobs()).ok());
  r.finish();
  r.expect_healthy();
  EXPECT_EQ(r.daemon().policy, Policy::Normal);
  EXPECT_EQ(r.global("nr_cancelled"), 0u);
  EXPECT_EQ(r.global("nr_congested"), 0u);
  EXPECT_EQ(r.global("nr_sent"), 4u + 2 * 5);
  EXPECT_EQ(r.global("nr_received"), r.global("nr_sent"));
  EXPECT_EQ(r.global("nr_select_calls"), r.global("nr_received"));
  EXPECT_EQ(r.global("nr_queued"), 0u);
  EXPECT_EQ(r.global("nr_scheduled"), 0u);
  EXPECT_EQ(r.daemon().sum_exec_runtime, r.host().charged());
  std::printf("rustland: %llu passes, %llu records each way\n", static_cast<unsigned long long>(r.host().passes()),
              static_cast<unsigned long long>(r.global("nr_sent")));
}

// scx_rlfifo's policy: a pass sends back every queued task, so passes <= records.
TEST(UserSched, RlfifoOnTheRingObject) {
  UserRun r("2");
  ASSERT_TRUE(r.start(kRing, "rlfifo", four_jobs()).ok());
  r.finish();
  r.expect_healthy();
  EXPECT_EQ(r.global("nr_cancelled"), 0u);
  EXPECT_EQ(r.global("nr_received"), r.global("nr_sent"));
  EXPECT_EQ(r.global("nr_select_calls"), r.global("nr_received"));
  EXPECT_EQ(r.global("nr_scheduled"), 0u);
  EXPECT_EQ(r.daemon().sum_exec_runtime, r.host().charged());
}

Result<RunOutput> run_cli(const std::string& object, const std::string& usersched, const std::string& workload,
                          const std::string& profile = "") {
  RunOptions o;
  o.topology = "4";
  o.workload = workload;
  o.duration = 300 * kNsPerMs;
  o.sched = object;
  o.usersched = usersched;
  o.profile = profile;
  o.fingerprint = true;
  o.series_buckets = 0;
  return run_simulation(o);
}

std::string state(const RunOutput& r, const std::string& key) {
  for (const auto& [k, v] : r.report.info.scheduler_state)
    if (k == key) return v;
  return "";
}

// Same inputs, same event stream; another policy on the same object, another stream.
TEST(UserSched, Deterministic) {
  for (const auto& [object, name] : {std::pair{kRing, "rustland"}, {kRing, "rlfifo"}, {kQueue, "userland"}}) {
    SCOPED_TRACE(name);
    auto a = run_cli(object, name, "interactive:hogs=2");
    auto b = run_cli(object, name, "interactive:hogs=2");
    ASSERT_TRUE(a.ok() && b.ok()) << (a.ok() ? b.status().message() : a.status().message());
    EXPECT_EQ(*a->report.info.fingerprint, *b->report.info.fingerprint);
    EXPECT_EQ(state(*a, "sched_ext state"), "enabled");
    EXPECT_EQ(state(*a, "EXIT"), "");
    EXPECT_EQ(state(*a, "user-space scheduler").rfind(std::string(name) + " (pid ", 0), 0u)
        << state(*a, "user-space scheduler");
  }
  auto rust = run_cli(kRing, "rustland", "interactive:hogs=2");
  auto fifo = run_cli(kRing, "rlfifo", "interactive:hogs=2");
  ASSERT_TRUE(rust.ok() && fifo.ok());
  EXPECT_NE(*rust->report.info.fingerprint, *fifo->report.info.fingerprint);
}

// scx_userland's wake-up protocol (usersched_flag) with its user space, hackbench's children
// forked while the user-space task runs a pass: another CPU's ops.dispatch consumes
// usersched_needed and inserts the running task, which the kernel drops; its pass had drained
// `enqueued` before the forks, so nr_queued and nr_scheduled are 0 and no idle CPU re-arms the
// flag. Only the enqueue of a task allowed on every CPU ends the wait: without noise, the
// stats thread's at 1 s; with the machine's unbound kernel threads (10/s), within milliseconds.
TEST(UserSched, ALostWakeUpWaitsForTheNextUnboundTask) {
  auto end_of = [](std::vector<std::string> noise) {
    RunOptions o;
    o.topology = "4";
    o.workload = "hackbench:groups=1,fds=4";
    o.duration = 2 * kNsPerSec;
    o.sched = kFlag;
    o.usersched = "userland";
    o.noise = std::move(noise);
    o.series_buckets = 0;
    auto r = run_simulation(o);
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (!r.ok()) return Ns{0};
    EXPECT_EQ(state(*r, "EXIT"), "");
    return r->report.info.duration;
  };
  const Ns quiet = end_of({"off"});
  EXPECT_GE(quiet, kNsPerSec);  // the stats thread's first wake-up
  EXPECT_LT(quiet, kNsPerSec + 10 * kNsPerMs);
  EXPECT_LT(end_of({"off", "unbound_rate=10", "kthread_run=20us"}), 200 * kNsPerMs);
}

// Without its user-space half the object refuses to start, as with usersched_pid left 0.
TEST(UserSched, NoneLeavesThePidUnset) {
  auto r = run_cli(kQueue, "none", "interactive:hogs=2");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(state(*r, "sched_ext state"), "disabled");
  EXPECT_EQ(state(*r, "EXIT"), "scx_bpf_error (usersched_pid not set (0))");
  EXPECT_EQ(state(*r, "user-space scheduler"), "");
}

// A user-space scheduler of one's own: LIFO over the queue object, 3 us of work per task.
class Lifo : public bpf::UserScheduler {
 public:
  void attach(bpf::UserSchedContext& c) override { c.set_global("usersched_pid", static_cast<uint64_t>(c.pid())); }
  void schedule(bpf::UserSchedContext& c) override {
    struct {
      int32_t pid;
      uint64_t runtime, weight;
    } t;
    std::vector<int32_t> pids;
    while (c.pop("enqueued", &t) == 0) pids.push_back(t.pid);
    for (auto it = pids.rbegin(); it != pids.rend(); ++it) c.push("dispatched", *it);
    c.charge(static_cast<Ns>(pids.size()) * 3 * kNsPerUs);
    c.set_global("nr_queued", 0);
  }
};

void register_lifo() {
  bpf::UserSchedInfo i;
  i.name = "test_lifo";
  i.comm = "lifo";
  i.ops_names = {"usersched_queue"};
  i.needs = {"enqueued", "dispatched"};
  i.make = [](const bpf::UserSchedArgs&) { return std::make_unique<Lifo>(); };
  bpf::register_user_scheduler(i);
}

// Chosen by ops name once registered. Each pass pops until the queue is empty (one failing
// pop), so its cost is exact: 1 us per pass and per syscall, 3 us per task.
TEST(UserSched, RegisteredOneRunsByOpsName) {
  register_lifo();
  UserRun r("2");
  ASSERT_TRUE(r.start(kQueue, "", four_jobs()).ok());
  r.finish();
  r.expect_healthy();
  EXPECT_EQ(r.host().name(), "test_lifo");
  const uint64_t tasks = r.global("nr_pushed");
  EXPECT_EQ(tasks, 4u);
  EXPECT_EQ(r.global("nr_popped"), tasks);
  const Ns us = kNsPerUs;
  EXPECT_EQ(r.host().charged(), r.host().passes() * (us + us) + tasks * (us + us + 3 * us));
  EXPECT_EQ(r.daemon().sum_exec_runtime, r.host().charged());
  // LIFO: the jobs forked last ran first.
  EXPECT_LT(r.sim.task("job-3").exited, r.sim.task("job-0").exited);
}

// What a user-space scheduler needs is checked at load; unknown names list the known ones.
TEST(UserSched, LoadErrors) {
  bpf::UserSchedInfo i;
  i.name = "test_needy";
  i.needs = {"enqueued", "no_such_map"};
  i.make = [](const bpf::UserSchedArgs&) { return std::make_unique<Lifo>(); };
  bpf::register_user_scheduler(i);
  auto needy = run_cli(kQueue, "test_needy", "interactive:hogs=2");
  ASSERT_FALSE(needy.ok());
  EXPECT_EQ(needy.status().message(),
            "--sched: " + kQueue + ": user-space scheduler 'test_needy' uses 'no_such_map', which the object lacks");
  auto unknown = run_cli(kQueue, "nope", "interactive:hogs=2");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown user-space scheduler 'nope' (known: "), std::string::npos)
      << unknown.status().message();
}

// A profile names the user-space scheduler and its parameters; a bad parameter is an error.
TEST(UserSched, ProfileChoosesAndSetsParameters) {
  const std::string path = ::testing::TempDir() + "usersched_profile.json";
  auto write = [&](const std::string& args) {
    std::ofstream(path) << R"({"ops_name": "usersched_queue", "usersched": "userland", "usersched_args": )" << args
                        << "}";
  };
  write(R"({"batch": "1"})");
  auto one = run_cli(kQueue, "", "interactive:hogs=2", path);
  ASSERT_TRUE(one.ok()) << one.status().message();
  EXPECT_EQ(state(*one, "user-space scheduler").rfind("userland (pid ", 0), 0u);
  auto eight = run_cli(kQueue, "userland", "interactive:hogs=2");
  ASSERT_TRUE(eight.ok());
  EXPECT_NE(*one->report.info.fingerprint, *eight->report.info.fingerprint);  // batch 1 vs 8
  write(R"({"bogus": "1"})");
  auto bad = run_cli(kQueue, "", "interactive:hogs=2", path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'bogus' is not a parameter of user-space scheduler 'userland' (known: batch)"),
            std::string::npos)
      << bad.status().message();
}

// The process ends with its scheduler; the workload goes on under fair and finishes.
TEST(UserSched, ExitsWithTheScheduler) {
  UserRun r("2");
  WorkloadBuilder wb("long");
  wb.task("job").instances(4).program().run(testing::ms(30));
  ASSERT_TRUE(r.start(kRing, "rustland", wb.build()).ok());
  r.sim.ext->unload_at(testing::ms(5));
  ASSERT_TRUE(r.sim.kernel->run_until_idle(kNsPerSec).ok());
  EXPECT_EQ(r.sim.ext->state().state, "disabled");
  EXPECT_EQ(r.sim.kernel->live_user_tasks(), 0);
  EXPECT_EQ(r.daemon().state, TaskState::Dead);
  EXPECT_GT(r.host().passes(), 0u);
}

}  // namespace
}  // namespace scx
