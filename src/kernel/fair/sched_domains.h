// Scheduling domains and groups built from the topology, as Linux 6.12's
// kernel/sched/topology.c builds them for x86 (SMT, MC, PKG levels, then NODE and one NUMA
// level per distinct node distance): sd_init() parameters and flags, capacity asymmetry
// classification, degenerate-domain removal, groups per level, imb_numa_nr, and the per-CPU
// shortcuts of update_top_cache_domain() (sd_llc, sd_llc_size, sd_llc_id, sd_llc_shared,
// sd_numa, sd_asym_cpucapacity).
//
// Not modelled: CLS (cluster) level, ITMT/SD_ASYM_PACKING priorities, cpusets/isolcpus
// (one root domain spanning every CPU), relax_domain_level.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/cpumask.h"
#include "sim/time.h"
#include "topo/topology.h"

namespace scx::fair {

// SD_* flags, in the order of include/linux/sched/sd_flags.h (6.12). The first nibble is shared
// with WF_EXEC/WF_FORK/WF_TTWU (select_task_rq_fair() relies on it).
enum SdFlag : uint32_t {
  SD_BALANCE_NEWIDLE = 1u << 0,
  SD_BALANCE_EXEC = 1u << 1,
  SD_BALANCE_FORK = 1u << 2,
  SD_BALANCE_WAKE = 1u << 3,
  SD_WAKE_AFFINE = 1u << 4,
  SD_ASYM_CPUCAPACITY = 1u << 5,
  SD_ASYM_CPUCAPACITY_FULL = 1u << 6,
  SD_SHARE_CPUCAPACITY = 1u << 7,
  SD_CLUSTER = 1u << 8,
  SD_SHARE_LLC = 1u << 9,
  SD_SERIALIZE = 1u << 10,
  SD_ASYM_PACKING = 1u << 11,
  SD_PREFER_SIBLING = 1u << 12,
  SD_OVERLAP = 1u << 13,
  SD_NUMA = 1u << 14,
};
// Flags that only mean something with two or more groups (SDF_NEEDS_GROUPS).
inline constexpr uint32_t kSdDegenerateGroupsMask =
    SD_BALANCE_NEWIDLE | SD_BALANCE_EXEC | SD_BALANCE_FORK | SD_BALANCE_WAKE |
    SD_ASYM_CPUCAPACITY | SD_ASYM_CPUCAPACITY_FULL | SD_SHARE_CPUCAPACITY | SD_CLUSTER |
    SD_SHARE_LLC | SD_SERIALIZE | SD_ASYM_PACKING | SD_PREFER_SIBLING | SD_OVERLAP | SD_NUMA;
std::string sd_flags_string(uint32_t flags);  // "SD_BALANCE_NEWIDLE|SD_WAKE_AFFINE|..."

// node_reclaim_distance (RECLAIM_DISTANCE): NUMA levels farther than this lose
// SD_BALANCE_EXEC/FORK and SD_WAKE_AFFINE.
inline constexpr int kNodeReclaimDistance = 30;

// struct sched_domain_shared: one per LLC.
struct SchedDomainShared {
  int nr_busy_cpus = 0;
  bool has_idle_cores = false;
  int nr_idle_scan = 0;
};

// struct sched_group_capacity: shared by every CPU's copy of the same group.
struct SchedGroupCapacity {
  uint64_t capacity = 0;
  uint64_t min_capacity = 0;
  uint64_t max_capacity = 0;
  bool imbalance = false;  // a child balance failed because of affinity (sg_imbalanced())
};

// struct sched_group.
struct SchedGroup {
  CpuMask span;
  CpuMask balance_mask;  // group_balance_mask(): CPUs allowed to balance for this group
  int weight = 0;        // group_weight
  int cores = 0;         // SMT cores in the group
  uint32_t flags = 0;    // the child domain's flags
  SchedGroupCapacity* sgc = nullptr;
  int balance_cpu() const { return balance_mask.first(); }  // group_balance_cpu()
};

// struct sched_domain (one per CPU per level; groups are shared).
struct SchedDomain {
  std::string name;  // SMT, MC, PKG, NODE, NUMA
  int level = 0;
  CpuMask span;
  // span in CPU order (cheap scans on large masks); shared by every domain with this span, so a
  // wide level costs its CPU list once, not once per CPU.
  std::shared_ptr<const std::vector<int>> span_cpus;
  int span_weight = 0;
  uint32_t flags = 0;
  unsigned min_interval = 0;  // ms
  unsigned max_interval = 0;  // ms
  unsigned busy_factor = 16;
  unsigned imbalance_pct = 117;
  unsigned cache_nice_tries = 0;
  unsigned imb_numa_nr = 0;
  SchedDomain* parent = nullptr;
  SchedDomain* child = nullptr;
  // Groups starting with the one holding this CPU (the kernel's circular list from sd->groups).
  std::vector<SchedGroup*> groups;
  SchedDomainShared* shared = nullptr;  // LLC levels only

  // Balancing state (per CPU).
  unsigned balance_interval = 0;  // ms
  unsigned nr_balance_failed = 0;
  int64_t last_balance = 0;       // jiffies
  Ns max_newidle_lb_cost = 0;
  int64_t last_decay_max_lb_cost = 0;  // jiffies
  bool nohz_idle = false;              // LLC level: this CPU counted out of nr_busy_cpus
};

class SchedDomains {
 public:
  // build_sched_domains() over every CPU of the machine.
  explicit SchedDomains(const Topology& topo);
  SchedDomains(const SchedDomains&) = delete;
  SchedDomains& operator=(const SchedDomains&) = delete;

  int nr_cpus() const { return static_cast<int>(base_.size()); }
  SchedDomain* sd(int cpu) const { return base_[cpu]; }  // rq->sd: lowest domain, may be null
  SchedDomain* sd_llc(int cpu) const { return llc_[cpu].sd; }
  int sd_llc_size(int cpu) const { return llc_[cpu].size; }
  int sd_llc_id(int cpu) const { return llc_[cpu].id; }
  SchedDomainShared* sd_llc_shared(int cpu) const { return llc_[cpu].shared; }
  SchedDomain* sd_numa(int cpu) const { return numa_[cpu]; }
  SchedDomain* sd_asym_cpucapacity(int cpu) const { return asym_[cpu]; }
  bool cpus_share_cache(int a, int b) const { return a == b || llc_[a].id == llc_[b].id; }
  bool asym_cpucap_active() const { return asym_active_; }  // sched_asym_cpucap_active()
  bool smt_active() const { return smt_active_; }           // sched_smt_active()
  // Distinct CPU capacities, highest first (asym_cap_list); empty on symmetric machines.
  const std::vector<uint32_t>& capacity_levels() const { return cap_levels_; }

  // One line per level of `cpu`: "MC span=0-31 groups=[0,16][1,17]... flags=...".
  std::string describe(int cpu) const;

 private:
  struct LlcInfo {
    SchedDomain* sd = nullptr;
    int size = 1;
    int id = 0;
    SchedDomainShared* shared = nullptr;
  };
  std::vector<std::unique_ptr<SchedDomain>> domains_;
  std::vector<std::unique_ptr<SchedGroup>> groups_;
  std::vector<std::unique_ptr<SchedGroupCapacity>> sgcs_;
  std::vector<std::unique_ptr<SchedDomainShared>> shared_;
  std::vector<SchedDomain*> base_, numa_, asym_;
  std::vector<LlcInfo> llc_;
  std::vector<uint32_t> cap_levels_;
  bool asym_active_ = false;
  bool smt_active_ = false;
};

}  // namespace scx::fair
