#include "kernel/fair/bandwidth.h"

#include <algorithm>

#include "base/check.h"

namespace scx::fair {

struct BandwidthControl::Group {
  int parent = -1;
  std::vector<int> children;  // in creation order (the kernel's tg->children walk order)
  CfsBandwidth bandwidth;
  std::vector<CfsRqRuntime> rqs;  // one per CPU; never resized, so pointers stay valid
};

uint64_t hrtimer_forward(Ns& expires, Ns now, Ns interval) {
  if (now < expires) return 0;
  uint64_t overruns = 1;
  const Ns delta = now - expires;
  if (delta >= interval) {
    overruns = delta / interval;
    expires += interval * overruns;
    if (expires > now) return overruns;
    ++overruns;  // exact multiple: one more
  }
  expires += interval;
  return overruns;
}

BandwidthControl::BandwidthControl(int nr_cpus, KernelVersion version, BandwidthHost& host)
    : nr_cpus_(nr_cpus), version_(version), host_(host) {
  add_group(0, -1);
}

BandwidthControl::~BandwidthControl() {
  for (auto& g : groups_) {
    if (!g) continue;
    if (g->bandwidth.period_timer != kNoTimer) host_.cancel_timer(g->bandwidth.period_timer);
    if (g->bandwidth.slack_timer != kNoTimer) host_.cancel_timer(g->bandwidth.slack_timer);
  }
}

void BandwidthControl::add_group(int group, int parent, Ns period_timer_phase) {
  SCX_CHECK(group >= 0 && !has_group(group));
  SCX_CHECK(parent < 0 ? group == 0 : has_group(parent));
  if (group >= static_cast<int>(groups_.size())) groups_.resize(group + 1);
  auto g = std::make_unique<Group>();
  g->parent = parent;
  g->bandwidth.period_expires = period_timer_phase;
  g->rqs.resize(nr_cpus_);
  for (int cpu = 0; cpu < nr_cpus_; ++cpu) {
    CfsRqRuntime& rq = g->rqs[cpu];
    rq.group = group;
    rq.cpu = cpu;
    // sync_throttle(): inherit the parent's throttled levels on this CPU.
    if (parent >= 0) rq.throttle_count = groups_[parent]->rqs[cpu].throttle_count;
  }
  if (parent >= 0) groups_[parent]->children.push_back(group);
  groups_[group] = std::move(g);
}

void BandwidthControl::remove_group(int group) {
  SCX_CHECK(group > 0 && has_group(group));
  Group& g = *groups_[group];
  SCX_CHECK_MSG(g.children.empty(), "a cgroup with children cannot be removed");
  if (g.bandwidth.limit.limited()) --nr_limited_;
  if (g.bandwidth.period_timer != kNoTimer) host_.cancel_timer(g.bandwidth.period_timer);
  if (g.bandwidth.slack_timer != kNoTimer) host_.cancel_timer(g.bandwidth.slack_timer);
  auto& siblings = groups_[g.parent]->children;
  siblings.erase(std::find(siblings.begin(), siblings.end(), group));
  groups_[group].reset();
}

bool BandwidthControl::has_group(int group) const {
  return group >= 0 && group < static_cast<int>(groups_.size()) && groups_[group] != nullptr;
}

CfsBandwidth& BandwidthControl::bandwidth(int group) {
  SCX_CHECK(has_group(group));
  return groups_[group]->bandwidth;
}
const CfsBandwidth& BandwidthControl::bandwidth(int group) const {
  SCX_CHECK(has_group(group));
  return groups_[group]->bandwidth;
}
CfsRqRuntime& BandwidthControl::cfs_rq(int group, int cpu) {
  SCX_CHECK(has_group(group) && cpu >= 0 && cpu < nr_cpus_);
  return groups_[group]->rqs[cpu];
}
const CfsRqRuntime& BandwidthControl::cfs_rq(int group, int cpu) const {
  SCX_CHECK(has_group(group) && cpu >= 0 && cpu < nr_cpus_);
  return groups_[group]->rqs[cpu];
}
BandwidthControl::Group& BandwidthControl::group_of(const CfsRqRuntime& rq) { return *groups_[rq.group]; }

// ---------------------------------------------------------------------------------------------
// cpu.max writes

void BandwidthControl::set_bandwidth(int group, const BandwidthLimit& limit, int cpu) {
  CfsBandwidth& b = bandwidth(group);
  const bool enabled = limit.limited();
  const bool was_enabled = b.limit.limited();
  if (enabled && !was_enabled) ++nr_limited_;
  b.limit = limit;
  refill_runtime(b);
  if (enabled) start_cfs_bandwidth(group, cpu);
  for (CfsRqRuntime& rq : groups_[group]->rqs) {
    rq.runtime_enabled = enabled;
    // 6.18 grants 1 ns so that the unthrottle below is not refused for want of runtime
    // ("sched/fair: Prevent cfs_rq from being unthrottled with zero runtime_remaining").
    rq.runtime_remaining = version_ >= KernelVersion::V6_18 ? 1 : 0;
    if (rq.throttled) unthrottle_cfs_rq(rq);
  }
  // The static key drops last, so the unthrottles above still see bandwidth in use.
  if (was_enabled && !enabled) --nr_limited_;
}

// ---------------------------------------------------------------------------------------------
// Local runtime: accounting and assignment

bool BandwidthControl::assign_cfs_rq_runtime(CfsRqRuntime& rq, Ns target) {
  CfsBandwidth& b = group_of(rq).bandwidth;
  const int64_t min_amount = static_cast<int64_t>(target) - rq.runtime_remaining;
  int64_t amount = 0;
  if (!b.limit.limited()) {
    amount = min_amount;
  } else {
    start_cfs_bandwidth(rq.group, rq.cpu);
    if (b.runtime > 0) {
      amount = std::min<int64_t>(static_cast<int64_t>(b.runtime), min_amount);
      b.runtime -= amount;
      b.idle = false;
    }
  }
  rq.runtime_remaining += amount;
  return rq.runtime_remaining > 0;
}

bool BandwidthControl::account_cfs_rq_runtime(CfsRqRuntime& rq, Ns delta_exec) {
  if (!used() || !rq.runtime_enabled) return false;
  rq.runtime_remaining -= static_cast<int64_t>(delta_exec);
  if (rq.runtime_remaining > 0) return false;
  // A throttled cfs_rq only runs up a debt until it is unthrottled.
  if (rq.throttled) return false;
  return !assign_cfs_rq_runtime(rq, kCfsBandwidthSlice);
}

bool BandwidthControl::check_cfs_rq_runtime(CfsRqRuntime& rq) {
  if (!used()) return false;
  if (!rq.runtime_enabled || rq.runtime_remaining > 0) return false;
  // A throttled cfs_rq can still be put/picked (e.g. set_next_task): nothing more to do.
  if (cfs_rq_throttled(rq)) return true;
  return throttle_cfs_rq(rq);
}

void BandwidthControl::check_enqueue_throttle(CfsRqRuntime& rq) {
  if (!used()) return;
  // A cfs_rq with a running entity is handled by the update_curr() -> put_prev path.
  if (!rq.runtime_enabled || host_.has_curr(rq)) return;
  if (cfs_rq_throttled(rq)) return;
  account_cfs_rq_runtime(rq, 0);  // pulls runtime if out
  if (rq.runtime_remaining <= 0) throttle_cfs_rq(rq);
}

void BandwidthControl::first_entity_enqueued(CfsRqRuntime& rq) {
  check_enqueue_throttle(rq);
  // 6.12 enqueue_entity(): an entity arriving in a throttled hierarchy starts the throttled
  // time of a cfs_rq that was empty when it was throttled. 6.18 starts it when a task enters
  // limbo ("sched/fair: Task based throttle time accounting").
  // The stamps are those of 6.18's record_throttle_clock(), inline in 6.12.
  if (version_ < KernelVersion::V6_18) record_throttle_clock(rq);
}

void BandwidthControl::record_throttle_clock(CfsRqRuntime& rq) {
  if (!throttled_hierarchy(rq)) return;
  const Ns now = host_.clock();
  if (cfs_rq_throttled(rq) && rq.throttled_clock == kNoClock) rq.throttled_clock = now;
  if (rq.throttled_clock_self == kNoClock) rq.throttled_clock_self = now;
}

void BandwidthControl::return_cfs_rq_runtime(CfsRqRuntime& rq) {
  if (!used() || !rq.runtime_enabled || host_.nr_queued(rq) > 0) return;
  const int64_t slack = rq.runtime_remaining - static_cast<int64_t>(kMinCfsRqRuntime);
  if (slack <= 0) return;
  CfsBandwidth& b = group_of(rq).bandwidth;
  if (b.limit.limited()) {
    b.runtime += slack;
    // Under rq->lock the kernel cannot unthrottle other CPUs: it defers to the slack timer.
    if (b.runtime > kCfsBandwidthSlice && !b.throttled_cfs_rq.empty()) start_slack_timer(rq.group, rq.cpu);
  }
  // Even when not returned (no limit) it is not offered again.
  rq.runtime_remaining -= slack;
}

// ---------------------------------------------------------------------------------------------
// Throttle and unthrottle

template <typename Fn>
void BandwidthControl::walk_subtree_preorder(int group, int cpu, const Fn& fn) {
  fn(groups_[group]->rqs[cpu]);
  for (int child : groups_[group]->children) walk_subtree_preorder(child, cpu, fn);
}

template <typename Fn>
void BandwidthControl::walk_subtree_postorder(int group, int cpu, const Fn& fn) {
  for (int child : groups_[group]->children) walk_subtree_postorder(child, cpu, fn);
  fn(groups_[group]->rqs[cpu]);
}

void BandwidthControl::tg_throttle_down(CfsRqRuntime& rq) {
  // 6.12 starts cpu.stat.local's clock here if the cfs_rq has entities; 6.18 when a task of
  // it enters limbo (record_throttle_clock(); "sched/fair: Task based throttle time
  // accounting").
  if (rq.throttle_count++ > 0 || version_ >= KernelVersion::V6_18) return;
  if (host_.nr_queued(rq) > 0) rq.throttled_clock_self = host_.clock();
}

void BandwidthControl::tg_unthrottle_up(CfsRqRuntime& rq) {
  if (--rq.throttle_count > 0) return;
  if (rq.throttled_clock_self != kNoClock) {
    rq.throttled_clock_self_time += host_.clock() - rq.throttled_clock_self;
    rq.throttled_clock_self = kNoClock;
  }
  if (version_ >= KernelVersion::V6_18) host_.release_limbo(rq);
}

bool BandwidthControl::throttle_cfs_rq(CfsRqRuntime& rq) {
  // Runtime may have become available since the check: 1 ns is enough not to throttle, and
  // makes the next check_cfs_rq_runtime() agree.
  if (assign_cfs_rq_runtime(rq, 1)) return false;
  CfsBandwidth& b = group_of(rq).bandwidth;
  b.throttled_cfs_rq.push_back(&rq);
  walk_subtree_preorder(rq.group, rq.cpu, [this](CfsRqRuntime& r) { tg_throttle_down(r); });
  rq.throttled = true;
  rq.throttled_at = host_.clock();
  // 6.12 charges throttled time only to a cfs_rq with entities ("sched: don't account
  // throttle time for empty groups"); an empty one starts at its first enqueue. 6.18 starts
  // it at the first task entering limbo (record_throttle_clock()).
  // The group entity stays queued in 6.18 ("sched/fair: Switch to task based throttle
  // model"): host_.throttled() dequeues it only in 6.12.
  if (version_ < KernelVersion::V6_18 && host_.nr_queued(rq) > 0) rq.throttled_clock = host_.clock();
  host_.throttled(rq);
  return true;
}

void BandwidthControl::unthrottle_cfs_rq(CfsRqRuntime& rq) {
  // 6.18 refuses without runtime: the limbo tasks' enqueue would throttle it again at once
  // ("sched/fair: Switch to task based throttle model").
  if (version_ >= KernelVersion::V6_18 && rq.runtime_enabled && rq.runtime_remaining <= 0) return;
  CfsBandwidth& b = group_of(rq).bandwidth;
  const Ns now = host_.clock();
  rq.throttled = false;
  if (rq.throttled_clock != kNoClock) {
    b.stat.throttled_time += now - rq.throttled_clock;
    rq.throttled_time += now - rq.throttled_clock;
    rq.throttled_clock = kNoClock;
  }
  const auto it = std::find(b.throttled_cfs_rq.begin(), b.throttled_cfs_rq.end(), &rq);
  SCX_CHECK(it != b.throttled_cfs_rq.end());
  b.throttled_cfs_rq.erase(it);
  walk_subtree_postorder(rq.group, rq.cpu, [this](CfsRqRuntime& r) { tg_unthrottle_up(r); });
  host_.unthrottled(rq, now - rq.throttled_at);
}

// ---------------------------------------------------------------------------------------------
// The pool and its timers

void BandwidthControl::refill_runtime(CfsBandwidth& b) {
  if (!b.limit.limited()) return;
  b.runtime += b.limit.quota;
  // Runtime carried over beyond a quota is burst being used.
  if (b.runtime_snap > b.runtime) {
    b.stat.burst_time += b.runtime_snap - b.runtime;
    ++b.stat.nr_bursts;
  }
  b.runtime = std::min(b.runtime, b.limit.quota + b.limit.burst);
  b.runtime_snap = b.runtime;
}

void BandwidthControl::start_cfs_bandwidth(int group, int cpu) {
  CfsBandwidth& b = groups_[group]->bandwidth;
  if (b.period_active) return;
  b.period_active = true;
  hrtimer_forward(b.period_expires, host_.clock(), b.limit.period);
  arm_period_timer(group, cpu);  // HRTIMER_MODE_ABS_PINNED: on the starting CPU
}

void BandwidthControl::arm_period_timer(int group, int cpu) {
  CfsBandwidth& b = groups_[group]->bandwidth;
  b.period_timer = host_.start_timer(b.period_expires, cpu, [this, group, cpu] { period_timer_fired(group, cpu); });
}

void BandwidthControl::period_timer_fired(int group, int cpu) {
  CfsBandwidth& b = groups_[group]->bandwidth;
  b.period_timer = kNoTimer;
  b.period_timer_running = true;
  bool idle = false;
  // The kernel also doubles a period too short to keep up (> 3 rounds): the simulated handler
  // takes no time, so one round always suffices.
  while (uint64_t overrun = hrtimer_forward(b.period_expires, host_.clock(), b.limit.period)) {
    idle = do_period_timer(b, overrun, cpu);
  }
  b.period_timer_running = false;
  if (idle) {
    b.period_active = false;
  } else {
    arm_period_timer(group, cpu);
  }
}

bool BandwidthControl::do_period_timer(CfsBandwidth& b, uint64_t overrun, int cpu) {
  if (!b.limit.limited()) return true;
  bool throttled = !b.throttled_cfs_rq.empty();
  b.stat.nr_periods += overrun;
  refill_runtime(b);  // even when idle: burst accumulates
  if (b.idle && !throttled) return true;
  if (!throttled) {
    b.idle = true;  // idle unless runtime is handed out before the next expiry
    return false;
  }
  b.stat.nr_throttled += overrun;
  while (throttled && b.runtime > 0) throttled = distribute_runtime(b, cpu);
  // Throttled cfs_rqs keep the timer going, so the refreshed runtime gets used.
  b.idle = false;
  return false;
}

bool BandwidthControl::distribute_runtime(CfsBandwidth& b, int this_cpu) {
  // Pays each throttled cfs_rq's debt plus 1 ns, in throttle order, while the pool lasts.
  // The kernel unthrottles remote cfs_rqs by IPI during the walk and the local one after
  // it; here the unthrottles run after the walk, remote ones first (an instantaneous IPI).
  bool throttled = false;
  std::vector<CfsRqRuntime*> remote, local;
  const std::vector<CfsRqRuntime*> list = b.throttled_cfs_rq;
  for (CfsRqRuntime* rq : list) {
    if (b.runtime == 0) {
      throttled = true;
      break;
    }
    if (!cfs_rq_throttled(*rq)) continue;
    const int64_t debt = -rq->runtime_remaining + 1;
    const int64_t grant = std::min<int64_t>(debt, static_cast<int64_t>(b.runtime));
    b.runtime -= grant;
    rq->runtime_remaining += grant;
    if (rq->runtime_remaining > 0) {
      (rq->cpu == this_cpu ? local : remote).push_back(rq);
    } else {
      throttled = true;
    }
  }
  remote.insert(remote.end(), local.begin(), local.end());
  for (CfsRqRuntime* rq : remote) {
    if (cfs_rq_throttled(*rq)) unthrottle_cfs_rq(*rq);
  }
  return throttled;
}

bool BandwidthControl::runtime_refresh_within(const CfsBandwidth& b, Ns min_expire) const {
  if (b.period_timer_running) return true;  // a refresh is under way
  const int64_t remaining = static_cast<int64_t>(b.period_expires - host_.clock());
  return remaining < static_cast<int64_t>(min_expire);
}

void BandwidthControl::start_slack_timer(int group, int cpu) {
  CfsBandwidth& b = groups_[group]->bandwidth;
  // Not worth it just before a refresh; and an armed timer is not pushed back.
  if (runtime_refresh_within(b, kCfsBandwidthSlackPeriod + kMinBandwidthExpiration)) return;
  if (b.slack_started) return;
  b.slack_started = true;
  b.slack_timer = host_.start_timer(host_.clock() + kCfsBandwidthSlackPeriod, cpu,
                                    [this, group, cpu] { slack_timer_fired(group, cpu); });
}

void BandwidthControl::slack_timer_fired(int group, int cpu) {
  CfsBandwidth& b = groups_[group]->bandwidth;
  b.slack_timer = kNoTimer;
  b.slack_started = false;
  if (runtime_refresh_within(b, kMinBandwidthExpiration)) return;
  if (!b.limit.limited() || b.runtime <= kCfsBandwidthSlice) return;
  distribute_runtime(b, cpu);
}

Ns BandwidthControl::throttled_time_self(int group) const {
  const Ns now = host_.clock();
  Ns total = 0;
  for (const CfsRqRuntime& rq : groups_[group]->rqs) {
    total += rq.throttled_clock_self_time;
    if (rq.throttled_clock_self != kNoClock) total += now - rq.throttled_clock_self;
  }
  return total;
}

}  // namespace scx::fair
