// Property test shared by the fast and the slow suite: random fair workloads (hogs, sleepers,
// pipe pairs, yielders; nice/batch/idle policies, custom slices, affinity masks) on random
// topologies; the kernel's invariants are checked every simulated millisecond and the time
// accounting must add up.
#pragma once

#include "../kernel/harness.h"
#include "kernel/fair/fair_class.h"

namespace scx::testing {

inline Workload random_fair_workload(Rng& rng, int ncpus) {
  WorkloadBuilder wb("random-fair");
  const int ntasks = static_cast<int>(rng.range(1, 3 * ncpus));
  for (int i = 0; i < ntasks; ++i) {
    auto tb = wb.task(fmt::format("t{}", i));
    switch (rng.below(4)) {
      case 0: tb.nice(static_cast<int>(rng.range(-10, 10))); break;
      case 1: tb.policy(Policy::Batch); break;
      case 2:
        if (rng.chance(0.3)) tb.policy(Policy::Idle);
        break;
      default: break;
    }
    if (rng.chance(0.2)) tb.slice(us(rng.range(100, 3000)));
    if (rng.chance(0.25)) {
      CpuMask m;
      for (int c = 0; c < ncpus; ++c)
        if (rng.chance(0.5)) m.set(c);
      if (m.empty()) m.set(static_cast<int>(rng.below(ncpus)));
      tb.cpus(m);
    }
    auto pb = tb.program();
    pb.begin_loop(rng.chance(0.7) ? -1 : rng.range(5, 200));
    switch (rng.below(5)) {
      case 0: pb.run(ms(rng.range(1, 50))); break;                                       // hog
      case 1: pb.run(us(rng.range(10, 2000))).sleep(us(rng.range(10, 5000))); break;    // sleeper
      case 2: pb.send(fmt::format("p{}", i / 2), 64).run(us(rng.range(1, 50))).recv(fmt::format("q{}", i / 2), 64); break;
      case 3: pb.recv(fmt::format("p{}", (i - 1) / 2), 64).run(us(rng.range(1, 50))).send(fmt::format("q{}", (i - 1) / 2), 64); break;
      case 4: pb.run(us(rng.range(10, 500))).yield(); break;
    }
    pb.end_loop();
  }
  return wb.build();
}

inline void check_random_fair_workloads(int iterations, Ns duration, KernelVersion version = KernelVersion::V6_12) {
  const char* topologies[] = {"1", "2", "laptop", "nodes=2,cores=2,smt=2", "p=2,e=2,psmt=2",
                              "nodes=2,llcs=2,cores=3", "server-2s64"};
  Rng rng(42);
  Ns total_busy = 0;
  for (int iter = 0; iter < iterations; ++iter) {
    const char* topo = topologies[iter % std::size(topologies)];
    Sim s(topo, iter % 2 ? CostModel{} : zero_costs(), static_cast<uint64_t>(iter + 1), version);
    FairConfig cfg = FairConfig::for_kernel(version, static_cast<int>(s.topo.nr_cpus()), 250);
    cfg.balance.shared_runq = iter % 3 == 0;
    if (iter % 4 == 1) cfg.balance.migration_cost_ns = 0;
    s.kernel->set_fair_class(std::make_unique<FairClass>(*s.kernel, cfg));
    Workload w = random_fair_workload(rng, s.topo.nr_cpus());
    // Pipes referenced by an unpaired reader would deadlock forever: fine, we run to a time.
    s.load(w);
    for (Ns t = ms(1); t <= duration; t += ms(1)) {
      // Steps observe the run without touching it; the last one closes the books.
      Status st = t < duration ? s.kernel->advance_to(t) : s.kernel->run_until(t);
      ASSERT_TRUE(st.ok()) << topo << " iter " << iter << ": " << st.message();
      Status inv = s.kernel->check_invariants();
      ASSERT_TRUE(inv.ok()) << topo << " iter " << iter << " t=" << t << ": " << inv.message();
    }
    // Time accounting: each CPU is busy or idle for the whole run; tasks' CPU time sums to at
    // most the busy time (the rest is stopper work); per-task totals agree with the kernel.
    Ns busy = 0, task_time = 0;
    for (int c = 0; c < s.topo.nr_cpus(); ++c) {
      const CpuMetrics& m = s.metrics->cpus()[c];
      EXPECT_EQ(m.busy + m.idle, duration) << topo << " cpu " << c;
      busy += m.busy;
    }
    for (const auto& t : s.metrics->tasks())
      if (!t.kthread) task_time += t.cpu_time;
    EXPECT_LE(task_time, busy);
    total_busy += busy;
    for (const auto& p : s.kernel->tasks()) {
      for (const auto& t : s.metrics->tasks()) {
        if (t.pid == p->pid) {
          EXPECT_EQ(t.cpu_time, p->sum_exec_runtime) << p->comm;
        }
      }
    }
  }
  // The scenarios do real work.
  EXPECT_GT(total_busy, duration);
}

}  // namespace scx::testing
