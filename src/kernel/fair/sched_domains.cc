#include "kernel/fair/sched_domains.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

namespace scx::fair {
namespace {

// struct sched_domain_topology_level, for the x86 table plus the NUMA levels sched_init_numa()
// appends.
struct TopologyLevel {
  const char* name;
  uint32_t sd_flags;   // tl->sd_flags(): the topology-describing flags
  bool overlap;        // SDTL_OVERLAP
  int numa_distance;   // sched_domains_numa_distance[numa_level] (NODE/NUMA levels)
  // tl->mask(cpu)
  std::vector<CpuMask> mask;
};

// for_each_cpu_wrap(): span's CPUs starting at `start`.
std::vector<int> wrap_order(const CpuMask& span, int start) {
  std::vector<int> out;
  for (int c = span.next(start); c >= 0; c = span.next(c + 1)) out.push_back(c);
  for (int c = span.first(); c >= 0 && c < start; c = span.next(c + 1)) out.push_back(c);
  return out;
}

// The CPU list of `span`, made once per distinct span.
std::shared_ptr<const std::vector<int>> shared_span_cpus(
    std::map<std::string, std::shared_ptr<const std::vector<int>>>& lists, const CpuMask& span) {
  auto& list = lists[span.to_list()];
  if (!list) list = std::make_shared<const std::vector<int>>(span.begin(), span.end());
  return list;
}

}  // namespace

std::string sd_flags_string(uint32_t flags) {
  static const char* kNames[] = {
      "SD_BALANCE_NEWIDLE", "SD_BALANCE_EXEC", "SD_BALANCE_FORK", "SD_BALANCE_WAKE",
      "SD_WAKE_AFFINE", "SD_ASYM_CPUCAPACITY", "SD_ASYM_CPUCAPACITY_FULL",
      "SD_SHARE_CPUCAPACITY", "SD_CLUSTER", "SD_SHARE_LLC", "SD_SERIALIZE", "SD_ASYM_PACKING",
      "SD_PREFER_SIBLING", "SD_OVERLAP", "SD_NUMA"};
  std::string out;
  for (int i = 0; i < 15; ++i)
    if (flags & (1u << i)) out += (out.empty() ? "" : "|") + std::string(kNames[i]);
  return out;
}

SchedDomains::SchedDomains(const Topology& topo) {
  const int n = topo.nr_cpus();
  const CpuMask all = topo.all_cpus();
  smt_active_ = topo.has_smt();

  // asym_cpu_capacity_scan(): distinct capacities, highest first; one level = symmetric.
  std::set<uint32_t, std::greater<>> caps;
  for (int c = 0; c < n; ++c) caps.insert(topo.cpu(c).capacity);
  if (caps.size() > 1) cap_levels_.assign(caps.begin(), caps.end());
  auto asym_classify = [&](const CpuMask& span) -> uint32_t {
    if (cap_levels_.empty()) return 0;
    std::set<uint32_t> seen;
    for (int c : span) seen.insert(topo.cpu(c).capacity);
    if (seen.size() < 2) return 0;
    // Every capacity of the machine present in the span: full asymmetry (no CPU is offline here).
    return seen.size() == cap_levels_.size() ? SD_ASYM_CPUCAPACITY | SD_ASYM_CPUCAPACITY_FULL
                                             : SD_ASYM_CPUCAPACITY;
  };

  // The x86 topology table (SMT, MC, PKG), PKG skipped when a package holds several nodes
  // (x86_has_numa_in_package); then sched_init_numa(): NODE (distance 10) and one NUMA level per
  // larger distinct distance.
  std::vector<TopologyLevel> tls;
  auto per_cpu = [&](auto fn) {
    std::vector<CpuMask> m(n);
    for (int c = 0; c < n; ++c) m[c] = fn(c);
    return m;
  };
  tls.push_back({"SMT", SD_SHARE_CPUCAPACITY | SD_SHARE_LLC, false, 0,
                 per_cpu([&](int c) { return topo.smt_siblings(c); })});
  tls.push_back({"MC", SD_SHARE_LLC, false, 0,
                 per_cpu([&](int c) { return topo.llc_cpus(topo.cpu(c).llc); })});
  bool numa_in_package = false;
  for (int c = 0; c < n; ++c)
    numa_in_package |= topo.package_cpus(topo.cpu(c).package).weight() > topo.node_cpus(topo.cpu(c).node).weight();
  if (!numa_in_package)
    tls.push_back({"PKG", 0, false, 0, per_cpu([&](int c) { return topo.node_cpus(topo.cpu(c).node); })});
  std::set<int> distances;
  for (int a = 0; a < topo.nr_nodes(); ++a)
    for (int b = 0; b < topo.nr_nodes(); ++b) distances.insert(topo.node_distance(a, b));
  bool first_numa = true;
  for (int d : distances) {
    auto mask = per_cpu([&](int c) {
      CpuMask m;
      for (int node = 0; node < topo.nr_nodes(); ++node)
        if (topo.node_distance(topo.cpu(c).node, node) <= d) m |= topo.node_cpus(node);
      return m;
    });
    tls.push_back({first_numa ? "NODE" : "NUMA", first_numa ? 0u : uint32_t{SD_NUMA}, !first_numa, d,
                   std::move(mask)});
    first_numa = false;
  }

  // build_sched_domain() for every CPU, bottom-up, until a level spans the machine.
  std::vector<std::vector<SchedDomain*>> chain(n);  // [cpu][tl index]
  std::vector<std::vector<int>> chain_tl(n);
  std::map<std::string, std::shared_ptr<const std::vector<int>>> span_lists;  // by span.to_list()
  bool has_asym = false;
  for (int cpu = 0; cpu < n; ++cpu) {
    SchedDomain* child = nullptr;
    for (size_t t = 0; t < tls.size(); ++t) {
      const TopologyLevel& tl = tls[t];
      auto owned = std::make_unique<SchedDomain>();
      SchedDomain* sd = owned.get();
      domains_.push_back(std::move(owned));
      // sd_init()
      const int weight = tl.mask[cpu].weight();
      sd->name = tl.name;
      sd->min_interval = weight;
      sd->max_interval = 2 * weight;
      sd->busy_factor = 16;
      sd->imbalance_pct = 117;
      sd->cache_nice_tries = 0;
      sd->flags = SD_BALANCE_NEWIDLE | SD_BALANCE_EXEC | SD_BALANCE_FORK | SD_WAKE_AFFINE |
                  SD_PREFER_SIBLING | tl.sd_flags;
      sd->balance_interval = weight;
      sd->span = tl.mask[cpu];
      sd->flags |= asym_classify(sd->span);
      if ((sd->flags & SD_ASYM_CPUCAPACITY) && child) child->flags &= ~SD_PREFER_SIBLING;
      if (sd->flags & SD_SHARE_CPUCAPACITY) {
        sd->imbalance_pct = 110;
      } else if (sd->flags & SD_SHARE_LLC) {
        sd->imbalance_pct = 117;
        sd->cache_nice_tries = 1;
      } else if (sd->flags & SD_NUMA) {
        sd->cache_nice_tries = 2;
        sd->flags &= ~SD_PREFER_SIBLING;
        sd->flags |= SD_SERIALIZE;
        if (tl.numa_distance > kNodeReclaimDistance)
          sd->flags &= ~(SD_BALANCE_EXEC | SD_BALANCE_FORK | SD_WAKE_AFFINE);
      } else {
        sd->cache_nice_tries = 1;
      }
      // build_sched_domain(): a domain always spans its child.
      if (child) {
        sd->span |= child->span;
        sd->level = child->level + 1;
        child->parent = sd;
        sd->child = child;
      }
      sd->span_weight = sd->span.weight();
      sd->span_cpus = shared_span_cpus(span_lists, sd->span);
      if (tl.overlap) sd->flags |= SD_OVERLAP;
      has_asym |= (sd->flags & SD_ASYM_CPUCAPACITY) != 0;
      chain[cpu].push_back(sd);
      chain_tl[cpu].push_back(static_cast<int>(t));
      child = sd;
      if (sd->span == all) break;
    }
  }
  asym_active_ = has_asym;

  // sched_domain_shared: one per LLC-level domain instance, keyed by its first CPU (sd_id).
  std::map<std::pair<int, int>, SchedDomainShared*> shared_by_id;
  for (int cpu = 0; cpu < n; ++cpu) {
    for (size_t i = 0; i < chain[cpu].size(); ++i) {
      SchedDomain* sd = chain[cpu][i];
      if (!(sd->flags & SD_SHARE_LLC)) continue;
      auto key = std::make_pair(chain_tl[cpu][i], sd->span.first());
      auto it = shared_by_id.find(key);
      if (it == shared_by_id.end()) {
        shared_.push_back(std::make_unique<SchedDomainShared>());
        shared_.back()->nr_busy_cpus = sd->span_weight;
        it = shared_by_id.emplace(key, shared_.back().get()).first;
      }
      sd->shared = it->second;
    }
  }

  // Groups: build_sched_groups() (one group per child-domain span, the first one holding the
  // CPU) and build_overlap_sched_groups() for NUMA levels (one group per sibling's child span).
  // Identical groups are shared between CPUs, as get_group() shares them.
  std::map<std::pair<int, std::string>, SchedGroup*> group_by_key;
  auto domain_at = [&](int cpu, int t) -> SchedDomain* {
    for (size_t i = 0; i < chain[cpu].size(); ++i)
      if (chain_tl[cpu][i] == t) return chain[cpu][i];
    return nullptr;
  };
  for (int cpu = 0; cpu < n; ++cpu) {
    for (size_t i = 0; i < chain[cpu].size(); ++i) {
      SchedDomain* sd = chain[cpu][i];
      const int t = chain_tl[cpu][i];
      CpuMask covered;
      for (int c : wrap_order(sd->span, cpu)) {
        if (covered.test(c)) continue;
        SchedDomain* sibling = domain_at(c, t);
        if (!sibling || !sibling->span.test(c)) continue;
        CpuMask gspan = sibling->child ? sibling->child->span : CpuMask::single(c);
        uint32_t gflags = sibling->child ? sibling->child->flags : 0;
        auto key = std::make_pair(t, gspan.to_list());
        auto it = group_by_key.find(key);
        if (it == group_by_key.end()) {
          auto g = std::make_unique<SchedGroup>();
          g->span = gspan;
          g->flags = gflags;
          g->weight = gspan.weight();
          // group_balance_mask: CPUs whose own sibling domain yields this same group.
          for (int b : gspan) {
            SchedDomain* bs = domain_at(b, t);
            CpuMask bspan = bs && bs->child ? bs->child->span : CpuMask::single(b);
            if (bspan == gspan) g->balance_mask.set(b);
          }
          if (g->balance_mask.empty()) g->balance_mask = gspan;
          CpuMask rest = gspan;
          for (int b = rest.first(); b >= 0; b = rest.first()) {
            ++g->cores;
            rest = rest.and_not(topo.smt_siblings(b));
          }
          auto sgc = std::make_unique<SchedGroupCapacity>();
          sgc->min_capacity = ~uint64_t{0};
          for (int b : gspan) {
            sgc->capacity += topo.cpu(b).capacity;
            sgc->min_capacity = std::min<uint64_t>(sgc->min_capacity, topo.cpu(b).capacity);
            sgc->max_capacity = std::max<uint64_t>(sgc->max_capacity, topo.cpu(b).capacity);
          }
          g->sgc = sgc.get();
          sgcs_.push_back(std::move(sgc));
          groups_.push_back(std::move(g));
          it = group_by_key.emplace(key, groups_.back().get()).first;
        }
        covered |= it->second->span;
        sd->groups.push_back(it->second);
      }
    }
  }

  // imb_numa_nr: the NUMA imbalance allowed before LLCs get imbalanced (build_sched_domains()).
  for (int cpu = 0; cpu < n; ++cpu) {
    unsigned imb = 0, imb_span = 1;
    for (SchedDomain* sd = chain[cpu].front(); sd; sd = sd->parent) {
      SchedDomain* child = sd->child;
      if (!(sd->flags & SD_SHARE_LLC) && child && (child->flags & SD_SHARE_LLC)) {
        unsigned nr_llcs = sd->span_weight / child->span_weight;
        imb = nr_llcs == 1 ? static_cast<unsigned>(sd->span_weight) >> 3 : nr_llcs;
        imb = std::max(1u, imb);
        sd->imb_numa_nr = imb;
        SchedDomain* top = sd->parent;
        while (top && !(top->flags & SD_NUMA)) top = top->parent;
        imb_span = top ? top->span_weight : sd->span_weight;
      } else {
        unsigned factor = std::max(1u, static_cast<unsigned>(sd->span_weight) / imb_span);
        sd->imb_numa_nr = imb * factor;
      }
    }
  }

  // cpu_attach_domain(): drop domains that add nothing.
  auto degenerate = [](const SchedDomain* sd) {
    if (sd->span_weight == 1) return true;
    if ((sd->flags & kSdDegenerateGroupsMask) && sd->groups.size() > 1) return false;
    if (sd->flags & SD_WAKE_AFFINE) return false;
    return true;
  };
  auto parent_degenerate = [&](const SchedDomain* sd, const SchedDomain* parent) {
    if (degenerate(parent)) return true;
    if (!(sd->span == parent->span)) return false;
    uint32_t pflags = parent->flags;
    if (parent->groups.size() == 1) pflags &= ~kSdDegenerateGroupsMask;
    return (~sd->flags & pflags) == 0;
  };
  base_.assign(n, nullptr);
  for (int cpu = 0; cpu < n; ++cpu) {
    SchedDomain* sd = chain[cpu].front();
    for (SchedDomain* tmp = sd; tmp;) {
      SchedDomain* parent = tmp->parent;
      if (!parent) break;
      if (parent_degenerate(tmp, parent)) {
        tmp->parent = parent->parent;
        if (parent->parent) {
          parent->parent->child = tmp;
          parent->parent->groups.front()->flags = tmp->flags;
        }
        // The spans match, so the preference transfers down.
        if (parent->flags & SD_PREFER_SIBLING) tmp->flags |= SD_PREFER_SIBLING;
      } else {
        tmp = parent;
      }
    }
    if (sd && degenerate(sd)) {
      sd = sd->parent;
      if (sd) {
        sd->groups.front()->flags = 0;  // the kernel clears only the first group's copy
        sd->child = nullptr;
      }
    }
    base_[cpu] = sd;
    int level = 0;
    for (SchedDomain* d = sd; d; d = d->parent) d->level = level++;
  }

  // update_top_cache_domain().
  llc_.assign(n, {});
  numa_.assign(n, nullptr);
  asym_.assign(n, nullptr);
  for (int cpu = 0; cpu < n; ++cpu) {
    LlcInfo& info = llc_[cpu];
    info.id = cpu;
    // highest_flag_domain(SD_SHARE_LLC): climb while the flag holds.
    for (SchedDomain* d = base_[cpu]; d && (d->flags & SD_SHARE_LLC); d = d->parent) info.sd = d;
    if (info.sd) {
      info.id = info.sd->span.first();
      info.size = info.sd->span_weight;
      info.shared = info.sd->shared;
    }
    for (SchedDomain* d = base_[cpu]; d; d = d->parent)
      if ((d->flags & SD_NUMA) && !numa_[cpu]) numa_[cpu] = d;
    for (SchedDomain* d = base_[cpu]; d; d = d->parent)
      if ((d->flags & SD_ASYM_CPUCAPACITY_FULL) && !asym_[cpu]) asym_[cpu] = d;
  }
}

std::string SchedDomains::describe(int cpu) const {
  std::string out;
  for (SchedDomain* sd = base_[cpu]; sd; sd = sd->parent) {
    std::string groups;
    for (const SchedGroup* g : sd->groups) groups += "[" + g->span.to_list() + "]";
    out += fmt::format("{} span={} groups={} flags={} imb_pct={} cnt={} interval={}..{}\n", sd->name,
                       sd->span.to_list(), groups, sd_flags_string(sd->flags), sd->imbalance_pct,
                       sd->cache_nice_tries, sd->min_interval, sd->max_interval);
  }
  return out;
}

}  // namespace scx::fair
