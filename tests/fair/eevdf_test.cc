// Hand-worked EEVDF arithmetic. Unless a test says otherwise: base slice 3 ms, TICK_NSEC 4 ms,
// 6.12 default features. Virtual times are written relative to the runqueue's initial
// min_vruntime M = 2^64 - 2^20 (rel() below), so "M+300557" reads as rel(...) == 300557.
#include "kernel/fair/eevdf.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <vector>

namespace scx::fair {
namespace {

constexpr uint64_t M = CfsRq::kInitialMinVruntime;
constexpr Ns kMs = kNsPerMs;

int64_t rel(uint64_t v) {
  return static_cast<int64_t>(v - M);
}

class EevdfTest : public ::testing::Test {
 protected:
  Features feat;
  Tunables tun{3 * kMs, 4 * kMs};
  CfsRq rq{&feat, &tun};

  static SchedEntity make(uint32_t weight, int64_t vlag = 0) {
    SchedEntity se;
    se.weight = weight;
    se.vlag = vlag;
    return se;
  }
  // Kernel order of a reschedule: pick with curr still set, then put_prev/set_next only when
  // the pick changed (put_prev_set_next_task() returns early for next == prev).
  SchedEntity* schedule(Ns now) {
    SchedEntity* prev = rq.curr();
    SchedEntity* next = rq.pick_task(now, [](SchedEntity&) {});
    if (next != prev) {
      if (prev) rq.put_prev_entity(*prev, now);
      if (next) rq.set_next_entity(*next, now);
    }
    rq.check_invariants();
    return next;
  }
};

TEST_F(EevdfTest, EmptyQueueVIsMinVruntime) {
  EXPECT_EQ(rq.avg_vruntime(), M);
  EXPECT_EQ(rq.nr_running(), 0u);
  EXPECT_EQ(rq.pick_eevdf(), nullptr);
  EXPECT_EQ(rq.cfs_rq_min_slice(), ~Ns{0});
}

// V when curr's weighted key takes the sum out of the 64-bit range (avg_vruntime() then divides
// in 128 bits): two nice -20 entities (weight 88761), B placed 2^58 behind A and running, so its
// key times its weight is about -2^74. V is checked against floor(sum / load) worked out here in
// 128 bits (the tree's own sum, A's, is a plain int64 as in the kernel).
TEST_F(EevdfTest, AvgVruntimeOfASumBeyond64Bits) {
  SchedEntity a = make(88761), b = make(88761, int64_t{1} << 58);
  rq.enqueue_entity(a, ENQUEUE_WAKEUP, 0);
  rq.enqueue_entity(b, ENQUEUE_WAKEUP, 0);
  rq.set_next_entity(b, 0);
  __extension__ using i128 = __int128;
  auto key = [&](const SchedEntity& se) { return static_cast<int64_t>(se.vruntime - rq.min_vruntime()); };
  const i128 sum = i128{key(a) * 88761} + i128{key(b)} * 88761;
  ASSERT_LT(sum, -(i128{1} << 70));  // far outside int64
  const i128 load = 2 * 88761;
  const i128 floor_q = sum / load - (sum % load != 0 ? 1 : 0);  // sum < 0: round down
  EXPECT_EQ(rq.avg_vruntime(), rq.min_vruntime() + static_cast<uint64_t>(static_cast<int64_t>(floor_q)));
}

// Three entities, weights 1024 (A), 2048 (B), 335 (C), all arriving at t=0 with zero lag.
TEST_F(EevdfTest, ThreeEntitiesVruntimeAndV) {
  SchedEntity a = make(1024), b = make(2048), c = make(335);
  rq.enqueue_entity(a, ENQUEUE_WAKEUP, 0);
  rq.enqueue_entity(b, ENQUEUE_WAKEUP, 0);
  rq.enqueue_entity(c, ENQUEUE_WAKEUP, 0);
  rq.check_invariants();
  // All placed at V = M. Virtual requests: A 3e6*1024/1024 = 3000000,
  // B 3e6*1024/2048 = 1500000, C 3e6*1024/335 = 9170149.25 -> 9170149.
  EXPECT_EQ(rel(a.vruntime), 0);
  EXPECT_EQ(rel(b.vruntime), 0);
  EXPECT_EQ(rel(c.vruntime), 0);
  EXPECT_EQ(rel(a.deadline), 3'000'000);
  EXPECT_EQ(rel(b.deadline), 1'500'000);
  EXPECT_EQ(rel(c.deadline), 9'170'149);
  EXPECT_EQ(rq.load(), 1024u + 2048u + 335u);
  EXPECT_EQ(rq.nr_running(), 3u);
  // Deadline order: B, A, C.
  auto order = rq.entities();
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0], &b);
  EXPECT_EQ(order[1], &a);
  EXPECT_EQ(order[2], &c);
  EXPECT_EQ(rq.cfs_rq_min_slice(), 3 * kMs);

  // t=0: everyone is at V, so the earliest deadline (B) runs.
  ASSERT_EQ(schedule(0), &b);
  EXPECT_EQ(static_cast<uint64_t>(b.vlag), b.deadline);  // parity marker

  // t=1ms: B advances 1e6*1024/2048 = 500000. Total weight W = 3407.
  // V = M + floor(500000*2048 / 3407) = M + floor(1024000000/3407) = M + 300557 (rem 2301).
  EXPECT_FALSE(rq.update_curr(1 * kMs));
  EXPECT_EQ(rel(b.vruntime), 500'000);
  EXPECT_EQ(rel(rq.avg_vruntime()), 300'557);
  EXPECT_EQ(rq.min_vruntime(), M);  // A and C still sit at M
  // B is ahead of V: not eligible; pick_eevdf() would now take A, but update_curr() did not
  // ask for a resched -- EEVDF only reschedules at the end of the request (or PREEMPT_SHORT).
  EXPECT_FALSE(rq.entity_eligible(b));
  EXPECT_EQ(rq.pick_eevdf(), &a);

  // t=3ms: B ran 3 ms = 1500000 virtual = its whole request. New deadline from the current v:
  // 1500000 + 1500000 = 3000000; resched. V = floor(1500000*2048/3407) = 901673.
  EXPECT_TRUE(rq.update_curr(3 * kMs));
  EXPECT_TRUE(rq.take_resched());
  EXPECT_EQ(rel(b.vruntime), 1'500'000);
  EXPECT_EQ(rel(b.deadline), 3'000'000);
  EXPECT_EQ(rel(rq.avg_vruntime()), 901'673);

  // A (deadline 3000000, eligible) is picked. B goes back into the tree *after* A: equal
  // deadlines keep insertion order.
  ASSERT_EQ(schedule(3 * kMs), &a);
  order = rq.entities();
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order[0], &b);
  EXPECT_EQ(order[1], &c);
  EXPECT_EQ(rq.avg_vruntime_sum(), 1'500'000LL * 2048);  // keys: B 1500000, C 0
  EXPECT_EQ(rq.avg_load(), 2048 + 335);

  // t=6ms: A ran 3 ms -> v = 3000000 = deadline -> new deadline 6000000.
  // V = floor((1500000*2048 + 3000000*1024) / 3407) = floor(6144000000/3407) = 1803346.
  EXPECT_TRUE(rq.update_curr(6 * kMs));
  EXPECT_EQ(rel(a.vruntime), 3'000'000);
  EXPECT_EQ(rel(a.deadline), 6'000'000);
  EXPECT_EQ(rel(rq.avg_vruntime()), 1'803'346);
  ASSERT_EQ(schedule(6 * kMs), &b);

  // t=9ms: B reaches 3000000 (its deadline) -> new deadline 4500000.
  // V = floor((A 3000000*1024 + B 3000000*2048 + C 0) / 3407) = floor(9216000000/3407)
  //   = 2705019. A (deadline 6000000) has the earliest deadline but v = 3000000 > V: not
  // eligible. C (v = 0, deadline 9170149) is the earliest *eligible* deadline.
  EXPECT_TRUE(rq.update_curr(9 * kMs));
  EXPECT_EQ(rel(b.deadline), 4'500'000);
  EXPECT_EQ(rel(rq.avg_vruntime()), 2'705'019);
  EXPECT_EQ(rq.leftmost(), &a);
  EXPECT_FALSE(rq.entity_eligible(a));
  EXPECT_TRUE(rq.entity_eligible(c));
  ASSERT_EQ(schedule(9 * kMs), &c);

  // t=12ms: C ran 3 ms = 3e6*1024/335 = 9170149 virtual = its request; new deadline
  // 18340298. min_vruntime now moves to min(C 9170149, A 3000000, B 3000000) = M+3000000,
  // which shifts the tree keys of A and B to 0: avg_vruntime sum 9216000000 - 3072*3000000
  // = 0. V = M + 3000000 + floor((9170149-3000000)*335 / 3407)
  //      = M + 3000000 + floor(2066999915/3407) = M + 3000000 + 606692.
  EXPECT_TRUE(rq.update_curr(12 * kMs));
  EXPECT_EQ(rel(c.vruntime), 9'170'149);
  EXPECT_EQ(rel(c.deadline), 18'340'298);
  EXPECT_EQ(rel(rq.min_vruntime()), 3'000'000);
  EXPECT_EQ(rq.avg_vruntime_sum(), 0);
  EXPECT_EQ(rel(rq.avg_vruntime()), 3'606'692);
  EXPECT_EQ(c.sum_exec_runtime, 3 * kMs);
  EXPECT_EQ(a.sum_exec_runtime, 3 * kMs);
  EXPECT_EQ(b.sum_exec_runtime, 6 * kMs);
  rq.check_invariants();
}

// Two nice-0 entities at M and M+2 (B placed with vlag -1, inflated to -2 by (W+w)/W =
// 2048/1024): V = M + 2048/2048 = M+1 exactly.
TEST_F(EevdfTest, EntityExactlyAtVIsEligible) {
  SchedEntity a = make(1024), b = make(1024, -1), c = make(1024);
  rq.enqueue_entity(a, ENQUEUE_WAKEUP, 0);
  rq.enqueue_entity(b, ENQUEUE_WAKEUP, 0);
  EXPECT_EQ(rel(b.vruntime), 2);
  EXPECT_EQ(rel(rq.avg_vruntime()), 1);
  EXPECT_TRUE(rq.vruntime_eligible(M + 1));   // 1*2048 <= 2048
  EXPECT_FALSE(rq.vruntime_eligible(M + 2));  // 2*2048 >  2048
  // A third entity placed with zero lag lands exactly at V and is eligible.
  rq.enqueue_entity(c, ENQUEUE_WAKEUP, 0);
  EXPECT_EQ(rel(c.vruntime), 1);
  EXPECT_EQ(rel(rq.avg_vruntime()), 1);  // (0 + 2 + 1)*1024 / 3072 = 1
  EXPECT_TRUE(rq.entity_eligible(c));
  EXPECT_FALSE(rq.entity_eligible(b));
  rq.check_invariants();
}

// A (1024) at M; B (335) placed with vlag +1: lag = 1*(1024+335)/1024 = 1 (truncated), so
// B.v = M-1 (key -1). V = M + floor(-335/1359) = M - 1 (toward -inf; truncation would say M).
TEST_F(EevdfTest, NegativeNumeratorRoundsTowardMinusInfinity) {
  SchedEntity a = make(1024), b = make(335, 1);
  rq.enqueue_entity(a, ENQUEUE_WAKEUP, 0);
  rq.enqueue_entity(b, ENQUEUE_WAKEUP, 0);
  EXPECT_EQ(rel(b.vruntime), -1);
  EXPECT_EQ(rq.avg_vruntime_sum(), -335);
  EXPECT_EQ(rel(rq.avg_vruntime()), -1);
  // Exact V = M - 335/1359 = M - 0.2465: A (at M) is just ahead of it, B just behind.
  EXPECT_FALSE(rq.entity_eligible(a));  // 0 * 1359 > -335
  EXPECT_TRUE(rq.entity_eligible(b));   // -1 * 1359 <= -335
  EXPECT_EQ(rq.pick_eevdf(), &b);       // A has the earlier deadline but is not eligible
  rq.check_invariants();
}

TEST_F(EevdfTest, EqualDeadlinesKeepInsertionOrder) {
  std::array<SchedEntity, 4> e;
  for (auto& se : e) rq.enqueue_entity(se, ENQUEUE_WAKEUP, 0);  // all v = M, d = M+3ms
  auto order = rq.entities();
  ASSERT_EQ(order.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(order[i], &e[i]);
  EXPECT_EQ(rq.pick_eevdf(), &e[0]);
}

// RUN_TO_PARITY: A runs alone; B arrives as a new task (ENQUEUE_INITIAL: half-slice request)
// with an earlier deadline, but A keeps its slice while it is eligible.
TEST_F(EevdfTest, RunToParityProtectsCurrUntilIneligible) {
  SchedEntity a = make(1024), b = make(1024);
  rq.enqueue_entity(a, ENQUEUE_INITIAL, 0);  // alone: v = M, d = M + 1500000 (half slice)
  EXPECT_EQ(rel(a.deadline), 1'500'000);
  ASSERT_EQ(schedule(0), &a);
  // Alone on the queue: the request ends at 1.5 ms but nr_running == 1 means no resched.
  EXPECT_FALSE(rq.update_curr(2 * kMs));
  EXPECT_EQ(rel(a.vruntime), 2'000'000);
  EXPECT_EQ(rel(a.deadline), 5'000'000);  // refreshed at 2 ms: 2000000 + 3000000
  EXPECT_EQ(rel(rq.min_vruntime()), 2'000'000);
  // a.vlag still holds the deadline at pick time (1500000): not protected any more.
  EXPECT_FALSE(CfsRq::slice_protected(a));
  // A fresh pick restores the marker (as a real reschedule would).
  rq.put_prev_entity(a, 2 * kMs);
  ASSERT_EQ(schedule(2 * kMs), &a);
  EXPECT_TRUE(CfsRq::slice_protected(a));

  // t=2ms: B placed at V = M+2000000 with a half request: d = M+3500000 < A's M+5000000.
  rq.enqueue_entity(b, ENQUEUE_INITIAL, 2 * kMs);
  EXPECT_EQ(rel(b.vruntime), 2'000'000);
  EXPECT_EQ(rel(b.deadline), 3'500'000);
  EXPECT_TRUE(rq.entity_eligible(a));
  EXPECT_EQ(rq.pick_eevdf(), &a);  // protected
  EXPECT_FALSE(rq.check_preempt_wakeup_fair(b, 2 * kMs));
  feat.run_to_parity = false;
  EXPECT_EQ(rq.pick_eevdf(), &b);  // without protection: earliest eligible deadline
  feat.run_to_parity = true;

  // t=2.5ms: A at M+2500000, V = M+2250000: A is no longer eligible, protection is over for
  // the pick -- but update_curr() asks for no resched before A's request ends.
  EXPECT_FALSE(rq.update_curr(2 * kMs + 500'000));
  EXPECT_EQ(rel(rq.avg_vruntime()), 2'250'000);
  EXPECT_FALSE(rq.entity_eligible(a));
  EXPECT_EQ(rq.pick_eevdf(), &b);
  EXPECT_FALSE(rq.resched_pending());

  // t=5ms: A has consumed its request (v = 5000000 = deadline): resched, and B runs.
  EXPECT_TRUE(rq.update_curr(5 * kMs));
  EXPECT_EQ(rel(a.deadline), 8'000'000);
  ASSERT_EQ(schedule(5 * kMs), &b);
}

// PREEMPT_SHORT: a waking entity with a shorter (custom) slice and an earlier deadline breaks
// curr's protection and preempts; the same wakee with the default slice does not.
TEST_F(EevdfTest, PreemptShortWakeePreempts) {
  for (bool short_slice : {false, true}) {
    SCOPED_TRACE(short_slice ? "1ms custom slice" : "default slice");
    CfsRq q(&feat, &tun);
    SchedEntity a = make(1024), b = make(1024);
    if (short_slice) b.set_slice_request(1 * kMs, tun);
    q.enqueue_entity(a, ENQUEUE_WAKEUP, 0);  // v = M, d = M+3000000
    q.set_next_entity(*q.pick_task(0, [](SchedEntity&) {}), 0);
    ASSERT_EQ(q.curr(), &a);
    EXPECT_FALSE(q.update_curr(500'000));  // A alone: v = V = M+500000
    // B is placed at V = M+500000: d = M+1500000 (1 ms slice) or M+3500000 (3 ms).
    q.enqueue_entity(b, ENQUEUE_WAKEUP, 500'000);
    EXPECT_EQ(rel(b.deadline), short_slice ? 1'500'000 : 3'500'000);
    EXPECT_TRUE(q.entity_eligible(a));
    bool preempt = q.check_preempt_wakeup_fair(b, 500'000);
    EXPECT_EQ(preempt, short_slice);
    EXPECT_EQ(q.take_resched(), short_slice);
    // PREEMPT_SHORT broke the marker: vlag = deadline + 1.
    EXPECT_EQ(CfsRq::slice_protected(a), !short_slice);
    feat.preempt_short = false;
    // Without the feature a fresh protected curr is never preempted by a zero-lag wakee.
    a.vlag = static_cast<int64_t>(a.deadline);
    EXPECT_FALSE(q.wakeup_preempt_eevdf(b, 500'000));
    feat.preempt_short = true;
  }
}

// did_preempt_short(): once the marker is broken, update_curr() reschedules as soon as curr
// turns ineligible, before its request is used up.
TEST_F(EevdfTest, BrokenProtectionReschedsWhenIneligible) {
  SchedEntity a = make(1024), b = make(1024);
  rq.enqueue_entity(a, ENQUEUE_WAKEUP, 0);
  rq.enqueue_entity(b, ENQUEUE_WAKEUP, 0);
  ASSERT_EQ(schedule(0), &a);
  EXPECT_FALSE(rq.update_curr(1 * kMs));          // ineligible, but protected (vlag == deadline)
  a.vlag = static_cast<int64_t>(a.deadline + 1);  // what PREEMPT_SHORT does
  EXPECT_TRUE(rq.update_curr(1 * kMs + 1));       // v = M+1000001 > V: resched
  feat.preempt_short = false;
  rq.take_resched();
  EXPECT_FALSE(rq.update_curr(1 * kMs + 2));
}

// place_entity(): the saved lag is inflated by (W + w) / W so that it survives the entity's
// own effect on V.
TEST_F(EevdfTest, PlaceLagInflation) {
  SchedEntity a = make(1024), b = make(2048, 3000);
  rq.enqueue_entity(a, ENQUEUE_WAKEUP, 0);  // v = M
  // W = 1024, w = 2048: lag = 3000 * 3072 / 1024 = 9000 -> B.v = V - 9000 = M - 9000.
  rq.enqueue_entity(b, ENQUEUE_WAKEUP, 0);
  EXPECT_EQ(rel(b.vruntime), -9000);
  EXPECT_EQ(rel(b.deadline), -9000 + 1'500'000);
  // V' = (0*1024 - 9000*2048) / 3072 = -6000 exactly; B's lag V' - v = 3000, as saved.
  EXPECT_EQ(rel(rq.avg_vruntime()), -6000);

  // Non-divisible case, negative lag: X (1024) and Y (2048) at M, so W = 3072; Z has
  // w = 335, vlag = -1000: lag = -1000*3407/3072 = -1109.05 -> -1109
  // (div_s64 truncates toward zero). V' = floor(1109*335/3407) = floor(109.04) = 109, so the
  // lag after placement is 109 - 1109 = -1000.
  CfsRq q(&feat, &tun);
  SchedEntity x = make(1024), y = make(2048), z = make(335, -1000);
  q.enqueue_entity(x, ENQUEUE_WAKEUP, 0);
  q.enqueue_entity(y, ENQUEUE_WAKEUP, 0);
  q.enqueue_entity(z, ENQUEUE_WAKEUP, 0);
  EXPECT_EQ(rel(z.vruntime), 1109);
  EXPECT_EQ(rel(q.avg_vruntime()), 109);
  EXPECT_EQ(static_cast<int64_t>(q.avg_vruntime() - z.vruntime), -1000);

  // Empty queue: no lag is applied at all (PLACE_LAG needs nr_running > 0).
  CfsRq e(&feat, &tun);
  SchedEntity w = make(1024, 5000);
  e.enqueue_entity(w, ENQUEUE_WAKEUP, 0);
  EXPECT_EQ(rel(w.vruntime), 0);
  // PLACE_LAG off: lag ignored.
  feat.place_lag = false;
  CfsRq f(&feat, &tun);
  SchedEntity u = make(1024), v = make(1024, 5000);
  f.enqueue_entity(u, ENQUEUE_WAKEUP, 0);
  f.enqueue_entity(v, ENQUEUE_WAKEUP, 0);
  EXPECT_EQ(rel(v.vruntime), 0);
}

// Saved lag is clamped to +-calc_delta_fair(max(2*slice, TICK_NSEC)).
TEST_F(EevdfTest, LagClamp) {
  SchedEntity a = make(1024), b = make(1024), c = make(335);
  rq.enqueue_entity(a, ENQUEUE_WAKEUP, 0);
  rq.enqueue_entity(b, ENQUEUE_WAKEUP, 0);
  ASSERT_EQ(schedule(0), &a);
  // A runs 20 ms while B waits: A.v = M+20000000, V = M+10000000. B's lag +10 ms is clamped
  // to max(2*3ms, 4ms) = 6 ms.
  rq.update_curr(20 * kMs);
  EXPECT_EQ(rel(rq.avg_vruntime()), 10'000'000);
  EXPECT_TRUE(rq.dequeue_entity(b, DEQUEUE_SLEEP, 20 * kMs));  // eligible: real dequeue
  EXPECT_EQ(b.vlag, 6'000'000);
  // A now alone (V = its own v); re-add B and make A owe 10 ms... simpler: A's lag against
  // V with B at the clamp is checked through the special-sleep path (never delayed).
  rq.enqueue_entity(b, ENQUEUE_WAKEUP, 20 * kMs);  // B.v = V - 6000000*2048/1024
  EXPECT_EQ(rel(b.vruntime), 20'000'000 - 12'000'000);
  // V = (20000000 + 8000000)/2 = 14000000; A's lag -6000000 sits exactly at the limit.
  EXPECT_EQ(rel(rq.avg_vruntime()), 14'000'000);
  rq.update_curr(22 * kMs);  // A.v = 22000000, V = 15000000, lag -7000000 -> clamp -6000000
  EXPECT_TRUE(rq.dequeue_entity(a, DEQUEUE_SLEEP | DEQUEUE_SPECIAL, 22 * kMs));
  EXPECT_EQ(a.vlag, -6'000'000);

  // Weight scales the limit: w = 335 -> calc_delta_fair(6 ms, 335) = 18340298.
  c.slice = 3 * kMs;
  EXPECT_EQ(rq.entity_lag(M + 100'000'000, c), 18'340'298);
  // A short custom slice falls back to the tick floor: max(2*1ms, 4ms) = 4 ms.
  SchedEntity d = make(1024);
  d.set_slice_request(1 * kMs, tun);
  EXPECT_EQ(rq.entity_lag(M - 100'000'000, d), -4'000'000);
}

// DELAY_DEQUEUE: an ineligible sleeper stays queued (weight in V, counted in nr_running)
// until a pick would choose it; then it leaves with lag 0 (DELAY_ZERO).
TEST_F(EevdfTest, DelayDequeueKeepsIneligibleSleeper) {
  SchedEntity a = make(1024), b = make(1024);
  rq.enqueue_entity(a, ENQUEUE_WAKEUP, 0);
  rq.enqueue_entity(b, ENQUEUE_WAKEUP, 0);
  ASSERT_EQ(schedule(0), &a);
  // t=2ms: A (v = M+2000000, V = M+1000000) blocks while ineligible.
  EXPECT_FALSE(rq.dequeue_entity(a, DEQUEUE_SLEEP, 2 * kMs));
  EXPECT_TRUE(a.sched_delayed);
  EXPECT_TRUE(a.on_rq);
  EXPECT_EQ(rq.nr_running(), 2u);
  EXPECT_EQ(rq.nr_delayed(), 1u);
  EXPECT_EQ(rq.load(), 2048u);
  // Switch away: the delayed curr goes back into the tree; B (same deadline M+3000000 but
  // inserted first) runs.
  ASSERT_EQ(schedule(2 * kMs), &b);
  EXPECT_TRUE(a.in_tree);
  // t=3ms: B at M+1000000. V still counts the frozen A: (2000000 + 1000000)/2 = 1500000
  // (B alone would give 1000000).
  rq.update_curr(3 * kMs);
  EXPECT_EQ(rel(rq.avg_vruntime()), 1'500'000);
  EXPECT_FALSE(rq.entity_eligible(a));
  // t=5ms: B at M+3000000 = its deadline -> resched. V = 2500000, A (2000000) is eligible,
  // has the earliest deadline (3000000 vs B's new 6000000) and is picked -- so the pick
  // dequeues it for good: lag V - v = +500000, zeroed by DELAY_ZERO.
  EXPECT_TRUE(rq.update_curr(5 * kMs));
  std::vector<SchedEntity*> blocked;
  SchedEntity* next = rq.pick_task(5 * kMs, [&](SchedEntity& se) { blocked.push_back(&se); });
  ASSERT_EQ(blocked.size(), 1u);
  EXPECT_EQ(blocked[0], &a);
  EXPECT_EQ(next, &b);
  EXPECT_FALSE(a.on_rq);
  EXPECT_FALSE(a.sched_delayed);
  EXPECT_EQ(a.vlag, 0);
  EXPECT_EQ(rq.nr_running(), 1u);
  EXPECT_EQ(rq.nr_delayed(), 0u);
  EXPECT_EQ(rq.load(), 1024u);
  rq.check_invariants();

  // With DELAY_ZERO off the positive lag survives.
  feat.delay_zero = false;
  CfsRq q(&feat, &tun);
  SchedEntity x = make(1024), y = make(1024);
  q.enqueue_entity(x, ENQUEUE_WAKEUP, 0);
  q.enqueue_entity(y, ENQUEUE_WAKEUP, 0);
  q.set_next_entity(x, 0);
  EXPECT_FALSE(q.dequeue_entity(x, DEQUEUE_SLEEP, 2 * kMs));
  q.put_prev_entity(x, 2 * kMs);
  q.set_next_entity(y, 2 * kMs);
  q.update_curr(5 * kMs);
  auto r = q.pick_next_entity(5 * kMs);
  EXPECT_EQ(r.blocked, &x);
  EXPECT_EQ(x.vlag, 500'000);
}

TEST_F(EevdfTest, DelayDequeueOnlyForPlainSleep) {
  SchedEntity a = make(1024), b = make(1024);
  rq.enqueue_entity(a, ENQUEUE_WAKEUP, 0);
  rq.enqueue_entity(b, ENQUEUE_WAKEUP, 0);
  ASSERT_EQ(schedule(0), &a);
  rq.update_curr(2 * kMs);
  // Eligible sleeper (B, lag +1 ms) leaves at once.
  EXPECT_TRUE(rq.dequeue_entity(b, DEQUEUE_SLEEP, 2 * kMs));
  EXPECT_EQ(b.vlag, 1'000'000);
  rq.enqueue_entity(b, ENQUEUE_WAKEUP, 2 * kMs);
  // Non-sleep dequeue (migration) of ineligible A: real dequeue, relative deadline kept.
  // A: v = 2000000, d = 3000000, V = (2000000 + B's v)/2 with B.v = 2000000 - 2*1000000 = 0.
  EXPECT_EQ(rel(b.vruntime), 0);
  EXPECT_TRUE(rq.dequeue_entity(a, 0, 2 * kMs));
  EXPECT_TRUE(a.rel_deadline);
  EXPECT_EQ(a.deadline, 1'000'000u);  // d - v
  EXPECT_EQ(a.vlag, -1'000'000);
  // Re-enqueued elsewhere (ENQUEUE_MIGRATED): deadline restored relative to the new v, and
  // no longer cache hot.
  CfsRq other(&feat, &tun);
  a.exec_start = 123;
  other.enqueue_entity(a, ENQUEUE_MIGRATED, 2 * kMs);
  EXPECT_FALSE(a.rel_deadline);
  EXPECT_EQ(a.deadline - a.vruntime, 1'000'000u);
  EXPECT_EQ(a.exec_start, 0u);
}

// A delayed entity woken before it was picked (ttwu_runnable): keeps v/deadline while it
// still owes service; re-placed at V with lag 0 once its lag turned positive.
TEST_F(EevdfTest, RequeueDelayedEntity) {
  SchedEntity a = make(1024), b = make(1024);
  rq.enqueue_entity(a, ENQUEUE_WAKEUP, 0);
  rq.enqueue_entity(b, ENQUEUE_WAKEUP, 0);
  ASSERT_EQ(schedule(0), &a);
  EXPECT_FALSE(rq.dequeue_entity(a, DEQUEUE_SLEEP, 2 * kMs));
  ASSERT_EQ(schedule(2 * kMs), &b);
  rq.update_curr(3 * kMs);  // V = 1500000, A at 2000000: lag -500000
  rq.requeue_delayed_entity(a);
  EXPECT_FALSE(a.sched_delayed);
  EXPECT_EQ(rel(a.vruntime), 2'000'000);
  EXPECT_EQ(rel(a.deadline), 3'000'000);
  EXPECT_EQ(a.vlag, -500'000);
  EXPECT_EQ(rq.nr_delayed(), 0u);
  rq.check_invariants();

  // Sleep again while ineligible, then wake once the lag is positive.
  rq.put_prev_entity(b, 3 * kMs);
  rq.set_next_entity(a, 3 * kMs);
  EXPECT_FALSE(rq.dequeue_entity(a, DEQUEUE_SLEEP, 3 * kMs));
  rq.put_prev_entity(a, 3 * kMs);
  rq.set_next_entity(b, 3 * kMs);
  rq.update_curr(4 * kMs + 500'000);  // B at 2500000, V = 2250000, A's lag +250000
  rq.requeue_delayed_entity(a);
  // Re-placed without A's own weight: V = B alone = 2500000; zero lag; fresh request.
  EXPECT_EQ(rel(a.vruntime), 2'500'000);
  EXPECT_EQ(rel(a.deadline), 5'500'000);
  EXPECT_EQ(a.vlag, 0);
  EXPECT_EQ(rq.nr_running(), 2u);
  rq.check_invariants();
}

// reweight_entity(): V is unchanged, lag and relative deadline scale by old/new.
TEST_F(EevdfTest, ReweightQueuedEntity) {
  SchedEntity a = make(1024), b = make(1024);
  rq.enqueue_entity(a, ENQUEUE_WAKEUP, 0);
  rq.enqueue_entity(b, ENQUEUE_WAKEUP, 0);
  // Put B in front: it runs first.
  rq.set_next_entity(b, 0);
  rq.update_curr(2 * kMs);  // B.v = 2000000, V = 1000000, A: lag +1000000, d = 3000000
  rq.reweight_entity(a, 2048, 2 * kMs);
  // v' = V - 1000000*1024/2048 = 1000000 - 500000 = 500000.
  // d' = V + (3000000 - 1000000)*1024/2048 = 1000000 + 1000000 = 2000000.
  EXPECT_EQ(rel(a.vruntime), 500'000);
  EXPECT_EQ(rel(a.deadline), 2'000'000);
  EXPECT_EQ(a.weight, 2048u);
  EXPECT_EQ(rq.load(), 3072u);
  // v0 advanced to min(B 2000000, A 500000); V = 500000 + (0*2048 + 1500000*1024)/3072.
  EXPECT_EQ(rel(rq.min_vruntime()), 500'000);
  EXPECT_EQ(rel(rq.avg_vruntime()), 1'000'000);
  rq.check_invariants();
}

TEST_F(EevdfTest, ReweightCurrAndSleeper) {
  SchedEntity a = make(1024), b = make(1024);
  rq.enqueue_entity(a, ENQUEUE_WAKEUP, 0);
  rq.enqueue_entity(b, ENQUEUE_WAKEUP, 0);
  rq.set_next_entity(b, 0);
  rq.update_curr(2 * kMs);  // B.v = 2000000 (d 3000000), V = 1000000
  // Curr to nice -5 (3121): lag -1000000 * 1024/3121 = -328099.97 -> -328099 (truncated):
  // v' = 1000000 + 328099 = 1328099. d' = 1000000 + 2000000*1024/3121 = 1000000 + 656199.
  rq.reweight_entity(b, 3121, 2 * kMs);
  EXPECT_EQ(rel(b.vruntime), 1'328'099);
  EXPECT_EQ(rel(b.deadline), 1'656'199);
  // V = floor(1328099*3121 / 4145) = floor(4144996979/4145) = 999999: the truncations move
  // V by less than 1 ns.
  EXPECT_EQ(rel(rq.avg_vruntime()), 999'999);
  rq.check_invariants();

  // A dequeued entity only has its vlag rescaled: -3000 * 1024/335 = -9170.1 -> -9170.
  SchedEntity s = make(1024, -3000);
  rq.reweight_entity(s, 335, 2 * kMs);
  EXPECT_EQ(s.vlag, -9170);
  EXPECT_EQ(s.weight, 335u);
}

// yield_task_fair(): push curr's deadline out by one virtual slice.
TEST_F(EevdfTest, YieldPushesDeadline) {
  SchedEntity a = make(1024), b = make(1024);
  rq.enqueue_entity(a, ENQUEUE_WAKEUP, 0);
  ASSERT_EQ(schedule(0), &a);
  rq.yield_task(1 * kMs, 1);  // only task: nothing happens
  EXPECT_EQ(rel(a.deadline), 3'000'000);
  rq.enqueue_entity(b, ENQUEUE_WAKEUP, 1 * kMs);  // B at V = M+1000000 (v0 followed A)
  rq.yield_task(1 * kMs, 2);
  EXPECT_EQ(rel(a.deadline), 6'000'000);
  // A is at V too (both at 1000000): both eligible, B's deadline 4000000 is earlier, and
  // A's marker no longer matches its deadline.
  EXPECT_EQ(rq.pick_eevdf(), &b);
  // yield_to_task_fair(): the target becomes the next buddy (used only with the buddy pick).
  EXPECT_TRUE(rq.yield_to_task(b, 1 * kMs, 2));
  EXPECT_EQ(rq.next_buddy(), &b);
}

TEST_F(EevdfTest, NextBuddyPick) {
  SchedEntity a = make(1024), b = make(1024), c = make(1024);
  rq.enqueue_entity(a, ENQUEUE_WAKEUP, 0);
  rq.enqueue_entity(b, ENQUEUE_WAKEUP, 0);
  rq.enqueue_entity(c, ENQUEUE_WAKEUP, 0);
  rq.set_next_buddy(c);
  EXPECT_EQ(rq.pick_next_entity(0).se, &a);  // 6.12.0 default: NEXT_BUDDY off
  feat.next_buddy = true;
  EXPECT_EQ(rq.pick_next_entity(0).se, &c);
  feat.next_buddy = false;
  feat.has_pick_buddy = true;  // 6.12.y: PICK_BUDDY (on) gates the pick
  EXPECT_EQ(rq.pick_next_entity(0).se, &c);
  rq.set_next_entity(c, 0);  // picking clears the buddy
  EXPECT_EQ(rq.next_buddy(), nullptr);
}

TEST_F(EevdfTest, WakeupPolicyRules) {
  SchedEntity a = make(1024), b = make(1024);
  rq.enqueue_entity(a, ENQUEUE_WAKEUP, 0);
  ASSERT_EQ(schedule(0), &a);
  rq.update_curr(10 * kMs);  // A alone: v = V = M+10000000, deadline M+13000000
  a.vlag = static_cast<int64_t>(a.deadline + 7);  // not protected
  // B owed 1000 ns: placed 2000 before V, so it is eligible with the earlier deadline.
  b.vlag = 1000;
  rq.enqueue_entity(b, ENQUEUE_WAKEUP, 10 * kMs);
  EXPECT_EQ(rel(b.deadline), 13'000'000 - 2000);
  b.policy = FairPolicy::Batch;
  EXPECT_FALSE(rq.check_preempt_wakeup_fair(b, 10 * kMs));  // BATCH never preempts
  b.policy = FairPolicy::Idle;
  EXPECT_FALSE(rq.check_preempt_wakeup_fair(b, 10 * kMs));  // IDLE never preempts normal
  b.policy = FairPolicy::Normal;
  EXPECT_FALSE(
      rq.check_preempt_wakeup_fair(b, 10 * kMs, {.wake_fork = false, .curr_need_resched = true}));
  feat.wakeup_preemption = false;
  EXPECT_FALSE(rq.check_preempt_wakeup_fair(b, 10 * kMs));
  feat.wakeup_preemption = true;
  EXPECT_TRUE(rq.check_preempt_wakeup_fair(b, 10 * kMs));
  // An idle-policy curr is preempted by any non-idle wakee, even one the pick would skip.
  a.policy = FairPolicy::Idle;
  b.policy = FairPolicy::Batch;
  EXPECT_TRUE(rq.check_preempt_wakeup_fair(b, 10 * kMs));
}

// Long run on one CPU: hogs of nice 0, 5 and -5, a tick every 4 ms, reschedule on request.
// CPU shares must follow 1024 : 335 : 3121 (22.86 %, 7.48 %, 69.67 %) within 1 % (relative).
TEST_F(EevdfTest, LongRunSharesFollowWeights) {
  for (int ncpus : {1, 8}) {
    SCOPED_TRACE(ncpus);
    tun = Tunables::for_machine(ncpus, 250);  // slice 0.75 ms or 3 ms, tick 4 ms
    CfsRq q(&feat, &tun);
    std::array<SchedEntity, 3> hog{make(nice_to_weight(0)), make(nice_to_weight(5)),
                                   make(nice_to_weight(-5))};
    Ns now = 0;
    for (auto& se : hog) q.enqueue_entity(se, ENQUEUE_INITIAL, now);
    auto resched = [&] {
      SchedEntity* prev = q.curr();
      SchedEntity* next = q.pick_task(now, [](SchedEntity&) {});
      if (next != prev) {
        if (prev) q.put_prev_entity(*prev, now);
        q.set_next_entity(*next, now);
      }
    };
    resched();
    int switches = 0;
    const Ns end = 60 * kNsPerSec;
    while (now < end) {
      now += tun.tick_nsec;
      q.update_curr(now);  // entity_tick()
      if (q.take_resched()) {
        SchedEntity* before = q.curr();
        resched();
        switches += q.curr() != before;
      }
    }
    q.check_invariants();
    const double total = 1024 + 335 + 3121;
    for (auto& se : hog) {
      double expect = se.weight / total;
      double got = static_cast<double>(se.sum_exec_runtime) / static_cast<double>(end);
      EXPECT_NEAR(got / expect, 1.0, 0.01) << "weight " << se.weight;
    }
    EXPECT_GT(switches, 1000);
    // Every hog's lag stays within a few ticks' worth of virtual time.
    uint64_t V = q.avg_vruntime();
    for (auto& se : hog) {
      int64_t lag = static_cast<int64_t>(V - se.vruntime);
      EXPECT_LT(std::abs(lag), static_cast<int64_t>(calc_delta_fair(3 * tun.tick_nsec, se.weight)));
    }
  }
}

}  // namespace
}  // namespace scx::fair
