// scx_mitosis's CPU split (cpu_split.h). Each function models the cell_manager.rs function of
// the same role (scx 7a58a3a1a); ties break as there: Rust's stable sorts, `max_by_key` taking
// the last of equal maxima, `min_by` the first of equal minima.
#include "bpf/host/mitosis/cpu_split.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

#include <fmt/format.h>

namespace scx::bpf::mitosis {

namespace {

using Weights = std::vector<std::pair<uint32_t, double>>;
constexpr const char* kWhere = "scx_mitosis cell manager";

double total_weight(const Weights& w) {
  double sum = 0;
  for (const auto& [id, weight] : w) sum += weight;
  return sum;
}

// Equal division when no weight is positive: the first `n % k` get one more.
std::vector<std::pair<uint32_t, int>> equal_division(int n, const Weights& w) {
  std::vector<std::pair<uint32_t, int>> out;
  const int k = static_cast<int>(w.size());
  for (int i = 0; i < k; ++i) out.emplace_back(w[static_cast<size_t>(i)].first, n / k + (i < n % k ? 1 : 0));
  return out;
}

// One recipient's share while rounding: its id, the fraction the floor dropped, its count, and
// whether its weight is positive.
struct Share {
  uint32_t id;
  double fraction;
  int count;
  bool positive;
};

// Largest remainders first (stable: equal fractions keep their order) get the CPUs left over.
void round_up_largest(std::vector<Share>* shares, int remainder) {
  std::stable_sort(shares->begin(), shares->end(), [](const Share& a, const Share& b) { return a.fraction > b.fraction; });
  for (Share& s : *shares) {
    if (remainder == 0) break;
    ++s.count;
    --remainder;
  }
}

// The anti-starvation floor of distribute_cpus_proportional: a positive-weight recipient with
// no CPU takes one from the largest share above one (the last such, as Rust's max_by_key).
void feed_starved(std::vector<Share>* shares) {
  for (;;) {
    auto starved = std::find_if(shares->begin(), shares->end(), [](const Share& s) { return s.positive && s.count == 0; });
    if (starved == shares->end()) return;
    Share* donor = nullptr;
    for (Share& s : *shares)
      if (s.count > 1 && (!donor || s.count >= donor->count)) donor = &s;
    if (!donor) return;
    --donor->count;
    ++starved->count;
  }
}

// Which cells' cpusets claim each CPU (claimants sorted).
std::map<int, std::vector<uint32_t>> build_contention(const std::vector<CellSpec>& cells) {
  std::map<int, std::vector<uint32_t>> contention;
  for (const CellSpec& c : cells)
    if (c.cpuset)
      for (int cpu : *c.cpuset) contention[cpu].push_back(c.cell_id);
  for (auto& [cpu, claimants] : contention) std::sort(claimants.begin(), claimants.end());
  return contention;
}

struct Holdout {
  CpuMask mask;
  bool enforced = false;
};

// The holdout's choice among a donor's claimed CPUs: exclusive before contested, then the LLC
// split across the most cells, then the lowest CPU.
struct HoldoutPicker {
  const std::map<int, std::vector<uint32_t>>& contention;
  const std::vector<int>& cpu_to_llc;
  std::map<int, std::set<uint32_t>> llc_cells;  // LLC → the cells claiming a CPU in it

  int partition(int cpu) const {
    if (cpu < 0 || cpu >= static_cast<int>(cpu_to_llc.size())) return 0;
    auto it = llc_cells.find(cpu_to_llc[static_cast<size_t>(cpu)]);
    return it == llc_cells.end() ? 0 : static_cast<int>(it->second.size());
  }
  bool contested(int cpu) const { return contention.at(cpu).size() > 1; }
  bool before(int a, int b) const {
    return std::make_tuple(contested(a), -partition(a), a) < std::make_tuple(contested(b), -partition(b), b);
  }
};

// compute_cell0_holdout(): up to `min_cpus` CPUs for cell 0, unclaimed ones first, then one at a
// time from the claiming cells in turn (fewest yielded first, then the cell with the most
// exclusive CPUs left, then the lowest id), never a cell's last exclusive CPU.
Holdout cell0_holdout(const CpuMask& all, const std::map<int, std::vector<uint32_t>>& contention, int min_cpus,
                      const std::vector<int>& cpu_to_llc) {
  Holdout h;
  if (min_cpus <= 0) return h;
  int taken = 0;
  for (int cpu : all) {
    if (taken == min_cpus) break;
    if (contention.count(cpu)) continue;
    h.mask.set(cpu);
    ++taken;
  }
  HoldoutPicker pick{contention, cpu_to_llc, {}};
  std::map<uint32_t, std::vector<int>> claimed;
  for (const auto& [cpu, claimants] : contention)
    for (uint32_t id : claimants) {
      claimed[id].push_back(cpu);
      if (cpu < static_cast<int>(cpu_to_llc.size())) pick.llc_cells[cpu_to_llc[static_cast<size_t>(cpu)]].insert(id);
    }
  std::map<uint32_t, int> yielded;
  while (taken < min_cpus) {
    std::map<uint32_t, int> remaining;  // unreserved exclusive CPUs per cell
    for (const auto& [id, cpus] : claimed)
      remaining[id] = static_cast<int>(std::count_if(cpus.begin(), cpus.end(), [&](int c) {
        return !h.mask.test(c) && contention.at(c).size() == 1;
      }));
    auto reservable = [&](int cpu) {
      if (h.mask.test(cpu)) return false;
      for (uint32_t id : contention.at(cpu))
        if (remaining[id] < 2) return false;
      return true;
    };
    std::optional<uint32_t> donor;
    for (const auto& [id, cpus] : claimed) {
      if (std::none_of(cpus.begin(), cpus.end(), reservable)) continue;
      if (!donor || std::make_tuple(yielded[id], -remaining[id], id) < std::make_tuple(yielded[*donor], -remaining[*donor], *donor))
        donor = id;
    }
    if (!donor) break;  // no CPU can be reserved without starving a child cell
    int best = -1;
    for (int cpu : claimed[*donor])
      if (reservable(cpu) && (best < 0 || pick.before(cpu, best))) best = cpu;
    h.mask.set(best);
    h.enforced = true;
    ++yielded[*donor];
    ++taken;
  }
  return h;
}

struct Buckets {
  std::map<uint32_t, CpuMask> cell_cpus;
  std::map<std::vector<uint32_t>, std::vector<int>> contested;  // claimants → CPUs, sorted
  std::vector<int> unclaimed;
};

// classify_cpus(): the holdout is cell 0's, a CPU one cpuset claims is that cell's.
Buckets classify(const CpuMask& all, const std::map<int, std::vector<uint32_t>>& contention, const CpuMask& holdout) {
  Buckets b;
  if (!holdout.empty()) b.cell_cpus[0] = holdout;
  for (int cpu : all) {
    if (holdout.test(cpu)) continue;
    auto it = contention.find(cpu);
    if (it == contention.end()) {
      b.unclaimed.push_back(cpu);
    } else if (it->second.size() == 1) {
      b.cell_cpus[it->second[0]].set(cpu);
    } else {
      b.contested[it->second].push_back(cpu);
    }
  }
  return b;
}

int assigned(const std::map<uint32_t, CpuMask>& cell_cpus, uint32_t id) {
  auto it = cell_cpus.find(id);
  return it == cell_cpus.end() ? 0 : it->second.weight();
}

// Recipients weighted by deficit; all zero → equal weights.
Weights by_deficit(const std::vector<uint32_t>& ids, const std::map<uint32_t, int>& deficit) {
  Weights w;
  bool any = false;
  for (uint32_t id : ids) {
    const int d = deficit.count(id) ? deficit.at(id) : 0;
    any = any || d > 0;
    w.emplace_back(id, static_cast<double>(d));
  }
  if (!any)
    for (auto& [id, weight] : w) weight = 1.0;
  return w;
}

Status give(const std::vector<int>& cpus, const Weights& recipients, std::map<uint32_t, CpuMask>* cell_cpus) {
  SCX_ASSIGN_OR_RETURN(auto shares, distribute_proportional(cpus, recipients));
  for (const auto& [id, list] : shares)
    for (int cpu : list) (*cell_cpus)[id].set(cpu);
  return Status();
}

// validate_cpu_assignments(): what the real user space refuses to apply.
Status validate(const SplitInput& in, const std::vector<CellCpus>& out) {
  CpuMask owned;
  for (const CellSpec& c : in.cells) {
    auto it = std::find_if(out.begin(), out.end(), [&](const CellCpus& a) { return a.cell_id == c.cell_id; });
    if (it == out.end() || it->primary.empty())
      return Status::Errorf(kWhere, "Cell {} has no CPUs assigned (nr_cpus={}, num_cells={})", c.cell_id,
                            in.all_cpus.weight(), in.cells.size());
    if (c.cpuset && !it->primary.subset_of(*c.cpuset))
      return Status::Errorf(kWhere, "Cell {} primary CPUs {} are outside its cpuset {}", c.cell_id,
                            it->primary.to_list(), c.cpuset->to_list());
    owned |= it->primary;
  }
  const CpuMask unowned = in.all_cpus.and_not(owned);
  if (!unowned.empty()) return Status::Errorf(kWhere, "CPU {} is not assigned to any cell", unowned.first());
  return Status();
}

}  // namespace

Result<std::map<uint32_t, int>> cpu_targets(int total_cpus, const Weights& weights) {
  if (weights.empty()) return Status::Error(kWhere, "compute_targets called with no cells");
  const int n = static_cast<int>(weights.size());
  if (total_cpus < n)
    return Status::Errorf(kWhere, "Not enough CPUs ({}) for {} cells (need at least 1 each)", total_cpus, n);
  std::map<uint32_t, int> out;
  const double sum = total_weight(weights);
  if (sum <= 0) {
    for (const auto& [id, count] : equal_division(total_cpus, weights)) out[id] = count;
    return out;
  }
  const int distributable = total_cpus - n;
  int given = n;
  std::vector<Share> shares;
  for (const auto& [id, w] : weights) {
    const double frac = w / sum * static_cast<double>(distributable);
    const int floored = static_cast<int>(std::floor(frac));
    given += floored;
    shares.push_back({id, frac - std::floor(frac), 1 + floored, w > 0});
  }
  round_up_largest(&shares, total_cpus - given);
  for (const Share& s : shares) out[s.id] = s.count;
  return out;
}

Result<std::map<uint32_t, std::vector<int>>> distribute_proportional(const std::vector<int>& cpus, const Weights& recipients) {
  if (cpus.empty()) return Status::Error(kWhere, "distribute_cpus_proportional called with no CPUs");
  if (recipients.empty()) return Status::Error(kWhere, "distribute_cpus_proportional called with no recipients");
  const int n = static_cast<int>(cpus.size());
  const double sum = total_weight(recipients);
  std::vector<std::pair<uint32_t, int>> counts;
  if (sum <= 0) {
    counts = equal_division(n, recipients);
  } else {
    int given = 0;
    std::vector<Share> shares;
    for (const auto& [id, w] : recipients) {
      const double frac = w / sum * static_cast<double>(n);
      const int floored = static_cast<int>(std::floor(frac));
      given += floored;
      shares.push_back({id, frac - std::floor(frac), floored, w > 0});
    }
    round_up_largest(&shares, n - given);
    feed_starved(&shares);
    for (const Share& s : shares) counts.emplace_back(s.id, s.count);
  }
  // CPUs in order, lower cell ids first.
  std::stable_sort(counts.begin(), counts.end());
  std::map<uint32_t, std::vector<int>> out;
  size_t next = 0;
  for (const auto& [id, count] : counts) {
    if (count == 0) continue;
    out[id].assign(cpus.begin() + static_cast<long>(next), cpus.begin() + static_cast<long>(next + static_cast<size_t>(count)));
    next += static_cast<size_t>(count);
  }
  return out;
}

Result<SplitResult> split_cpus(const SplitInput& in) {
  std::vector<CellSpec> cells = in.cells;
  std::sort(cells.begin(), cells.end(), [](const CellSpec& a, const CellSpec& b) { return a.cell_id < b.cell_id; });
  Weights weights;
  for (const CellSpec& c : cells) {
    auto it = in.weights.find(c.cell_id);
    if (!in.weights.empty() && it == in.weights.end())
      return Status::Errorf(kWhere, "Cell {} is missing from demands map", c.cell_id);
    weights.emplace_back(c.cell_id, in.weights.empty() ? 1.0 : it->second);
  }
  const auto contention = build_contention(cells);
  const Holdout holdout = cell0_holdout(in.all_cpus, contention, in.cell0_min_cpus, in.cpu_to_llc);
  Buckets b = classify(in.all_cpus, contention, holdout.mask);
  SCX_ASSIGN_OR_RETURN(auto targets, cpu_targets(in.all_cpus.weight(), weights));
  std::map<uint32_t, int> deficit;  // frozen after the exclusive CPUs
  for (const auto& [id, target] : targets) deficit[id] = std::max(0, target - assigned(b.cell_cpus, id));
  for (const auto& [claimants, cpus] : b.contested) SCX_RETURN_IF_ERROR(give(cpus, by_deficit(claimants, deficit), &b.cell_cpus));
  if (!b.unclaimed.empty()) {
    std::vector<uint32_t> unpinned;
    std::map<uint32_t, int> now_short;
    for (const CellSpec& c : cells)
      if (!c.cpuset) {
        unpinned.push_back(c.cell_id);
        now_short[c.cell_id] = std::max(0, targets[c.cell_id] - assigned(b.cell_cpus, c.cell_id));
      }
    SCX_RETURN_IF_ERROR(give(b.unclaimed, by_deficit(unpinned, now_short), &b.cell_cpus));
  }
  SplitResult out;
  out.enforced_holdout = holdout.enforced;
  for (const auto& [id, primary] : b.cell_cpus) {
    CellCpus a{id, primary, std::nullopt};
    if (in.borrowable) {
      CpuMask borrow = in.all_cpus.and_not(primary);
      auto spec = std::find_if(cells.begin(), cells.end(), [&](const CellSpec& c) { return c.cell_id == id; });
      if (spec != cells.end() && spec->cpuset) borrow &= *spec->cpuset;
      a.borrowable = borrow;
    }
    out.cells.push_back(a);
  }
  SCX_RETURN_IF_ERROR(validate(in, out.cells));
  return out;
}

}  // namespace scx::bpf::mitosis
