// Private definitions shared by fair_class.cc, fair_select.cc and fair_balance.cc.
#pragma once

#include <climits>

#include "kernel/fair/bandwidth.h"
#include "kernel/fair/fair_class.h"
#include "kernel/fair/task_group.h"
#include "kernel/kernel.h"

namespace scx {

// Per-CPU fair state beyond the EEVDF runqueue: the cfs_rq's PELT, rq->cfs_tasks, and the
// balancing fields of struct rq.
struct FairClass::CpuState {
  fair::CfsRqState cfs;           // rq->cfs beyond EEVDF: PELT, h_nr_* counts
  Ns clock_pelt = 0;              // rq->clock_pelt
  Ns lost_idle_time = 0;          // rq->lost_idle_time
  Ns clock_task_seen = 0;         // clock_task at the last clock_pelt update
  Task* lb_head = nullptr;        // rq->cfs_tasks, most recently picked first
  Task* lb_tail = nullptr;
  int64_t next_balance = 0;       // rq->next_balance (jiffies)
  bool nohz_tick_stopped = false;
  bool has_blocked_load = false;
  int64_t last_blocked_load_update_tick = 0;
  unsigned nohz_flags = 0;        // nohz_flags(cpu): pending ILB kick
  bool active_balance = false;
  int push_cpu = -1;
  uint64_t misfit_task_load = 0;
  // balance() ran newidle in the schedule() now in progress (identified by time, switch count
  // and prev), so pick_task() must not run it again.
  struct {
    Ns at = kNever;
    uint64_t switches = 0;
    const Task* prev = nullptr;
  } newidle_token;
};

inline bool FairClass::idle_cpu(int cpu) const {
  // Without tasks hidden by bandwidth control, the core's idle mask holds exactly
  // rq->nr_running == 0 && !rq->ttwu_pending && rq->curr == rq->idle.
  if (bw_hidden_[cpu] == 0) return k_.idle_rqs().test(cpu);
  const Rq& rq = k_.rq(cpu);
  return rq.nr_running - bw_hidden_[cpu] == 0 && rq.ttwu_pending == 0 && rq.curr == rq.idle;
}

inline bool FairClass::available_idle_cpu(int cpu) const { return idle_cpu(cpu); }

inline bool FairClass::sched_idle_cpu(int cpu) const {
  if (!sched_idle_seen_) return false;  // no runqueue has ever counted an idle task
  const Rq& rq = k_.rq(cpu);
  return rq.nr_running > 0 && rq.nr_running == static_cast<int>(cpus_[cpu].cfs.h_nr_idle);
}

// What bandwidth control (bandwidth.h) asks of the class: the simulated clock and timers, two
// questions about a cfs_rq and the queue operations of a throttle or unthrottle
// (fair_bandwidth.cc).
class FairClass::BandwidthWiring final : public fair::BandwidthHost {
 public:
  explicit BandwidthWiring(FairClass& c);
  Ns clock() const override;
  TimerHandle start_timer(Ns when, int cpu, std::function<void()> fn) override;
  void cancel_timer(TimerHandle h) override;
  unsigned nr_queued(const fair::CfsRqRuntime& rq) const override;
  bool has_curr(const fair::CfsRqRuntime& rq) const override;
  void throttled(fair::CfsRqRuntime& rq) override;
  void release_limbo(fair::CfsRqRuntime& rq) override;
  void unthrottled(fair::CfsRqRuntime& rq, Ns throttled_for) override;

 private:
  FairClass& c_;
};

enum FairClass::GroupType : int {
  group_has_spare = 0,
  group_fully_busy,
  group_misfit_task,
  group_smt_balance,
  group_asym_packing,
  group_imbalanced,
  group_overloaded,
};

enum FairClass::MigrationType : int { migrate_load = 0, migrate_util, migrate_task, migrate_misfit };

// struct sg_lb_stats
struct FairClass::SgStats {
  uint64_t avg_load = 0;
  uint64_t group_load = 0;
  uint64_t group_capacity = 0;
  uint64_t group_util = 0;
  uint64_t group_runnable = 0;
  unsigned sum_nr_running = 0;
  unsigned sum_h_nr_running = 0;
  unsigned idle_cpus = 0;
  unsigned group_weight = 0;
  GroupType group_type = group_has_spare;
  bool group_smt_balance = false;
  uint64_t group_misfit_task_load = 0;
};

// struct sd_lb_stats
struct FairClass::SdStats {
  fair::SchedGroup* busiest = nullptr;
  fair::SchedGroup* local = nullptr;
  uint64_t total_load = 0;
  uint64_t total_capacity = 0;
  uint64_t avg_load = 0;
  bool prefer_sibling = false;
  SgStats busiest_stat;
  SgStats local_stat;
};

// struct lb_env
struct FairClass::LbEnv {
  fair::SchedDomain* sd = nullptr;
  int src_cpu = -1;
  int dst_cpu = -1;
  CpuMask dst_grpmask;
  int new_dst_cpu = -1;
  IdleType idle = kNotIdle;
  long imbalance = 0;
  CpuMask cpus;
  unsigned flags = 0;
  unsigned loop = 0;
  unsigned loop_break = 0;
  unsigned loop_max = 0;
  MigrationType migration_type = migrate_load;
};

namespace fair_detail {

enum : unsigned {  // LBF_*
  LBF_ALL_PINNED = 0x01,
  LBF_NEED_BREAK = 0x02,
  LBF_DST_PINNED = 0x04,
  LBF_SOME_PINNED = 0x08,
  LBF_ACTIVE_LB = 0x10,
};
enum : unsigned {  // nohz_flags
  NOHZ_BALANCE_KICK = 1u << 0,
  NOHZ_STATS_KICK = 1u << 1,
  NOHZ_NEWILB_KICK = 1u << 2,
  NOHZ_NEXT_KICK = 1u << 3,
  NOHZ_KICK_MASK = NOHZ_BALANCE_KICK | NOHZ_STATS_KICK | NOHZ_NEXT_KICK,
};
inline constexpr unsigned kSchedNrMigrateBreak = 32;  // SCHED_NR_MIGRATE_BREAK
inline constexpr unsigned kMaxPinnedInterval = 512;   // MAX_PINNED_INTERVAL (ms)
// PELT clock origin: the kernel's clocks are never 0, and a zero last_update_time means "not
// attached"; start the PELT clock 1024 periods in (phase-aligned with simulated time 0).
inline constexpr Ns kPeltClockOrigin = Ns{1024} * 1024 * 1024;

// fits_capacity(): util below ~80% of capacity.
inline bool fits_capacity(uint64_t util, uint64_t cap) { return util * 1280 < cap * 1024; }
// capacity_greater(): cap1 noticeably (~5%) greater than cap2.
inline bool capacity_greater(uint64_t cap1, uint64_t cap2) { return cap1 * 1024 > cap2 * 1078; }
inline void sub_positive(uint64_t& v, uint64_t d) { v = v > d ? v - d : 0; }

}  // namespace fair_detail
}  // namespace scx
