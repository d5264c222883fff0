// CFS bandwidth control (kernel/fair/bandwidth.*) against a fake clock and a fake fair class.
//
// The fake class gives each CPU one always-runnable task (unless a test puts it to sleep) in a
// leaf group; it ticks every 1 ms and charges the elapsed time to each level of the task's
// path (update_curr()), reschedules when the component says a cfs_rq is out of runtime and
// then does put_prev's check_cfs_rq_runtime(). In 6.12 a throttle dequeues the group entity;
// in 6.18 the task returns to user space at once and goes to limbo. Timers fire before the
// tick of the same millisecond.
//
// The expected values are worked out in the comments: the pool hands out 5 ms slices (topping
// the local runtime up to 5 ms), a cfs_rq runs its slice down to 0 and pulls again, and is
// throttled when the pool is empty; the period timer refills the pool and pays each throttled
// cfs_rq's debt + 1 ns.
#include "kernel/fair/bandwidth.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace scx::fair {
namespace {

constexpr Ns kMs = kNsPerMs;
constexpr int kRoot = 0;

BandwidthLimit limit(Ns quota_ms, Ns period_ms = 100) { return {quota_ms * kMs, period_ms * kMs, 0}; }
BandwidthLimit unlimited() { return {kRuntimeInf, 100 * kMs, 0}; }

struct Event {
  std::string what;  // "throttle" / "unthrottle" / "limbo" / "release"
  int group;
  int cpu;
  Ns at;
  Ns value;  // unthrottle: ns throttled
  bool operator==(const Event&) const = default;
};

class FakeFair : public BandwidthHost {
 public:
  FakeFair(int ncpus, KernelVersion v) : cpus_(ncpus), bw(ncpus, v, *this) {}

  // --- BandwidthHost
  Ns clock() const override { return now_; }
  TimerHandle start_timer(Ns when, int cpu, std::function<void()> fn) override {
    const TimerHandle h = next_handle_++;  // from 0, as Kernel::schedule_callback()
    timers_.emplace(std::make_pair(when, h), Timer{cpu, std::move(fn)});
    ++timers_started;
    return h;
  }
  void cancel_timer(TimerHandle h) override {
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->first.second == h) {
        timers_.erase(it);
        return;
      }
    }
  }
  unsigned nr_queued(const CfsRqRuntime& rq) const override {
    const Cpu& c = cpus_[rq.cpu];
    if (!c.queued) return 0;
    // 6.12: the levels above a throttled one lost its group entity.
    for (int g : path(rq.cpu)) {
      if (g == rq.group) return 1;
      if (bw.version() == KernelVersion::V6_12 && bw.cfs_rq_throttled(bw.cfs_rq(g, rq.cpu))) return 0;
    }
    return 0;
  }
  bool has_curr(const CfsRqRuntime& rq) const override { return cpus_[rq.cpu].running && on_path(rq); }
  void throttled(CfsRqRuntime& rq) override {
    events.push_back({"throttle", rq.group, rq.cpu, now_, 0});
    cpus_[rq.cpu].running = false;
    // 6.18: picked with the throttle work and back to user space at once.
    if (bw.version() == KernelVersion::V6_18 && cpus_[rq.cpu].queued) to_limbo(rq.cpu);
  }
  void release_limbo(CfsRqRuntime& rq) override {
    events.push_back({"release", rq.group, rq.cpu, now_, 0});
    Cpu& c = cpus_[rq.cpu];
    if (rq.group == c.leaf && c.in_limbo) {
      c.in_limbo = false;
      enqueue(rq.cpu);
    }
  }
  void unthrottled(CfsRqRuntime& rq, Ns throttled_for) override {
    events.push_back({"unthrottle", rq.group, rq.cpu, now_, throttled_for});
    pick(rq.cpu);
  }

  // --- The fake class
  void add_group(int g, int parent, Ns period_timer_phase = 0) {
    parent_[g] = parent;
    bw.add_group(g, parent, period_timer_phase);
  }
  void place(int cpu, int leaf) { cpus_[cpu].leaf = leaf; }
  void wake(int cpu) { enqueue(cpu); }
  // dequeue_task() (update_curr, the entity leaves, return_cfs_rq_runtime) then schedule()'s
  // put_prev_entity() checks, which may throttle the now empty cfs_rq.
  void sleep(int cpu) {
    Cpu& c = cpus_[cpu];
    charge(cpu);
    c.queued = false;
    for (int g : path(cpu)) bw.return_cfs_rq_runtime(bw.cfs_rq(g, cpu));
    put_prev(cpu);
    c.running = false;
  }
  // Moves the clock without ticking (timers still fire).
  void advance_to(Ns t) {
    fire_timers(t);
    now_ = t;
  }
  // Ticks every CPU each millisecond up to `t`, firing the timers due first.
  void run_to(Ns t) {
    while (now_ < t) {
      const Ns next = (now_ / kMs + 1) * kMs;  // the next tick
      fire_timers(next);
      now_ = next;
      for (int cpu = 0; cpu < static_cast<int>(cpus_.size()); ++cpu) tick(cpu);
    }
  }
  Ns ran(int cpu) const { return cpus_[cpu].ran; }
  size_t pending_timers() const { return timers_.size(); }
  bool running(int cpu) const { return cpus_[cpu].running; }

  std::vector<Event> events;
  int timers_started = 0;

 private:
  struct Cpu {
    int leaf = kRoot;
    bool queued = false;
    bool running = false;
    bool in_limbo = false;
    Ns last_update = 0;
    Ns ran = 0;
  };
  struct Timer {
    int cpu;
    std::function<void()> fn;
  };

  // The task's groups, leaf first, root excluded (the root is never limited).
  std::vector<int> path(int cpu) const {
    std::vector<int> groups;
    for (int g = cpus_[cpu].leaf; g != kRoot; g = parent_.at(g)) groups.push_back(g);
    return groups;
  }
  bool on_path(const CfsRqRuntime& rq) const {
    for (int g : path(rq.cpu)) {
      if (g == rq.group) return true;
    }
    return false;
  }

  void enqueue(int cpu) {
    Cpu& c = cpus_[cpu];
    c.queued = true;
    // enqueue_entity() bottom-up (each level gets its first entity); 6.12 stops at a
    // throttled level, whose group entity stays off its parent.
    for (int g : path(cpu)) {
      CfsRqRuntime& rq = bw.cfs_rq(g, cpu);
      bw.first_entity_enqueued(rq);
      if (bw.version() == KernelVersion::V6_12 && bw.cfs_rq_throttled(rq)) break;
    }
    if (bw.version() == KernelVersion::V6_18 && throttled_on_path(cpu)) {
      to_limbo(cpu);  // picked, then dequeued on its way to user space
      return;
    }
    pick(cpu);
  }
  // 6.18 throttle_cfs_rq_work(): dequeue to the leaf's limbo list, stamping the clocks.
  void to_limbo(int cpu) {
    Cpu& c = cpus_[cpu];
    c.queued = false;
    c.running = false;
    c.in_limbo = true;
    events.push_back({"limbo", c.leaf, cpu, now_, 0});
    for (int g : path(cpu)) {
      CfsRqRuntime& rq = bw.cfs_rq(g, cpu);
      bw.return_cfs_rq_runtime(rq);
      bw.record_throttle_clock(rq);
    }
  }
  bool throttled_on_path(int cpu) const {
    for (int g : path(cpu)) {
      if (bw.cfs_rq_throttled(bw.cfs_rq(g, cpu))) return true;
    }
    return false;
  }
  void pick(int cpu) {
    Cpu& c = cpus_[cpu];
    if (c.running || !c.queued || throttled_on_path(cpu)) return;
    c.running = true;
    c.last_update = now_;
  }
  // update_curr() on each level; true when one is out of runtime (resched_curr()).
  bool charge(int cpu) {
    Cpu& c = cpus_[cpu];
    if (!c.running) return false;
    const Ns delta = now_ - c.last_update;
    c.ran += delta;
    c.last_update = now_;
    bool resched = false;
    for (int g : path(cpu)) resched |= bw.account_cfs_rq_runtime(bw.cfs_rq(g, cpu), delta);
    return resched;
  }
  void update_curr(int cpu) {
    if (charge(cpu)) put_prev(cpu);  // the resched: schedule() puts the task back
  }
  // put_prev_entity() on each level: a throttle takes the task off the CPU.
  void put_prev(int cpu) {
    for (int g : path(cpu)) {
      if (!cpus_[cpu].running) break;
      bw.check_cfs_rq_runtime(bw.cfs_rq(g, cpu));
    }
  }
  void tick(int cpu) { update_curr(cpu); }
  void fire_timers(Ns until) {
    while (!timers_.empty() && timers_.begin()->first.first <= until) {
      auto node = timers_.extract(timers_.begin());
      now_ = node.key().first;
      for (int cpu = 0; cpu < static_cast<int>(cpus_.size()); ++cpu) update_curr(cpu);
      node.mapped().fn();
    }
  }

  std::vector<Cpu> cpus_;
  std::map<int, int> parent_;
  std::map<std::pair<Ns, TimerHandle>, Timer> timers_;
  TimerHandle next_handle_ = 0;
  Ns now_ = 0;

 public:
  BandwidthControl bw;  // last: built after and destroyed before the state its host uses
};

// Group 1 under the root with limit `lim` (written on CPU 0 at 0), one task per CPU in it,
// all woken at 0.
struct OneGroup {
  OneGroup(int ncpus, KernelVersion v, BandwidthLimit lim) : f(ncpus, v) {
    f.add_group(1, kRoot);
    f.bw.set_bandwidth(1, lim, 0);
    for (int cpu = 0; cpu < ncpus; ++cpu) {
      f.place(cpu, 1);
      f.wake(cpu);
    }
  }
  FakeFair f;
};

// 50 ms per 100 ms, one CPU, 6.12. The cpu.max write sets runtime_remaining to 0 and fills
// the pool with 50 ms; the first enqueue pulls a 5 ms slice (pool 45). Every 5 ms the slice
// runs out and the next one is pulled: at 45 ms the pool is empty, at 50 ms the pull fails,
// the tick reschedules and put_prev throttles: 50 ms run. The period timer at 100 ms refills
// 50 ms, pays the 0 debt + 1 ns and unthrottles (50 ms throttled). The 101 ms tick leaves
// 1 ns - 1 ms and pulls 6 ms - 1 ns (back to 5 ms, pool 44 ms); 5 ms pulls at 106 ... 141 ms
// leave 4 ms, pulled at 146 ms; the 150 ms tick throttles: [100,150) run. Same from 200 ms.
TEST(CfsBandwidth, HalfQuotaRunsHalfEachPeriod612) {
  OneGroup g(1, KernelVersion::V6_12, limit(50));
  FakeFair& f = g.f;
  f.run_to(99 * kMs);
  EXPECT_EQ(f.ran(0), 50 * kMs);
  EXPECT_FALSE(f.running(0));
  EXPECT_EQ(f.bw.bandwidth(1).runtime, 0u);
  f.run_to(250 * kMs);
  EXPECT_EQ(f.ran(0), 150 * kMs);  // [0,50) [100,150) [200,250)
  const CfsBandwidthStat& s = f.bw.stat(1);
  EXPECT_EQ(s.nr_periods, 2u);
  EXPECT_EQ(s.nr_throttled, 2u);
  EXPECT_EQ(s.throttled_usec(), 100000u);  // [50,100) + [150,200); the 250 ms one still runs
  const std::vector<Event> want = {
      {"throttle", 1, 0, 50 * kMs, 0},  {"unthrottle", 1, 0, 100 * kMs, 50 * kMs},
      {"throttle", 1, 0, 150 * kMs, 0}, {"unthrottle", 1, 0, 200 * kMs, 50 * kMs},
      {"throttle", 1, 0, 250 * kMs, 0},
  };
  EXPECT_EQ(f.events, want);
  EXPECT_EQ(f.bw.cfs_rq(1, 0).runtime_remaining, 0);
  EXPECT_EQ(f.bw.bandwidth(1).runtime, 0u);
  // cpu.stat.local: 6.12 stamps the throttle of a cfs_rq with entities: 50 + 50 + 0 ms.
  EXPECT_EQ(f.bw.throttled_time_self(1), 100 * kMs);
}

// The same in 6.18, where the cpu.max write grants 1 ns ("sched/fair: Prevent cfs_rq from
// being unthrottled with zero runtime_remaining"). The enqueue pulls nothing; the 1 ms tick
// leaves 1 ns - 1 ms and pulls 6 ms - 1 ns (pool 44 ms + 1 ns); 5 ms pulls at 6 ... 41 ms
// leave 4 ms + 1 ns, pulled whole at 46 ms; the 50 ms tick leaves 1 ns, the 51 ms one
// overruns to 1 ns - 1 ms and throttles: 51 ms run, the 1 ns grant costing a whole tick.
// At 100 ms the refill pays the debt + 1 ns = 1 ms (pool 49 ms, local 1 ns): the same pulls
// one period later end at 1 ns at 149 ms, throttled at 150 ms: 50 ms run.
// The fake task goes to limbo at the throttle, where 6.18 starts the throttled time.
TEST(CfsBandwidth, HalfQuotaRunsHalfEachPeriod618) {
  OneGroup g(1, KernelVersion::V6_18, limit(50));
  FakeFair& f = g.f;
  f.run_to(99 * kMs);
  EXPECT_EQ(f.ran(0), 51 * kMs);
  EXPECT_EQ(f.bw.cfs_rq(1, 0).runtime_remaining, -static_cast<int64_t>(kMs) + 1);
  f.run_to(199 * kMs);
  EXPECT_EQ(f.ran(0), 101 * kMs);
  const std::vector<Event> want = {
      {"throttle", 1, 0, 51 * kMs, 0},  {"limbo", 1, 0, 51 * kMs, 0},
      {"release", 1, 0, 100 * kMs, 0},  {"unthrottle", 1, 0, 100 * kMs, 49 * kMs},
      {"throttle", 1, 0, 150 * kMs, 0}, {"limbo", 1, 0, 150 * kMs, 0},
  };
  EXPECT_EQ(f.events, want);
  const CfsBandwidthStat& s = f.bw.stat(1);
  EXPECT_EQ(s.nr_periods, 1u);
  EXPECT_EQ(s.nr_throttled, 1u);
  EXPECT_EQ(s.throttled_time, 49 * kMs);
  EXPECT_EQ(f.bw.throttled_time_self(1), 49 * kMs + 49 * kMs);  // [51,100) + [150,199)
}

// Two CPUs share 50 ms per 100 ms in 5 ms slices (6.12). At 0 each enqueue pulls 5 ms (pool
// 45, 40); each CPU pulls again every 5 ms, CPU 0 first: pool 35/30 at 5 ms, ..., 5/0 at 20
// ms; at 25 ms both pulls fail and both are throttled, CPU 0 first (25 ms each). The period
// timer (pinned to CPU 0, where cpu.max was written) pays each 1 ns: the remote CPU 1 is
// unthrottled first, then the local CPU 0 (75 ms each). The 101 ms tick pulls 6 ms - 1 ns on
// each (pool 44 ms - 1 ns, then 38 ms); 5 ms pulls at 106, 111, 116 ms (pool 23/18, 13/8
// ... down to 8); at 121 ms CPU 0 pulls 5 (pool 3) and CPU 1 gets the last 3 ms: CPU 1 is
// throttled at 124 ms, CPU 0 at 126 ms.
TEST(CfsBandwidth, TwoCpusShareTheQuotaInSlices) {
  OneGroup g(2, KernelVersion::V6_12, limit(50));
  FakeFair& f = g.f;
  f.run_to(199 * kMs);
  EXPECT_EQ(f.ran(0), 51 * kMs);  // 25 + 26
  EXPECT_EQ(f.ran(1), 49 * kMs);  // 25 + 24
  const std::vector<Event> want = {
      {"throttle", 1, 0, 25 * kMs, 0},          {"throttle", 1, 1, 25 * kMs, 0},
      {"unthrottle", 1, 1, 100 * kMs, 75 * kMs}, {"unthrottle", 1, 0, 100 * kMs, 75 * kMs},
      {"throttle", 1, 1, 124 * kMs, 0},         {"throttle", 1, 0, 126 * kMs, 0},
  };
  EXPECT_EQ(f.events, want);
  const CfsBandwidthStat& s = f.bw.stat(1);
  EXPECT_EQ(s.nr_periods, 1u);
  EXPECT_EQ(s.nr_throttled, 1u);
  EXPECT_EQ(s.throttled_usec(), 150000u);
  EXPECT_EQ(f.bw.cfs_rq(1, 0).throttled_time, 75 * kMs);
  EXPECT_EQ(f.bw.cfs_rq(1, 1).throttled_time, 75 * kMs);
  // The next distribution follows the new throttle order: CPU 1, then CPU 0.
  const std::vector<CfsRqRuntime*> order = {&f.bw.cfs_rq(1, 1), &f.bw.cfs_rq(1, 0)};
  EXPECT_EQ(f.bw.bandwidth(1).throttled_cfs_rq, order);
}

// Slack return and the slack timer (6.12, 3 CPUs, 10 ms per 100 ms). At 0 CPUs 0 and 1 pull
// 5 ms each and empty the pool; CPU 2's enqueue finds nothing (check_enqueue_throttle) and is
// throttled at once. At 1 ms the tasks of CPUs 0 and 1 sleep with 4 ms left: each keeps
// min_cfs_rq_runtime (1 ms) and returns 3 ms. The second return makes the pool 6 ms > one
// slice with a cfs_rq throttled and the refresh 99 ms away (> 7 ms): the slack timer is
// armed for 6 ms. It pays CPU 2's 1 ns and unthrottles it (6 ms throttled); the 7 ms tick
// pulls the rest (6 ms - 1 ns, back to 5 ms): CPU 2 runs [6,12) and is throttled at 12 ms.
TEST(CfsBandwidth, IdleCfsRqReturnsSlackToAThrottledOne) {
  OneGroup g(3, KernelVersion::V6_12, limit(10));
  FakeFair& f = g.f;
  EXPECT_EQ(f.events, (std::vector<Event>{{"throttle", 1, 2, 0, 0}}));
  f.run_to(1 * kMs);
  f.sleep(0);
  EXPECT_EQ(f.bw.bandwidth(1).runtime, 3 * kMs);
  EXPECT_FALSE(f.bw.bandwidth(1).slack_started);  // 3 ms is not above a slice
  f.sleep(1);
  EXPECT_EQ(f.bw.bandwidth(1).runtime, 6 * kMs);
  EXPECT_TRUE(f.bw.bandwidth(1).slack_started);
  EXPECT_EQ(f.bw.cfs_rq(1, 0).runtime_remaining, static_cast<int64_t>(kMs));
  EXPECT_EQ(f.bw.cfs_rq(1, 1).runtime_remaining, static_cast<int64_t>(kMs));
  f.run_to(99 * kMs);
  EXPECT_EQ(f.ran(2), 6 * kMs);
  const std::vector<Event> want = {
      {"throttle", 1, 2, 0, 0},
      {"unthrottle", 1, 2, 6 * kMs, 6 * kMs},
      {"throttle", 1, 2, 12 * kMs, 0},
  };
  EXPECT_EQ(f.events, want);
  EXPECT_EQ(f.bw.stat(1).throttled_usec(), 6000u);
  EXPECT_EQ(f.bw.stat(1).nr_periods, 0u);
  EXPECT_EQ(f.timers_started, 2);  // the period timer and one slack timer
}

// Near a refresh the slack is returned but no slack timer runs. The same set-up with the
// period timer's phase (the kernel's random offset) at 7.5 ms: at the 1 ms returns the
// refresh is 6.5 ms away (< slack period 5 ms + min expiration 2 ms), so CPU 2 waits for the
// period timer. Its refill clamps the pool (6 ms returned + 10 ms) to the quota, 10 ms, and
// pays CPU 2 1 ns: unthrottled at 7.5 ms. The 8 ms tick pulls 5.5 ms - 1 ns (pool 4.5 ms),
// the 13 ms one the last 4.5 ms; the 18 ms tick overruns by 0.5 ms: throttled at 18 ms.
TEST(CfsBandwidth, NoSlackTimerJustBeforeARefresh) {
  FakeFair f(3, KernelVersion::V6_12);
  f.add_group(1, kRoot, 7500 * kNsPerUs);
  f.bw.set_bandwidth(1, limit(10), 0);
  EXPECT_EQ(f.bw.bandwidth(1).period_expires, 7500 * kNsPerUs);
  for (int cpu = 0; cpu < 3; ++cpu) {
    f.place(cpu, 1);
    f.wake(cpu);
  }
  f.run_to(1 * kMs);
  f.sleep(0);
  f.sleep(1);
  EXPECT_EQ(f.bw.bandwidth(1).runtime, 6 * kMs);
  EXPECT_FALSE(f.bw.bandwidth(1).slack_started);
  f.run_to(99 * kMs);
  EXPECT_EQ(f.ran(2), 10500 * kNsPerUs);
  const std::vector<Event> want = {
      {"throttle", 1, 2, 0, 0},
      {"unthrottle", 1, 2, 7500 * kNsPerUs, 7500 * kNsPerUs},
      {"throttle", 1, 2, 18 * kMs, 0},
  };
  EXPECT_EQ(f.events, want);
  EXPECT_EQ(f.bw.stat(1).nr_periods, 1u);
  EXPECT_EQ(f.bw.stat(1).nr_throttled, 1u);
  EXPECT_EQ(f.timers_started, 2);  // the period timer, armed at 0 and again at 7.5 ms
  EXPECT_EQ(f.bw.bandwidth(1).period_expires, 107500 * kNsPerUs);
}

// A group without a limit is not accounted, even while another group has one (the static
// key is on): its local runtime stays 0, it starts no timer and its cpu.stat stays 0.
TEST(CfsBandwidth, MaxQuotaIsNotAccounted) {
  FakeFair f(2, KernelVersion::V6_12);
  f.add_group(1, kRoot);
  f.add_group(2, kRoot);
  f.bw.set_bandwidth(1, unlimited(), 0);
  f.bw.set_bandwidth(2, limit(50), 0);
  EXPECT_TRUE(f.bw.used());
  f.place(0, 1);
  f.place(1, 2);
  f.wake(0);
  f.wake(1);
  f.run_to(199 * kMs);
  EXPECT_EQ(f.ran(0), 199 * kMs);
  EXPECT_EQ(f.ran(1), 100 * kMs);
  const CfsRqRuntime& rq = f.bw.cfs_rq(1, 0);
  EXPECT_FALSE(rq.runtime_enabled);
  EXPECT_EQ(rq.runtime_remaining, 0);
  EXPECT_FALSE(f.bw.bandwidth(1).period_active);
  EXPECT_EQ(f.bw.stat(1).nr_periods, 0u);
  EXPECT_EQ(f.bw.stat(1).throttled_time, 0u);
  EXPECT_EQ(f.timers_started, 2);  // group 2's period timer, armed at 0 and again at 100 ms
}

// cpu.max changed at run time (tg_set_cfs_bandwidth(), 6.12). Throttled at 50 ms, the write
// of "max" at 70 ms unthrottles at once (20 ms throttled) and stops the accounting; the
// period timer at 100 ms finds no limit and stops without counting a period. "20000 100000"
// at 150 ms fills the pool with 20 ms and restarts the timer at its old phase: 200 ms (the
// stopped timer's expiry, 150 ms is before it). The 151 ms tick pulls 6 ms (pool 14), pulls
// at 156, 161 ms (4 left), 166 ms (the last 4 ms); the 170 ms tick throttles: [150,170) run.
// At 200 ms: one period, throttled, 30 ms more throttled time.
TEST(CfsBandwidth, CpuMaxWrittenAtRunTime) {
  OneGroup g(1, KernelVersion::V6_12, limit(50));
  FakeFair& f = g.f;
  f.run_to(70 * kMs);
  f.bw.set_bandwidth(1, unlimited(), 0);
  EXPECT_FALSE(f.bw.used());
  EXPECT_TRUE(f.running(0));
  f.run_to(150 * kMs);
  EXPECT_FALSE(f.bw.bandwidth(1).period_active);
  EXPECT_EQ(f.bw.stat(1).nr_periods, 0u);
  f.bw.set_bandwidth(1, limit(20), 0);
  EXPECT_EQ(f.bw.bandwidth(1).runtime, 20 * kMs);
  EXPECT_EQ(f.bw.bandwidth(1).period_expires, 200 * kMs);
  f.run_to(200 * kMs);
  EXPECT_EQ(f.ran(0), 150 * kMs);  // [0,50) [70,170)
  const std::vector<Event> want = {
      {"throttle", 1, 0, 50 * kMs, 0},
      {"unthrottle", 1, 0, 70 * kMs, 20 * kMs},
      {"throttle", 1, 0, 170 * kMs, 0},
      {"unthrottle", 1, 0, 200 * kMs, 30 * kMs},
  };
  EXPECT_EQ(f.events, want);
  const CfsBandwidthStat& s = f.bw.stat(1);
  EXPECT_EQ(s.nr_periods, 1u);
  EXPECT_EQ(s.nr_throttled, 1u);
  EXPECT_EQ(s.throttled_usec(), 50000u);
}

// A new limit written while throttled unthrottles in both versions: the pool is refilled
// (0 + 60 ms) and the local runtime reset; 6.12 unthrottles with 0, 6.18 with the 1 ns it
// grants (its unthrottle_cfs_rq() refuses a cfs_rq without runtime). Throttled at 50 ms
// (6.12) or 51 ms (6.18, see above), unthrottled by the write at 70 ms, running at 80 ms.
TEST(CfsBandwidth, NewLimitWhileThrottledUnthrottles) {
  for (KernelVersion v : {KernelVersion::V6_12, KernelVersion::V6_18}) {
    SCOPED_TRACE(kernel_version_name(v));
    const bool is618 = v == KernelVersion::V6_18;
    OneGroup g(1, v, limit(50));
    FakeFair& f = g.f;
    f.run_to(70 * kMs);
    EXPECT_FALSE(f.running(0));
    f.bw.set_bandwidth(1, limit(60), 0);
    EXPECT_EQ(f.bw.bandwidth(1).runtime, 60 * kMs);
    EXPECT_EQ(f.bw.cfs_rq(1, 0).runtime_remaining, is618 ? 1 : 0);
    f.run_to(80 * kMs);
    EXPECT_TRUE(f.running(0));
    EXPECT_EQ(f.ran(0), (is618 ? 61 : 60) * kMs);
    EXPECT_EQ(f.events.back(), (Event{"unthrottle", 1, 0, 70 * kMs, (is618 ? 19 : 20) * kMs}));
  }
}

// An idle limited group stops its period timer after a period without handing out runtime
// and restarts it on the old phase. Written at 0: the timer at 100 ms finds the group idle
// for the first time (marks it), at 200 ms it stops (2 periods). A wake at 450 ms pulls a
// slice and restarts the timer: forwarded from 300 ms past 450 ms, to 500 ms.
TEST(CfsBandwidth, IdleGroupStopsItsTimerAndRestartsInPhase) {
  FakeFair f(1, KernelVersion::V6_12);
  f.add_group(1, kRoot);
  f.bw.set_bandwidth(1, limit(50), 0);
  f.place(0, 1);
  f.run_to(450 * kMs);
  EXPECT_FALSE(f.bw.bandwidth(1).period_active);
  EXPECT_EQ(f.bw.stat(1).nr_periods, 2u);
  EXPECT_EQ(f.timers_started, 2);  // armed at 0, re-armed at 100 ms, stopped at 200 ms
  f.wake(0);
  EXPECT_TRUE(f.bw.bandwidth(1).period_active);
  EXPECT_EQ(f.bw.bandwidth(1).period_expires, 500 * kMs);
  EXPECT_EQ(f.bw.bandwidth(1).runtime, 45 * kMs);
}

// hrtimer_forward(): whole intervals past now, one more on an exact multiple; 0 when the
// expiry is still ahead.
TEST(CfsBandwidth, HrtimerForward) {
  Ns e = 0;
  EXPECT_EQ(hrtimer_forward(e, 0, 100), 1u);
  EXPECT_EQ(e, 100u);
  e = 300;
  EXPECT_EQ(hrtimer_forward(e, 150, 100), 0u);
  EXPECT_EQ(e, 300u);
  e = 200;
  EXPECT_EQ(hrtimer_forward(e, 450, 100), 3u);  // 300, 400 are past: 500
  EXPECT_EQ(e, 500u);
  e = 100;
  EXPECT_EQ(hrtimer_forward(e, 300, 100), 3u);  // 300 is not after now: 400
  EXPECT_EQ(e, 400u);
}

// Hierarchy: A (limited, 50 ms per 100 ms) with an unlimited child B holding the task. A's
// throttle counts on B too (throttle_count 1: a throttled hierarchy, not throttled itself);
// a group C created under A while A is throttled inherits it (sync_throttle()). The
// unthrottle walks children before parents: 6.18 re-enqueues B's limbo task, then C's, A's.
TEST(CfsBandwidth, ThrottleCountsDownTheHierarchy) {
  for (KernelVersion v : {KernelVersion::V6_12, KernelVersion::V6_18}) {
    SCOPED_TRACE(kernel_version_name(v));
    const bool is618 = v == KernelVersion::V6_18;
    FakeFair f(1, v);
    f.add_group(1, kRoot);  // A
    f.add_group(2, 1);      // B
    f.bw.set_bandwidth(1, limit(50), 0);
    f.place(0, 2);
    f.wake(0);
    f.run_to(60 * kMs);
    const CfsRqRuntime& a = f.bw.cfs_rq(1, 0);
    const CfsRqRuntime& b = f.bw.cfs_rq(2, 0);
    EXPECT_TRUE(f.bw.cfs_rq_throttled(a));
    EXPECT_FALSE(f.bw.cfs_rq_throttled(b));
    EXPECT_TRUE(f.bw.throttled_hierarchy(b));
    EXPECT_EQ(b.throttle_count, 1);
    f.add_group(3, 1);  // C
    EXPECT_EQ(f.bw.cfs_rq(3, 0).throttle_count, 1);
    f.run_to(100 * kMs);
    EXPECT_EQ(a.throttle_count + b.throttle_count + f.bw.cfs_rq(3, 0).throttle_count, 0);
    const Ns t0 = (is618 ? 51 : 50) * kMs;
    std::vector<Event> want = {{"throttle", 1, 0, t0, 0}};
    if (is618) {
      want.push_back({"limbo", 2, 0, t0, 0});
      want.push_back({"release", 2, 0, 100 * kMs, 0});
      want.push_back({"release", 3, 0, 100 * kMs, 0});
      want.push_back({"release", 1, 0, 100 * kMs, 0});
    }
    want.push_back({"unthrottle", 1, 0, 100 * kMs, 100 * kMs - t0});
    EXPECT_EQ(f.events, want);
    EXPECT_TRUE(f.running(0));
    // cpu.stat.local of B: the time its cfs_rq spent in a throttled hierarchy with its task.
    EXPECT_EQ(f.bw.throttled_time_self(2), 100 * kMs - t0);
    EXPECT_EQ(f.bw.throttled_time_self(3), 0u);  // empty: never stamped
  }
}

// A cfs_rq throttled empty (its task blocked with the runtime used up) is charged throttled
// time only from when a task waits again. 50 ms per 100 ms: at 49 ms the local runtime is
// 1 ms (6.12) or 1 ms + 1 ns (6.18, see above); the task blocks at 50.5 ms, overrunning by
// 0.5 ms (less 1 ns): the dequeue leaves nothing to return and put_prev throttles the empty
// cfs_rq. It wakes at 80 ms: 6.12's enqueue_entity() stamps the throttled clock, 6.18's
// stamp comes as the woken task goes to limbo. The period timer unthrottles at 100 ms: 20 ms
// in cpu.stat for both, while the trace shows the 49.5 ms the cfs_rq was throttled.
TEST(CfsBandwidth, EmptyThrottledCfsRqCountsFromTheWakeup) {
  for (KernelVersion v : {KernelVersion::V6_12, KernelVersion::V6_18}) {
    SCOPED_TRACE(kernel_version_name(v));
    OneGroup g(1, v, limit(50));
    FakeFair& f = g.f;
    f.run_to(49 * kMs);
    f.advance_to(50500 * kNsPerUs);
    f.sleep(0);
    EXPECT_TRUE(f.bw.cfs_rq_throttled(f.bw.cfs_rq(1, 0)));
    EXPECT_EQ(f.bw.cfs_rq(1, 0).throttled_clock, kNoClock);
    f.run_to(80 * kMs);
    f.wake(0);
    EXPECT_EQ(f.bw.cfs_rq(1, 0).throttled_clock, 80 * kMs);
    f.run_to(100 * kMs);
    EXPECT_EQ(f.bw.stat(1).throttled_time, 20 * kMs);
    EXPECT_EQ(f.bw.throttled_time_self(1), 20 * kMs);
    EXPECT_EQ(f.events.back(), (Event{"unthrottle", 1, 0, 100 * kMs, 49500 * kNsPerUs}));
    EXPECT_TRUE(f.running(0));
  }
}

// An overrun bigger than the quota is repaid over several periods. 1 ms per 100 ms, one task
// that runs 10 ms without a tick (the enqueue pulled the whole 1 ms pool) and blocks: its
// cfs_rq owes 9 ms and is throttled empty at 10 ms. Each period timer pays 1 ms of the debt
// (the pool), which leaves it throttled. 6.12: -8 ms at 100 ms ... 0 at 900 ms (not
// positive), 1 ns at 1000 ms: unthrottled at the 10th period. 6.18: the write's 1 ns made the
// debt 9 ms - 1 ns, so 900 ms leaves 1 ns: unthrottled at the 9th. No task waited, so
// cpu.stat counts no throttled time; the trace shows 990 / 890 ms.
TEST(CfsBandwidth, DebtIsRepaidOverPeriods) {
  for (KernelVersion v : {KernelVersion::V6_12, KernelVersion::V6_18}) {
    SCOPED_TRACE(kernel_version_name(v));
    const bool is618 = v == KernelVersion::V6_18;
    OneGroup g(1, v, limit(1));
    FakeFair& f = g.f;
    f.advance_to(10 * kMs);
    f.sleep(0);
    EXPECT_EQ(f.bw.cfs_rq(1, 0).runtime_remaining, -9 * static_cast<int64_t>(kMs) + (is618 ? 1 : 0));
    f.run_to(150 * kMs);
    EXPECT_EQ(f.bw.cfs_rq(1, 0).runtime_remaining, -8 * static_cast<int64_t>(kMs) + (is618 ? 1 : 0));
    EXPECT_TRUE(f.bw.cfs_rq_throttled(f.bw.cfs_rq(1, 0)));
    f.run_to(1000 * kMs);
    const Ns unthrottled_at = (is618 ? 900 : 1000) * kMs;
    EXPECT_EQ(f.events.back(), (Event{"unthrottle", 1, 0, unthrottled_at, unthrottled_at - 10 * kMs}));
    const CfsBandwidthStat& s = f.bw.stat(1);
    EXPECT_EQ(s.nr_periods, 10u);
    EXPECT_EQ(s.nr_throttled, is618 ? 9u : 10u);
    EXPECT_EQ(s.throttled_time, 0u);
  }
}

// Removing a group cancels its timers (destroy_cfs_bandwidth()).
TEST(CfsBandwidth, RemovedGroupLeavesNoTimer) {
  FakeFair f(1, KernelVersion::V6_12);
  f.add_group(1, kRoot);
  f.bw.set_bandwidth(1, limit(10), 0);
  EXPECT_EQ(f.pending_timers(), 1u);
  f.bw.remove_group(1);
  EXPECT_FALSE(f.bw.has_group(1));
  EXPECT_EQ(f.pending_timers(), 0u);
  EXPECT_FALSE(f.bw.used());
}

}  // namespace
}  // namespace scx::fair
