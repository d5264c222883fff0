// IdleWhileWaiting (O(1) per event for tasks allowed everywhere) against the algorithm it
// replaced, kept here as the reference: a counter per CPU of waiting tasks allowed there and
// queued elsewhere, updated on every allowed CPU, and a stretch opened / closed whenever that
// counter or the CPU's idle state changes. Random event streams with random affinities must
// give the same time on every CPU, to the nanosecond.
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "metrics/idle_while_waiting.h"

namespace scx {
namespace {

// The replaced algorithm (MetricsCollector before issue #12), O(allowed CPUs) per event.
class ReferenceIww {
 public:
  explicit ReferenceIww(int nr_cpus)
      : idle_(nr_cpus, true), elsewhere_(nr_cpus, 0), since_(nr_cpus, kNever), total_(nr_cpus, 0) {}
  void start_waiting(const CpuMask& allowed, int cpu, Ns now) {
    for (int c : allowed)
      if (c != cpu) add(c, +1, now);
  }
  void stop_waiting(const CpuMask& allowed, int cpu, Ns now) {
    for (int c : allowed)
      if (c != cpu) add(c, -1, now);
  }
  void move_waiting(const CpuMask& allowed, int from, int to, Ns now) {
    if (allowed.test(from)) add(from, +1, now);
    if (allowed.test(to)) add(to, -1, now);
  }
  void set_idle(int cpu, bool idle, Ns now) {
    idle_[cpu] = idle;
    close(cpu, now);
  }
  void finish(Ns now) {
    for (size_t c = 0; c < idle_.size(); ++c) close(static_cast<int>(c), now);
  }
  Ns total(int cpu) const { return total_[cpu]; }

 private:
  void add(int cpu, int64_t delta, Ns now) {
    elsewhere_[cpu] += delta;
    close(cpu, now);
  }
  void close(int cpu, Ns now) {
    if (since_[cpu] != kNever) total_[cpu] += now - since_[cpu];
    since_[cpu] = idle_[cpu] && elsewhere_[cpu] > 0 ? now : kNever;
  }
  std::vector<bool> idle_;
  std::vector<int64_t> elsewhere_;
  std::vector<Ns> since_, total_;
};

struct RandomTask {
  CpuMask allowed;
  int queued_on = -1;  // -1: not waiting
};

// Masks as runs have them: mostly every CPU, some pinned to one CPU, some random subsets.
CpuMask random_mask(std::mt19937_64& rng, int nr_cpus) {
  const CpuMask all = CpuMask::first_n(nr_cpus);
  switch (rng() % 4) {
    case 0: return CpuMask::single(static_cast<int>(rng() % nr_cpus));
    case 1: {
      CpuMask m;
      for (int c = 0; c < nr_cpus; ++c)
        if (rng() % 2) m.set(c);
      return m.empty() ? all : m;
    }
    default: return all;
  }
}

int random_cpu(std::mt19937_64& rng, int nr_cpus) { return static_cast<int>(rng() % nr_cpus); }

// One random stream of `events` events on both implementations; EXPECTs equal totals.
void compare_on_random_stream(uint64_t seed, int nr_cpus, int nr_tasks, int events) {
  std::mt19937_64 rng(seed);
  IdleWhileWaiting fast(CpuMask::first_n(nr_cpus), nr_cpus);
  ReferenceIww ref(nr_cpus);
  std::vector<RandomTask> tasks(static_cast<size_t>(nr_tasks));
  for (RandomTask& t : tasks) t.allowed = random_mask(rng, nr_cpus);
  Ns now = 0;
  for (int i = 0; i < events; ++i) {
    if (rng() % 3 == 0) now += rng() % 1000;  // several events often share one instant
    RandomTask& t = tasks[rng() % tasks.size()];
    const int cpu = random_cpu(rng, nr_cpus);  // any CPU: tasks may sit outside their mask
    switch (rng() % 4) {
      case 0:  // wake-up or preemption: starts waiting (stops first if it was)
        if (t.queued_on >= 0) {
          fast.stop_waiting(t.allowed, t.queued_on, now);
          ref.stop_waiting(t.allowed, t.queued_on, now);
        }
        fast.start_waiting(t.allowed, cpu, now);
        ref.start_waiting(t.allowed, cpu, now);
        t.queued_on = cpu;
        break;
      case 1:  // picked or exited
        if (t.queued_on < 0) break;
        fast.stop_waiting(t.allowed, t.queued_on, now);
        ref.stop_waiting(t.allowed, t.queued_on, now);
        t.queued_on = -1;
        break;
      case 2:  // migrated while waiting
        if (t.queued_on < 0 || t.queued_on == cpu) break;
        fast.move_waiting(t.allowed, t.queued_on, cpu, now);
        ref.move_waiting(t.allowed, t.queued_on, cpu, now);
        t.queued_on = cpu;
        break;
      default: {  // a context switch to or from the idle task
        const bool idle = rng() % 2;
        fast.set_idle(cpu, idle, now);
        ref.set_idle(cpu, idle, now);
      }
    }
  }
  now += 777;
  fast.settle_all(now);
  ref.finish(now);
  for (int c = 0; c < nr_cpus; ++c) EXPECT_EQ(fast.total(c), ref.total(c)) << "seed " << seed << " cpu " << c;
}

TEST(IdleWhileWaiting, EqualsThePerCpuCounterAlgorithmOnRandomStreams) {
  // Few tasks on many CPUs (the wide count often returns to 0) and many tasks on few CPUs
  // (deep levels), 200 seeds each.
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    compare_on_random_stream(seed, 8, 3, 2000);
    compare_on_random_stream(seed, 5, 40, 2000);
    compare_on_random_stream(seed, 70, 20, 2000);  // masks span two 64-bit words
  }
}

TEST(IdleWhileWaiting, HandWorkedWideWaiter) {
  // 2 CPUs, both idle from 0. A task allowed on both waits on CPU 0 during [10, 30): CPU 1 is
  // idle with a waiter elsewhere for those 20 ns; CPU 0 holds it, so nothing sits elsewhere for
  // CPU 0. CPU 1 then runs [15, 25): 10 ns of the 20 are not idle, leaving 10.
  IdleWhileWaiting iww(CpuMask::first_n(2), 2);
  iww.start_waiting(CpuMask::first_n(2), 0, 10);
  iww.set_idle(1, false, 15);
  iww.set_idle(1, true, 25);
  iww.stop_waiting(CpuMask::first_n(2), 0, 30);
  iww.settle_all(50);
  EXPECT_EQ(iww.total(0), 0u);
  EXPECT_EQ(iww.total(1), 10u);
}

}  // namespace
}  // namespace scx
