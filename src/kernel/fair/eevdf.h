// The per-runqueue EEVDF engine of the fair class (Linux kernel/sched/fair.c of v6.12 or v6.18,
// chosen by Features::kernel; docs/kernel-versions.md lists the differences), as a pure
// data structure: entities, the deadline-ordered augmented tree, V, lag, placement, pick,
// accounting, DELAY_DEQUEUE and wakeup preemption. It knows nothing of tasks, CPUs or clocks:
// every operation that accounts time takes `now` (rq_clock_task) explicitly, and the class
// layer maps tasks to SchedEntity (see SchedEntity::owner).
//
// One CfsRq is one runqueue level: the per-CPU root, or a task group's cfs_rq on that CPU
// (CONFIG_FAIR_GROUP_SCHED). The engine never walks the hierarchy itself -- the class layer's
// for_each_sched_entity() walks (fair_group.cc) call it level by level; an entity's links to
// its level (cfs_rq, parent_entity, my_q, depth) are kept here for them. Method names follow
// the kernel function each one models.
//
// Conventions copied from the kernel: vruntime/deadline are u64 compared through signed
// differences (wrap-safe); vlag is s64; weights are the unscaled table values (weights.h).
#pragma once

#include <cstdint>
#include <vector>

#include "base/int128.h"
#include "kernel/fair/weights.h"
#include "kernel/kernel_version.h"
#include "kernel/sched_flags.h"
#include "sim/time.h"

namespace scx::fair {

// ---------------------------------------------------------------------------------------------
// Tunables and features

// sysctl_sched_tunable_scaling: how the base slice grows with the number of online CPUs.
enum class SliceScaling : uint8_t { None = 0, Log = 1, Linear = 2 };

inline constexpr Ns kNormalizedBaseSlice = 750 * kNsPerUs;  // normalized_sysctl_sched_base_slice (6.12)
// 6.15+ (so 6.18), "sched: Reduce the default slice to avoid tasks getting an extra tick": 0.70 ms,
// so that a slice plus the tick-granular expiry no longer costs a whole extra tick.
inline constexpr Ns kNormalizedBaseSlice618 = 700 * kNsPerUs;
inline Ns normalized_base_slice(KernelVersion v) {
  return v >= KernelVersion::V6_18 ? kNormalizedBaseSlice618 : kNormalizedBaseSlice;
}
inline constexpr Ns kMinCustomSlice = 100 * kNsPerUs;       // sched_setattr(sched_runtime) clamp
inline constexpr Ns kMaxCustomSlice = 100 * kNsPerMs;

// get_update_sysctl_factor(): None -> 1, Log -> 1 + ilog2(min(n, 8)), Linear -> min(n, 8).
unsigned slice_scaling_factor(int ncpus, SliceScaling mode);
// sysctl_sched_base_slice for `ncpus` online CPUs: 0.75/1.5/2.25/3 ms for 1/2-3/4-7/>=8 (Log).
Ns scaled_base_slice(int ncpus, SliceScaling mode = SliceScaling::Log,
                     Ns normalized = kNormalizedBaseSlice);
// TICK_NSEC = (NSEC_PER_SEC + HZ/2) / HZ.
Ns tick_nsec_for_hz(unsigned hz);
// Custom slice from sched_attr::sched_runtime (__setscheduler_params): clamp to [100us, 100ms].
Ns clamp_custom_slice(Ns runtime);

struct Tunables {
  Ns base_slice_ns = 3 * kNsPerMs;  // sysctl_sched_base_slice (default for >= 8 CPUs)
  Ns tick_nsec = 4 * kNsPerMs;      // TICK_NSEC, HZ=250; floor of the lag clamp
  // normalized_sysctl_sched_base_slice: unscaled, and not changed by a debugfs base_slice_ns
  // write. 6.18 uses it as the NO_RUN_TO_PARITY quantum (set_protect_slice()).
  Ns normalized_base_slice_ns = kNormalizedBaseSlice;

  static Tunables for_machine(int ncpus, unsigned hz, SliceScaling mode = SliceScaling::Log) {
    return for_machine(ncpus, hz, KernelVersion::V6_12, mode);
  }
  static Tunables for_machine(int ncpus, unsigned hz, KernelVersion v, SliceScaling mode = SliceScaling::Log) {
    const Ns normalized = normalized_base_slice(v);
    return Tunables{scaled_base_slice(ncpus, mode, normalized), tick_nsec_for_hz(hz), normalized};
  }
};

// sched_feat() switches with the v6.12 defaults (kernel/sched/features.h; v6.18 has the same
// defaults plus PICK_BUDDY). Only the features that act inside this engine are consulted here;
// the rest are carried for the class layer.
struct Features {
  // Whose fair.c to follow. Defaults to 6.12 so that code building a runqueue directly keeps the
  // behaviour it was written against; the CLI defaults to 6.18 (kernel_version.h).
  KernelVersion kernel = KernelVersion::V6_12;
  bool place_lag = true;               // PLACE_LAG: keep lag across sleep
  bool place_deadline_initial = true;  // PLACE_DEADLINE_INITIAL: new tasks get half a slice
  bool place_rel_deadline = true;      // PLACE_REL_DEADLINE: relative deadline across migration
  bool run_to_parity = true;           // RUN_TO_PARITY: slice protection in pick_eevdf()
  bool preempt_short = true;           // PREEMPT_SHORT: shorter-slice wakee breaks protection
  bool next_buddy = false;             // NEXT_BUDDY: wakee becomes cfs_rq->next
  // Buddy pick. v6.12.0 has no PICK_BUDDY: pick_next_entity() honours cfs_rq->next only when
  // NEXT_BUDDY is on (has_pick_buddy = false, the default here). "sched/fair: Fix NEXT_BUDDY"
  // (6.13, so 6.18; also backported to 6.12.y) added PICK_BUDDY (default on), which gates the
  // pick instead: always so with kernel 6.18; for 6.12.y set has_pick_buddy = true.
  bool has_pick_buddy = false;
  bool pick_buddy = true;         // PICK_BUDDY (only consulted when has_pick_buddy)
  bool cache_hot_buddy = true;    // CACHE_HOT_BUDDY (load balancer; not used here)
  bool delay_dequeue = true;      // DELAY_DEQUEUE: ineligible sleepers stay queued
  bool delay_zero = true;         // DELAY_ZERO: clip positive lag of delayed entities to 0
  bool wakeup_preemption = true;  // WAKEUP_PREEMPTION
  bool hrtick = false;            // HRTICK (class layer; not used here)

  bool v6_18() const { return kernel >= KernelVersion::V6_18; }
  bool buddy_pick_enabled() const { return has_pick_buddy || v6_18() ? pick_buddy : next_buddy; }
};

// The fair policies, for se_is_idle() and the BATCH/IDLE wakeup-preemption exclusions.
enum class FairPolicy : uint8_t { Normal = 0, Batch = 3, Idle = 5 };

// ---------------------------------------------------------------------------------------------
// struct sched_entity (the parts EEVDF uses)

class CfsRq;

struct SchedEntity {
  // The fields the tree walks read (the deadline order, eligibility, the augmented summaries and
  // the links) come first, in 64 bytes, so that a node visit touches one or two cache lines.
  uint64_t deadline = 0;
  uint64_t vruntime = 0;
  uint64_t min_vruntime = 0;  // augmented: min vruntime over this subtree
  Ns min_slice = 0;           // augmented: min slice over this subtree
  Ns slice = 0;
  // Tree links, owned by CfsRq.
  SchedEntity* left = nullptr;
  SchedEntity* right = nullptr;
  SchedEntity* parent = nullptr;
  uint64_t prio = 0;     // treap priority (deterministic, from the CfsRq's counter)
  uint32_t weight = kNice0Load;  // load.weight, unscaled; change through CfsRq::reweight_entity
  FairPolicy policy = FairPolicy::Normal;
  bool in_tree = false;  // debug: in tasks_timeline (queued and not curr)
  // V - v saved at dequeue; while running under 6.12 it holds the deadline at pick time (the
  // RUN_TO_PARITY marker, see set_next_entity()).
  int64_t vlag = 0;
  // 6.18 (6.17's "sched/fair: Fix NO_RUN_TO_PARITY case"): se->vprot, the vruntime up to which
  // curr is protected from a re-pick. Like the kernel's union it shares vlag's storage, so a lag
  // computed while se is curr (a reweight, a delayed requeue) overwrites it, as it does there.
  uint64_t vprot() const { return static_cast<uint64_t>(vlag); }
  void set_vprot(uint64_t v) { vlag = static_cast<int64_t>(v); }
  bool custom_slice = false;
  bool rel_deadline = false;  // deadline stored relative to vruntime (non-sleep dequeue)
  bool sched_delayed = false;
  bool on_rq = false;
  Ns exec_start = 0;
  Ns sum_exec_runtime = 0;
  Ns prev_sum_exec_runtime = 0;

  // Opaque back pointer for the class layer (the owning task, or the group's per-CPU state).
  void* owner = nullptr;

  // The hierarchy (set by the class layer): se->cfs_rq (the runqueue se is queued on),
  // se->parent (the group entity owning that runqueue; null at the root), se->my_q (a group
  // entity's own runqueue; null for a task) and se->depth (0 at the root).
  CfsRq* cfs_rq = nullptr;
  SchedEntity* parent_entity = nullptr;
  CfsRq* my_q = nullptr;
  int depth = 0;
  bool is_task() const { return my_q == nullptr; }  // entity_is_task()

  // Sets the sched_setattr() slice request: runtime != 0 -> custom slice clamped to
  // [100us, 100ms]; 0 -> back to the base slice. Takes effect at the next placement/deadline.
  void set_slice_request(Ns runtime, const Tunables& t);
};

// Decision inputs of check_preempt_wakeup_fair() that live outside the engine.
struct WakeupInfo {
  bool wake_fork = false;          // WF_FORK (suppresses NEXT_BUDDY nomination)
  bool curr_need_resched = false;  // test_tsk_need_resched(rq->curr)
  // With task groups, pse and curr are the matching ancestors (find_matching_se()): the policy
  // test is then the waking task's (normal_policy(p->policy)), and the class layer has already
  // nominated the buddies along the whole hierarchy.
  const SchedEntity* wakee_task = nullptr;
  bool buddies_nominated = false;
};

// ---------------------------------------------------------------------------------------------
// struct cfs_rq

class CfsRq {
 public:
  // Features and tunables are held by pointer so the CLI/class layer can change them live.
  CfsRq(const Features* features, const Tunables* tunables);
  CfsRq(const CfsRq&) = delete;
  CfsRq& operator=(const CfsRq&) = delete;

  // Initial min_vruntime, (u64)(-(1LL << 20)): deliberately close to wrap-around.
  static constexpr uint64_t kInitialMinVruntime = ~uint64_t{0} - (uint64_t{1} << 20) + 1;

  // --- Queries ----------------------------------------------------------------------------
  uint64_t avg_vruntime() const;                      // avg_vruntime(): V, floor-biased
  bool vruntime_eligible(uint64_t vruntime) const;    // vruntime_eligible()
  bool entity_eligible(const SchedEntity& se) const;  // entity_eligible()
  int64_t entity_key(const SchedEntity& se) const {   // entity_key()
    return static_cast<int64_t>(se.vruntime - min_vruntime_);
  }
  // entity_lag(): clamp(V - v, +-calc_delta_fair(max(2*slice, TICK_NSEC))).
  int64_t entity_lag(uint64_t avruntime, const SchedEntity& se) const;
  Ns cfs_rq_min_slice() const;  // cfs_rq_min_slice(): min slice of curr and queued entities

  uint64_t min_vruntime() const { return min_vruntime_; }
  int64_t avg_vruntime_sum() const { return avg_vruntime_; }  // cfs_rq->avg_vruntime
  int64_t avg_load() const { return avg_load_; }              // cfs_rq->avg_load (tree only)
  uint64_t load() const { return load_; }                     // cfs_rq->load.weight (unscaled)
  unsigned nr_running() const { return nr_running_; }         // incl. curr and delayed
  unsigned nr_delayed() const { return nr_delayed_; }         // h_nr_delayed (flat)
  SchedEntity* curr() const { return curr_; }
  SchedEntity* next_buddy() const { return next_; }
  SchedEntity* leftmost() const { return leftmost_; }  // __pick_first_entity()
  SchedEntity* root() const { return root_; }          // __pick_root_entity()
  SchedEntity* last() const;                           // __pick_last_entity()
  const Features& features() const { return *features_; }
  const Tunables& tunables() const { return *tunables_; }

  // Tree entities (not curr) in deadline order, for debugging and tests.
  std::vector<SchedEntity*> entities() const;
  template <typename F>
  void for_each_in_tree(F&& fn) const {
    for_each_rec(root_, fn);
  }

  // Sticky "resched_curr() was called" flag: set by update_curr() (slice consumed or
  // PREEMPT_SHORT) and by a positive check_preempt_wakeup_fair(). The class layer polls it.
  bool resched_pending() const { return resched_; }
  bool take_resched() {
    bool r = resched_;
    resched_ = false;
    return r;
  }
  // A group runqueue's resched_curr() is its CPU's: it raises the root runqueue's flag.
  void forward_resched_to(CfsRq* root) { resched_sink_ = root; }

  // Bandwidth control's hook in update_curr(): the kernel's account_cfs_rq_runtime(cfs_rq,
  // delta_exec) runs right after curr is charged. Null (the default): not modelled.
  using RuntimeHook = void (*)(void* ctx, CfsRq& cfs_rq, Ns delta_exec);
  void set_runtime_hook(RuntimeHook hook, void* ctx) { runtime_hook_ = hook, runtime_hook_ctx_ = ctx; }

  // Opaque back pointer for the class layer (its per-runqueue state).
  void* owner = nullptr;

  // --- Accounting ---------------------------------------------------------------------------
  // update_curr(): charge now - curr.exec_start to curr. Returns true when the kernel would
  // resched_curr(): nr_running > 1 and either the request was consumed (update_deadline) or
  // resched_next_slice() says so.
  bool update_curr(Ns now);
  // update_deadline(): if v >= deadline, refresh slice (unless custom) and start a new request
  // from the current v. Exposed for tests; update_curr() calls it.
  bool update_deadline(SchedEntity& se);
  void update_min_vruntime();  // update_min_vruntime()

  // --- Queueing -----------------------------------------------------------------------------
  void place_entity(SchedEntity& se, unsigned flags);            // place_entity()
  void enqueue_entity(SchedEntity& se, unsigned flags, Ns now);  // enqueue_entity()
  // dequeue_entity(): returns false when DELAY_DEQUEUE keeps the entity queued as delayed.
  bool dequeue_entity(SchedEntity& se, unsigned flags, Ns now);
  // requeue_delayed_entity(): wakeup of a delayed entity (ttwu_runnable, ENQUEUE_DELAYED).
  // Like the kernel it does not call update_curr(): V uses curr's last accounted vruntime.
  void requeue_delayed_entity(SchedEntity& se);

  // --- Picking ------------------------------------------------------------------------------
  // pick_eevdf(); `protect` = false is 6.18's __pick_eevdf(cfs_rq, false), which ignores curr's
  // slice protection (6.12 has no such parameter: keep the default).
  SchedEntity* pick_eevdf(bool protect = true);
  struct PickResult {
    SchedEntity* se = nullptr;       // the pick, or null when a delayed entity was removed
    SchedEntity* blocked = nullptr;  // delayed entity just dequeued (class must __block_task)
  };
  // pick_next_entity(): buddy (see Features), else pick_eevdf(); a delayed pick is dequeued
  // with DEQUEUE_SLEEP|DEQUEUE_DELAYED and reported in `blocked`.
  PickResult pick_next_entity(Ns now);
  // pick_task_fair() for the flat hierarchy: update_curr, pick, and restart after every
  // delayed entity removed (on_blocked(SchedEntity&) is called for each). Null if empty.
  template <typename OnBlocked>
  SchedEntity* pick_task(Ns now, OnBlocked&& on_blocked) {
    while (nr_running_ > 0) {
      if (curr_ && curr_->on_rq) update_curr(now);
      PickResult r = pick_next_entity(now);
      if (r.se) return r.se;
      on_blocked(*r.blocked);
    }
    return nullptr;
  }
  void set_next_entity(SchedEntity& se, Ns now);    // set_next_entity(): se becomes curr
  // A group entity's slice follows the shortest slice below it (enqueue/dequeue_entities()'s
  // min_slice propagation); the tree's min_slice summary is refreshed with it.
  void set_entity_slice(SchedEntity& se, Ns slice);
  void put_prev_entity(SchedEntity& prev, Ns now);  // put_prev_entity(): curr back to tree

  // --- Other class operations -------------------------------------------------------------
  // reweight_entity(): nice change. 6.12: queued -> V preserved, lag and relative deadline
  // rescaled by old/new (reweight_eevdf); dequeued -> only vlag rescaled. 6.18: lag (and a
  // relative deadline) rescaled, then a queued entity is re-placed with place_entity().
  void reweight_entity(SchedEntity& se, uint32_t weight, Ns now);
  // yield_task_fair(): no-op when rq_nr_running == 1; else clear buddy, update_curr and push
  // curr's deadline out by one virtual slice.
  void yield_task(Ns now, unsigned rq_nr_running);
  // yield_to_task_fair(): make p the next buddy, then yield. False if p is not queued.
  bool yield_to_task(SchedEntity& p, Ns now, unsigned rq_nr_running);

  // check_preempt_wakeup_fair(pse) for the flat hierarchy, curr = this->curr(): NEXT_BUDDY
  // nomination, the need-resched / WAKEUP_PREEMPTION early exits, the SCHED_IDLE rules
  // (idle curr vs non-idle wakee preempts; the reverse never does), the BATCH/IDLE-wakee
  // exclusion, then wakeup_preempt_eevdf(). Returns (and flags) whether to resched curr.
  bool check_preempt_wakeup_fair(SchedEntity& pse, Ns now, const WakeupInfo& info = {});
  // The EEVDF core of the above: update_curr, PREEMPT_SHORT protection break, and
  // "pse is what pick_eevdf() would choose now" (6.18: chosen with curr unprotected when pse
  // has the shorter slice). Does not set the resched flag.
  bool wakeup_preempt_eevdf(SchedEntity& pse, Ns now);
  // do_preempt_short() / did_preempt_short() (6.12).
  bool do_preempt_short(const SchedEntity& pse, const SchedEntity& se) const;
  bool did_preempt_short(const SchedEntity& curr) const;
  // update_curr()'s second resched reason: 6.12 did_preempt_short(); 6.18 (6.17's "sched/fair:
  // Always trigger resched at the end of a protected period") the end of the protection.
  bool resched_next_slice(const SchedEntity& curr) const;

  // Slice protection of curr (RUN_TO_PARITY; in 6.18 also NO_RUN_TO_PARITY's quantum).
  bool protect_slice(const SchedEntity& se) const;  // protect_slice()
  void set_protect_slice(SchedEntity& se) const;     // set_protect_slice(), at pick
  void cancel_protect_slice(SchedEntity& se) const;  // cancel_protect_slice()
  // 6.18 update_protect_slice(): shorten curr's protection to the shortest queued slice.
  void update_protect_slice(SchedEntity& se) const;

  void set_next_buddy(SchedEntity& se);       // set_next_buddy() (flat)
  void clear_buddies(const SchedEntity& se);  // clear_buddies()

  // 6.12's RUN_TO_PARITY marker: curr still runs on the request it was picked with.
  static bool slice_protected(const SchedEntity& se) {
    return static_cast<uint64_t>(se.vlag) == se.deadline;
  }
  static bool entity_before(const SchedEntity& a, const SchedEntity& b) {  // entity_before()
    return static_cast<int64_t>(a.deadline - b.deadline) < 0;
  }

  // Verifies every structural invariant (tree order, parent links, treap heap order,
  // augmented fields, sums, counters) by brute force; aborts through SCX_CHECK on failure.
  void check_invariants() const;

 private:
  // What vruntime_eligible() compares against: the weighted key sum and the load of the tree
  // plus a queued curr, and the keys' origin v0.
  struct Eligibility {
    int128 sum;
    int64_t load;
    uint64_t v0;
    bool eligible(uint64_t vruntime) const;
  };
  Eligibility eligibility() const;

  void enqueue_tree(SchedEntity& se);  // __enqueue_entity()
  void dequeue_tree(SchedEntity& se);  // __dequeue_entity()
  void avg_vruntime_add(const SchedEntity& se);
  void avg_vruntime_sub(const SchedEntity& se);
  void reweight_eevdf(SchedEntity& se, uint64_t avruntime, uint32_t weight);
  void reweight_entity_612(SchedEntity& se, uint32_t weight, Ns now);
  void reweight_entity_618(SchedEntity& se, uint32_t weight, Ns now);
  bool wakeup_preempt_612(SchedEntity& pse);
  bool wakeup_preempt_618(SchedEntity& pse);
  bool v6_18() const { return features_->v6_18(); }

  // Treap primitives.
  void rotate_up(SchedEntity* x);
  static bool recompute(SchedEntity* n);  // true if n's subtree summary changed
  void propagate_up(SchedEntity* n);
  static SchedEntity* first_in_subtree(SchedEntity* n);
  uint64_t next_prio();

  template <typename F>
  static void for_each_rec(SchedEntity* n, F& fn) {
    if (!n) return;
    for_each_rec(n->left, fn);
    fn(*n);
    for_each_rec(n->right, fn);
  }

  const Features* features_;
  const Tunables* tunables_;

  SchedEntity* root_ = nullptr;
  SchedEntity* leftmost_ = nullptr;
  SchedEntity* curr_ = nullptr;
  SchedEntity* next_ = nullptr;

  int64_t avg_vruntime_ = 0;  // sum over tree entities of entity_key * weight
  int64_t avg_load_ = 0;      // sum over tree entities of weight
  uint64_t load_ = 0;         // sum over queued entities (incl. curr and delayed) of weight
  uint64_t min_vruntime_ = kInitialMinVruntime;
  unsigned nr_running_ = 0;
  unsigned nr_delayed_ = 0;
  uint64_t prio_counter_ = 0;
  bool resched_ = false;
  CfsRq* resched_sink_ = this;
  RuntimeHook runtime_hook_ = nullptr;
  void* runtime_hook_ctx_ = nullptr;
  void raise_resched() { resched_sink_->resched_ = true; }
};

}  // namespace scx::fair
