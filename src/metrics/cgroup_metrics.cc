#include "metrics/cgroup_metrics.h"

#include <algorithm>
#include <charconv>

#include "base/cpulist.h"
#include "kernel/fair/weights.h"

namespace scx {
namespace {

constexpr uint64_t kRootId = 1;

// The weight a cgroup's entity competes with among its siblings, in load units: tg->shares
// (weight * 1024 / 100, sched_weight_from_cgroup()), or WEIGHT_IDLEPRIO for a cpu.idle group
// (sched_group_set_idle()).
long double competing_weight(const CgroupMetrics& g) {
  if (g.idle) return fair::kWeightIdlePrio;
  return static_cast<long double>((static_cast<uint64_t>(g.weight) * fair::kNice0Load + 50) / 100);
}

bool parse_long(std::string_view s, long* out) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

CgroupTracker::CgroupTracker(const CpuMask& all_cpus) : all_cpus_(all_cpus) {
  CgroupMetrics root;
  root.id = kRootId;
  root.path = "/";
  root.effective_cpus = all_cpus;
  groups_.push_back(std::move(root));
  index_[kRootId] = 0;
  parent_index_.push_back(-1);
  fraction_.push_back(0);
}

CgroupMetrics* CgroupTracker::group(uint64_t id) {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &groups_[it->second];
}

const CgroupMetrics* CgroupTracker::find(uint64_t id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &groups_[it->second];
}

uint64_t CgroupTracker::cgroup_of(int pid) const {
  return pid > 0 && static_cast<size_t>(pid) < task_cgroup_.size() && task_cgroup_[pid] ? task_cgroup_[pid]
                                                                                          : kRootId;
}

template <typename F>
void CgroupTracker::for_lineage(int pid, F&& f) {
  for (CgroupMetrics* g = group(cgroup_of(pid)); g; g = g->parent_id ? group(g->parent_id) : nullptr) f(*g);
}

void CgroupTracker::note_pid(CgroupMetrics& g, int pid) {
  if (std::find(g.pids.begin(), g.pids.end(), pid) == g.pids.end()) g.pids.push_back(pid);
}

void CgroupTracker::created(Ns now, uint64_t id, uint64_t parent_id, std::string_view path) {
  advance(now);
  CgroupMetrics g;
  g.id = id;
  g.parent_id = parent_id;
  g.path = std::string(path);
  g.created = now;
  auto parent = index_.find(parent_id);
  if (parent != index_.end()) {
    g.level = groups_[parent->second].level + 1;
    g.effective_cpus = groups_[parent->second].effective_cpus;
  } else {
    g.effective_cpus = all_cpus_;
  }
  index_[id] = groups_.size();
  parent_index_.push_back(parent != index_.end() ? static_cast<int>(parent->second) : -1);
  groups_.push_back(std::move(g));
  fraction_.push_back(0);
}

void CgroupTracker::removed(Ns now, uint64_t id) {
  if (CgroupMetrics* g = group(id)) g->removed = now;
}

// The file values are the kernel's formats, already checked by the kernel that wrote them.
void CgroupTracker::written(Ns now, uint64_t id, std::string_view file, std::string_view value) {
  CgroupMetrics* g = group(id);
  if (!g) return;
  advance(now);
  long v = 0;
  if (file == "cpu.weight" && parse_long(value, &v)) {
    g->weight = static_cast<uint32_t>(v);
  } else if (file == "cpu.weight.nice" && parse_long(value, &v)) {
    g->weight = fair::scx_weight_from_nice(static_cast<int>(v));  // cgroup_weight_from_nice()
  } else if (file == "cpu.idle" && parse_long(value, &v)) {
    g->idle = v != 0;
  } else if (file == "cpuset.cpus") {
    auto cpus = parse_cpulist(value);
    g->cpuset = cpus.ok() ? *cpus & all_cpus_ : CpuMask{};
    // The effective sets below change too (update_cpumasks_hier()), parents before children.
    for (CgroupMetrics& c : groups_) {
      const CgroupMetrics* p = c.parent_id ? find(c.parent_id) : nullptr;
      const CpuMask& parent = p ? p->effective_cpus : all_cpus_;
      CpuMask eff = c.cpuset.empty() ? parent : (c.cpuset & parent);
      c.effective_cpus = eff.empty() ? parent : eff;
    }
  }
  recompute();
}

void CgroupTracker::attached(Ns now, int pid, uint64_t id) {
  if (pid <= 0 || !group(id)) return;
  advance(now);
  if (static_cast<size_t>(pid) >= task_cgroup_.size()) {
    task_cgroup_.resize(pid + 1, 0);
    task_runnable_.resize(pid + 1, false);
  }
  const bool runnable = task_runnable_[pid];
  if (runnable) --group(cgroup_of(pid))->runnable_here;
  task_cgroup_[pid] = id;
  if (runnable) ++group(id)->runnable_here;
  for_lineage(pid, [&](CgroupMetrics& g) { note_pid(g, pid); });
  recompute();
}

void CgroupTracker::throttled(Ns now, uint64_t id, int cpu) {
  if (CgroupMetrics* g = group(id)) {
    ++g->throttles;
    g->throttle_slices.push_back(ThrottleSlice{cpu, now, kNever});
  }
}

void CgroupTracker::unthrottled(Ns now, uint64_t id, int cpu, Ns throttled_ns) {
  CgroupMetrics* g = group(id);
  if (!g) return;
  g->throttled_time += throttled_ns;
  for (ThrottleSlice& s : g->throttle_slices)
    if (s.cpu == cpu && s.end == kNever) s.end = now;
}

void CgroupTracker::ran(int pid, Ns ns) {
  if (present()) for_lineage(pid, [&](CgroupMetrics& g) { g.cpu_time += ns; });
}

void CgroupTracker::woke_after(int pid, Ns latency) {
  if (present()) for_lineage(pid, [&](CgroupMetrics& g) { g.wakeup_latency.push_back(latency); });
}

void CgroupTracker::waited(int pid, Ns delay) {
  if (present()) for_lineage(pid, [&](CgroupMetrics& g) { g.run_delay.push_back(delay); });
}

void CgroupTracker::set_runnable(Ns now, int pid, bool runnable) {
  if (pid <= 0) return;
  if (static_cast<size_t>(pid) >= task_cgroup_.size()) {
    task_cgroup_.resize(pid + 1, 0);
    task_runnable_.resize(pid + 1, false);
  }
  if (task_runnable_[pid] == runnable) return;
  task_runnable_[pid] = runnable;
  const uint64_t id = cgroup_of(pid);
  CgroupMetrics* g = group(id);
  if (!g) return;
  if (id == kRootId) {
    g->runnable_here += runnable ? 1 : -1;
    return;  // root tasks do not compete with the groups in this definition (docs/reports.md)
  }
  advance(now);
  g->runnable_here += runnable ? 1 : -1;
  recompute();
}

void CgroupTracker::finish(Ns end) {
  advance(end);
  for (CgroupMetrics& g : groups_)
    for (ThrottleSlice& s : g.throttle_slices)
      if (s.end == kNever) {
        s.end = end;
        g.throttled_time += end - s.start;  // still throttled: the time up to the end
      }
}

void CgroupTracker::advance(Ns now) {
  if (now > integrated_to_) {
    const long double dt = static_cast<long double>(now - integrated_to_);
    for (size_t i = 0; i < groups_.size(); ++i) groups_[i].entitled_ns += fraction_[i] * dt;
  }
  integrated_to_ = std::max(integrated_to_, now);
}

// The entitled fractions (docs/reports.md): the machine (1) goes to the root, and each cgroup's
// fraction is shared among its children with runnable tasks in proportion to their weights,
// each capped at what it can use (min(runnable tasks below it, its CPUs) / CPUs of the machine);
// what a capped child cannot use goes to its siblings.
void CgroupTracker::recompute() {
  if (!present()) return;
  // Runnable tasks in each subtree: children come after their parents in groups_, so a
  // backwards pass adds each group into its parent.
  std::vector<int> below(groups_.size(), 0);
  for (size_t i = groups_.size(); i-- > 0;) {
    if (groups_[i].removed != kNever) continue;
    if (i > 0) below[i] += std::max(groups_[i].runnable_here, 0);  // the root's own tasks do not count
    if (parent_index_[i] >= 0) below[parent_index_[i]] += below[i];
  }
  std::fill(fraction_.begin(), fraction_.end(), 0.0L);
  const long double cpus = static_cast<long double>(all_cpus_.weight());
  fraction_[0] = std::min<long double>(1.0L, static_cast<long double>(below[0]) / cpus);
  distribute(0, fraction_[0], below);
}

void CgroupTracker::distribute(size_t parent, long double amount, const std::vector<int>& below) {
  const long double cpus = static_cast<long double>(all_cpus_.weight());
  std::vector<size_t> open;  // active children not yet capped
  for (size_t i = parent + 1; i < groups_.size(); ++i)
    if (parent_index_[i] == static_cast<int>(parent) && groups_[i].removed == kNever && below[i] > 0)
      open.push_back(i);
  std::vector<size_t> children = open;
  // Water-filling: cap whoever its proportional share exceeds, hand the rest out again.
  for (bool capped = true; capped && !open.empty();) {
    capped = false;
    long double total = 0;
    for (size_t i : open) total += competing_weight(groups_[i]);
    for (size_t k = 0; k < open.size(); ++k) {
      const size_t i = open[k];
      const long double cap =
          std::min<long double>(below[i], groups_[i].effective_cpus.weight()) / cpus;
      if (amount * competing_weight(groups_[i]) / total >= cap) {
        fraction_[i] = cap;
        amount -= cap;
        open.erase(open.begin() + static_cast<long>(k));
        capped = true;
        break;
      }
    }
    if (!capped)
      for (size_t i : open) fraction_[i] = amount * competing_weight(groups_[i]) / total;
  }
  for (size_t i : children) distribute(i, fraction_[i], below);
}

}  // namespace scx
