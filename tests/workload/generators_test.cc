// The everyday generators' structure (tasks, policies, affinity) and option checking.
#include "wl_harness.h"

namespace scx::testing {
namespace {

TEST(Generators, RegistryListsEveryGenerator) {
  std::vector<std::string> names;
  for (const auto& g : workload_generators()) {
    names.push_back(g.name);
    EXPECT_FALSE(g.summary.empty());
    EXPECT_FALSE(g.options.empty());
    EXPECT_TRUE(make(g.name).tasks.size() > 0) << g.name;  // defaults build
  }
  EXPECT_EQ(names, (std::vector<std::string>{"demo", "pingpong", "hackbench", "schbench", "hogs",
                                             "interactive", "build", "pipeline", "pinned",
                                             "containers"}));
}

TEST(Generators, Hogs) {
  Workload w = make("hogs:count=5,nices=0;5;-3,policy=batch,chunk=2ms");
  ASSERT_EQ(w.tasks.size(), 5u);
  const int nices[] = {0, 5, -3, 0, 5};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(w.tasks[i].name, fmt::format("hog{}-n{}", i, nices[i]));
    EXPECT_EQ(w.tasks[i].nice, nices[i]);
    EXPECT_EQ(w.tasks[i].policy, Policy::Batch);
    EXPECT_EQ(w.tasks[i].instances, 1);
    EXPECT_TRUE(w.tasks[i].affinity.empty());
  }
  Workload d = make("hogs");
  ASSERT_EQ(d.tasks.size(), 8u);
  EXPECT_EQ(d.tasks[2].nice, 10);
  EXPECT_EQ(d.tasks[3].nice, 0);
  EXPECT_EQ(d.tasks[0].policy, Policy::Normal);
  // Weighted fairness on one CPU: nice 0 gets ~3x what nice 5 gets (1024 vs 335).
  WlRun r("1", make("hogs:count=2,nices=0;5", 1));
  ASSERT_TRUE(r.run(2 * kNsPerSec).ok());
  const double share = static_cast<double>(r.sim.task("hog0-n0").cpu_time) /
                       static_cast<double>(r.sim.task("hog1-n5").cpu_time);
  EXPECT_NEAR(share, 1024.0 / 335.0, 0.1);
}

TEST(Generators, Interactive) {
  Workload w = make("interactive:frames=3,period=10ms,work=2ms,hogs=2,hog_nice=5,frame_nice=-5");
  ASSERT_EQ(w.tasks.size(), 5u);
  for (int i = 0; i < 3; ++i) {
    const TaskSpec& t = w.tasks[i];
    EXPECT_EQ(t.name, fmt::format("frame{}", i));
    EXPECT_EQ(t.policy, Policy::Normal);
    EXPECT_EQ(t.nice, -5);
  }
  EXPECT_EQ(w.timers.size(), 3u);  // one timeline per frame task
  for (int i = 3; i < 5; ++i) {
    EXPECT_EQ(w.tasks[i].policy, Policy::Batch);
    EXPECT_EQ(w.tasks[i].nice, 5);
  }
  WlRun r("2", make("interactive:frames=2,period=10ms,work=2ms,hogs=2", 2));
  ASSERT_TRUE(r.run(kNsPerSec).ok());
  EXPECT_EQ(r.counter("frames"), 2 * 100);  // releases at 0, 10, ..., 990 ms
}

TEST(Generators, BuildIsDeterministicPerSeed) {
  Workload a = make("build:jobs=3,tasks=10", 4, 7), b = make("build:jobs=3,tasks=10", 4, 7),
           c = make("build:jobs=3,tasks=10", 4, 8);
  ASSERT_EQ(a.tasks.size(), 11u);
  EXPECT_EQ(a.tasks[0].name, "make");
  EXPECT_TRUE(a.run_until_done);
  auto works = [](const Workload& w) {
    std::vector<int64_t> v;
    for (size_t i = 1; i < w.tasks.size(); ++i) {
      EXPECT_EQ(w.tasks[i].instances, 0);
      v.push_back(w.programs[w.tasks[i].program].ops[0].a);
    }
    return v;
  };
  EXPECT_EQ(works(a), works(b));
  EXPECT_NE(works(a), works(c));
  for (int64_t v : works(a)) {
    EXPECT_GE(v, 5 * kNsPerMs);
    EXPECT_LE(v, 100 * kNsPerMs);
  }
  // The driver forks 3 jobs, then one more after each exit.
  int forks = 0, waits = 0;
  for (const Op& op : a.programs[a.tasks[0].program].ops) {
    forks += op.kind == OpKind::Fork;
    waits += op.kind == OpKind::SemWait;
  }
  EXPECT_EQ(forks, 10);
  EXPECT_EQ(waits, 7 + 1);  // 7 before forks, then one in the final loop of 3
  WlRun r("4", make("build:jobs=3,tasks=10", 4, 7));
  ASSERT_TRUE(r.run(10 * kNsPerSec).ok());
  EXPECT_EQ(r.counter("jobs_done"), 10);
  EXPECT_EQ(r.sim.kernel->live_user_tasks(), 0);
  EXPECT_EQ(r.sim.kernel->stats().forks, 10u);
  EXPECT_EQ(r.sim.kernel->stats().exits, 11u);
}

TEST(Generators, Pipeline) {
  Workload w = make("pipeline:stages=3,items=20,work=100us");
  ASSERT_EQ(w.tasks.size(), 3u);
  EXPECT_EQ(w.pipes.size(), 2u);
  EXPECT_TRUE(w.run_until_done);
  WlRun r("2", w);
  ASSERT_TRUE(r.run(kNsPerSec).ok());
  EXPECT_EQ(r.counter("items"), 20);
  // Three stages of 100 us each on 2 CPUs: a pipeline, so less than 20 * 300 us.
  EXPECT_LT(r.sim.kernel->now(), 20 * 300 * kNsPerUs);

  Workload s = make("pipeline:stages=4,items=15,ipc=sem,depth=2");
  EXPECT_EQ(s.pipes.size(), 0u);
  EXPECT_EQ(s.semaphores.size(), 6u);  // slots and items per link
  WlRun rs("2", s);
  ASSERT_TRUE(rs.run(kNsPerSec).ok());
  EXPECT_EQ(rs.counter("items"), 15);
  EXPECT_FALSE(make("pipeline").run_until_done);  // items=0: forever
}

TEST(Generators, Pinned) {
  Workload w = make("pinned:pinned=5,subsets=3,subset_size=3,free=2", 4);
  ASSERT_EQ(w.tasks.size(), 10u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(w.tasks[i].name, fmt::format("pin{}-cpu{}", i, i % 4));
    EXPECT_EQ(w.tasks[i].affinity.to_list(), std::to_string(i % 4));
  }
  EXPECT_EQ(w.tasks[5].affinity.to_list(), "0-2");
  EXPECT_EQ(w.tasks[6].affinity.to_list(), "0-1,3");  // CPUs 3, 0, 1 (wrapping)
  EXPECT_EQ(w.tasks[7].affinity.to_list(), "0,2-3");  // CPUs 2, 3, 0
  EXPECT_TRUE(w.tasks[8].affinity.empty());
  EXPECT_TRUE(w.tasks[9].affinity.empty());
  Workload d = make("pinned", 8);
  ASSERT_EQ(d.tasks.size(), 8u + 4 + 4);
  WlRun r("4", w);
  ASSERT_TRUE(r.run(200 * kNsPerMs).ok());
  for (const auto& t : r.sim.metrics->tasks())
    if (t.comm.rfind("pin", 0) == 0) {
      EXPECT_EQ(t.total_migrations(), 0) << t.comm;
    }
}

TEST(Generators, OptionErrors) {
  EXPECT_EQ(make_error("hogs:count=x"), "--workload hogs: count=x must be an integer in 1..10000");
  EXPECT_EQ(make_error("hogs:nices=0;a"),
            "--workload hogs: nices=0;a must be integers in -20..19 separated by ';'");
  EXPECT_EQ(make_error("hogs:nices=0;25"),
            "--workload hogs: nices=0;25 must be integers in -20..19 separated by ';'");
  EXPECT_EQ(make_error("hogs:policy=fifo"), "--workload hogs: policy=fifo is not one of: normal, batch, idle");
  EXPECT_EQ(make_error("hogs:colour=red"),
            "--workload hogs: unknown option 'colour' (options: chunk, count, nices, policy)");
  EXPECT_EQ(make_error("hogs:count"), "--workload hogs: expected key=value, got 'count'");
  EXPECT_EQ(make_error("hogs:count=1,count=2"), "--workload hogs: option 'count' is given twice");
  EXPECT_EQ(make_error("interactive:work=20ms,period=10ms"),
            "--workload interactive: work must be shorter than period");
  EXPECT_EQ(make_error("build:min=10ms,max=5ms"), "--workload build: min must not exceed max");
  EXPECT_EQ(make_error("pipeline:ipc=shm"), "--workload pipeline: ipc=shm is not one of: pipe, sem");
  EXPECT_EQ(make_error("pipeline:stages=1"), "--workload pipeline: stages=1 must be an integer in 2..1000");
  EXPECT_EQ(make_error("pinned:subset_size=8", 4),
            "--workload pinned: subset_size=8 is larger than the machine's 4 CPUs");
  EXPECT_EQ(make_error("pinned:pinned=0,subsets=0,free=0"),
            "--workload pinned: pinned, subsets and free are all 0");
  EXPECT_EQ(make_error("demo:period=0ms"), "--workload demo: period=0ms must be between 1us and 3600s");
  EXPECT_EQ(make_error("nosuch:x=1").substr(0, 58),
            "--workload: 'nosuch:x=1' is not a file, a bundled workload");
}

TEST(Generators, BundledFilesResolve) {
  for (const auto& b : bundled_workloads()) {
    SCOPED_TRACE(b.name);
    EXPECT_FALSE(b.description.empty());
    auto r = resolve_workload(b.name, 4, 1);
    EXPECT_TRUE(r.ok()) << r.status().message();
  }
  // fork/exit churn through rt-app's fork event.
  Workload w = make("fork-churn");
  WlRun r("4", w);
  ASSERT_TRUE(r.run(500 * kNsPerMs).ok());
  EXPECT_GT(r.sim.kernel->stats().forks, 50u);
  EXPECT_GT(r.sim.kernel->stats().exits, 40u);
}

}  // namespace
}  // namespace scx::testing
