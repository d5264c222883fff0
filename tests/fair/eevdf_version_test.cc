// Hand-worked schedules whose exact outcome differs between --kernel 6.12 and 6.18, one per
// EEVDF engine difference (docs/kernel-versions.md). Base slice 3 ms, TICK_NSEC 4 ms, weights
// 1024 unless said; virtual times relative to the initial min_vruntime M (rel()). Every test
// runs both versions and asserts each one's outcome.
#include "kernel/fair/eevdf.h"

#include <gtest/gtest.h>

#include <vector>

namespace scx::fair {
namespace {

constexpr uint64_t M = CfsRq::kInitialMinVruntime;
constexpr Ns kMs = kNsPerMs;
constexpr KernelVersion kBoth[] = {KernelVersion::V6_12, KernelVersion::V6_18};

int64_t rel(uint64_t v) { return static_cast<int64_t>(v - M); }
bool is618(KernelVersion v) { return v == KernelVersion::V6_18; }

struct Rq {
  explicit Rq(KernelVersion v) { feat.kernel = v; }
  Features feat;
  Tunables tun{3 * kMs, 4 * kMs, 700 * kNsPerUs};
  CfsRq q{&feat, &tun};

  SchedEntity make(int64_t vlag = 0, Ns custom_slice = 0) const {
    SchedEntity se;
    se.vlag = vlag;
    if (custom_slice) se.set_slice_request(custom_slice, tun);
    return se;
  }
  // A reschedule in kernel order: pick with curr set, switch only when the pick changed.
  SchedEntity* schedule(Ns now) {
    SchedEntity* prev = q.curr();
    SchedEntity* next = q.pick_task(now, [](SchedEntity&) {});
    if (next != prev) {
      if (prev) q.put_prev_entity(*prev, now);
      if (next) q.set_next_entity(*next, now);
    }
    q.take_resched();
    q.check_invariants();
    return next;
  }
  // update_curr() at each of `ticks` until one asks for a resched; returns that tick (0: none).
  Ns first_resched(std::initializer_list<Ns> ticks) {
    for (Ns t : ticks)
      if (q.update_curr(t)) return t;
    return 0;
  }
};

// "sched/fair: Limit run to parity to the min slice of enqueued entities" + "Always trigger
// resched at the end of a protected period" (6.17). A (3 ms) is picked while B (1 ms custom
// slice, lag -0.25 ms) waits ineligible. 6.12 protects A for its whole request (3 ms of run);
// 6.18 only for B's 1 ms slice, and then hands the CPU to B.
TEST(EevdfVersion, ProtectionEndsAtTheShortestQueuedSlice) {
  for (KernelVersion v : kBoth) {
    SCOPED_TRACE(kernel_version_name(v));
    Rq r(v);
    SchedEntity a = r.make(), b = r.make(-250'000, 1 * kMs);
    r.q.enqueue_entity(a, ENQUEUE_WAKEUP, 0);  // alone: v = M, d = M+3ms
    r.q.enqueue_entity(b, ENQUEUE_WAKEUP, 0);  // lag -0.25ms * 2048/1024: v = M+0.5ms, d = M+1.5ms
    EXPECT_EQ(rel(b.vruntime), 500'000);
    EXPECT_EQ(rel(b.deadline), 1'500'000);
    ASSERT_EQ(r.schedule(0), &a);  // V = M+0.25ms: B is not eligible yet
    if (is618(v)) {
      EXPECT_EQ(rel(a.vprot()), 1'000'000);  // min(d, v + 1ms)
    }
    // 6.12: the protection lasts until the request ends at 3 ms; 6.18: until v = M+1ms.
    const Ns switch_at = is618(v) ? 1 * kMs : 3 * kMs;
    EXPECT_EQ(r.first_resched({1 * kMs, 2 * kMs, 3 * kMs}), switch_at);
    EXPECT_EQ(r.schedule(switch_at), &b);  // A is ineligible by then
  }
}

// "sched/fair: Always trigger resched at the end of a protected period" (6.17): curr is still
// eligible when its protection ends, yet 6.18 asks for a resched at every tick after it (the
// pick keeps A, and without a new set_next_entity() A stays unprotected); 6.12 waits for the
// end of the request.
TEST(EevdfVersion, ReschedAtEndOfProtectionEvenIfCurrEligible) {
  for (KernelVersion v : kBoth) {
    SCOPED_TRACE(kernel_version_name(v));
    Rq r(v);
    SchedEntity a = r.make(), b = r.make(-2 * kMs, 1 * kMs);
    r.q.enqueue_entity(a, ENQUEUE_WAKEUP, 0);
    r.q.enqueue_entity(b, ENQUEUE_WAKEUP, 0);  // v = M+4ms, d = M+5ms
    ASSERT_EQ(r.schedule(0), &a);
    std::vector<Ns> expect = is618(v) ? std::vector<Ns>{1 * kMs, 2 * kMs, 3 * kMs} : std::vector<Ns>{3 * kMs};
    std::vector<Ns> got;
    for (Ns t : {1 * kMs, 2 * kMs, 3 * kMs}) {
      if (!r.q.update_curr(t)) continue;
      got.push_back(t);
      EXPECT_TRUE(r.q.entity_eligible(a));
      EXPECT_EQ(r.schedule(t), &a);  // B (v = M+4ms) is still ineligible: A again
    }
    EXPECT_EQ(got, expect);
  }
}

// "sched/fair: Remove spurious shorter slice preemption" (6.17). A and C (3 ms) start together,
// A runs. At 2 ms (A ineligible but protected) B wakes with a 2.5 ms slice: shorter than A's,
// but C, not B, is the earliest eligible deadline. 6.12 still cancels A's protection, so A is
// rescheduled at the next tick (2.5 ms); 6.18 keeps it and C runs when A's request ends (3 ms).
TEST(EevdfVersion, ShorterSliceWakeeThatIsNotThePickKeepsProtection) {
  for (KernelVersion v : kBoth) {
    SCOPED_TRACE(kernel_version_name(v));
    Rq r(v);
    SchedEntity a = r.make(), c = r.make(), b = r.make(0, 2'500'000);
    r.q.enqueue_entity(a, ENQUEUE_WAKEUP, 0);
    r.q.enqueue_entity(c, ENQUEUE_WAKEUP, 0);
    ASSERT_EQ(r.schedule(0), &a);  // equal deadlines: A was queued first
    EXPECT_FALSE(r.q.update_curr(2 * kMs));
    r.q.enqueue_entity(b, ENQUEUE_WAKEUP, 2 * kMs);  // V = M+1ms: v = M+1ms, d = M+3.5ms
    EXPECT_EQ(rel(b.deadline), 3'500'000);
    EXPECT_FALSE(r.q.check_preempt_wakeup_fair(b, 2 * kMs));
    EXPECT_EQ(r.q.protect_slice(a), is618(v));
    if (is618(v)) {
      EXPECT_EQ(rel(a.vprot()), 3'000'000);  // min(M+3ms, v + 2.5ms): unchanged
    }
    const Ns switch_at = is618(v) ? 3 * kMs : 2'500'000;
    EXPECT_EQ(r.first_resched({2'500'000, 3 * kMs}), switch_at);
    EXPECT_EQ(r.schedule(switch_at), &c);
  }
}

// 6.18 ("sched/fair: Fix entity's lag with run to parity", 6.17): a shorter-slice wakee that is
// not the pick shortens curr's protection to its slice.
TEST(EevdfVersion, ShorterSliceWakeeShortensProtection) {
  for (KernelVersion v : kBoth) {
    SCOPED_TRACE(kernel_version_name(v));
    Rq r(v);
    SchedEntity a = r.make(), b = r.make(-250'000, 1 * kMs);
    r.q.enqueue_entity(a, ENQUEUE_WAKEUP, 0);
    ASSERT_EQ(r.schedule(0), &a);
    if (is618(v)) {
      EXPECT_EQ(rel(a.vprot()), 3'000'000);  // picked alone: the whole request
    }
    // B wakes with a 1 ms slice and lag -0.25ms (inflated x2 next to curr A): v = M+0.5ms.
    r.q.enqueue_entity(b, ENQUEUE_WAKEUP, 0);
    EXPECT_EQ(rel(b.vruntime), 500'000);
    EXPECT_FALSE(r.q.check_preempt_wakeup_fair(b, 0));  // B is not eligible (V = M+0.25ms)
    if (is618(v)) {
      EXPECT_EQ(rel(a.vprot()), 1'000'000);    // min(M+3ms, v + 1ms)
    }
    // 6.12: do_preempt_short() needs an eligible wakee: nothing changes, A runs 3 ms.
    const Ns switch_at = is618(v) ? 1 * kMs : 3 * kMs;
    EXPECT_EQ(r.first_resched({1 * kMs, 2 * kMs, 3 * kMs}), switch_at);
    EXPECT_EQ(r.schedule(switch_at), &b);  // V = M+0.75ms at 1ms: A ineligible, B eligible
  }
}

// "sched/fair: Fix NO_RUN_TO_PARITY case" (6.17): without RUN_TO_PARITY, 6.18 still protects
// curr for one normalized base slice (0.70 ms) and then reschedules; 6.12 reschedules only when
// the request ends (its marker still blocks did_preempt_short()).
TEST(EevdfVersion, NoRunToParityQuantum) {
  for (KernelVersion v : kBoth) {
    SCOPED_TRACE(kernel_version_name(v));
    Rq r(v);
    r.feat.run_to_parity = false;
    SchedEntity a = r.make(), b = r.make();
    r.q.enqueue_entity(a, ENQUEUE_WAKEUP, 0);
    r.q.enqueue_entity(b, ENQUEUE_WAKEUP, 0);
    ASSERT_EQ(r.schedule(0), &a);
    if (is618(v)) {
      EXPECT_EQ(rel(a.vprot()), 700'000);
    }
    const Ns switch_at = is618(v) ? 1 * kMs : 3 * kMs;
    EXPECT_EQ(r.first_resched({500'000, 1 * kMs, 2 * kMs, 3 * kMs}), switch_at);
    EXPECT_EQ(r.schedule(switch_at), &b);
  }
}

// "sched: Cancel the slice protection of the idle entity" (6.15). A SCHED_IDLE curr (weight 3,
// request 3 ms = 1.024e9 virtual ns) is preempted by a waking normal task B in both versions;
// 6.12 leaves A's protection in place, so the very pick that follows hands the CPU back to A.
TEST(EevdfVersion, PreemptedIdleCurrLosesProtection) {
  for (KernelVersion v : kBoth) {
    SCOPED_TRACE(kernel_version_name(v));
    Rq r(v);
    SchedEntity a = r.make(), b = r.make();
    a.policy = FairPolicy::Idle;
    a.weight = kWeightIdlePrio;
    r.q.enqueue_entity(a, ENQUEUE_WAKEUP, 0);
    ASSERT_EQ(r.schedule(0), &a);
    EXPECT_EQ(rel(a.deadline), 1'024'000'000);
    EXPECT_FALSE(r.q.update_curr(1 * kMs));  // v = M + 1e6 * 1024 / 3
    EXPECT_EQ(rel(a.vruntime), 341'333'333);
    r.q.enqueue_entity(b, ENQUEUE_WAKEUP, 1 * kMs);  // at V = A's vruntime, d = V + 3ms
    EXPECT_TRUE(r.q.check_preempt_wakeup_fair(b, 1 * kMs));
    EXPECT_EQ(r.schedule(1 * kMs), is618(v) ? &b : &a);
  }
}

// sched_yield() among three equal tasks. 6.12: pushing the deadline out ends the marker
// protection, so the next task (B) runs. 6.18: vprot still lies ahead of A's vruntime, so
// the pick keeps A (6.19's "sched/fair: Forfeit vruntime on yield" changes this again).
TEST(EevdfVersion, YieldKeepsProtectedCurr) {
  for (KernelVersion v : kBoth) {
    SCOPED_TRACE(kernel_version_name(v));
    Rq r(v);
    SchedEntity a = r.make(), b = r.make(), c = r.make();
    for (SchedEntity* se : {&a, &b, &c}) r.q.enqueue_entity(*se, ENQUEUE_WAKEUP, 0);
    ASSERT_EQ(r.schedule(0), &a);
    r.q.yield_task(0, 3);
    EXPECT_EQ(rel(a.deadline), 6'000'000);
    EXPECT_EQ(r.schedule(0), is618(v) ? &a : &b);
  }
}

// yield_to(): "sched/fair: Fix NEXT_BUDDY" (6.13) made PICK_BUDDY (default on) gate the buddy
// pick; v6.12 honours cfs_rq->next only with NEXT_BUDDY (off), so the yield goes to B.
TEST(EevdfVersion, YieldToPicksTheBuddy) {
  for (KernelVersion v : kBoth) {
    SCOPED_TRACE(kernel_version_name(v));
    Rq r(v);
    SchedEntity a = r.make(), b = r.make(), c = r.make();
    for (SchedEntity* se : {&a, &b, &c}) r.q.enqueue_entity(*se, ENQUEUE_WAKEUP, 0);
    ASSERT_EQ(r.schedule(0), &a);
    ASSERT_TRUE(r.q.yield_to_task(c, 0, 3));
    EXPECT_EQ(r.schedule(0), is618(v) ? &c : &b);
  }
}

// "sched/fair: Fix EEVDF entity placement bug causing scheduling lag" (6.14): a nice change of
// a task dequeued with a relative deadline (DEQUEUE_SAVE) rescales that deadline too.
TEST(EevdfVersion, ReweightRescalesARelativeDeadline) {
  for (KernelVersion v : kBoth) {
    SCOPED_TRACE(kernel_version_name(v));
    Rq r(v);
    SchedEntity a = r.make();
    r.q.enqueue_entity(a, ENQUEUE_WAKEUP, 0);
    ASSERT_EQ(r.schedule(0), &a);
    EXPECT_FALSE(r.q.update_curr(1 * kMs));
    ASSERT_TRUE(r.q.dequeue_entity(a, DEQUEUE_SAVE | DEQUEUE_MOVE, 1 * kMs));
    r.q.put_prev_entity(a, 1 * kMs);
    EXPECT_TRUE(a.rel_deadline);
    EXPECT_EQ(a.deadline, 2'000'000u);  // 2 ms of the request left
    r.q.reweight_entity(a, 2048, 1 * kMs);
    EXPECT_EQ(a.deadline, is618(v) ? 1'000'000u : 2'000'000u);
    r.q.enqueue_entity(a, ENQUEUE_RESTORE | ENQUEUE_MOVE, 1 * kMs);
    EXPECT_EQ(rel(a.vruntime), 1'000'000);
    EXPECT_EQ(rel(a.deadline), is618(v) ? 2'000'000 : 3'000'000);
  }
}

// "sched: Reduce the default slice to avoid tasks getting an extra tick" (6.15).
TEST(EevdfVersion, BaseSlice) {
  EXPECT_EQ(Tunables::for_machine(2, 250, KernelVersion::V6_12).base_slice_ns, 1'500'000u);
  EXPECT_EQ(Tunables::for_machine(2, 250, KernelVersion::V6_18).base_slice_ns, 1'400'000u);
  EXPECT_EQ(Tunables::for_machine(8, 250, KernelVersion::V6_12).base_slice_ns, 3'000'000u);
  EXPECT_EQ(Tunables::for_machine(8, 250, KernelVersion::V6_18).base_slice_ns, 2'800'000u);
  EXPECT_EQ(Tunables::for_machine(8, 250, KernelVersion::V6_18).normalized_base_slice_ns, 700'000u);
  EXPECT_EQ(Tunables::for_machine(8, 250).base_slice_ns, 3'000'000u);  // the struct default: 6.12
  EXPECT_EQ(parse_kernel_version("6.18"), KernelVersion::V6_18);
  EXPECT_EQ(parse_kernel_version("v6.12"), KernelVersion::V6_12);
  EXPECT_FALSE(parse_kernel_version("6.15").has_value());
}

}  // namespace
}  // namespace scx::fair
