// CFS bandwidth control (cgroup v2 cpu.max) of the fair class, Linux kernel/sched/fair.c
// (CONFIG_CFS_BANDWIDTH) of v6.12 or v6.18, as a pure component: the per-group runtime pool
// with its period and slack timers (struct cfs_bandwidth), the per-cfs_rq local runtime
// (cfs_rq->runtime_remaining, throttled, throttle_count) and the decisions: how much runtime a
// cfs_rq pulls, when it is throttled, who gets the refilled runtime and when it is unthrottled.
//
// The component holds no run queues. The fair class implements BandwidthHost: it answers two
// questions about its queues (nr_queued, curr), runs the timers on the simulated clock and does
// the queue operations a throttle or unthrottle needs. docs/cgroups.md "Bandwidth control
// (cpu.max)" lists what is modelled, the 6.12/6.18 differences and where the class calls in.
//
// Groups are identified by the cgroup's dense index (Cgroup::index(); 0 = root, which is never
// limited); each group has one CfsRqRuntime per CPU. Method names follow the kernel function
// each one models.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "kernel/kernel_version.h"
#include "sim/time.h"

namespace scx::fair {

// RUNTIME_INF: the quota of a group without a limit (cpu.max "max").
inline constexpr Ns kRuntimeInf = ~Ns{0};
// sysctl_sched_cfs_bandwidth_slice_us (5000): what a cfs_rq tops its local runtime up to.
inline constexpr Ns kCfsBandwidthSlice = 5 * kNsPerMs;
// min_cfs_rq_runtime: what an idle cfs_rq keeps when it returns its slack.
inline constexpr Ns kMinCfsRqRuntime = 1 * kNsPerMs;
// cfs_bandwidth_slack_period: delay of the slack timer's distribution.
inline constexpr Ns kCfsBandwidthSlackPeriod = 5 * kNsPerMs;
// min_bandwidth_expiration: a period refresh this close makes the slack timer pointless.
inline constexpr Ns kMinBandwidthExpiration = 2 * kNsPerMs;

// cpu.max (+ cpu.max.burst): quota per period; quota kRuntimeInf = no limit.
struct BandwidthLimit {
  Ns quota = kRuntimeInf;
  Ns period = 100 * kNsPerMs;  // default_cfs_period()
  Ns burst = 0;
  bool limited() const { return quota != kRuntimeInf; }
};

// What cpu.stat reports for a group's own limit.
struct CfsBandwidthStat {
  uint64_t nr_periods = 0;    // period timer expiries while limited
  uint64_t nr_throttled = 0;  // of those, the ones that found throttled cfs_rqs
  Ns throttled_time = 0;      // summed over the group's cfs_rqs (cpu.stat throttled_usec * 1000)
  uint64_t nr_bursts = 0;     // refills that used burst runtime
  Ns burst_time = 0;
  uint64_t throttled_usec() const { return throttled_time / kNsPerUs; }
};

// Sentinel for an unset clock stamp (the kernel uses 0, which is a valid simulated time).
inline constexpr Ns kNoClock = kNever;
// A timer handle that is not armed (hosts may hand out any other value, 0 included).
inline constexpr uint64_t kNoTimer = ~uint64_t{0};

// The bandwidth side of one group's cfs_rq on one CPU (the CONFIG_CFS_BANDWIDTH fields of
// struct cfs_rq).
struct CfsRqRuntime {
  int group = 0;
  int cpu = 0;
  bool runtime_enabled = false;  // the group has a limit
  int64_t runtime_remaining = 0;  // local runtime; <= 0 means out (a debt after an overrun)
  bool throttled = false;         // throttled by its own group's limit
  int throttle_count = 0;         // throttled levels at or above this one on this CPU
  Ns throttled_at = 0;            // when `throttled` was last set (the trace's duration)
  Ns throttled_clock = kNoClock;  // start of the time charged to CfsBandwidthStat::throttled_time
  Ns throttled_time = 0;          // this cfs_rq's share of CfsBandwidthStat::throttled_time
  Ns throttled_clock_self = kNoClock;  // start of the time charged to cpu.stat.local
  Ns throttled_clock_self_time = 0;
};

// struct cfs_bandwidth: a group's runtime pool and timers.
struct CfsBandwidth {
  BandwidthLimit limit;
  Ns runtime = 0;       // the pool
  Ns runtime_snap = 0;  // the pool after the last refill (burst accounting)
  bool idle = false;    // no runtime handed out since the last period timer
  bool period_active = false;
  bool slack_started = false;
  bool period_timer_running = false;  // hrtimer_callback_running(&period_timer)
  Ns period_expires = 0;  // the period hrtimer's expiry; kept while stopped (restarts forward it)
  uint64_t period_timer = kNoTimer;  // BandwidthHost handles while armed
  uint64_t slack_timer = kNoTimer;
  std::vector<CfsRqRuntime*> throttled_cfs_rq;  // throttled cfs_rqs in throttle order
  CfsBandwidthStat stat;
};

// What the fair class provides (see the header comment).
class BandwidthHost {
 public:
  using TimerHandle = uint64_t;  // never kNoTimer
  virtual ~BandwidthHost() = default;

  virtual Ns clock() const = 0;  // rq_clock() (all CPUs share the simulated clock)
  // An hrtimer: fn runs at `when` on `cpu`. cancel_timer() of a fired or cancelled handle is a
  // no-op.
  virtual TimerHandle start_timer(Ns when, int cpu, std::function<void()> fn) = 0;
  virtual void cancel_timer(TimerHandle h) = 0;

  virtual unsigned nr_queued(const CfsRqRuntime& rq) const = 0;  // cfs_rq->nr_queued (curr included)
  virtual bool has_curr(const CfsRqRuntime& rq) const = 0;       // cfs_rq->curr != NULL

  // `rq` has just been throttled (its flag and the throttle_counts below it are set): emit
  // TraceType::CgroupThrottle. 6.12: dequeue the group's entity and those above it that become
  // empty (the loop of throttle_cfs_rq()). 6.18: nothing to dequeue; each task leaves when it
  // is picked and returns to user space (then record_throttle_clock()).
  virtual void throttled(CfsRqRuntime& rq) = 0;
  // 6.18 tg_unthrottle_up(): `rq`'s throttle_count reached 0; re-enqueue its limbo tasks.
  // Called for each cfs_rq below the unthrottled one, children before parents.
  virtual void release_limbo(CfsRqRuntime& rq) = 0;
  // `rq` has been unthrottled after `throttled_for` ns. 6.12: enqueue the group's entity and
  // the ancestors' that are not queued. Both: resched the CPU if it is idle and now has fair
  // work, emit TraceType::CgroupUnthrottle.
  virtual void unthrottled(CfsRqRuntime& rq, Ns throttled_for) = 0;
};

class BandwidthControl {
 public:
  BandwidthControl(int nr_cpus, KernelVersion version, BandwidthHost& host);
  ~BandwidthControl();
  BandwidthControl(const BandwidthControl&) = delete;
  BandwidthControl& operator=(const BandwidthControl&) = delete;

  // Group lifecycle. The root (group 0) exists from the start. add_group() models
  // init_cfs_bandwidth() (no limit; the period timer's first expiry is `period_timer_phase`,
  // the kernel's random offset below the period) and sync_throttle() (a new cfs_rq under a
  // throttled parent counts as throttled). remove_group() (destroy_cfs_bandwidth()) needs the
  // group to have no children.
  void add_group(int group, int parent, Ns period_timer_phase = 0);
  void remove_group(int group);
  bool has_group(int group) const;

  CfsBandwidth& bandwidth(int group);
  const CfsBandwidth& bandwidth(int group) const;
  CfsRqRuntime& cfs_rq(int group, int cpu);
  const CfsRqRuntime& cfs_rq(int group, int cpu) const;

  // tg_set_cfs_bandwidth(): a cpu.max write, done on `cpu`. Refills the pool, (re)starts the
  // period timer when limited, resets every cfs_rq's local runtime (0 in 6.12, 1 ns in 6.18)
  // and unthrottles the throttled ones.
  void set_bandwidth(int group, const BandwidthLimit& limit, int cpu);

  // --- Calls from the fair class ---------------------------------------------------------
  // update_curr(): charge delta_exec to `rq` (each level of the running task's path).
  // Returns true when the cfs_rq is out of runtime and none could be pulled: resched_curr().
  bool account_cfs_rq_runtime(CfsRqRuntime& rq, Ns delta_exec);
  // put_prev_entity() and each level of pick_task_fair(): throttle `rq` if it is out of
  // runtime. Returns true if `rq` is throttled (6.12: pick again from the top; 6.18: the picked
  // task gets the throttle work).
  bool check_cfs_rq_runtime(CfsRqRuntime& rq);
  // enqueue_entity() when `rq` has just got its first entity (nr_queued == 1):
  // check_enqueue_throttle(), and in 6.12 the throttled-time stamps of a throttled hierarchy.
  void first_entity_enqueued(CfsRqRuntime& rq);
  void check_enqueue_throttle(CfsRqRuntime& rq);
  // dequeue_entity() after an entity has left `rq`: return_cfs_rq_runtime() (acts when the
  // cfs_rq is now empty).
  void return_cfs_rq_runtime(CfsRqRuntime& rq);
  // 6.18 dequeue_entities() of a task going to limbo: for each cfs_rq on its path, start the
  // throttled-time clocks (record_throttle_clock(); no-op outside a throttled hierarchy).
  void record_throttle_clock(CfsRqRuntime& rq);

  // cfs_rq_throttled() / throttled_hierarchy().
  bool cfs_rq_throttled(const CfsRqRuntime& rq) const { return used() && rq.throttled; }
  bool throttled_hierarchy(const CfsRqRuntime& rq) const { return used() && rq.throttle_count > 0; }
  // cfs_bandwidth_used(): some group has a limit.
  bool used() const { return nr_limited_ > 0; }

  // cpu.stat (nr_periods, nr_throttled, throttled_usec) and cpu.stat.local's throttled_usec
  // (ns here: the time the group's cfs_rqs spent in a throttled hierarchy, running stamps
  // included; throttled_time_self()).
  const CfsBandwidthStat& stat(int group) const { return bandwidth(group).stat; }
  Ns throttled_time_self(int group) const;

  KernelVersion version() const { return version_; }
  int nr_cpus() const { return nr_cpus_; }

 private:
  struct Group;

  Group& group_of(const CfsRqRuntime& rq);
  bool assign_cfs_rq_runtime(CfsRqRuntime& rq, Ns target);  // __assign_cfs_rq_runtime()
  bool throttle_cfs_rq(CfsRqRuntime& rq);
  void unthrottle_cfs_rq(CfsRqRuntime& rq);
  void tg_throttle_down(CfsRqRuntime& rq);
  void tg_unthrottle_up(CfsRqRuntime& rq);
  template <typename Fn>
  void walk_subtree_preorder(int group, int cpu, const Fn& fn);
  template <typename Fn>
  void walk_subtree_postorder(int group, int cpu, const Fn& fn);

  void refill_runtime(CfsBandwidth& b);  // __refill_cfs_bandwidth_runtime()
  void start_cfs_bandwidth(int group, int cpu);
  void arm_period_timer(int group, int cpu);
  void period_timer_fired(int group, int cpu);  // sched_cfs_period_timer()
  bool do_period_timer(CfsBandwidth& b, uint64_t overrun, int cpu);  // true: go idle
  bool distribute_runtime(CfsBandwidth& b, int this_cpu);  // true: some cfs_rq stays throttled
  bool runtime_refresh_within(const CfsBandwidth& b, Ns min_expire) const;
  void start_slack_timer(int group, int cpu);  // start_cfs_slack_bandwidth()
  void slack_timer_fired(int group, int cpu);  // do_sched_cfs_slack_timer()

  int nr_cpus_;
  KernelVersion version_;
  BandwidthHost& host_;
  std::vector<std::unique_ptr<Group>> groups_;  // by group index; null = none
  int nr_limited_ = 0;  // groups with a limit (the cfs_bandwidth_used() static key)
};

// hrtimer_forward(): moves `expires` past `now` in whole `interval`s; returns how many (0 when
// `expires` is still ahead).
uint64_t hrtimer_forward(Ns& expires, Ns now, Ns interval);

}  // namespace scx::fair
