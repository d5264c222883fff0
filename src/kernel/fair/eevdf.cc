#include "kernel/fair/eevdf.h"

#include <algorithm>
#include <bit>
#include <limits>

#include "base/check.h"
#include "base/int128.h"

namespace scx::fair {

namespace {

using i128 = int128;

// div_s64(): C division, truncating toward zero.
int64_t div_trunc(i128 num, i128 den) {
  return static_cast<int64_t>(num / den);
}

// Wrap-safe "a > b" on u64 virtual times (vruntime_gt()).
bool vgt(uint64_t a, uint64_t b) {
  return static_cast<int64_t>(a - b) > 0;
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Tunables

unsigned slice_scaling_factor(int ncpus, SliceScaling mode) {
  unsigned n = static_cast<unsigned>(std::clamp(ncpus, 1, 8));
  switch (mode) {
    case SliceScaling::None:
      return 1;
    case SliceScaling::Linear:
      return n;
    case SliceScaling::Log:
      break;
  }
  return 1 + static_cast<unsigned>(std::bit_width(n) - 1);  // 1 + ilog2(n)
}

Ns scaled_base_slice(int ncpus, SliceScaling mode, Ns normalized) {
  return normalized * slice_scaling_factor(ncpus, mode);
}

Ns tick_nsec_for_hz(unsigned hz) {
  SCX_CHECK(hz > 0);
  return (kNsPerSec + hz / 2) / hz;
}

Ns clamp_custom_slice(Ns runtime) {
  return std::clamp(runtime, kMinCustomSlice, kMaxCustomSlice);
}

void SchedEntity::set_slice_request(Ns runtime, const Tunables& t) {
  if (runtime) {
    custom_slice = true;
    slice = clamp_custom_slice(runtime);
  } else {
    custom_slice = false;
    slice = t.base_slice_ns;
  }
}

// ---------------------------------------------------------------------------------------------
// V, eligibility, lag

CfsRq::CfsRq(const Features* features, const Tunables* tunables)
    : features_(features), tunables_(tunables) {
  SCX_CHECK(features_ && tunables_);
}

// avg_vruntime(): V = v0 + floor(sum / load), curr included while queued. The floor (not the
// truncation of div_s64) biases V left so that an entity at exactly V tests eligible.
uint64_t CfsRq::avg_vruntime() const {
  const Eligibility e = eligibility();
  i128 avg = e.sum;
  const i128 load = e.load;
  if (load) {
    if (avg < 0) avg -= load - 1;
    // The same quotient; a 64-bit division when the sum fits (the load always does) avoids the
    // 128-bit division's library call.
    const bool fits = avg >= std::numeric_limits<int64_t>::min() && avg <= std::numeric_limits<int64_t>::max();
    avg = fits ? i128{static_cast<int64_t>(avg) / static_cast<int64_t>(load)} : avg / load;
  }
  return min_vruntime_ + static_cast<uint64_t>(static_cast<int64_t>(avg));
}

CfsRq::Eligibility CfsRq::eligibility() const {
  Eligibility e{avg_vruntime_, avg_load_, min_vruntime_};
  if (curr_ && curr_->on_rq) {
    e.sum += static_cast<i128>(entity_key(*curr_)) * curr_->weight;
    e.load += curr_->weight;
  }
  return e;
}

// vruntime_eligible(): (v - v0) * load <= sum, compared exactly (no division).
bool CfsRq::Eligibility::eligible(uint64_t vruntime) const {
  return sum >= static_cast<i128>(static_cast<int64_t>(vruntime - v0)) * load;
}

bool CfsRq::vruntime_eligible(uint64_t vruntime) const {
  return eligibility().eligible(vruntime);
}

bool CfsRq::entity_eligible(const SchedEntity& se) const {
  return vruntime_eligible(se.vruntime);
}

int64_t CfsRq::entity_lag(uint64_t avruntime, const SchedEntity& se) const {
  int64_t vlag = static_cast<int64_t>(avruntime - se.vruntime);
  int64_t limit = static_cast<int64_t>(
      calc_delta_fair(std::max<Ns>(2 * se.slice, tunables_->tick_nsec), se.weight));
  return std::clamp(vlag, -limit, limit);
}

Ns CfsRq::cfs_rq_min_slice() const {
  Ns min_slice = ~Ns{0};
  if (curr_ && curr_->on_rq) min_slice = curr_->slice;
  if (root_) min_slice = std::min(min_slice, root_->min_slice);
  return min_slice;
}

namespace {
// The kernel builds with -fno-strict-overflow: its s64 key sums wrap (an entity far behind can
// take key * weight past 2^63 until it leaves the tree again). Unsigned arithmetic wraps the
// same way without C++'s undefined signed overflow.
uint64_t wrapping_product(int64_t a, int64_t b) { return static_cast<uint64_t>(a) * static_cast<uint64_t>(b); }
int64_t wrapping_add_product(int64_t sum, int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(sum) + wrapping_product(a, b));
}
int64_t wrapping_sub_product(int64_t sum, int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(sum) - wrapping_product(a, b));
}
}  // namespace

void CfsRq::avg_vruntime_add(const SchedEntity& se) {
  avg_vruntime_ = wrapping_add_product(avg_vruntime_, entity_key(se), static_cast<int64_t>(se.weight));
  avg_load_ += se.weight;
}

void CfsRq::avg_vruntime_sub(const SchedEntity& se) {
  avg_vruntime_ = wrapping_sub_product(avg_vruntime_, entity_key(se), static_cast<int64_t>(se.weight));
  avg_load_ -= se.weight;
}

// update_min_vruntime(): v0 = max(v0, min(curr.v, min over tree)); moving v0 by d shifts
// every key by -d, so the weighted key sum drops by avg_load * d.
void CfsRq::update_min_vruntime() {
  SchedEntity* curr = (curr_ && curr_->on_rq) ? curr_ : nullptr;
  uint64_t vruntime = min_vruntime_;
  if (curr) vruntime = curr->vruntime;
  if (root_) {
    if (!curr)
      vruntime = root_->min_vruntime;
    else if (vgt(vruntime, root_->min_vruntime))
      vruntime = root_->min_vruntime;
  }
  int64_t delta = static_cast<int64_t>(vruntime - min_vruntime_);
  if (delta > 0) {
    avg_vruntime_ = wrapping_sub_product(avg_vruntime_, avg_load_, delta);
    min_vruntime_ = vruntime;
  }
}

// ---------------------------------------------------------------------------------------------
// Accounting

bool CfsRq::update_deadline(SchedEntity& se) {
  if (static_cast<int64_t>(se.vruntime - se.deadline) < 0) return false;
  if (!se.custom_slice) se.slice = tunables_->base_slice_ns;
  se.deadline = se.vruntime + calc_delta_fair(se.slice, se.weight);
  return true;
}

bool CfsRq::update_curr(Ns now) {
  SchedEntity* curr = curr_;
  if (!curr) return false;
  int64_t delta_exec = static_cast<int64_t>(now - curr->exec_start);
  if (delta_exec <= 0) return false;
  curr->exec_start = now;
  curr->sum_exec_runtime += static_cast<Ns>(delta_exec);

  curr->vruntime += calc_delta_fair(static_cast<Ns>(delta_exec), curr->weight);
  bool resched = update_deadline(*curr);
  update_min_vruntime();
  if (runtime_hook_) runtime_hook_(runtime_hook_ctx_, *this, static_cast<Ns>(delta_exec));

  if (nr_running_ == 1) return false;
  if (resched || resched_next_slice(*curr)) {
    raise_resched();
    clear_buddies(*curr);
    return true;
  }
  return false;
}

bool CfsRq::resched_next_slice(const SchedEntity& curr) const {
  // 6.18 ("sched/fair: Always trigger resched at the end of a protected period"): even an
  // eligible curr makes way once its protection ends, so a shorter-slice entity's lag stays
  // within its slice. 6.12: only after PREEMPT_SHORT broke it and curr turned ineligible.
  if (v6_18()) return !protect_slice(curr);
  return did_preempt_short(curr);
}

bool CfsRq::did_preempt_short(const SchedEntity& curr) const {
  if (!features_->preempt_short) return false;
  if (slice_protected(curr)) return false;
  return !entity_eligible(curr);
}

bool CfsRq::do_preempt_short(const SchedEntity& pse, const SchedEntity& se) const {
  if (!features_->preempt_short) return false;
  if (pse.slice >= se.slice) return false;
  if (!entity_eligible(pse)) return false;
  if (entity_before(pse, se)) return true;
  if (!entity_eligible(se)) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Slice protection. 6.12: the deadline at pick time stashed in vlag; protected while it is
// still the deadline (a new request ends it). 6.18 (6.17's "sched/fair: Fix NO_RUN_TO_PARITY
// case" and "sched/fair: Limit run to parity to the min slice of enqueued entities"): a
// vruntime bound vprot -- the deadline, or less when another queued entity asks for a shorter
// slice (RUN_TO_PARITY) or, with NO_RUN_TO_PARITY, after one normalized base slice.

bool CfsRq::protect_slice(const SchedEntity& se) const {
  if (v6_18()) return static_cast<int64_t>(se.vprot() - se.vruntime) > 0;
  return slice_protected(se);
}

void CfsRq::set_protect_slice(SchedEntity& se) const {
  if (!v6_18()) {
    se.vlag = static_cast<int64_t>(se.deadline);
    return;
  }
  // cfs_rq_min_slice() here covers the queued entities only: se has left the tree, curr is unset.
  Ns slice = features_->run_to_parity ? cfs_rq_min_slice() : tunables_->normalized_base_slice_ns;
  slice = std::min(slice, se.slice);
  uint64_t vprot = se.deadline;
  if (slice != se.slice) {
    const uint64_t limit = se.vruntime + calc_delta_fair(slice, se.weight);
    if (vgt(vprot, limit)) vprot = limit;
  }
  se.set_vprot(vprot);
}

void CfsRq::update_protect_slice(SchedEntity& se) const {
  const uint64_t limit = se.vruntime + calc_delta_fair(cfs_rq_min_slice(), se.weight);
  if (vgt(se.vprot(), limit)) se.set_vprot(limit);
}

void CfsRq::cancel_protect_slice(SchedEntity& se) const {
  if (!protect_slice(se)) return;
  if (v6_18()) se.set_vprot(se.vruntime);
  else se.vlag = static_cast<int64_t>(se.deadline + 1);
}

// ---------------------------------------------------------------------------------------------
// Placement, enqueue, dequeue

void CfsRq::place_entity(SchedEntity& se, unsigned flags) {
  uint64_t vruntime = avg_vruntime();
  int64_t lag = 0;

  if (!se.custom_slice) se.slice = tunables_->base_slice_ns;
  uint64_t vslice = calc_delta_fair(se.slice, se.weight);

  // PLACE_LAG: adding an entity with lag vl moves V by w*vl/(W+w), which would shrink its lag;
  // inflate by (W+w)/W so the lag right after insertion equals the saved vl.
  if (features_->place_lag && nr_running_) {
    int64_t load = avg_load_;
    if (curr_ && curr_->on_rq) load += curr_->weight;
    i128 inflated = static_cast<i128>(se.vlag) * (load + se.weight);
    if (!load) load = 1;  // the kernel WARNs here; cannot happen with nr_running > 0
    lag = div_trunc(inflated, load);
  }

  se.vruntime = vruntime - static_cast<uint64_t>(lag);

  // 6.18 honours a relative deadline whatever PLACE_REL_DEADLINE says ("sched/fair: Fix EEVDF
  // entity placement bug causing scheduling lag": reweight_entity() sets one too).
  if ((features_->place_rel_deadline || v6_18()) && se.rel_deadline) {
    se.deadline += se.vruntime;
    se.rel_deadline = false;
    return;
  }

  // Joining tasks compete with entities that are on average halfway through their request.
  if (features_->place_deadline_initial && (flags & ENQUEUE_INITIAL)) vslice /= 2;

  se.deadline = se.vruntime + vslice;
}

void CfsRq::enqueue_entity(SchedEntity& se, unsigned flags, Ns now) {
  SCX_CHECK_MSG(!se.on_rq, "enqueue_entity of a queued entity (delayed ones use requeue)");
  bool is_curr = curr_ == &se;

  // The running entity is re-placed before update_curr() charges it (renormalise first).
  if (is_curr) place_entity(se, flags);
  update_curr(now);
  if (!is_curr) place_entity(se, flags);

  load_ += se.weight;  // account_entity_enqueue()
  nr_running_++;
  if (se.sched_delayed) nr_delayed_++;  // SAVE/RESTORE of a delayed entity keeps it delayed

  // A migrated entity is no longer cache hot.
  if (flags & ENQUEUE_MIGRATED) se.exec_start = 0;

  if (!is_curr) enqueue_tree(se);
  se.on_rq = true;
}

bool CfsRq::dequeue_entity(SchedEntity& se, unsigned flags, Ns now) {
  SCX_CHECK_MSG(se.on_rq, "dequeue_entity of an entity that is not queued");
  bool sleep = flags & DEQUEUE_SLEEP;

  update_curr(now);
  clear_buddies(se);

  if (flags & DEQUEUE_DELAYED) {
    SCX_CHECK_MSG(se.sched_delayed, "DEQUEUE_DELAYED of an entity that is not delayed");
  } else {
    // Special sleep states must not see the spurious wakeups DELAY_DEQUEUE relies on.
    bool delay = sleep && !(flags & DEQUEUE_SPECIAL);
    SCX_CHECK_MSG(!(delay && se.sched_delayed), "sleep dequeue of an already delayed entity");
    if (features_->delay_dequeue && delay && !entity_eligible(se)) {
      // set_delayed(): stays queued (weight in V and load, counted in nr_running) until it is
      // picked, i.e. until it has become eligible; its vruntime is frozen meanwhile.
      se.sched_delayed = true;
      nr_delayed_++;
      return false;
    }
  }

  se.vlag = entity_lag(avg_vruntime(), se);  // update_entity_lag()
  if (features_->place_rel_deadline && !sleep) {
    se.deadline -= se.vruntime;
    se.rel_deadline = true;
  }

  if (&se != curr_) dequeue_tree(se);
  se.on_rq = false;
  load_ -= se.weight;  // account_entity_dequeue()
  nr_running_--;
  if (se.sched_delayed) nr_delayed_--;

  // SAVE without MOVE is put back at once; advancing v0 now would penalise it.
  if ((flags & (DEQUEUE_SAVE | DEQUEUE_MOVE)) != DEQUEUE_SAVE) update_min_vruntime();

  if (flags & DEQUEUE_DELAYED) {  // finish_delayed_dequeue_entity()
    se.sched_delayed = false;
    if (features_->delay_zero && se.vlag > 0) se.vlag = 0;
  }
  return true;
}

void CfsRq::requeue_delayed_entity(SchedEntity& se) {
  SCX_CHECK_MSG(se.sched_delayed && se.on_rq, "requeue of an entity that is not delayed");

  // DELAY_ZERO: a delayed entity that has already earned positive lag restarts at V with a
  // fresh request; one still owing service keeps its vruntime and deadline.
  if (features_->delay_zero) {
    se.vlag = entity_lag(avg_vruntime(), se);  // update_entity_lag()
    if (se.vlag > 0) {
      nr_running_--;
      if (&se != curr_) dequeue_tree(se);
      se.vlag = 0;
      place_entity(se, 0);
      if (&se != curr_) enqueue_tree(se);
      nr_running_++;
    }
  }

  se.sched_delayed = false;  // clear_delayed()
  nr_delayed_--;
}

// ---------------------------------------------------------------------------------------------
// Pick

SchedEntity* CfsRq::pick_eevdf(bool protect) {
  SchedEntity* node = root_;
  SchedEntity* se = leftmost_;
  SchedEntity* curr = curr_;
  SchedEntity* best = nullptr;

  // A single entity needs no eligibility test.
  if (nr_running_ == 1) return (curr && curr->on_rq) ? curr : se;

  // Nothing changes during the pick: the sums (curr included) are gathered once.
  const Eligibility elig = eligibility();
  if (curr && (!curr->on_rq || !elig.eligible(curr->vruntime))) curr = nullptr;

  // Slice protection: keep running an eligible curr (6.12: RUN_TO_PARITY until it gets a new
  // request; 6.18: until vprot, with or without RUN_TO_PARITY).
  if (curr && protect && (v6_18() || features_->run_to_parity) && protect_slice(*curr)) return curr;

  if (se && elig.eligible(se->vruntime)) {
    best = se;
  } else {
    // Heap search: the first eligible entity in deadline order. Left subtrees hold earlier
    // deadlines, and min_vruntime tells whether a subtree holds any eligible entity at all.
    while (node) {
      SchedEntity* left = node->left;
      if (left && elig.eligible(left->min_vruntime)) {
        node = left;
        continue;
      }
      if (elig.eligible(node->vruntime)) {
        best = node;
        break;
      }
      node = node->right;
    }
  }

  if (!best || (curr && entity_before(*curr, *best))) best = curr;
  return best;
}

CfsRq::PickResult CfsRq::pick_next_entity(Ns now) {
  // The next buddy affects latency, not fairness: only taken while eligible.
  if (features_->buddy_pick_enabled() && next_ && entity_eligible(*next_)) {
    SCX_CHECK_MSG(!next_->sched_delayed, "next buddy is delayed");
    return {next_, nullptr};
  }
  SchedEntity* se = pick_eevdf();
  if (se && se->sched_delayed) {
    dequeue_entity(*se, DEQUEUE_SLEEP | DEQUEUE_DELAYED, now);
    return {nullptr, se};
  }
  return {se, nullptr};
}

void CfsRq::set_next_entity(SchedEntity& se, Ns now) {
  clear_buddies(se);
  // curr is not kept in the tree.
  if (se.on_rq) {
    dequeue_tree(se);
    set_protect_slice(se);
  }
  se.exec_start = now;  // update_stats_curr_start()
  SCX_CHECK_MSG(curr_ == nullptr, "set_next_entity with a curr already set");
  curr_ = &se;
  se.prev_sum_exec_runtime = se.sum_exec_runtime;
}

void CfsRq::set_entity_slice(SchedEntity& se, Ns slice) {
  se.slice = slice;
  if (se.in_tree) propagate_up(&se);
}

void CfsRq::put_prev_entity(SchedEntity& prev, Ns now) {
  SCX_CHECK_MSG(curr_ == &prev, "put_prev_entity of an entity that is not curr");
  // Still queued: no dequeue charged its time yet.
  if (prev.on_rq) {
    update_curr(now);
    enqueue_tree(prev);
  }
  curr_ = nullptr;
}

// ---------------------------------------------------------------------------------------------
// Reweight, yield, wakeup preemption, buddies

void CfsRq::reweight_eevdf(SchedEntity& se, uint64_t avruntime, uint32_t weight) {
  uint32_t old_weight = se.weight;
  // Lag is preserved and V does not move: v' = V - (V - v) * w / w'. Note the clamp of
  // entity_lag() (with the old weight) applies here too.
  if (avruntime != se.vruntime) {
    int64_t vlag = entity_lag(avruntime, se);
    vlag = div_trunc(static_cast<i128>(vlag) * old_weight, weight);
    se.vruntime = avruntime - static_cast<uint64_t>(vlag);
  }
  // The relative deadline scales with the slope: d' = V + (d - V) * w / w'.
  int64_t vslice = static_cast<int64_t>(se.deadline - avruntime);
  vslice = div_trunc(static_cast<i128>(vslice) * old_weight, weight);
  se.deadline = avruntime + static_cast<uint64_t>(vslice);
}

void CfsRq::reweight_entity(SchedEntity& se, uint32_t weight, Ns now) {
  SCX_CHECK(weight > 0);
  if (v6_18()) reweight_entity_618(se, weight, now);
  else reweight_entity_612(se, weight, now);
}

// 6.18 ("sched/fair: Fix EEVDF entity placement bug causing scheduling lag", with "sched/fair:
// Adhere to place_entity() constraints"): a queued entity leaves the runqueue's accounting with
// its lag and a relative deadline, both are rescaled, and it is placed again like an enqueue.
void CfsRq::reweight_entity_618(SchedEntity& se, uint32_t weight, Ns now) {
  const bool is_curr = curr_ == &se;
  if (se.on_rq) {
    update_curr(now);
    se.vlag = entity_lag(avg_vruntime(), se);  // update_entity_lag()
    se.deadline -= se.vruntime;
    se.rel_deadline = true;
    nr_running_--;
    if (!is_curr) dequeue_tree(se);
    load_ -= se.weight;
  }
  // vlag is V - v while real lag is w * (V - v): keep the real lag (and the relative request).
  se.vlag = div_trunc(static_cast<i128>(se.vlag) * se.weight, weight);
  if (se.rel_deadline)
    se.deadline = static_cast<uint64_t>(div_trunc(static_cast<i128>(static_cast<int64_t>(se.deadline)) * se.weight, weight));
  se.weight = weight;
  if (se.on_rq) {
    place_entity(se, 0);
    load_ += se.weight;
    if (!is_curr) enqueue_tree(se);
    nr_running_++;
    update_min_vruntime();
  }
}

void CfsRq::reweight_entity_612(SchedEntity& se, uint32_t weight, Ns now) {
  bool is_curr = curr_ == &se;
  uint64_t avruntime = 0;

  if (se.on_rq) {
    update_curr(now);  // commit outstanding execution time
    avruntime = avg_vruntime();
    if (!is_curr) dequeue_tree(se);
    load_ -= se.weight;
  }

  if (se.on_rq) {
    reweight_eevdf(se, avruntime, weight);
  } else {
    // vlag is V - v while real lag is w * (V - v): keep the real lag.
    se.vlag = div_trunc(static_cast<i128>(se.vlag) * se.weight, weight);
  }

  se.weight = weight;

  if (se.on_rq) {
    load_ += se.weight;
    if (!is_curr) enqueue_tree(se);
    // min_vruntime is updated last: the computations above need a stable v0.
    update_min_vruntime();
  }
}

void CfsRq::yield_task(Ns now, unsigned rq_nr_running) {
  if (rq_nr_running == 1) return;  // the only task
  SCX_CHECK_MSG(curr_, "yield without curr");
  clear_buddies(*curr_);
  update_curr(now);
  curr_->deadline += calc_delta_fair(curr_->slice, curr_->weight);
}

bool CfsRq::yield_to_task(SchedEntity& p, Ns now, unsigned rq_nr_running) {
  if (!p.on_rq) return false;
  set_next_buddy(p);
  yield_task(now, rq_nr_running);
  return true;
}

bool CfsRq::check_preempt_wakeup_fair(SchedEntity& pse, Ns now, const WakeupInfo& info) {
  SchedEntity* se = curr_;
  if (!se || se == &pse) return false;

  if (features_->next_buddy && !info.wake_fork && !pse.sched_delayed && !info.buddies_nominated) set_next_buddy(pse);

  // Already going to reschedule (e.g. from the enqueue's update_curr()).
  if (info.curr_need_resched) return false;
  if (!features_->wakeup_preemption) return false;

  bool cse_is_idle = se->policy == FairPolicy::Idle;  // se_is_idle()
  bool pse_is_idle = pse.policy == FairPolicy::Idle;
  // An idle-policy curr yields to a non-idle wakee; the inverse never preempts.
  bool preempt = false;
  if (cse_is_idle && !pse_is_idle) {
    // 6.18 ("sched: Cancel the slice protection of the idle entity"): the preempted idle curr
    // keeps no protection, so the next pick cannot hand the CPU straight back to it.
    if (v6_18()) cancel_protect_slice(*se);
    preempt = true;
  } else if (cse_is_idle != pse_is_idle) {
    return false;
  } else if ((info.wakee_task ? *info.wakee_task : pse).policy != FairPolicy::Normal) {
    return false;  // BATCH and IDLE wakees do not preempt
  } else {
    preempt = wakeup_preempt_eevdf(pse, now);
  }
  if (preempt) raise_resched();
  return preempt;
}

bool CfsRq::wakeup_preempt_eevdf(SchedEntity& pse, Ns now) {
  SCX_CHECK(curr_);
  update_curr(now);
  return v6_18() ? wakeup_preempt_618(pse) : wakeup_preempt_612(pse);
}

bool CfsRq::wakeup_preempt_612(SchedEntity& pse) {
  SchedEntity& se = *curr_;
  // A shorter-slice eligible wakee cancels curr's slice protection, even if it is not the
  // pick right now; update_curr() will then resched once curr turns ineligible.
  if (do_preempt_short(pse, se)) cancel_protect_slice(se);
  return pick_eevdf() == &pse;
}

// 6.17's "sched/fair: Remove spurious shorter slice preemption": a shorter-slice wakee only
// cancels curr's protection when it is the pick once that protection is ignored. Otherwise
// ("sched/fair: Fix entity's lag with run to parity") curr's protection shrinks to the
// shortest queued slice, so the wakee runs within one of its own slices.
bool CfsRq::wakeup_preempt_618(SchedEntity& pse) {
  SchedEntity& se = *curr_;
  const bool preempt_short = features_->preempt_short && pse.slice < se.slice;
  if (pick_eevdf(!preempt_short) == &pse) {
    if (preempt_short) cancel_protect_slice(se);
    return true;
  }
  if (features_->run_to_parity && preempt_short) update_protect_slice(se);
  return false;
}

void CfsRq::set_next_buddy(SchedEntity& se) {
  if (!se.on_rq) return;                      // the kernel WARNs
  if (se.policy == FairPolicy::Idle) return;  // se_is_idle()
  next_ = &se;
}

void CfsRq::clear_buddies(const SchedEntity& se) {
  if (next_ == &se) next_ = nullptr;
}

// ---------------------------------------------------------------------------------------------
// The augmented tree: a treap keyed by deadline (ties go right, i.e. after existing equal
// deadlines, as the kernel's strict less-than rb_add). Its in-order sequence -- all that
// pick_eevdf() depends on -- is the same as the kernel's rbtree; only the shape differs.
// Priorities come from a per-runqueue counter, so the shape is deterministic too.

uint64_t CfsRq::next_prio() {
  return splitmix64(++prio_counter_);
}

bool CfsRq::recompute(SchedEntity* n) {
  const uint64_t old_vruntime = n->min_vruntime, old_slice = n->min_slice;
  n->min_vruntime = n->vruntime;
  n->min_slice = n->slice;
  for (SchedEntity* c : {n->left, n->right}) {
    if (!c) continue;
    if (vgt(n->min_vruntime, c->min_vruntime)) n->min_vruntime = c->min_vruntime;
    if (c->min_slice < n->min_slice) n->min_slice = c->min_slice;
  }
  return n->min_vruntime != old_vruntime || n->min_slice != old_slice;
}

void CfsRq::propagate_up(SchedEntity* n) {
  // Like the kernel's augmented-rbtree propagate: once a node's summary is unchanged, every
  // ancestor's is too (only this path's subtree changed).
  while (n && recompute(n)) n = n->parent;
}

// Rotates x above its parent, keeping the in-order sequence.
void CfsRq::rotate_up(SchedEntity* x) {
  SchedEntity* p = x->parent;
  SchedEntity* g = p->parent;
  if (p->left == x) {
    p->left = x->right;
    if (x->right) x->right->parent = p;
    x->right = p;
  } else {
    p->right = x->left;
    if (x->left) x->left->parent = p;
    x->left = p;
  }
  p->parent = x;
  x->parent = g;
  if (!g)
    root_ = x;
  else if (g->left == p)
    g->left = x;
  else
    g->right = x;
  recompute(p);
  recompute(x);
}

SchedEntity* CfsRq::first_in_subtree(SchedEntity* n) {
  while (n->left) n = n->left;
  return n;
}

SchedEntity* CfsRq::last() const {
  SchedEntity* n = root_;
  if (!n) return nullptr;
  while (n->right) n = n->right;
  return n;
}

void CfsRq::enqueue_tree(SchedEntity& se) {
  SCX_CHECK_MSG(!se.in_tree, "entity already in the tree");
  avg_vruntime_add(se);
  se.left = se.right = nullptr;
  se.prio = next_prio();
  se.min_vruntime = se.vruntime;
  se.min_slice = se.slice;

  SchedEntity* parent = nullptr;
  SchedEntity** link = &root_;
  bool leftmost = true;
  while (*link) {
    parent = *link;
    if (entity_before(se, *parent)) {
      link = &parent->left;
    } else {
      link = &parent->right;
      leftmost = false;
    }
  }
  *link = &se;
  se.parent = parent;
  se.in_tree = true;

  while (se.parent && se.prio > se.parent->prio) rotate_up(&se);
  recompute(&se);
  propagate_up(se.parent);
  if (leftmost) leftmost_ = &se;
}

void CfsRq::dequeue_tree(SchedEntity& se) {
  SCX_CHECK_MSG(se.in_tree, "entity not in the tree");
  // Rotate se down until it has at most one child, then splice it out.
  while (se.left && se.right) rotate_up(se.left->prio > se.right->prio ? se.left : se.right);
  SchedEntity* child = se.left ? se.left : se.right;
  SchedEntity* p = se.parent;
  // The leftmost entity has no left child, so no rotation moved it: its successor, the new
  // leftmost, is the first of its right subtree, else its parent (rb_erase_cached's rb_next()).
  if (leftmost_ == &se) leftmost_ = child ? first_in_subtree(child) : p;
  if (child) child->parent = p;
  if (!p)
    root_ = child;
  else if (p->left == &se)
    p->left = child;
  else
    p->right = child;
  se.left = se.right = se.parent = nullptr;
  se.in_tree = false;
  propagate_up(p);
  avg_vruntime_sub(se);
}

std::vector<SchedEntity*> CfsRq::entities() const {
  std::vector<SchedEntity*> out;
  for_each_in_tree([&](SchedEntity& se) { out.push_back(&se); });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Brute-force invariant check

namespace {

struct SubtreeCheck {
  uint64_t min_vruntime;
  Ns min_slice;
  unsigned count;
};

SubtreeCheck check_subtree(const SchedEntity* n, const SchedEntity* parent) {
  SCX_CHECK(n->in_tree && n->on_rq);
  SCX_CHECK(n->parent == parent);
  if (parent) SCX_CHECK(n->prio <= parent->prio);
  SubtreeCheck r{n->vruntime, n->slice, 1};
  for (const SchedEntity* c : {n->left, n->right}) {
    if (!c) continue;
    SubtreeCheck s = check_subtree(c, n);
    if (vgt(r.min_vruntime, s.min_vruntime)) r.min_vruntime = s.min_vruntime;
    r.min_slice = std::min(r.min_slice, s.min_slice);
    r.count += s.count;
  }
  SCX_CHECK_MSG(n->min_vruntime == r.min_vruntime, "augmented min_vruntime is stale");
  SCX_CHECK_MSG(n->min_slice == r.min_slice, "augmented min_slice is stale");
  return r;
}

}  // namespace

void CfsRq::check_invariants() const {
  unsigned tree_count = 0;
  if (root_) tree_count = check_subtree(root_, nullptr).count;

  std::vector<SchedEntity*> order = entities();
  SCX_CHECK(order.size() == tree_count);
  for (size_t i = 1; i < order.size(); ++i)
    SCX_CHECK_MSG(!entity_before(*order[i], *order[i - 1]), "tree not in deadline order");
  SCX_CHECK(leftmost_ == (order.empty() ? nullptr : order.front()));

  int64_t sum = 0, wsum = 0;
  uint64_t load = 0;
  unsigned delayed = 0;
  for (const SchedEntity* se : order) {
    sum = wrapping_add_product(sum, entity_key(*se), static_cast<int64_t>(se->weight));
    wsum += se->weight;
    load += se->weight;
    delayed += se->sched_delayed;
  }
  SCX_CHECK_MSG(sum == avg_vruntime_ && wsum == avg_load_, "avg_vruntime sums are stale");

  unsigned queued = tree_count;
  if (curr_) {
    SCX_CHECK(!curr_->in_tree);
    if (curr_->on_rq) {
      ++queued;
      load += curr_->weight;
      delayed += curr_->sched_delayed;
    }
  }
  SCX_CHECK_MSG(queued == nr_running_, "nr_running does not match the queued entities");
  SCX_CHECK_MSG(load == load_, "load does not match the queued entities");
  SCX_CHECK_MSG(delayed == nr_delayed_, "nr_delayed does not match the queued entities");
  if (next_) SCX_CHECK(next_->on_rq);
}

}  // namespace scx::fair
