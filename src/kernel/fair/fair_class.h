// The fair class (SCHED_NORMAL/BATCH/IDLE): the EEVDF engine (eevdf.h) per CPU, wired to the
// core's hooks the way kernel/sched/fair.c wires it: enqueue/dequeue with delayed dequeue,
// pick with lazy removal of delayed tasks, tick-driven slice expiry, wakeup preemption, PELT
// (pelt.h) for tasks and cfs_rqs, wake-up CPU selection (fair_select.cc), and load balancing
// over the scheduling domains (sched_domains.h): periodic, newidle, NOHZ idle and active
// balance (fair_balance.cc), plus the optional SHARED_RUNQ feature (shared_runq.cc). Task
// groups (CONFIG_FAIR_GROUP_SCHED) for the cgroups: one group entity and runqueue per cgroup
// and CPU (task_group.h, fair_group.cc), tied together by the hierarchical walks
// (fair_hierarchy.cc).
#pragma once

#include <memory>
#include <vector>

#include "base/status.h"
#include "kernel/fair/eevdf.h"
#include "kernel/fair/pelt.h"
#include "kernel/fair/sched_domains.h"
#include "kernel/fair/shared_runq.h"
#include "kernel/sched_class.h"

namespace scx {

class Kernel;
struct Rq;
struct Task;

namespace fair {
class BandwidthControl;
struct CfsBandwidthStat;
struct CfsRqRuntime;
struct CfsRqState;
struct GroupCpu;
struct TaskGroup;
}  // namespace fair

// Tunables and sched_feat() switches of the placement and balancing paths, with Linux 6.12's
// defaults. The EEVDF ones live in fair::Features / fair::Tunables.
struct BalanceConfig {
  Ns migration_cost_ns = 500 * kNsPerUs;  // sysctl_sched_migration_cost (debugfs migration_cost_ns)
  unsigned nr_migrate = 32;               // sysctl_sched_nr_migrate (debugfs nr_migrate)
  bool sis_util = true;                   // SIS_UTIL: LLC scan depth from utilization
  bool wa_idle = true;                    // WA_IDLE
  bool wa_weight = true;                  // WA_WEIGHT
  bool wa_bias = true;                    // WA_BIAS
  bool util_est = true;                   // UTIL_EST
  bool lb_min = false;                    // LB_MIN
  bool attach_age_load = true;            // ATTACH_AGE_LOAD
  bool shared_runq = false;               // SHARED_RUNQ (Vernet's v3, never merged; spec §7)
  // Model parameters, not kernel knobs: the wall time one newidle balance attempt of a domain
  // takes (what sched_clock_cpu() measures around sched_balance_rq() and feeds to
  // max_newidle_lb_cost). The simulated CPU does not spend this time; only the gating uses it.
  Ns newidle_cost_ns = 500;
  Ns newidle_cost_per_cpu_ns = 150;
  // How the simulator runs select_idle_cpu()'s scan, not what it finds: on the core's idle mask a
  // word at a time (true), or CPU by CPU as the kernel does (false: the reference tests compare
  // against).
  bool idle_scan_by_mask = true;
};

struct FairConfig {
  fair::Features features;  // features.kernel selects 6.12 or 6.18 behaviour for the whole class
  fair::Tunables tunables;
  BalanceConfig balance;

  // The kernel's defaults for `v` on a machine of `ncpus` CPUs at `hz`.
  static FairConfig for_kernel(KernelVersion v, int ncpus, unsigned hz) {
    FairConfig c;
    c.features.kernel = v;
    c.tunables = fair::Tunables::for_machine(ncpus, hz, v);
    return c;
  }
  bool v6_18() const { return features.v6_18(); }
};

// Counters of balancing activity (tests and reports).
struct FairStats {
  uint64_t periodic_balances = 0;  // sched_balance_rq() calls, CPU_NOT_IDLE
  uint64_t idle_balances = 0;      // sched_balance_rq() calls, CPU_IDLE (NOHZ on behalf)
  uint64_t newidle_balances = 0;   // sched_balance_newidle() attempts past the gates
  uint64_t lb_pulled = 0;          // tasks moved by periodic/idle balancing
  uint64_t newidle_pulled = 0;     // tasks moved by newidle balancing
  uint64_t active_balances = 0;    // stopper pushes that moved a task
  uint64_t nohz_kicks = 0;         // ILB IPIs sent
  uint64_t shared_runq_pulls = 0;  // tasks taken from a SHARED_RUNQ shard
  uint64_t wake_affine = 0;        // wake_affine() chose the waker's CPU
  uint64_t wake_idle_scan = 0;     // select_idle_cpu() found a CPU
};

class FairClass : public SchedClass {
 public:
  FairClass(Kernel& k, FairConfig config);
  ~FairClass() override;
  const char* name() const override { return "fair"; }

  void enqueue_task(Rq& rq, Task& p, int flags) override;
  bool dequeue_task(Rq& rq, Task& p, int flags) override;
  void yield_task(Rq& rq) override;
  // The PELT clock follows every CPU's busy/idle changes, whichever class runs there
  // (update_rq_clock_pelt() runs at every rq clock update).
  void switching(Rq& rq, Task& prev, Task& next) override;
  void wakeup_preempt(Rq& rq, Task& p, int wake_flags) override;
  bool balance(Rq& rq, Task* prev) override;
  Task* pick_task(Rq& rq) override;
  void put_prev_task(Rq& rq, Task& p, Task* next) override;
  void set_next_task(Rq& rq, Task& p, bool first) override;
  int select_task_rq(Task& p, int prev_cpu, int wake_flags) override;
  void migrate_task_rq(Task& p, int new_cpu) override;
  void task_tick(Rq& rq, Task& p, bool queued) override;
  void task_fork(Task& p) override;
  void task_dead(Task& p) override;
  void switched_from(Rq& rq, Task& p) override;
  void switched_to(Rq& rq, Task& p) override;
  void prio_changed(Rq& rq, Task& p, int old_prio) override;
  void update_curr(Rq& rq) override;
  void tick_balance(Rq& rq) override;
  void rq_idle_enter(Rq& rq) override;
  int nr_queued(const Rq& rq) const override;
  // Of those, the ones not parked by bandwidth control (throttled hierarchies, 6.18 limbo).
  int nr_runnable_here(const Rq& rq) const override;
  // The cpu controller (fair_group.cc): task groups follow the cgroups.
  void cgroup_online(Cgroup& cg) override;
  void cgroup_offline(Cgroup& cg) override;
  void cgroup_changed(Cgroup& cg, CgroupKnob knob) override;
  void task_change_group(Task& p, Cgroup& from) override;

  const FairConfig& config() const { return config_; }
  const FairStats& stats() const { return stats_; }
  fair::CfsRq& cfs_rq(int cpu) { return *cfs_[cpu]; }
  const fair::SchedDomains& domains() const { return *domains_; }
  const fair::SchedAvg& cfs_avg(int cpu) const;  // cfs_rq->avg
  // The task group of a cgroup (null for the root cgroup or one the class does not know) and
  // the CPU's root runqueue state (h_nr_* counts), for tests and reports.
  const fair::TaskGroup* task_group(const Cgroup& cg) const;
  const fair::CfsRqState& root_rq_state(int cpu) const;
  // The hierarchy's bookkeeping checked by brute force (fair_hierarchy.cc): every runqueue's
  // EEVDF invariants, h_nr_* counts against the queued tasks, queued ancestors.
  Status check_hierarchy() const;
  // task_h_load() (fair_group.cc): the task's load as a share of its CPU's through its groups.
  uint64_t task_h_load(const Task& p) const;
  // Bandwidth control (fair_bandwidth.cc): a group's cpu.stat, and the component itself.
  const fair::CfsBandwidthStat& cpu_stat(const Cgroup& cg) const;
  const fair::BandwidthControl& bandwidth() const { return *bw_; }
  bool nohz_idle(int cpu) const;                 // in nohz.idle_cpus_mask
  // rq->clock_pelt as update_rq_clock() would leave it now (without updating it), and
  // rq->lost_idle_time; clock_pelt counts from clock_task's origin (equal to it while idle).
  struct PeltClock {
    Ns clock_pelt = 0;
    Ns lost_idle_time = 0;
  };
  PeltClock pelt_clock(int cpu) const;
  // Weight of a fair task from its policy and nice (set_load_weight()).
  static uint32_t task_weight(const Task& p);

  // cpu_idle_type
  enum IdleType { kNotIdle = 0, kCpuIdle = 1, kNewlyIdle = 2 };

 private:
  struct CpuState;
  class BandwidthWiring;
  struct LbEnv;
  struct SgStats;
  struct SdStats;
  enum GroupType : int;
  enum MigrationType : int;

  // --- fair_class.cc: glue, PELT, lists ---
  void sync_entity_params(Task& p);   // policy, weight, slice request before (re)queueing
  void apply_resched(Rq& rq);         // the engine's resched_curr() requests
  int64_t jiffies() const;
  int64_t msecs_to_jiffies(int64_t ms) const;
  Ns rq_clock_pelt(int cpu);          // update_rq_clock_pelt() + rq_clock_pelt()
  void update_idle_rq_clock_pelt(int cpu);
  enum : int { kUpdateTg = 1, kSkipAgeLoad = 2, kDoAttach = 4, kDoDetach = 8 };
  void update_load_avg(fair::CfsRqState& cfs, fair::SchedEntity& se, int flags);  // update_load_avg()
  bool update_cfs_rq_load_avg(Ns now, fair::CfsRqState& cfs);                     // update_cfs_rq_load_avg()
  fair::SchedAvg& se_avg(fair::SchedEntity& se);  // se->avg (a task's, or a group entity's)
  const fair::SchedAvg& se_avg_of(const fair::SchedEntity& se) const;
  void attach_entity_load_avg(fair::CfsRqState& cfs, fair::SchedEntity& se);
  void detach_entity_load_avg(fair::CfsRqState& cfs, fair::SchedEntity& se);
  void sync_entity_load_avg(Task& p);                       // to its cfs_rq's last update
  void remove_entity_load_avg(Task& p);
  void post_init_entity_util_avg(Task& p);
  void util_est_enqueue(int cpu, const Task& p);
  void util_est_dequeue(int cpu, const Task& p);
  void util_est_update(int cpu, Task& p, bool task_sleep);
  void update_blocked_averages(int cpu);                    // sched_balance_update_blocked_averages()
  void update_misfit_status(Task* p, int cpu);
  void lb_list_add_head(int cpu, Task& p);                  // rq->cfs_tasks
  void lb_list_del(int cpu, Task& p);
  void on_tree_changed(int cpu, Task& p);                   // SHARED_RUNQ bookkeeping

  // PELT-derived CPU metrics.
  uint64_t cpu_load(int cpu) const;
  uint64_t cpu_runnable(int cpu) const;
  uint64_t cpu_load_without(int cpu, const Task& p) const;
  uint64_t cpu_runnable_without(int cpu, const Task& p) const;
  uint64_t cpu_util(int cpu, const Task* p, int dst_cpu, bool boost) const;
  uint64_t cpu_util_cfs(int cpu) const { return cpu_util(cpu, nullptr, -1, false); }
  uint64_t cpu_util_cfs_boost(int cpu) const { return cpu_util(cpu, nullptr, -1, true); }
  uint64_t cpu_util_without(int cpu, const Task& p) const;
  uint64_t capacity_of(int cpu) const;
  uint64_t task_util_est(const Task& p) const;
  bool task_fits_cpu(const Task& p, int cpu) const;
  // idle_cpu(), available_idle_cpu() and sched_idle_cpu() are defined inline in fair_internal.h:
  // the idle-CPU searches probe them for every CPU they visit.
  bool idle_cpu(int cpu) const;
  bool available_idle_cpu(int cpu) const;
  bool sched_idle_cpu(int cpu) const;
  // Whether idle_cpu() || sched_idle_cpu() is exactly the core's idle_rqs() mask on every CPU:
  // true until a SCHED_IDLE task or an idle group is queued (sched_idle_cpu() is then false
  // everywhere) or bandwidth control hides a task from a runqueue. The searches then scan the
  // mask a word at a time.
  bool idle_mask_exact() const { return !sched_idle_seen_ && !bw_hidden_seen_; }
  bool is_core_idle(int cpu) const;
  // cfs_rq->h_nr_runnable as the load balancer counts it: 6.12 counts delayed tasks
  // (h_nr_running), 6.18 does not ("sched/fair: Use the new cfs_rq.h_nr_runnable", 6.14).
  unsigned lb_nr_runnable(int cpu) const;

  // --- fair_hierarchy.cc: the for_each_sched_entity() walks ---
  fair::CfsRqState& rq_state(const fair::CfsRq& q) const { return *static_cast<fair::CfsRqState*>(q.owner); }
  fair::CfsRqState& cfs_rq_of(const fair::SchedEntity& se) const { return rq_state(*se.cfs_rq); }
  fair::CfsRqState& group_rq(const Cgroup* cg, int cpu);  // tg->cfs_rq[cpu], or rq->cfs for the root
  fair::CfsRqState& task_cfs_rq(const Task& p);
  void set_task_rq(Task& p, int cpu);
  void add_h_delayed(fair::SchedEntity& se, int delta);
  void enqueue_entity(fair::CfsRqState& cfs, fair::SchedEntity& se, unsigned flags);
  bool dequeue_entity(fair::CfsRqState& cfs, fair::SchedEntity& se, unsigned flags);
  void enqueue_entities(Task& p, unsigned flags);  // enqueue_task_fair()'s walks
  // Changes of a runqueue's h_nr_queued / h_nr_delayed / h_nr_idle a walk carries upwards.
  struct HCounts {
    int queued = 0;
    int delayed = 0;
    int idle = 0;
  };
  void update_levels_above(fair::SchedEntity* se, Ns slice, HCounts delta);
  void requeue_delayed_group(fair::SchedEntity& se);
  bool dequeue_entities(fair::SchedEntity& se, unsigned flags, bool already_dequeued = false);
  fair::SchedEntity* pick_task_fair(Rq& rq, bool* throttled = nullptr);
  void finish_blocked_pick(Rq& rq, fair::SchedEntity& blocked);
  static const fair::SchedEntity* first_shared_level(const fair::SchedEntity& prev, const fair::SchedEntity& next);
  void set_next_buddy_h(fair::SchedEntity& se);
  void check_preempt_wakeup_group(Rq& rq, Task& p, fair::WakeupInfo info);
  void detach_entity_cfs_rq(Task& p);
  void attach_entity_cfs_rq(fair::CfsRqState& cfs, fair::SchedEntity& se);
  void propagate_entity_cfs_rq(fair::CfsRqState& cfs);

  // --- fair_bandwidth.cc: bandwidth control (cpu.max) wired into the walks ---
  void bw_init();
  static void bw_runtime_hook(void* ctx, fair::CfsRq& q, Ns delta_exec);
  void bw_group_online(fair::TaskGroup& tg);
  void bw_group_offline(const Cgroup& cg);
  void bw_set_limit(const Cgroup& cg);                       // tg_set_cfs_bandwidth()
  fair::CfsRqRuntime& bw_rq(const fair::CfsRqState& cfs) const;
  fair::CfsRqState& bw_state(const fair::CfsRqRuntime& rt);
  bool bw_stops_walk(const fair::CfsRqState& cfs) const;    // 6.12 cfs_rq_throttled()
  bool bw_throttled_hierarchy(const fair::CfsRqState& cfs) const;
  void bw_first_entity(fair::CfsRqState& cfs);              // enqueue_entity(), nr_queued == 1
  void bw_return_runtime(fair::CfsRqState& cfs);            // dequeue_entity()
  bool bw_check_runtime(fair::CfsRqState& cfs);             // check_cfs_rq_runtime()
  void bw_account(fair::CfsRqState& cfs, Ns delta_exec);    // account_cfs_rq_runtime()
  bool bw_can_migrate(const Task& p, int src_cpu, int dst_cpu) const;
  void bw_hide(int cpu, int delta);
  void bw_kick_idle(Rq& rq, int enqueue_flags);
  void bw_throttled(fair::CfsRqRuntime& rt);
  void bw_unthrottled(fair::CfsRqRuntime& rt, Ns throttled_for);
  void bw_release_limbo(fair::CfsRqRuntime& rt);
  void throttle_dequeue_group(fair::CfsRqState& cfs);      // 6.12 throttle_cfs_rq()'s walk
  void unthrottle_enqueue_group(fair::CfsRqState& cfs);    // 6.12 unthrottle_cfs_rq()'s walk
  bool throttle_picked_task(Rq& rq, Task& p);              // 6.18 throttle_cfs_rq_work()
  bool enqueue_throttled_task(Rq& rq, Task& p);            // 6.18 enqueue_throttled_task()
  void dequeue_throttled_task(Task& p, int flags);         // 6.18 dequeue_throttled_task()

  // --- fair_group.cc: task groups, group weight, group PELT, hierarchical load ---
  void remove_group_entity_load_avg(fair::GroupCpu& gc);
  uint32_t calc_group_shares(const fair::CfsRqState& gcfs) const;
  void update_cfs_group(fair::SchedEntity& se);
  void reweight_group_entity(fair::SchedEntity& se, uint32_t weight);
  void sched_group_set_shares(fair::TaskGroup& tg, uint32_t shares);
  void sched_group_set_idle(fair::TaskGroup& tg, bool idle);
  void update_tg_load_avg(fair::CfsRqState& cfs);
  void add_tg_cfs_propagate(fair::CfsRqState& cfs, int64_t runnable_sum);
  bool propagate_entity_load_avg(fair::SchedEntity& se);
  void update_tg_cfs_util_runnable(fair::CfsRqState& cfs, fair::SchedEntity& se, const fair::CfsRqState& gcfs);
  void update_tg_cfs_load(fair::CfsRqState& cfs, fair::SchedEntity& se, fair::CfsRqState& gcfs);
  void update_blocked_groups(int cpu, Ns now);
  bool cfs_rq_is_decayed(const fair::CfsRqState& cfs) const;
  bool has_blocked_groups(int cpu) const;
  void update_cfs_rq_h_load(fair::CfsRqState& cfs) const;

  // --- fair_select.cc: wake-up CPU selection ---
  void record_wakee(Task& curr, const Task& p);
  bool wake_wide(const Task& curr, const Task& p, int this_cpu) const;
  int wake_affine(fair::SchedDomain* sd, Task& p, int this_cpu, int prev_cpu, bool sync);
  int sync_delayed(int cpu) const;
  int select_idle_sibling(Task& p, int prev, int target);
  int select_idle_cpu(const Task& p, fair::SchedDomain* sd, bool has_idle_core, int target);
  int select_idle_core(int core, CpuMask& cpus, int* idle_cpu) const;
  int first_idle_cpu_within(const CpuMask& cpus, int target, int nr) const;
  int select_idle_smt(const Task& p, fair::SchedDomain* sd, int target) const;
  int select_idle_capacity(const Task& p, fair::SchedDomain* sd, int target) const;
  void update_idle_core(int cpu);
  int find_idlest_cpu(fair::SchedDomain* sd, Task& p, int cpu, int prev_cpu, int sd_flag);
  fair::SchedGroup* find_idlest_group(fair::SchedDomain* sd, Task& p, int this_cpu);
  int find_idlest_group_cpu(fair::SchedGroup* group, const Task& p, int this_cpu) const;

  // --- fair_balance.cc: load balancing ---
  int sched_balance_rq(int this_cpu, fair::SchedDomain* sd, IdleType idle, bool* continue_balancing);
  void sched_balance_domains(int cpu, IdleType idle);
  int sched_balance_newidle(Rq& rq);
  bool should_we_balance(LbEnv& env);
  fair::SchedGroup* find_busiest_group(LbEnv& env);
  int find_busiest_queue(LbEnv& env, fair::SchedGroup* group);
  void update_sd_lb_stats(LbEnv& env, SdStats& sds);
  void update_sg_lb_stats(LbEnv& env, SdStats& sds, fair::SchedGroup* group, SgStats& sgs, bool* overloaded);
  bool update_sd_pick_busiest(LbEnv& env, SdStats& sds, fair::SchedGroup* sg, SgStats& sgs);
  void calculate_imbalance(LbEnv& env, SdStats& sds);
  long sibling_imbalance(LbEnv& env, SdStats& sds, SgStats& busiest, SgStats& local) const;
  void update_idle_cpu_scan(LbEnv& env, uint64_t sum_util);
  void update_sg_wakeup_stats(fair::SchedDomain* sd, fair::SchedGroup* group, SgStats& sgs, const Task& p);
  bool can_migrate_task(Task& p, LbEnv& env);
  bool task_hot(Task& p, LbEnv& env) const;
  int detach_tasks(LbEnv& env, std::vector<Task*>& detached);
  void detach_task(Task& p, LbEnv& env);
  void attach_task(int cpu, Task& p);
  bool need_active_balance(LbEnv& env) const;
  void active_load_balance_cpu_stop(int busiest_cpu);
  int64_t get_sd_balance_interval(fair::SchedDomain* sd, bool cpu_busy) const;
  bool update_newidle_cost(fair::SchedDomain* sd, Ns cost);
  void nohz_balancer_kick(Rq& rq);
  void nohz_balance_enter_idle(int cpu);
  void nohz_balance_exit_idle(int cpu);
  void kick_ilb(unsigned flags);
  void nohz_csd_func(int cpu);
  void nohz_idle_balance(int this_cpu, unsigned flags);
  bool update_nohz_stats(int cpu);
  void set_rd_overloaded(bool v) { rd_overloaded_ = v; }

  Kernel& k_;
  FairConfig config_;
  FairStats stats_;
  std::vector<std::unique_ptr<fair::CfsRq>> cfs_;
  std::vector<std::unique_ptr<fair::TaskGroup>> tgs_;  // by cgroup index; null: root or removed
  std::unique_ptr<fair::SchedDomains> domains_;
  std::vector<CpuState> cpus_;
  std::unique_ptr<fair::SharedRunq> shared_runq_;
  std::unique_ptr<BandwidthWiring> bw_host_;
  std::unique_ptr<fair::BandwidthControl> bw_;
  // Per CPU: fair tasks on the runqueue (on_rq) that the root cfs_rq does not count (6.12:
  // below a dequeued throttled group entity; 6.18: in a limbo list). The kernel's
  // rq->nr_running leaves them out too.
  std::vector<int> bw_hidden_;
  // Sticky: set when the first task is hidden (bw_hide) / the first SCHED_IDLE task or idle group
  // is queued; see idle_mask_exact().
  bool bw_hidden_seen_ = false;
  bool sched_idle_seen_ = false;
  bool rd_overloaded_ = false;      // root_domain::overloaded
  bool sched_balance_running_ = false;
  int64_t max_load_balance_interval_ = 0;
  // The global `nohz` state.
  struct NohzState {
    CpuMask idle_cpus_mask;
    int nr_cpus = 0;
    bool has_blocked = false;
    bool needs_update = false;
    int64_t next_balance = 0;
    int64_t next_blocked = 0;
  } nohz_;
};

}  // namespace scx
