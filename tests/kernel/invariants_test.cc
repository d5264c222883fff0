// Property tests: random RT scenarios on random machines; the kernel's own invariants are
// checked every simulated millisecond, and a checking sink verifies what the trace shows.
#include <map>

#include "harness.h"

namespace scx::testing {
namespace {

// Watches the event stream: no task runs on two CPUs, every switch-in respects affinity.
class Checker : public TraceSink {
 public:
  explicit Checker(std::map<std::string, CpuMask> affinity, int ncpus)
      : affinity_(std::move(affinity)), curr_(ncpus, 0) {}
  void on_event(const TraceEvent& e) override {
    if (e.type == TraceType::TaskNew || e.type == TraceType::SchedProcessFork) {
      if (e.pid) comm_[e.pid] = e.comm;
      return;
    }
    if (e.type != TraceType::SchedSwitch) return;
    if (curr_[e.cpu] != e.pid) errors.push_back(fmt::format("cpu {} switched out {} but ran {}", e.cpu, e.pid, curr_[e.cpu]));
    curr_[e.cpu] = e.pid2;
    if (e.pid2 == 0) return;
    for (size_t c = 0; c < curr_.size(); ++c)
      if (static_cast<int>(c) != e.cpu && curr_[c] == e.pid2)
        errors.push_back(fmt::format("pid {} runs on cpus {} and {}", e.pid2, c, e.cpu));
    auto it = affinity_.find(comm_[e.pid2]);
    if (it != affinity_.end() && !it->second.test(e.cpu))
      errors.push_back(fmt::format("{} ran on cpu {} outside {}", comm_[e.pid2], e.cpu, it->second.to_list()));
  }
  std::vector<std::string> errors;

 private:
  std::map<std::string, CpuMask> affinity_;
  std::map<int, std::string> comm_;
  std::vector<int> curr_;
};

struct RandomScenario {
  Workload workload;
  std::map<std::string, CpuMask> affinity;
};

RandomScenario random_rt_scenario(Rng& rng, int ncpus) {
  RandomScenario out;
  WorkloadBuilder wb("random");
  const int ntasks = static_cast<int>(rng.range(1, 3 * ncpus));
  for (int i = 0; i < ntasks; ++i) {
    std::string name = fmt::format("t{}", i);
    auto tb = wb.task(name);
    if (rng.chance(0.5)) tb.fifo(static_cast<int>(rng.range(1, 99)));
    else tb.rr(static_cast<int>(rng.range(1, 99)));
    CpuMask mask;
    if (rng.chance(0.4)) {
      for (int c = 0; c < ncpus; ++c)
        if (rng.chance(0.5)) mask.set(c);
      if (mask.empty()) mask.set(static_cast<int>(rng.below(ncpus)));
      tb.cpus(mask);
      out.affinity[name] = mask;
    }
    auto pb = tb.program();
    pb.begin_loop(rng.range(1, 20));
    const int steps = static_cast<int>(rng.range(1, 5));
    for (int k = 0; k < steps; ++k) {
      switch (rng.below(6)) {
        case 0: case 1: pb.run(us(rng.range(10, 5000))); break;
        case 2: pb.sleep(us(rng.range(10, 5000))); break;
        case 3: pb.lock("m").run(us(rng.range(1, 300))).unlock("m"); break;
        case 4: pb.yield(); pb.run(us(50)); break;
        case 5: pb.sem_post("s").run(us(rng.range(1, 100))); break;
      }
    }
    pb.end_loop();
  }
  out.workload = wb.build();
  return out;
}

TEST(Invariants, RandomRtScenarios) {
  const char* topologies[] = {"1", "2", "4", "nodes=2,cores=2,smt=2", "p=2,e=2,psmt=2"};
  Rng seeds(2024);
  uint64_t total_switches = 0;
  for (int iter = 0; iter < 60; ++iter) {
    const std::string topo_spec = topologies[iter % 5];
    Rng rng = seeds.fork(iter);
    CostModel cost;  // default, non-zero costs
    Sim s(topo_spec, cost, iter);
    RandomScenario sc = random_rt_scenario(rng, s.topo.nr_cpus());
    Checker checker(sc.affinity, s.topo.nr_cpus());
    s.kernel->trace().subscribe(&checker);
    ASSERT_TRUE(s.kernel->load(sc.workload).ok());
    const Ns end = ms(200);
    for (Ns t = ms(1); t <= end; t += ms(1)) {
      auto st = t < end ? s.kernel->advance_to(t) : s.kernel->run_until(t);
      ASSERT_TRUE(st.ok()) << st.message();
      auto inv = s.kernel->check_invariants();
      ASSERT_TRUE(inv.ok()) << "iter " << iter << " on " << topo_spec << " at " << t << ": " << inv.message();
    }
    ASSERT_TRUE(checker.errors.empty()) << checker.errors.front();
    // Time accounting: per CPU busy + idle = wall; task CPU time sums to busy time.
    Ns busy = 0, task_time = 0;
    for (const auto& c : s.metrics->cpus()) {
      EXPECT_EQ(c.busy + c.idle, end);
      busy += c.busy;
    }
    for (const auto& t : s.metrics->tasks()) task_time += t.cpu_time;
    EXPECT_EQ(busy, task_time) << "iter " << iter;
    total_switches += s.kernel->stats().context_switches;
  }
  EXPECT_GT(total_switches, 2000u);  // the scenarios really exercised the scheduler
}

TEST(Determinism, SameSeedSameEventStream) {
  auto run = [](uint64_t seed) {
    Rng rng(seed);
    Sim s("4", CostModel{}, seed);
    FingerprintCheck fp;
    RandomScenario sc = random_rt_scenario(rng, 4);
    s.kernel->trace().subscribe(&fp.sink);
    EXPECT_TRUE(s.kernel->load(sc.workload).ok());
    EXPECT_TRUE(s.kernel->run_until(ms(100)).ok());
    return fp.sink.fingerprint().value();
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

}  // namespace
}  // namespace scx::testing
