// Randomized invariant test: drive one CfsRq through random wakeups, sleeps, migrations,
// ticks, yields, reweights and delayed requeues (in the kernel's call order) and after every
// step compare it with a brute-force model: the augmented tree fields and sums
// (check_invariants), V recomputed from scratch, and pick_eevdf() against a linear scan.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "base/int128.h"
#include "kernel/fair/eevdf.h"
#include "sim/rng.h"

namespace scx::fair {
namespace {

using i128 = int128;

// All queued entities: the tree plus curr while it is on_rq.
std::vector<const SchedEntity*> queued(const CfsRq& rq) {
  std::vector<const SchedEntity*> out;
  for (SchedEntity* se : rq.entities()) out.push_back(se);
  if (rq.curr() && rq.curr()->on_rq) out.push_back(rq.curr());
  return out;
}

// V from scratch over all queued entities, keyed on min_vruntime, floor division.
uint64_t brute_v(const CfsRq& rq) {
  i128 sum = 0, load = 0;
  for (const SchedEntity* se : queued(rq)) {
    sum += static_cast<i128>(static_cast<int64_t>(se->vruntime - rq.min_vruntime())) * se->weight;
    load += se->weight;
  }
  if (!load) return rq.min_vruntime();
  i128 q = sum / load;
  if (sum % load != 0 && sum < 0) --q;
  return rq.min_vruntime() + static_cast<uint64_t>(static_cast<int64_t>(q));
}

bool brute_eligible(const CfsRq& rq, uint64_t v) {
  i128 sum = 0, load = 0;
  for (const SchedEntity* se : queued(rq)) {
    sum += static_cast<i128>(static_cast<int64_t>(se->vruntime - rq.min_vruntime())) * se->weight;
    load += se->weight;
  }
  return static_cast<i128>(static_cast<int64_t>(v - rq.min_vruntime())) * load <= sum;
}

// The EEVDF rule by linear scan: earliest deadline among eligible tree entities, ties broken
// by tree (insertion) order, then the curr / RUN_TO_PARITY rules of pick_eevdf().
const SchedEntity* brute_pick(const CfsRq& rq, const Features& f) {
  SchedEntity* curr = rq.curr();
  std::vector<SchedEntity*> tree = rq.entities();
  if (rq.nr_running() == 1)
    return (curr && curr->on_rq) ? curr : (tree.empty() ? nullptr : tree[0]);
  const SchedEntity* c =
      (curr && curr->on_rq && brute_eligible(rq, curr->vruntime)) ? curr : nullptr;
  if (f.run_to_parity && c && CfsRq::slice_protected(*c)) return c;
  const SchedEntity* best = nullptr;
  for (const SchedEntity* se : tree) {
    if (!brute_eligible(rq, se->vruntime)) continue;
    if (!best || CfsRq::entity_before(*se, *best)) best = se;  // strict: first of equals wins
  }
  if (!best || (c && CfsRq::entity_before(*c, *best))) best = c;
  return best;
}

class RandomDriver {
 public:
  RandomDriver(uint64_t seed, Features f) : rng_(seed), feat_(f), rq_(&feat_, &tun_) {
    for (size_t i = 0; i < ents_.size(); ++i) {
      ents_[i].weight = nice_to_weight(static_cast<int>(rng_.range(-20, 19)));
      if (rng_.chance(0.1)) ents_[i].weight = kWeightIdlePrio;
      if (rng_.chance(0.2)) ents_[i].set_slice_request(rng_.range(50'000, 8'000'000), tun_);
      state_[i] = kSleeping;
    }
  }

  void run(int steps) {
    for (int i = 0; i < steps; ++i) {
      step();
      verify();
      if (::testing::Test::HasFailure()) {  // stop at the first broken step
        ADD_FAILURE() << "failed at step " << i;
        return;
      }
    }
  }

  int picks_checked = 0;
  int delayed_seen = 0;

 private:
  enum State { kSleeping, kQueued, kDetached };  // kQueued includes curr and delayed

  size_t idx(const SchedEntity& se) const { return static_cast<size_t>(&se - ents_.data()); }

  void resched() {
    SchedEntity* prev = rq_.curr();
    SchedEntity* next = rq_.pick_task(now_, [&](SchedEntity& b) { state_[idx(b)] = kSleeping; });
    if (next != prev) {
      if (prev) rq_.put_prev_entity(*prev, now_);
      if (next) rq_.set_next_entity(*next, now_);
    }
    rq_.take_resched();
  }

  SchedEntity* random_in(State s, bool allow_curr) {
    std::vector<SchedEntity*> c;
    for (size_t i = 0; i < ents_.size(); ++i)
      if (state_[i] == s && (allow_curr || &ents_[i] != rq_.curr())) c.push_back(&ents_[i]);
    if (c.empty()) return nullptr;
    return c[rng_.below(c.size())];
  }

  void step() {
    now_ += rng_.range(0, 2'000'000);
    switch (rng_.below(10)) {
      case 0:
      case 1: {  // tick
        rq_.update_curr(now_);
        if (rq_.take_resched() || !rq_.curr()) resched();
        break;
      }
      case 2:
      case 3: {  // wakeup of a sleeper (new, woken, or migrated in)
        SchedEntity* se = random_in(kSleeping, true);
        if (!se) se = random_in(kDetached, true);
        if (!se || se == rq_.curr()) break;
        unsigned flags = state_[idx(*se)] == kDetached ? ENQUEUE_MIGRATED
                         : rng_.chance(0.3)            ? ENQUEUE_INITIAL
                                                       : ENQUEUE_WAKEUP;
        rq_.enqueue_entity(*se, flags, now_);
        state_[idx(*se)] = kQueued;
        if (rq_.curr()) {
          WakeupInfo info{flags == ENQUEUE_INITIAL, rq_.resched_pending()};
          if (rq_.check_preempt_wakeup_fair(*se, now_, info) || rq_.resched_pending()) resched();
        } else {
          resched();
        }
        break;
      }
      case 4: {  // curr blocks (plain or special sleep)
        SchedEntity* c = rq_.curr();
        if (!c || !c->on_rq || c->sched_delayed) break;
        unsigned flags = DEQUEUE_SLEEP | (rng_.chance(0.1) ? unsigned{DEQUEUE_SPECIAL} : 0u);
        bool done = rq_.dequeue_entity(*c, flags, now_);
        if (done) state_[idx(*c)] = kSleeping;
        delayed_seen += !done;
        resched();
        break;
      }
      case 5: {  // wakeup of a delayed entity (ttwu_runnable)
        std::vector<SchedEntity*> d;
        for (auto& se : ents_)
          if (se.on_rq && se.sched_delayed) d.push_back(&se);
        if (d.empty()) break;
        SchedEntity* se = d[rng_.below(d.size())];
        rq_.requeue_delayed_entity(*se);
        if (se != rq_.curr() && rq_.check_preempt_wakeup_fair(*se, now_, {})) resched();
        break;
      }
      case 6: {  // migrate a waiting entity away (non-sleep dequeue keeps a relative deadline)
        SchedEntity* se = random_in(kQueued, false);
        if (!se) break;
        ASSERT_TRUE(
            rq_.dequeue_entity(*se, rng_.chance(0.5) ? 0u : DEQUEUE_SAVE | DEQUEUE_MOVE, now_));
        state_[idx(*se)] = kDetached;
        break;
      }
      case 7: {  // nice change of any entity
        SchedEntity* se = &ents_[rng_.below(ents_.size())];
        if (state_[idx(*se)] == kDetached) break;
        rq_.reweight_entity(*se, nice_to_weight(static_cast<int>(rng_.range(-20, 19))), now_);
        break;
      }
      case 8: {  // yield
        if (!rq_.curr() || !rq_.curr()->on_rq) break;
        rq_.yield_task(now_, rq_.nr_running());
        resched();
        break;
      }
      case 9: {  // base slice change through the tunables (takes effect at the next refresh)
        if (rng_.chance(0.2))
          tun_.base_slice_ns = scaled_base_slice(static_cast<int>(rng_.range(1, 16)));
        rq_.update_curr(now_);
        if (rq_.take_resched()) resched();
        break;
      }
    }
  }

  void verify() {
    rq_.check_invariants();
    ASSERT_EQ(rq_.avg_vruntime(), brute_v(rq_));
    for (const SchedEntity* se : queued(rq_))
      ASSERT_EQ(rq_.entity_eligible(*se), brute_eligible(rq_, se->vruntime));
    // Some entity is always eligible when anything is queued.
    const SchedEntity* expect = brute_pick(rq_, feat_);
    SchedEntity* got = rq_.pick_eevdf();
    ASSERT_EQ(got, expect);
    if (rq_.nr_running() > 0) {
      ASSERT_NE(got, nullptr);
    }
    ++picks_checked;
    // A delayed entity stays queued; only a migration (non-sleep dequeue) carries the flag
    // off the runqueue, to be enqueued still delayed elsewhere.
    for (auto& se : ents_) {
      if (se.sched_delayed && state_[idx(se)] != kDetached) {
        ASSERT_TRUE(se.on_rq);
      }
    }
  }

  Rng rng_;
  Features feat_;
  Tunables tun_{3 * kNsPerMs, 4 * kNsPerMs};
  CfsRq rq_;
  std::array<SchedEntity, 24> ents_{};
  std::array<State, 24> state_{};
  Ns now_ = 0;
};

TEST(EevdfRandom, MatchesBruteForceDefaults) {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE(seed);
    RandomDriver d(seed, Features{});
    d.run(4000);
    EXPECT_EQ(d.picks_checked, 4000);
    EXPECT_GT(d.delayed_seen, 0);
    if (HasFailure()) break;
  }
}

TEST(EevdfRandom, MatchesBruteForceOtherFeatures) {
  Features f;
  f.run_to_parity = false;
  f.delay_dequeue = false;
  f.place_lag = false;
  f.next_buddy = true;
  for (uint64_t seed = 100; seed <= 104; ++seed) {
    SCOPED_TRACE(seed);
    RandomDriver d(seed, f);
    d.run(3000);
    EXPECT_EQ(d.picks_checked, 3000);  // every step's pick was compared with the brute force
    EXPECT_EQ(d.delayed_seen, 0);      // DELAY_DEQUEUE is off
    if (HasFailure()) break;
  }
  Features g;
  g.preempt_short = false;
  g.delay_zero = false;
  g.place_rel_deadline = false;
  g.has_pick_buddy = true;
  for (uint64_t seed = 200; seed <= 204; ++seed) {
    SCOPED_TRACE(seed);
    RandomDriver d(seed, g);
    d.run(3000);
    EXPECT_EQ(d.picks_checked, 3000);
    EXPECT_GT(d.delayed_seen, 0);      // DELAY_DEQUEUE on, DELAY_ZERO off
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace scx::fair
