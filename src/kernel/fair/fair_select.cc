// Wake-up and fork CPU selection of the fair class (Linux 6.12 select_task_rq_fair() and its
// helpers in kernel/sched/fair.c). EAS (find_energy_efficient_cpu) never runs: the simulated
// machines have no energy model, so the root domain always counts as overutilized.
#include <algorithm>
#include <climits>
#include <cstdlib>

#include "kernel/fair/fair_internal.h"
#include "kernel/kernel.h"

namespace scx {
using namespace fair_detail;
using fair::SchedDomain;
using fair::SchedGroup;

namespace {

// adjust_numa_imbalance(): allow a small imbalance while the destination is lightly loaded.
long adjust_numa_imbalance(long imbalance, int dst_running, int imb_numa_nr) {
  constexpr long kNumaImbalanceMin = 2;
  if (dst_running > imb_numa_nr) return imbalance;  // !allow_numa_imbalance()
  if (imbalance <= kNumaImbalanceMin) return 0;
  return imbalance;
}

}  // namespace

void FairClass::record_wakee(Task& curr, const Task& p) {
  // Decay once per second; wakers of fewer than one task per jiffy build up no flips.
  const int64_t j = jiffies();
  if (j > curr.fair.wakee_flip_decay_ts + k_.cost().hz) {
    curr.fair.wakee_flips >>= 1;
    curr.fair.wakee_flip_decay_ts = j;
  }
  if (curr.fair.last_wakee != &p) {
    curr.fair.last_wakee = &p;
    ++curr.fair.wakee_flips;
  }
}

bool FairClass::wake_wide(const Task& curr, const Task& p, int this_cpu) const {
  // An M:N waker/wakee relation wider than the LLC spreads instead of pulling the wakee close.
  unsigned master = curr.fair.wakee_flips, slave = p.fair.wakee_flips;
  const unsigned factor = static_cast<unsigned>(domains_->sd_llc_size(this_cpu));
  if (master < slave) std::swap(master, slave);
  return !(slave < factor || master < slave * factor);
}

// Delayed tasks the sync test of wake_affine_idle() discounts: none in 6.12; 6.18 ("sched/fair:
// Fixup wake_up_sync() vs DELAYED_DEQUEUE", 6.16) does not count them as the waker's company.
int FairClass::sync_delayed(int cpu) const {
  return config_.v6_18() ? static_cast<int>(cpus_[cpu].cfs.h_nr_delayed) : 0;
}

int FairClass::wake_affine(SchedDomain* sd, Task& p, int this_cpu, int prev_cpu, bool sync) {
  constexpr int kNone = -1;
  int target = kNone;
  if (config_.balance.wa_idle) {
    // wake_affine_idle(): an idle waking CPU sharing the cache (an interrupt woke us), a sync
    // waker about to sleep, or an idle previous CPU.
    if (available_idle_cpu(this_cpu) && domains_->cpus_share_cache(this_cpu, prev_cpu))
      target = available_idle_cpu(prev_cpu) ? prev_cpu : this_cpu;
    else if (sync && k_.rq(this_cpu).nr_running - sync_delayed(this_cpu) == 1)
      target = this_cpu;
    else if (available_idle_cpu(prev_cpu))
      target = prev_cpu;
  }
  if (config_.balance.wa_weight && target == kNone) {
    // wake_affine_weight(): compare the PELT loads as if p had already moved.
    int64_t this_eff_load = static_cast<int64_t>(cpu_load(this_cpu));
    bool decided = false;
    if (sync) {
      const int64_t current_load = static_cast<int64_t>(task_h_load(*k_.rq(this_cpu).curr));
      if (current_load > this_eff_load) target = this_cpu, decided = true;
      else this_eff_load -= current_load;
    }
    if (!decided) {
      const int64_t task_load = static_cast<int64_t>(task_h_load(p));
      this_eff_load += task_load;
      if (config_.balance.wa_bias) this_eff_load *= 100;
      this_eff_load *= static_cast<int64_t>(capacity_of(prev_cpu));
      int64_t prev_eff_load = static_cast<int64_t>(cpu_load(prev_cpu)) - task_load;
      if (config_.balance.wa_bias) prev_eff_load *= 100 + (static_cast<int64_t>(sd->imbalance_pct) - 100) / 2;
      prev_eff_load *= static_cast<int64_t>(capacity_of(this_cpu));
      // A sync wakeup leans toward stacking the wakee on the waker when loads are equal.
      if (sync) prev_eff_load += 1;
      if (this_eff_load < prev_eff_load) target = this_cpu;
    }
  }
  if (target != this_cpu) return prev_cpu;
  ++stats_.wake_affine;
  return this_cpu;
}

void FairClass::update_idle_core(int cpu) {
  // __update_idle_core(): a CPU going idle whose SMT siblings are idle too announces an idle core.
  fair::SchedDomainShared* sds = domains_->sd_llc_shared(cpu);
  if (!sds || sds->has_idle_cores) return;
  for (int sib : k_.topo().smt_siblings(cpu))
    if (sib != cpu && !available_idle_cpu(sib)) return;
  sds->has_idle_cores = true;
}

int FairClass::select_idle_core(int core, CpuMask& cpus, int* idle_cpu) const {
  bool idle = true;
  for (int c : k_.topo().smt_siblings(core)) {
    if (!available_idle_cpu(c)) {
      idle = false;
      if (*idle_cpu == -1) {
        if (sched_idle_cpu(c) && cpus.test(c)) {
          *idle_cpu = c;
          break;
        }
        continue;
      }
      break;
    }
    if (*idle_cpu == -1 && cpus.test(c)) *idle_cpu = c;
  }
  if (idle) return core;
  cpus = cpus.and_not(k_.topo().smt_siblings(core));
  return -1;
}

int FairClass::select_idle_smt(const Task& p, SchedDomain* sd, int target) const {
  for (int c : k_.topo().smt_siblings(target)) {
    if (c == target || !p.cpus_allowed.test(c) || !sd->span.test(c)) continue;
    if (available_idle_cpu(c) || sched_idle_cpu(c)) return c;
  }
  return -1;
}

int FairClass::select_idle_cpu(const Task& p, SchedDomain* sd, bool has_idle_core, int target) {
  int idle = -1, nr = INT_MAX;
  fair::SchedDomainShared* sds = domains_->sd_llc_shared(target);
  if (config_.balance.sis_util && sds) {
    nr = sds->nr_idle_scan + 1;  // "!--nr" ends the scan
    if (nr == 1) return -1;      // an overloaded LLC is unlikely to have an idle CPU
  }
  // for_each_cpu_wrap(cpu, span & allowed, target + 1); select_idle_core() drops the siblings
  // of every busy core it visits from the candidates.
  CpuMask cpus = sd->span & p.cpus_allowed;
  if (!has_idle_core && config_.balance.idle_scan_by_mask && idle_mask_exact()) {
    idle = first_idle_cpu_within(cpus, target, nr);
    if (idle >= 0) ++stats_.wake_idle_scan;
    return idle;
  }
  const std::vector<int>& order = *sd->span_cpus;
  const size_t n = order.size();
  const size_t first = static_cast<size_t>(std::upper_bound(order.begin(), order.end(), target) - order.begin());
  for (size_t k = 0; k < n; ++k) {
    const int c = order[(first + k) % n];
    if (!cpus.test(c)) continue;
    if (has_idle_core) {
      int i = select_idle_core(c, cpus, &idle);
      if (i >= 0) return ++stats_.wake_idle_scan, i;
    } else {
      if (--nr <= 0) return -1;
      if (available_idle_cpu(c) || sched_idle_cpu(c)) {
        idle = c;
        break;
      }
    }
  }
  if (has_idle_core && sds) sds->has_idle_cores = false;  // the scan found none
  if (idle >= 0) ++stats_.wake_idle_scan;
  return idle;
}

// select_idle_cpu()'s CPU-by-CPU scan without an idle core, done on the idle mask: the first idle
// CPU of `cpus` in for_each_cpu_wrap(target + 1) order, provided the scan reaches it before its
// SIS_UTIL budget runs out (the k-th CPU visited is tested only while k < nr).
int FairClass::first_idle_cpu_within(const CpuMask& cpus, int target, int nr) const {
  const CpuMask idle = cpus & k_.idle_rqs();
  const int start = target + 1;
  int c = idle.next(start);
  int visited = 0;  // CPUs of `cpus` the scan visits up to and including c
  if (c >= 0) {
    visited = cpus.count_range(start, c + 1);
  } else {
    c = idle.first();
    if (c < 0) return -1;
    visited = cpus.count_range(start, kMaxCpus) + cpus.count_range(0, c + 1);
  }
  return visited < nr ? c : -1;
}

int FairClass::select_idle_capacity(const Task& p, SchedDomain* sd, int target) const {
  // Asymmetric capacity: the first idle CPU the task fits on, else the biggest idle one.
  const CpuMask cpus = sd->span & p.cpus_allowed;
  const uint64_t util = task_util_est(p);
  uint64_t best_cap = 0;
  int best_cpu = -1;
  auto visit = [&](int c) {
    if (!available_idle_cpu(c) && !sched_idle_cpu(c)) return false;
    const uint64_t cap = capacity_of(c);
    if (fits_capacity(util, cap)) return true;
    if (cap > best_cap) best_cap = cap, best_cpu = c;
    return false;
  };
  for (int c = cpus.next(target); c >= 0; c = cpus.next(c + 1))
    if (visit(c)) return c;
  for (int c = cpus.first(); c >= 0 && c < target; c = cpus.next(c + 1))
    if (visit(c)) return c;
  return best_cpu;
}

int FairClass::select_idle_sibling(Task& p, int prev, int target) {
  const bool asym = domains_->asym_cpucap_active();
  uint64_t util = 0;
  if (asym) {
    sync_entity_load_avg(p);
    util = task_util_est(p);
  }
  auto fits = [&](int c) { return !asym || fits_capacity(util, capacity_of(c)); };
  auto idleish = [&](int c) { return available_idle_cpu(c) || sched_idle_cpu(c); };

  if (idleish(target) && fits(target)) return target;
  // If the previous CPU is cache affine and idle, don't be stupid.
  if (prev != target && domains_->cpus_share_cache(prev, target) && idleish(prev) && fits(prev)) return prev;
  // (The per-CPU-kthread stacking case needs a kthread waker in task context; the simulated
  // kthreads — idle and stopper — never wake tasks that way.)
  const int recent = p.fair.recent_used_cpu;
  p.fair.recent_used_cpu = prev;
  if (recent >= 0 && recent != prev && recent != target && domains_->cpus_share_cache(recent, target) &&
      idleish(recent) && p.cpus_allowed.test(recent) && fits(recent))
    return recent;
  if (asym) {
    if (SchedDomain* sd = domains_->sd_asym_cpucapacity(target)) {
      int i = select_idle_capacity(p, sd, target);
      return i >= 0 ? i : target;
    }
  }
  SchedDomain* sd = domains_->sd_llc(target);
  if (!sd) return target;
  bool has_idle_core = false;
  if (domains_->smt_active()) {
    fair::SchedDomainShared* sds = domains_->sd_llc_shared(target);
    has_idle_core = sds && sds->has_idle_cores;
    if (!has_idle_core && domains_->cpus_share_cache(prev, target)) {
      int i = select_idle_smt(p, sd, prev);
      if (i >= 0) return i;
    }
  }
  int i = select_idle_cpu(p, sd, has_idle_core, target);
  return i >= 0 ? i : target;
}

int FairClass::select_task_rq(Task& p, int prev_cpu, int wake_flags) {
  const int cpu = k_.this_cpu();
  Task& curr = *k_.rq(cpu).curr;  // the waker (or the interrupted task for timer wakeups)
  const bool sync = (wake_flags & WF_SYNC) != 0;
  const int sd_flag = wake_flags & 0xF;  // SD_BALANCE_{EXEC,FORK,WAKE} share the WF_ bits
  int new_cpu = prev_cpu;
  bool want_affine = false;
  if (wake_flags & WF_TTWU) {
    record_wakee(curr, p);
    if ((wake_flags & WF_CURRENT_CPU) && p.cpus_allowed.test(cpu)) return cpu;
    want_affine = !wake_wide(curr, p, cpu) && p.cpus_allowed.test(cpu);
  }
  SchedDomain* sd = nullptr;
  for (SchedDomain* tmp = domains_->sd(cpu); tmp; tmp = tmp->parent) {
    // Both the waker's and the previous CPU in this domain: an affine wakeup is possible.
    if (want_affine && (tmp->flags & fair::SD_WAKE_AFFINE) && tmp->span.test(prev_cpu)) {
      if (cpu != prev_cpu) new_cpu = wake_affine(tmp, p, cpu, prev_cpu, sync);
      sd = nullptr;  // prefer wake_affine over balance flags
      break;
    }
    if (tmp->flags & static_cast<uint32_t>(sd_flag)) sd = tmp;
    else if (!want_affine) break;
  }
  if (sd) return find_idlest_cpu(sd, p, cpu, prev_cpu, sd_flag);  // slow path (fork/exec)
  if (wake_flags & WF_TTWU) return select_idle_sibling(p, prev_cpu, new_cpu);
  return new_cpu;
}

// ---------------------------------------------------------------------------------------------
// Slow path: sched_balance_find_dst_cpu() / _group() / _group_cpu()

void FairClass::update_sg_wakeup_stats(SchedDomain* sd, SchedGroup* group, SgStats& sgs, const Task& p) {
  sgs = SgStats{};
  if (sd->flags & fair::SD_ASYM_CPUCAPACITY) sgs.group_misfit_task_load = 1;  // until a CPU fits
  for (int i : group->span) {
    const Rq& rq = k_.rq(i);
    sgs.group_load += cpu_load_without(i, p);
    sgs.group_util += cpu_util_without(i, p);
    sgs.group_runnable += cpu_runnable_without(i, p);
    // task_running_on_cpu(): p still counted on its own CPU.
    const unsigned local = (i == p.cpu && p.fair.avg.last_update_time && p.on_rq) ? 1 : 0;
    sgs.sum_h_nr_running += lb_nr_runnable(i) - local;
    const unsigned nr_running = static_cast<unsigned>(rq.nr_running) - local;
    sgs.sum_nr_running += nr_running;
    // idle_cpu_without()
    if (!nr_running && (rq.curr->is_idle_task() || rq.curr == &p) && !rq.ttwu_pending) ++sgs.idle_cpus;
    if ((sd->flags & fair::SD_ASYM_CPUCAPACITY) && sgs.group_misfit_task_load && task_fits_cpu(p, i))
      sgs.group_misfit_task_load = 0;
  }
  sgs.group_capacity = group->sgc->capacity;
  sgs.group_weight = static_cast<unsigned>(group->weight);
  // group_classify()
  const unsigned pct = sd->imbalance_pct;
  auto has_capacity = [&] {
    if (sgs.sum_nr_running < sgs.group_weight) return true;
    if (sgs.group_capacity * pct < sgs.group_runnable * 100) return false;
    return sgs.group_capacity * 100 > sgs.group_util * pct;
  };
  auto overloaded = [&] {
    if (sgs.sum_nr_running <= sgs.group_weight) return false;
    return sgs.group_capacity * 100 < sgs.group_util * pct || sgs.group_capacity * pct < sgs.group_runnable * 100;
  };
  if (overloaded()) sgs.group_type = group_overloaded;
  else if (group->sgc->imbalance) sgs.group_type = group_imbalanced;
  else if (sgs.group_misfit_task_load) sgs.group_type = group_misfit_task;
  else if (!has_capacity()) sgs.group_type = group_fully_busy;
  else sgs.group_type = group_has_spare;
  if (sgs.group_type == group_fully_busy || sgs.group_type == group_overloaded)
    sgs.avg_load = sgs.group_load * kCapacityScale / sgs.group_capacity;
}

SchedGroup* FairClass::find_idlest_group(SchedDomain* sd, Task& p, int this_cpu) {
  SchedGroup *idlest = nullptr, *local = nullptr;
  SgStats local_sgs, tmp_sgs, idlest_sgs;
  idlest_sgs.avg_load = UINT_MAX;
  idlest_sgs.group_type = group_overloaded;
  for (SchedGroup* group : sd->groups) {
    if (!group->span.intersects(p.cpus_allowed)) continue;
    const bool local_group = group->span.test(this_cpu);
    SgStats& sgs = local_group ? local_sgs : tmp_sgs;
    if (local_group) local = group;
    update_sg_wakeup_stats(sd, group, sgs, p);
    if (local_group) continue;
    // update_pick_idlest()
    bool better = false;
    if (sgs.group_type != idlest_sgs.group_type) {
      better = sgs.group_type < idlest_sgs.group_type;
    } else {
      switch (sgs.group_type) {
        case group_overloaded:
        case group_fully_busy: better = idlest_sgs.avg_load > sgs.avg_load; break;
        case group_misfit_task: better = idlest->sgc->max_capacity < group->sgc->max_capacity; break;
        case group_has_spare:
          better = idlest_sgs.idle_cpus < sgs.idle_cpus ||
                   (idlest_sgs.idle_cpus == sgs.idle_cpus && idlest_sgs.group_util > sgs.group_util);
          break;
        default: break;  // imbalanced/asym/smt_balance are not used on the wakeup path
      }
    }
    if (better) idlest = group, idlest_sgs = sgs;
  }
  if (!idlest) return nullptr;
  if (!local) return idlest;  // the local group is outside p's affinity
  if (local_sgs.group_type < idlest_sgs.group_type) return nullptr;
  if (local_sgs.group_type > idlest_sgs.group_type) return idlest;
  switch (local_sgs.group_type) {
    case group_overloaded:
    case group_fully_busy: {
      const uint64_t imbalance = uint64_t{kCapacityScale} * (sd->imbalance_pct - 100) / 100;
      // Across NUMA nodes, count the imbalance against the remote side and prefer staying.
      if ((sd->flags & fair::SD_NUMA) && idlest_sgs.avg_load + imbalance >= local_sgs.avg_load) return nullptr;
      if (idlest_sgs.avg_load >= local_sgs.avg_load + imbalance) return nullptr;
      if (100 * local_sgs.avg_load <= sd->imbalance_pct * idlest_sgs.avg_load) return nullptr;
      break;
    }
    case group_misfit_task:
      if (local->sgc->max_capacity >= idlest->sgc->max_capacity) return nullptr;
      break;
    case group_has_spare:
      if (sd->flags & fair::SD_NUMA) {
        // Keep the task near its waker while the node stays under the allowed imbalance.
        const int imb_numa_nr = std::min(static_cast<int>(sd->imb_numa_nr),
                                         (local->span & p.cpus_allowed).weight());
        const long imbalance = std::labs(static_cast<long>(local_sgs.idle_cpus) - static_cast<long>(idlest_sgs.idle_cpus));
        if (!adjust_numa_imbalance(imbalance, static_cast<int>(local_sgs.sum_nr_running) + 1, imb_numa_nr)) return nullptr;
      }
      if (local_sgs.idle_cpus >= idlest_sgs.idle_cpus) return nullptr;
      break;
    default: return nullptr;
  }
  return idlest;
}

int FairClass::find_idlest_group_cpu(SchedGroup* group, const Task& p, int this_cpu) const {
  if (group->weight == 1) return group->span.first();
  // All idle CPUs are taken to be in the same idle state: the most recently idled one has the
  // warmest cache. Without an idle CPU, the least loaded one.
  uint64_t min_load = ~uint64_t{0};
  Ns latest_idle_timestamp = 0;
  int least_loaded_cpu = this_cpu, shallowest_idle_cpu = -1;
  for (int i : group->span & p.cpus_allowed) {
    if (sched_idle_cpu(i)) return i;
    if (available_idle_cpu(i)) {
      const Ns stamp = k_.rq(i).idle_stamp;
      if (shallowest_idle_cpu == -1 || stamp > latest_idle_timestamp) {
        latest_idle_timestamp = stamp;
        shallowest_idle_cpu = i;
      }
    } else if (shallowest_idle_cpu == -1) {
      const uint64_t load = cpu_load(i);
      if (load < min_load) min_load = load, least_loaded_cpu = i;
    }
  }
  return shallowest_idle_cpu != -1 ? shallowest_idle_cpu : least_loaded_cpu;
}

int FairClass::find_idlest_cpu(SchedDomain* sd, Task& p, int cpu, int prev_cpu, int sd_flag) {
  int new_cpu = cpu;
  if (!sd->span.intersects(p.cpus_allowed)) return prev_cpu;
  // cpu_util_without() needs p's util up to date (a new task has nothing to sync).
  if (!(sd_flag & fair::SD_BALANCE_FORK)) sync_entity_load_avg(p);
  while (sd) {
    if (!(sd->flags & static_cast<uint32_t>(sd_flag))) {
      sd = sd->child;
      continue;
    }
    SchedGroup* group = find_idlest_group(sd, p, cpu);
    if (!group) {
      sd = sd->child;
      continue;
    }
    new_cpu = find_idlest_group_cpu(group, p, cpu);
    if (new_cpu == cpu) {
      sd = sd->child;  // try a lower level of this CPU
      continue;
    }
    // Continue at the lower levels of new_cpu.
    cpu = new_cpu;
    const int weight = sd->span_weight;
    sd = nullptr;
    for (SchedDomain* tmp = domains_->sd(cpu); tmp; tmp = tmp->parent) {
      if (weight <= tmp->span_weight) break;
      if (tmp->flags & static_cast<uint32_t>(sd_flag)) sd = tmp;
    }
  }
  return new_cpu;
}

}  // namespace scx
