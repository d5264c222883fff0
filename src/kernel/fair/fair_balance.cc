// Load balancing of the fair class (Linux 6.12 kernel/sched/fair.c): periodic balancing from
// the tick (sched_balance_trigger -> SCHED_SOFTIRQ, run inline at the tick), newidle balancing
// when a CPU is about to idle, NOHZ idle balancing (a busy CPU's tick kicks an idle CPU with an
// IPI to balance on behalf of all tickless ones) and active balancing through the stopper.
//
// Not modelled: NUMA balancing (fbq types, migrate_degrades_locality), asym packing, CPU
// capacity reduced by RT/IRQ pressure (capacity_of() is the CPU's capacity), EAS. Loads of
// tasks in task groups are their hierarchical share (task_h_load(), fair_group.cc). SD_SERIALIZE never contends: the simulator runs
// one balancer at a time anyway.
#include <algorithm>
#include <climits>

#include "base/check.h"
#include "kernel/fair/fair_internal.h"
#include "kernel/kernel.h"

namespace scx {
using namespace fair_detail;
using fair::SchedDomain;
using fair::SchedGroup;

namespace {

uint64_t shr_bound(uint64_t val, unsigned shift) { return val >> std::min(shift, 63u); }

long adjust_numa_imbalance(long imbalance, int dst_running, int imb_numa_nr) {
  constexpr long kNumaImbalanceMin = 2;
  if (dst_running > imb_numa_nr) return imbalance;
  if (imbalance <= kNumaImbalanceMin) return 0;
  return imbalance;
}

// group_has_capacity() / group_is_overloaded()
template <typename S>
bool group_has_capacity(unsigned pct, const S& sgs) {
  if (sgs.sum_nr_running < sgs.group_weight) return true;
  if (sgs.group_capacity * pct < sgs.group_runnable * 100) return false;
  return sgs.group_capacity * 100 > sgs.group_util * pct;
}
template <typename S>
bool group_is_overloaded(unsigned pct, const S& sgs) {
  if (sgs.sum_nr_running <= sgs.group_weight) return false;
  if (sgs.group_capacity * 100 < sgs.group_util * pct) return true;
  return sgs.group_capacity * pct < sgs.group_runnable * 100;
}

// smt_vs_nonsmt_groups()
bool smt_vs_nonsmt(const SchedGroup* a, const SchedGroup* b) {
  if (!a || !b) return false;
  return (a->flags & fair::SD_SHARE_CPUCAPACITY) != (b->flags & fair::SD_SHARE_CPUCAPACITY);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Statistics

void FairClass::update_sg_lb_stats(LbEnv& env, SdStats& sds, SchedGroup* group, SgStats& sgs, bool* overloaded) {
  sgs = SgStats{};
  const bool local_group = group == sds.local;
  for (int i : group->span & env.cpus) {
    const Rq& rq = k_.rq(i);
    sgs.group_load += cpu_load(i);
    sgs.group_util += cpu_util_cfs(i);
    sgs.group_runnable += cpu_runnable(i);
    sgs.sum_h_nr_running += lb_nr_runnable(i);
    const unsigned nr_running = static_cast<unsigned>(rq.nr_running);
    sgs.sum_nr_running += nr_running;
    if (nr_running > 1) *overloaded = true;
    if (!nr_running && idle_cpu(i)) {
      ++sgs.idle_cpus;
      continue;  // an idle CPU has no misfit task
    }
    if (local_group) continue;
    if ((env.sd->flags & fair::SD_ASYM_CPUCAPACITY) && sgs.group_misfit_task_load < cpus_[i].misfit_task_load) {
      sgs.group_misfit_task_load = cpus_[i].misfit_task_load;
      *overloaded = true;
    }
  }
  sgs.group_capacity = group->sgc->capacity;
  sgs.group_weight = static_cast<unsigned>(group->weight);
  // smt_balance(): an SMT group running several tasks while dst is idle.
  if (!local_group && env.idle != kNotIdle && (group->flags & fair::SD_SHARE_CPUCAPACITY) && sgs.sum_h_nr_running > 1)
    sgs.group_smt_balance = true;
  // group_classify()
  const unsigned pct = env.sd->imbalance_pct;
  if (group_is_overloaded(pct, sgs)) sgs.group_type = group_overloaded;
  else if (group->sgc->imbalance) sgs.group_type = group_imbalanced;
  else if (sgs.group_smt_balance) sgs.group_type = group_smt_balance;
  else if (sgs.group_misfit_task_load) sgs.group_type = group_misfit_task;
  else if (!group_has_capacity(pct, sgs)) sgs.group_type = group_fully_busy;
  else sgs.group_type = group_has_spare;
  if (sgs.group_type == group_overloaded) sgs.avg_load = sgs.group_load * kCapacityScale / sgs.group_capacity;
}

bool FairClass::update_sd_pick_busiest(LbEnv& env, SdStats& sds, SchedGroup* sg, SgStats& sgs) {
  SgStats& busiest = sds.busiest_stat;
  if (!sgs.sum_h_nr_running) return false;  // nothing to pull
  const bool asym = env.sd->flags & fair::SD_ASYM_CPUCAPACITY;
  // Don't pull misfit tasks we cannot help.
  if (asym && sgs.group_type == group_misfit_task &&
      (!capacity_greater(capacity_of(env.dst_cpu), sg->sgc->max_capacity) || sds.local_stat.group_type != group_has_spare))
    return false;
  if (sgs.group_type > busiest.group_type) return true;
  if (sgs.group_type < busiest.group_type) return false;
  switch (sgs.group_type) {
    case group_overloaded: return sgs.avg_load > busiest.avg_load;
    case group_imbalanced: return false;  // the first one
    case group_asym_packing: return false;
    case group_misfit_task: return sgs.group_misfit_task_load > busiest.group_misfit_task_load;
    case group_smt_balance:
    case group_fully_busy:
    case group_has_spare: {
      bool spare = sgs.group_type == group_has_spare ||
                   (sgs.group_type == group_smt_balance && (sgs.idle_cpus != 0 || busiest.idle_cpus != 0));
      if (!spare) {
        // avg_load is not computed here (0): the first group wins unless it is an SMT one.
        if (sgs.avg_load < busiest.avg_load) return false;
        if (sgs.avg_load == busiest.avg_load && (sds.busiest->flags & fair::SD_SHARE_CPUCAPACITY)) return false;
        break;
      }
      if (sgs.group_type == group_has_spare && smt_vs_nonsmt(sds.busiest, sg)) {
        // Don't empty an SMT core running one task in favour of a non-SMT group.
        return !((sg->flags & fair::SD_SHARE_CPUCAPACITY) && sgs.sum_h_nr_running <= 1);
      }
      // Fewest idle CPUs, then most tasks.
      if (sgs.idle_cpus > busiest.idle_cpus) return false;
      if (sgs.idle_cpus == busiest.idle_cpus && sgs.sum_nr_running <= busiest.sum_nr_running) return false;
      break;
    }
  }
  // Don't move tasks that fit to smaller CPUs.
  if (asym && sgs.group_type <= group_fully_busy && capacity_greater(sg->sgc->min_capacity, capacity_of(env.dst_cpu)))
    return false;
  return true;
}

void FairClass::update_idle_cpu_scan(LbEnv& env, uint64_t sum_util) {
  // SIS_UTIL: scan fewer CPUs the busier the LLC; none above ~85% (100/imbalance_pct).
  if (!config_.balance.sis_util || env.idle == kNewlyIdle) return;
  const int llc_weight = domains_->sd_llc_size(env.dst_cpu);
  if (env.sd->span_weight != llc_weight) return;
  fair::SchedDomainShared* sds = domains_->sd_llc_shared(env.dst_cpu);
  if (!sds) return;
  const uint64_t x = sum_util / static_cast<uint64_t>(llc_weight);
  const uint64_t pct = env.sd->imbalance_pct;
  uint64_t tmp = x * x * pct * pct / (10000 * kCapacityScale);
  tmp = std::min<uint64_t>(tmp, kCapacityScale);
  const uint64_t y = (kCapacityScale - tmp) * static_cast<uint64_t>(llc_weight) / kCapacityScale;
  sds->nr_idle_scan = static_cast<int>(y);
}

void FairClass::update_sd_lb_stats(LbEnv& env, SdStats& sds) {
  SgStats tmp;
  uint64_t sum_util = 0;
  bool overloaded = false;
  for (SchedGroup* sg : env.sd->groups) {
    const bool local_group = sg->span.test(env.dst_cpu);
    SgStats& sgs = local_group ? sds.local_stat : tmp;
    if (local_group) sds.local = sg;
    update_sg_lb_stats(env, sds, sg, sgs, &overloaded);
    if (!local_group && update_sd_pick_busiest(env, sds, sg, sgs)) {
      sds.busiest = sg;
      sds.busiest_stat = sgs;
    }
    sds.total_load += sgs.group_load;
    sds.total_capacity += sgs.group_capacity;
    sum_util += sgs.group_util;
  }
  // The flags of a group are its child domain's: does it prefer spreading to siblings?
  if (sds.busiest) sds.prefer_sibling = sds.busiest->flags & fair::SD_PREFER_SIBLING;
  if (!env.sd->parent) set_rd_overloaded(overloaded);  // the root domain's indicator
  update_idle_cpu_scan(env, sum_util);
}

long FairClass::sibling_imbalance(LbEnv& env, SdStats& sds, SgStats& busiest, SgStats& local) const {
  if (env.idle == kNotIdle || !busiest.sum_nr_running) return 0;
  const long ncores_busiest = sds.busiest->cores, ncores_local = sds.local->cores;
  if (ncores_busiest == ncores_local) {
    return std::max<long>(0, static_cast<long>(busiest.sum_nr_running) - static_cast<long>(local.sum_nr_running));
  }
  // Equalise nr_running per core, with rounding.
  long imbalance = std::max<long>(0, ncores_local * static_cast<long>(busiest.sum_nr_running) -
                                         ncores_busiest * static_cast<long>(local.sum_nr_running));
  imbalance = (2 * imbalance + ncores_local + ncores_busiest) / (ncores_local + ncores_busiest);
  if (imbalance <= 1 && local.sum_nr_running == 0 && busiest.sum_nr_running > 1) imbalance = 2;
  return imbalance;
}

void FairClass::calculate_imbalance(LbEnv& env, SdStats& sds) {
  SgStats& local = sds.local_stat;
  SgStats& busiest = sds.busiest_stat;
  if (busiest.group_type == group_misfit_task) {
    // Only asymmetric-capacity domains have misfit groups here (no capacity pressure model).
    env.migration_type = migrate_misfit;
    env.imbalance = 1;
    return;
  }
  if (busiest.group_type == group_smt_balance || busiest.group_type == group_imbalanced) {
    env.migration_type = migrate_task;
    env.imbalance = 1;
    return;
  }
  if (local.group_type == group_has_spare) {
    if (busiest.group_type > group_fully_busy && !(env.sd->flags & fair::SD_SHARE_LLC)) {
      // Fill local's spare capacity from an overloaded group of another LLC.
      env.migration_type = migrate_util;
      env.imbalance = static_cast<long>(std::max(local.group_capacity, local.group_util) - local.group_util);
      if (env.idle != kNotIdle && env.imbalance == 0) {
        env.migration_type = migrate_task;
        env.imbalance = 1;
      }
      return;
    }
    env.migration_type = migrate_task;
    if (busiest.group_weight == 1 || sds.prefer_sibling)
      env.imbalance = sibling_imbalance(env, sds, busiest, local);  // spread tasks evenly
    else
      env.imbalance = std::max<long>(0, static_cast<long>(local.idle_cpus) - static_cast<long>(busiest.idle_cpus));
    if (env.sd->flags & fair::SD_NUMA)
      env.imbalance = adjust_numa_imbalance(env.imbalance, static_cast<int>(local.sum_nr_running) + 1,
                                            static_cast<int>(env.sd->imb_numa_nr));
    env.imbalance >>= 1;  // tasks to move to restore balance
    return;
  }
  if (local.group_type < group_overloaded) {
    // Local will become overloaded: now the avg_load figures are needed.
    local.avg_load = local.group_load * kCapacityScale / local.group_capacity;
    if (local.avg_load >= busiest.avg_load) {
      env.imbalance = 0;
      return;
    }
    sds.avg_load = sds.total_load * kCapacityScale / sds.total_capacity;
    if (local.avg_load >= sds.avg_load) {
      env.imbalance = 0;
      return;
    }
  }
  // Bring both towards the domain average without overshooting either.
  env.migration_type = migrate_load;
  const uint64_t a = (busiest.avg_load - sds.avg_load) * busiest.group_capacity;
  const uint64_t b = (sds.avg_load - local.avg_load) * local.group_capacity;
  env.imbalance = static_cast<long>(std::min(a, b) / kCapacityScale);
}

SchedGroup* FairClass::find_busiest_group(LbEnv& env) {
  SdStats sds;
  sds.busiest_stat.idle_cpus = UINT_MAX;
  sds.busiest_stat.group_type = group_has_spare;
  update_sd_lb_stats(env, sds);
  SgStats& busiest = sds.busiest_stat;
  SgStats& local = sds.local_stat;
  auto balanced = [&]() -> SchedGroup* {
    env.imbalance = 0;
    return nullptr;
  };
  auto force = [&]() -> SchedGroup* {
    calculate_imbalance(env, sds);
    return env.imbalance ? sds.busiest : nullptr;
  };
  if (!sds.busiest) return balanced();
  if (busiest.group_type == group_misfit_task) return force();
  if (busiest.group_type == group_imbalanced) return force();
  if (local.group_type > busiest.group_type) return balanced();
  if (local.group_type == group_overloaded) {
    if (local.avg_load >= busiest.avg_load) return balanced();
    sds.avg_load = sds.total_load * kCapacityScale / sds.total_capacity;
    if (local.avg_load >= sds.avg_load) return balanced();
    if (100 * busiest.avg_load <= env.sd->imbalance_pct * local.avg_load) return balanced();
  }
  // Move excess tasks to a sibling of the busiest group's child domain.
  if (sds.prefer_sibling && local.group_type == group_has_spare && sibling_imbalance(env, sds, busiest, local) > 1)
    return force();
  if (busiest.group_type != group_overloaded) {
    if (env.idle == kNotIdle) return balanced();  // let an idle CPU pull instead
    if (busiest.group_type == group_smt_balance && smt_vs_nonsmt(sds.local, sds.busiest)) return force();
    if (busiest.group_weight > 1 && local.idle_cpus <= busiest.idle_cpus + 1) return balanced();
    if (busiest.sum_h_nr_running == 1) return balanced();
  }
  return force();
}

int FairClass::find_busiest_queue(LbEnv& env, SchedGroup* group) {
  int busiest = -1;
  uint64_t busiest_util = 0, busiest_load = 0, busiest_capacity = 1;
  unsigned busiest_nr = 0;
  for (int i : group->span & env.cpus) {
    const unsigned nr_running = lb_nr_runnable(i);
    if (!nr_running) continue;
    const uint64_t capacity = capacity_of(i);
    // Asymmetric capacity: a lone task on a CPU not smaller than dst stays.
    if ((env.sd->flags & fair::SD_ASYM_CPUCAPACITY) && !capacity_greater(capacity_of(env.dst_cpu), capacity) &&
        nr_running == 1)
      continue;
    switch (env.migration_type) {
      case migrate_load: {
        const uint64_t load = cpu_load(i);
        if (nr_running == 1 && load > static_cast<uint64_t>(env.imbalance)) break;
        if (load * busiest_capacity > busiest_load * capacity) {  // max load/capacity
          busiest_load = load;
          busiest_capacity = capacity;
          busiest = i;
        }
        break;
      }
      case migrate_util: {
        const uint64_t util = cpu_util_cfs_boost(i);
        if (nr_running <= 1) continue;  // detaching its only task would fail anyway
        if (busiest_util < util) busiest_util = util, busiest = i;
        break;
      }
      case migrate_task:
        if (busiest_nr < nr_running) busiest_nr = nr_running, busiest = i;
        break;
      case migrate_misfit:
        if (cpus_[i].misfit_task_load > busiest_load) busiest_load = cpus_[i].misfit_task_load, busiest = i;
        break;
    }
  }
  return busiest;
}

// ---------------------------------------------------------------------------------------------
// Moving tasks

bool FairClass::task_hot(Task& p, LbEnv& env) const {
  if (p.sched_class != this || p.policy == Policy::Idle) return false;
  if (env.sd->flags & fair::SD_SHARE_CPUCAPACITY) return false;  // SMT siblings share cache
  // Buddy candidates are cache hot.
  if (config_.features.cache_hot_buddy && k_.rq(env.dst_cpu).nr_running && p.se.cfs_rq->next_buddy() == &p.se)
    return true;
  const Ns cost = config_.balance.migration_cost_ns;
  if (cost == 0) return false;
  const int64_t delta = static_cast<int64_t>(k_.now()) - static_cast<int64_t>(p.se.exec_start);
  return delta < static_cast<int64_t>(cost);
}

bool FairClass::can_migrate_task(Task& p, LbEnv& env) {
  if (!bw_can_migrate(p, env.src_cpu, env.dst_cpu)) return false;  // bandwidth control
  if (config_.v6_18()) {
    // "sched/fair: Do not try to migrate delayed dequeue task" (6.14): a delayed task moves only
    // with the load it still carries.
    if (p.se.sched_delayed && env.migration_type != migrate_load) return false;
    // "sched/core: Prioritize migrating eligible tasks in sched_balance_rq()" (6.14): a task that
    // would arrive ineligible waits until balancing has failed once.
    if (!env.sd->nr_balance_failed && config_.features.place_lag && group_rq(p.cgroup, env.dst_cpu).q->nr_running() &&
        !p.se.cfs_rq->entity_eligible(p.se))
      return false;
  }
  if (!p.cpus_allowed.test(env.dst_cpu)) {
    env.flags |= LBF_SOME_PINNED;
    // Remember another CPU of dst's group p could go to (not for newidle/active balance).
    if (env.idle == kNewlyIdle || (env.flags & (LBF_DST_PINNED | LBF_ACTIVE_LB))) return false;
    for (int c : env.dst_grpmask & env.cpus) {
      if (p.cpus_allowed.test(c)) {
        env.flags |= LBF_DST_PINNED;
        env.new_dst_cpu = c;
        break;
      }
    }
    return false;
  }
  env.flags &= ~LBF_ALL_PINNED;  // at least one task could run on dst
  if (p.on_cpu) return false;
  if (env.flags & LBF_ACTIVE_LB) return true;
  // Cache-cold tasks move; hot ones once balancing has failed often enough.
  return !task_hot(p, env) || env.sd->nr_balance_failed > env.sd->cache_nice_tries;
}

void FairClass::detach_task(Task& p, LbEnv& env) {
  p.migrating = true;  // TASK_ON_RQ_MIGRATING: detach/attach PELT with the task
  k_.deactivate_task(k_.rq(env.src_cpu), p, DEQUEUE_NOCLOCK);
  k_.set_task_cpu(p, env.dst_cpu);
}

void FairClass::attach_task(int cpu, Task& p) {
  Rq& rq = k_.rq(cpu);
  k_.activate_task(rq, p, ENQUEUE_NOCLOCK);
  p.migrating = false;
  k_.wakeup_preempt(rq, p, 0);
}

int FairClass::detach_tasks(LbEnv& env, std::vector<Task*>& detached) {
  const Rq& src = k_.rq(env.src_cpu);
  CpuState& cs = cpus_[env.src_cpu];
  if (src.nr_running <= 1) {  // emptied meanwhile: nothing was tested
    env.flags &= ~LBF_ALL_PINNED;
    return 0;
  }
  if (env.imbalance <= 0) return 0;
  int count = 0;
  while (cs.lb_tail) {
    // Never empty the source: we could be treated likewise.
    if (env.idle != kNotIdle && src.nr_running <= 1) break;
    if (++env.loop > env.loop_max) break;
    if (env.loop > env.loop_break) {  // take a breather every SCHED_NR_MIGRATE_BREAK tasks
      env.loop_break += kSchedNrMigrateBreak;
      env.flags |= LBF_NEED_BREAK;
      break;
    }
    Task& p = *cs.lb_tail;  // least recently picked
    bool take = can_migrate_task(p, env);
    if (take) {
      switch (env.migration_type) {
        case migrate_load: {
          const uint64_t load = std::max<uint64_t>(task_h_load(p), 1);
          if (config_.balance.lb_min && load < 16 && !env.sd->nr_balance_failed) take = false;
          else if (shr_bound(load, env.sd->nr_balance_failed) > static_cast<uint64_t>(env.imbalance)) take = false;
          else env.imbalance -= static_cast<long>(load);
          break;
        }
        case migrate_util: {
          const uint64_t util = task_util_est(p);
          if (shr_bound(util, env.sd->nr_balance_failed) > static_cast<uint64_t>(env.imbalance)) take = false;
          else env.imbalance -= static_cast<long>(util);
          break;
        }
        case migrate_task: env.imbalance--; break;
        case migrate_misfit:
          if (task_fits_cpu(p, env.src_cpu)) take = false;
          else env.imbalance = 0;
          break;
      }
    }
    if (!take) {  // rotate to the head
      lb_list_del(env.src_cpu, p);
      lb_list_add_head(env.src_cpu, p);
      continue;
    }
    detach_task(p, env);
    detached.push_back(&p);
    ++count;
    // Preemptible kernels stop after one task on newidle (latency).
    if (env.idle == kNewlyIdle) break;
    if (env.imbalance <= 0) break;
  }
  return count;
}

bool FairClass::need_active_balance(LbEnv& env) const {
  const SchedDomain* sd = env.sd;
  if (env.migration_type == migrate_task && sd->nr_balance_failed > sd->cache_nice_tries + 2) return true;
  return env.migration_type == migrate_misfit;
}

void FairClass::active_load_balance_cpu_stop(int busiest_cpu) {
  // Runs in busiest_cpu's stopper: the previously running task is now queued and movable.
  CpuState& bs = cpus_[busiest_cpu];
  const int target = bs.push_cpu;
  Task* moved = nullptr;
  if (bs.active_balance && k_.rq(busiest_cpu).nr_running > 1) {
    SchedDomain* sd = domains_->sd(target);
    while (sd && !sd->span.test(busiest_cpu)) sd = sd->parent;
    if (sd) {
      LbEnv env;
      env.sd = sd;
      env.dst_cpu = target;
      env.src_cpu = busiest_cpu;
      env.idle = kCpuIdle;
      env.flags = LBF_ACTIVE_LB;
      // detach_one_task(): the first movable task from the cold end.
      for (Task* p = bs.lb_tail; p; p = p->fair.lb_prev) {
        if (!can_migrate_task(*p, env)) continue;
        detach_task(*p, env);
        moved = p;
        sd->nr_balance_failed = 0;
        ++stats_.active_balances;
        break;
      }
    }
  }
  bs.active_balance = false;
  if (moved) attach_task(target, *moved);
}

int FairClass::sched_balance_rq(int this_cpu, SchedDomain* sd, IdleType idle, bool* continue_balancing) {
  LbEnv env;
  env.sd = sd;
  env.dst_cpu = this_cpu;
  env.dst_grpmask = sd->groups.front()->balance_mask;
  env.idle = idle;
  env.loop_break = kSchedNrMigrateBreak;
  env.cpus = sd->span;
  if (idle == kNotIdle) ++stats_.periodic_balances;
  else if (idle == kCpuIdle) ++stats_.idle_balances;
  int ld_moved = 0;
  bool active_balance = false;
  std::vector<Task*> detached;

  for (;;) {  // redo
    if (!should_we_balance(env)) {
      *continue_balancing = false;
      goto out_balanced;
    }
    SchedGroup* group = find_busiest_group(env);
    if (!group) goto out_balanced;
    const int busiest = find_busiest_queue(env, group);
    if (busiest < 0) goto out_balanced;
    SCX_CHECK(busiest != env.dst_cpu);
    env.src_cpu = busiest;
    env.flags |= LBF_ALL_PINNED;  // cleared as soon as a pullable task shows up
    if (k_.rq(busiest).nr_running > 1) {
      env.loop_max = std::min<unsigned>(config_.balance.nr_migrate, static_cast<unsigned>(k_.rq(busiest).nr_running));
      for (;;) {  // more_balance
        detached.clear();
        const int cur = detach_tasks(env, detached);
        for (Task* p : detached) attach_task(env.dst_cpu, *p);
        ld_moved += cur;
        if (env.flags & LBF_NEED_BREAK) {
          env.flags &= ~LBF_NEED_BREAK;
          continue;
        }
        // Tasks pinned away from dst may go to another CPU of dst's group instead.
        if ((env.flags & LBF_DST_PINNED) && env.imbalance > 0) {
          env.cpus.clear(env.dst_cpu);
          env.dst_cpu = env.new_dst_cpu;
          env.flags &= ~LBF_DST_PINNED;
          env.loop = 0;
          env.loop_break = kSchedNrMigrateBreak;
          continue;
        }
        break;
      }
      // Affinity kept us from balancing: tell the parent level.
      if (sd->parent && (env.flags & LBF_SOME_PINNED) && env.imbalance > 0)
        sd->parent->groups.front()->sgc->imbalance = true;
      if (env.flags & LBF_ALL_PINNED) {
        env.cpus.clear(busiest);
        if (!(env.cpus.and_not(env.dst_grpmask)).empty()) {
          env.loop = 0;
          env.loop_break = kSchedNrMigrateBreak;
          continue;  // redo with the other CPUs
        }
        goto out_all_pinned;
      }
    }
    if (!ld_moved) {
      // Newidle balancing is frequent and misfit is unrelated: neither counts as a failure.
      if (idle != kNewlyIdle && env.migration_type != migrate_misfit) ++sd->nr_balance_failed;
      if (need_active_balance(env)) {
        if (!k_.rq(busiest).curr->cpus_allowed.test(this_cpu)) goto out_one_pinned;
        env.flags &= ~LBF_ALL_PINNED;
        CpuState& bs = cpus_[busiest];
        if (!bs.active_balance) {
          bs.active_balance = true;
          bs.push_cpu = this_cpu;
          active_balance = true;
          k_.stop_one_cpu(busiest, [this, busiest] { active_load_balance_cpu_stop(busiest); });
        }
      }
    } else {
      sd->nr_balance_failed = 0;
    }
    if (!active_balance || need_active_balance(env)) sd->balance_interval = sd->min_interval;
    if (idle == kNewlyIdle) stats_.newidle_pulled += static_cast<uint64_t>(ld_moved);
    else stats_.lb_pulled += static_cast<uint64_t>(ld_moved);
    return ld_moved;
  }

out_balanced:
  // Balanced despite affinity constraints: clear the parent's imbalance only if other tasks had
  // a chance to move.
  if (sd->parent && !(env.flags & LBF_ALL_PINNED)) sd->parent->groups.front()->sgc->imbalance = false;
out_all_pinned:
  sd->nr_balance_failed = 0;
out_one_pinned:
  if (idle == kNewlyIdle || env.migration_type == migrate_misfit) return 0;
  // Back off: double the interval up to max_interval (or the pinned limit).
  if (((env.flags & LBF_ALL_PINNED) && sd->balance_interval < kMaxPinnedInterval) ||
      sd->balance_interval < sd->max_interval)
    sd->balance_interval *= 2;
  return 0;
}

bool FairClass::should_we_balance(LbEnv& env) {
  if (!env.cpus.test(env.dst_cpu)) return false;
  // Every CPU may newidle balance, unless work is already coming.
  if (env.idle == kNewlyIdle) return !(k_.rq(env.dst_cpu).nr_running > 0 || k_.rq(env.dst_cpu).ttwu_pending);
  SchedGroup* sg = env.sd->groups.front();
  CpuMask swb = sg->balance_mask;
  int idle_smt = -1;
  for (int c = swb.next(0); c >= 0; c = swb.next(c + 1)) {
    if (!env.cpus.test(c) || !idle_cpu(c)) continue;
    // Above SMT, prefer a CPU on a fully idle core; remember the first idle SMT thread.
    if (!(env.sd->flags & fair::SD_SHARE_CPUCAPACITY) && !is_core_idle(c)) {
      if (idle_smt == -1) idle_smt = c;
      swb = swb.and_not(k_.topo().smt_siblings(c));
      continue;
    }
    return c == env.dst_cpu;
  }
  if (idle_smt != -1) return idle_smt == env.dst_cpu;
  return sg->balance_cpu() == env.dst_cpu;  // no idle CPU: the group's designated one
}

int64_t FairClass::get_sd_balance_interval(SchedDomain* sd, bool cpu_busy) const {
  int64_t interval = sd->balance_interval;
  if (cpu_busy) interval *= sd->busy_factor;
  interval = msecs_to_jiffies(interval);
  // Keep busy balancing at different levels from being multiples of each other.
  if (cpu_busy) interval -= 1;
  return std::clamp<int64_t>(interval, 1, max_load_balance_interval_);
}

bool FairClass::update_newidle_cost(SchedDomain* sd, Ns cost) {
  const int64_t j = jiffies();
  if (cost > sd->max_newidle_lb_cost) {
    // 6.18 caps the maximum, as the failure bump below would otherwise grow it without bound.
    sd->max_newidle_lb_cost = config_.v6_18() ? std::min(cost, config_.balance.migration_cost_ns + 200) : cost;
    sd->last_decay_max_lb_cost = j;
  } else if (j > sd->last_decay_max_lb_cost + k_.cost().hz) {
    // Decay ~1% per second so an old maximum does not gate newidle forever.
    sd->max_newidle_lb_cost = sd->max_newidle_lb_cost * 253 / 256;
    sd->last_decay_max_lb_cost = j;
    return true;
  }
  return false;
}

void FairClass::sched_balance_domains(int cpu, IdleType idle) {
  CpuState& cs = cpus_[cpu];
  Rq& rq = k_.rq(cpu);
  bool continue_balancing = true;
  bool busy = idle != kCpuIdle && !sched_idle_cpu(cpu);
  const int64_t now = jiffies();
  int64_t next_balance = now + 60 * int64_t{k_.cost().hz};
  bool update_next_balance = false, need_decay = false;
  Ns max_cost = 0;
  for (SchedDomain* sd = domains_->sd(cpu); sd; sd = sd->parent) {
    need_decay = update_newidle_cost(sd, 0);
    max_cost += sd->max_newidle_lb_cost;
    // Another CPU of our group balances this level more actively.
    if (!continue_balancing) {
      if (need_decay) continue;
      break;
    }
    int64_t interval = get_sd_balance_interval(sd, busy);
    if (jiffies() >= sd->last_balance + interval) {
      if (sched_balance_rq(cpu, sd, idle, &continue_balancing)) {
        // LBF_DST_PINNED may have moved the work elsewhere: re-evaluate our idleness.
        idle = idle_cpu(cpu) ? kCpuIdle : kNotIdle;
        busy = idle != kCpuIdle && !sched_idle_cpu(cpu);
      }
      sd->last_balance = jiffies();
      interval = get_sd_balance_interval(sd, busy);
    }
    if (next_balance > sd->last_balance + interval) {
      next_balance = sd->last_balance + interval;
      update_next_balance = true;
    }
  }
  if (need_decay) rq.max_idle_balance_cost = std::max(config_.balance.migration_cost_ns, max_cost);
  if (update_next_balance) cs.next_balance = next_balance;
}

// ---------------------------------------------------------------------------------------------
// Newidle

int FairClass::sched_balance_newidle(Rq& rq) {
  const int this_cpu = rq.cpu;
  CpuState& cs = cpus_[this_cpu];
  int64_t next_balance = jiffies() + k_.cost().hz;
  bool continue_balancing = true;
  Ns curr_cost = 0;
  int pulled = 0;
  auto update_next = [&](SchedDomain* sd) {
    const int64_t next = sd->last_balance + get_sd_balance_interval(sd, false);
    if (next_balance > next) next_balance = next;
  };
  update_misfit_status(nullptr, this_cpu);
  if (rq.ttwu_pending) return 0;  // a task is about to arrive anyway
  rq.idle_stamp = k_.now();       // measure the coming idle time from here
  SchedDomain* base = domains_->sd(this_cpu);
  if (shared_runq_) {
    // SHARED_RUNQ: take the oldest shard task allowed here before scanning domains.
    if (Task* p = shared_runq_->pop(this_cpu)) {
      SCX_CHECK(p->on_rq && !p->on_cpu && p->cpu != this_cpu);
      k_.move_queued_task(*p, this_cpu);
      ++stats_.shared_runq_pulls;
      pulled = 1;
      goto out;
    }
  }
  // Not worth it: nothing overloaded anywhere, or we expect to idle shorter than a balance.
  if (!rd_overloaded_ || (base && rq.avg_idle < base->max_newidle_lb_cost)) {
    if (base) update_next(base);
    goto out;
  }
  ++stats_.newidle_balances;
  update_blocked_averages(this_cpu);
  for (SchedDomain* sd = base; sd; sd = sd->parent) {
    update_next(sd);
    if (rq.avg_idle < curr_cost + sd->max_newidle_lb_cost) break;
    // SHARED_RUNQ: the shards stood in for the levels up to the LLC.
    if (shared_runq_ && (sd->flags & fair::SD_SHARE_LLC)) continue;
    if (sd->flags & fair::SD_BALANCE_NEWIDLE) {
      pulled = sched_balance_rq(this_cpu, sd, kNewlyIdle, &continue_balancing);
      const Ns domain_cost = config_.balance.newidle_cost_ns +
                             config_.balance.newidle_cost_per_cpu_ns * static_cast<Ns>(sd->span_weight);
      curr_cost += domain_cost;
      // 6.18 ("sched/fair: Bump sd->max_newidle_lb_cost when newidle balance fails", 6.17;
      // reverted in 6.19): a fruitless attempt counts as 1.5x the domain's maximum,
      // so newidle balancing backs off where it does not pay.
      update_newidle_cost(sd, config_.v6_18() && !pulled ? 3 * sd->max_newidle_lb_cost / 2 : domain_cost);
    }
    if (pulled || !continue_balancing) break;
  }
  if (curr_cost > rq.max_idle_balance_cost) rq.max_idle_balance_cost = curr_cost;
  if (cpus_[this_cpu].cfs.h_nr_queued && !pulled) pulled = 1;
  if (static_cast<unsigned>(rq.nr_running) != cpus_[this_cpu].cfs.h_nr_queued) pulled = -1;  // a higher class appeared
out:
  if (cs.next_balance > next_balance) cs.next_balance = next_balance;
  if (pulled) {
    rq.idle_stamp = 0;
  } else if (rq.avg_idle >= config_.balance.migration_cost_ns && nohz_.has_blocked &&
             jiffies() >= nohz_.next_blocked) {
    // nohz_newidle_balance(): refresh idle CPUs' blocked load before idling, from the idle loop.
    cs.nohz_flags |= NOHZ_NEWILB_KICK;
    k_.schedule_callback(k_.now(), this_cpu, [this, this_cpu] {
      CpuState& c = cpus_[this_cpu];
      const bool kick = c.nohz_flags == NOHZ_NEWILB_KICK;
      c.nohz_flags &= ~NOHZ_NEWILB_KICK;
      if (kick && idle_cpu(this_cpu)) nohz_idle_balance(this_cpu, NOHZ_STATS_KICK);
    });
  }
  return pulled;
}

// ---------------------------------------------------------------------------------------------
// Periodic trigger and NOHZ

void FairClass::tick_balance(Rq& rq) {
  const int cpu = rq.cpu;
  if (!domains_->sd(cpu)) return;  // on_null_domain()
  if (rq.nr_running >= 2) set_rd_overloaded(true);  // add_nr_running() of any class
  // nohz_balancer_kick() runs in the tick; the SCHED_SOFTIRQ balance at its exit.
  const bool due = jiffies() >= cpus_[cpu].next_balance;
  nohz_balancer_kick(rq);
  if (due) {
    update_blocked_averages(cpu);
    sched_balance_domains(cpu, idle_cpu(cpu) ? kCpuIdle : kNotIdle);
  }
}

void FairClass::nohz_balance_enter_idle(int cpu) {
  CpuState& cs = cpus_[cpu];
  cs.has_blocked_load = true;
  if (!cs.nohz_tick_stopped) {
    if (!domains_->sd(cpu)) return;  // an isolated CPU does not play
    cs.nohz_tick_stopped = true;
    nohz_.idle_cpus_mask.set(cpu);
    ++nohz_.nr_cpus;
    // set_cpu_sd_state_idle()
    SchedDomain* llc = domains_->sd_llc(cpu);
    if (llc && !llc->nohz_idle) {
      llc->nohz_idle = true;
      --llc->shared->nr_busy_cpus;
    }
    nohz_.needs_update = true;
  }
  nohz_.has_blocked = true;
}

void FairClass::nohz_balance_exit_idle(int cpu) {
  CpuState& cs = cpus_[cpu];
  if (!cs.nohz_tick_stopped) return;
  cs.nohz_tick_stopped = false;
  nohz_.idle_cpus_mask.clear(cpu);
  --nohz_.nr_cpus;
  // set_cpu_sd_state_busy()
  SchedDomain* llc = domains_->sd_llc(cpu);
  if (llc && llc->nohz_idle) {
    llc->nohz_idle = false;
    ++llc->shared->nr_busy_cpus;
  }
}

void FairClass::nohz_balancer_kick(Rq& rq) {
  const int cpu = rq.cpu;
  const int64_t now = jiffies();
  unsigned flags = 0;
  // The first busy tick after idle: count this CPU busy again.
  nohz_balance_exit_idle(cpu);
  if (!nohz_.nr_cpus) return;  // no tickless CPU to balance for
  if (nohz_.has_blocked && now > nohz_.next_blocked) flags = NOHZ_STATS_KICK;
  if (now >= nohz_.next_balance) {
    if (rq.nr_running >= 2) {
      flags = NOHZ_STATS_KICK | NOHZ_BALANCE_KICK;
    } else if (domains_->sd_asym_cpucapacity(cpu)) {
      // Asymmetric capacity: only a misfit task needs help; LLC spreading is not wanted.
      if (cpus_[cpu].misfit_task_load) flags = NOHZ_STATS_KICK | NOHZ_BALANCE_KICK;
    } else if (fair::SchedDomainShared* sds = domains_->sd_llc_shared(cpu)) {
      // Several busy CPUs in this LLC: an idle CPU may find tasks to spread.
      if (sds->nr_busy_cpus > 1) flags = NOHZ_STATS_KICK | NOHZ_BALANCE_KICK;
    }
  }
  if (nohz_.needs_update) flags |= NOHZ_NEXT_KICK;
  if (flags) kick_ilb(flags);
}

void FairClass::kick_ilb(unsigned flags) {
  if (flags & NOHZ_BALANCE_KICK) nohz_.next_balance = jiffies() + 1;
  // find_new_ilb(): the first idle tickless CPU other than this one.
  int ilb = -1;
  for (int c : nohz_.idle_cpus_mask) {
    if (c != k_.this_cpu() && idle_cpu(c)) {
      ilb = c;
      break;
    }
  }
  if (ilb < 0) return;
  CpuState& cs = cpus_[ilb];
  if ((cs.nohz_flags & flags) == flags) return;  // nothing new for it
  const unsigned old = cs.nohz_flags;
  cs.nohz_flags |= flags;
  if (old & NOHZ_KICK_MASK) return;  // an IPI is already on its way
  ++stats_.nohz_kicks;
  k_.schedule_callback(k_.now() + k_.cost().wakeup_ipi_ns, ilb, [this, ilb] { nohz_csd_func(ilb); });
}

void FairClass::nohz_csd_func(int cpu) {
  CpuState& cs = cpus_[cpu];
  const unsigned flags = cs.nohz_flags & NOHZ_KICK_MASK;
  cs.nohz_flags &= ~NOHZ_KICK_MASK;
  // Only an idle CPU runs the ILB softirq.
  if (flags && idle_cpu(cpu)) nohz_idle_balance(cpu, flags);
}

bool FairClass::update_nohz_stats(int cpu) {
  CpuState& cs = cpus_[cpu];
  if (!cs.has_blocked_load) return false;
  if (!nohz_.idle_cpus_mask.test(cpu)) return false;
  if (!(jiffies() > cs.last_blocked_load_update_tick)) return true;
  update_blocked_averages(cpu);
  return cs.has_blocked_load;
}

void FairClass::nohz_idle_balance(int this_cpu, unsigned flags) {
  // _nohz_idle_balance(): balance every idle CPU that is due, starting after this one so that
  // this CPU comes last and others get a chance to pull first.
  const int64_t now = jiffies();
  int64_t next_balance = now + 60 * int64_t{k_.cost().hz};
  bool has_blocked_load = false, update_next_balance = false;
  if (flags & NOHZ_STATS_KICK) nohz_.has_blocked = false;
  if (flags & NOHZ_NEXT_KICK) nohz_.needs_update = false;
  const CpuMask mask = nohz_.idle_cpus_mask;
  std::vector<int> order;
  for (int c = mask.next(this_cpu + 1); c >= 0; c = mask.next(c + 1)) order.push_back(c);
  for (int c = mask.first(); c >= 0 && c <= this_cpu; c = mask.next(c + 1)) order.push_back(c);
  for (int balance_cpu : order) {
    if (!idle_cpu(balance_cpu)) continue;
    // This CPU got work: stop, the next ILB owner picks up.
    if (!idle_cpu(this_cpu) && k_.rq(this_cpu).need_resched) {
      if (flags & NOHZ_STATS_KICK) has_blocked_load = true;
      if (flags & NOHZ_NEXT_KICK) nohz_.needs_update = true;
      if (has_blocked_load) nohz_.has_blocked = true;
      return;
    }
    if (flags & NOHZ_STATS_KICK) has_blocked_load |= update_nohz_stats(balance_cpu);
    CpuState& cs = cpus_[balance_cpu];
    if (jiffies() >= cs.next_balance && (flags & NOHZ_BALANCE_KICK)) sched_balance_domains(balance_cpu, kCpuIdle);
    if (next_balance > cs.next_balance) {
      next_balance = cs.next_balance;
      update_next_balance = true;
    }
  }
  if (update_next_balance) nohz_.next_balance = next_balance;
  if (flags & NOHZ_STATS_KICK) nohz_.next_blocked = now + msecs_to_jiffies(fair::kLoadAvgPeriod);
  if (has_blocked_load) nohz_.has_blocked = true;
}

}  // namespace scx
