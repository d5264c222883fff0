// The cgroup v2 hierarchy of the simulated kernel, with the cpu and cpuset controllers' files:
// cpu.weight, cpu.weight.nice, cpu.max, cpu.idle and cpuset.cpus (docs/cgroups.md). It only
// holds the tree and the values; the scheduler core (Kernel) applies them: it moves tasks,
// tells the classes (fair group scheduling, sched_ext's cgroup ops) and confines affinities.
//
// Each cgroup also carries the kernel objects BPF schedulers read: struct cgroup (self css, kn,
// level, subsys[], ancestors[]), its kernfs_node (the id), its struct cpuset (cpuset.cpus as
// cpus_allowed) and the css_set of its tasks (task->cgroups->dfl_cgrp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/cpumask.h"
#include "base/status.h"
#include "scxsim/kernel_types.h"
#include "sim/time.h"

namespace scx {

// CGROUP_WEIGHT_MIN/DFL/MAX (include/linux/cgroup.h).
inline constexpr uint32_t kCgroupWeightMin = 1;
inline constexpr uint32_t kCgroupWeightDfl = 100;
inline constexpr uint32_t kCgroupWeightMax = 10000;
// cgroup v1's cpu.shares bounds (MIN_SHARES, MAX_SHARES).
inline constexpr uint32_t kMinShares = 2;
inline constexpr uint32_t kMaxShares = 1u << 18;
// cpu.max's default period and bounds (kernel/sched/core.c: default_cfs_period(),
// min_cfs_quota_period 1 ms, max_cfs_quota_period 1 s, max_cfs_runtime ~ 2^44 us).
inline constexpr Ns kDefaultCfsPeriod = 100 * kNsPerMs;
inline constexpr Ns kMinCfsPeriod = 1 * kNsPerMs;
inline constexpr Ns kMaxCfsPeriod = 1 * kNsPerSec;
inline constexpr Ns kMinCfsQuota = 1 * kNsPerMs;
inline constexpr Ns kUnlimitedQuota = -1;  // "max"

// tg->shares for a cpu.weight (sched_weight_from_cgroup(): weight * 1024 / 100, rounded), in
// the unscaled load units of the fair class (weights.h).
uint32_t shares_from_cgroup_weight(uint32_t weight);
// cpu.weight as it reads for tg->shares (sched_weight_to_cgroup(), clamped to 1..10000).
uint32_t cgroup_weight_from_shares(uint32_t shares);
// cpu.weight.nice: the nice value's load weight converted to a cgroup weight (what a write
// stores), and the nice a weight reads back as (the closest table entry).
uint32_t cgroup_weight_from_nice(int nice);
int cgroup_weight_to_nice(uint32_t weight);

struct CpuMax {
  Ns quota = kUnlimitedQuota;  // runtime per period; kUnlimitedQuota: no limit
  Ns period = kDefaultCfsPeriod;
  bool limited() const { return quota != kUnlimitedQuota; }
  bool operator==(const CpuMax&) const = default;
};

// Parsers of the controllers' file formats; errors say what is wrong with the value.
Result<uint32_t> parse_cpu_weight(std::string_view text);   // "1".."10000"
Result<uint32_t> parse_cpu_weight_nice(std::string_view text);  // "-20".."19" -> weight
Result<uint32_t> parse_cpu_shares(std::string_view text);   // v1: "2".."262144" 
Result<CpuMax> parse_cpu_max(std::string_view text);        // "max", "max 100000", "50000 100000" (us)
Result<bool> parse_cpu_idle(std::string_view text);         // "0" or "1"
std::string format_cpu_max(const CpuMax& m);                // as the file reads: "50000 100000"

class Cgroup {
 public:
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;

  // Identity. The root is "/", id 1, level 0; ids of new cgroups count up from 2 in creation
  // order and are never reused. `index` is dense (0 = root) and stable: per-class state can
  // live in vectors indexed by it.
  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }  // last path component ("" for the root)
  uint64_t id() const { return kn_.id; }
  int index() const { return index_; }
  int level() const { return level_; }
  Cgroup* parent() const { return parent_; }
  const std::vector<Cgroup*>& children() const { return children_; }
  bool is_root() const { return parent_ == nullptr; }
  bool is_ancestor_of(const Cgroup& other) const;  // or itself

  // Controller values as set (not inherited). The group's weight is kept as tg->shares, which
  // both cpu.weight (v2) and cpu.shares (v1) write.
  uint32_t weight() const { return cgroup_weight_from_shares(shares_); }  // cpu.weight
  const CpuMax& max() const { return max_; }   // cpu.max
  bool idle() const { return idle_; }          // cpu.idle
  // cpuset.cpus as written (empty: not set) and the effective set: the written set within the
  // parent's effective set, or the parent's when unset or when nothing of it is left.
  const CpuMask& cpuset() const { return cpuset_; }
  const CpuMask& effective_cpus() const { return effective_cpus_; }
  uint32_t shares() const { return shares_; }  // tg->shares, unscaled

  // Tasks attached now (pids, in attach order).
  const std::vector<int>& tasks() const { return tasks_; }

  // The kernel objects (stable addresses for the cgroup's lifetime). kernel_cgroup() is
  // followed by `level` more ancestor pointers: kernel_size() bytes in all.
  ::cgroup* kernel_cgroup() { return reinterpret_cast<::cgroup*>(kernel_storage_.get()); }
  const ::cgroup* kernel_cgroup() const { return reinterpret_cast<const ::cgroup*>(kernel_storage_.get()); }
  size_t kernel_size() const;
  ::css_set* css_set() { return &cset_; }
  ::kernfs_node* kernfs() { return &kn_; }
  ::cpuset* kernel_cpuset() { return &kcpuset_; }
  static Cgroup* from_kernel(const ::cgroup* c);
  // The cgroup whose own css (cgroup->self) this is, or null for another css.
  static Cgroup* from_css(const ::cgroup_subsys_state* css);

 private:
  friend class CgroupTree;
  Cgroup(Cgroup* parent, std::string name, uint64_t id, int index);

  std::string path_;
  std::string name_;
  Cgroup* parent_;
  std::vector<Cgroup*> children_;
  int index_;
  int level_;
  uint32_t shares_ = 1024;
  CpuMax max_;
  bool idle_ = false;
  CpuMask cpuset_;
  CpuMask effective_cpus_;
  std::vector<int> tasks_;

  ::kernfs_node kn_{};
  ::css_set cset_{};
  ::cpuset kcpuset_{};
  std::unique_ptr<std::byte[]> kernel_storage_;  // struct cgroup + ancestors
};

// The hierarchy. Paths are absolute ("/a/b"); "/" is the root. Creating and removing follow
// mkdir/rmdir: the parent must exist, a cgroup with children or tasks cannot be removed.
class CgroupTree {
 public:
  explicit CgroupTree(const CpuMask& all_cpus);
  CgroupTree(const CgroupTree&) = delete;
  CgroupTree& operator=(const CgroupTree&) = delete;

  Cgroup& root() { return *nodes_[0]; }
  const Cgroup& root() const { return *nodes_[0]; }
  Cgroup* find(std::string_view path);
  Cgroup* find_by_id(uint64_t id);
  Cgroup* at_index(int index) { return index >= 0 && index < static_cast<int>(nodes_.size()) ? nodes_[index].get() : nullptr; }
  // Live cgroups in pre-order (parents before children, siblings in creation order): the
  // order the kernel's css walk visits them.
  std::vector<Cgroup*> preorder();
  // Live cgroups in post-order (children before parents, siblings in creation order): the
  // order of css_for_each_descendant_post().
  std::vector<Cgroup*> postorder();
  int capacity() const { return static_cast<int>(nodes_.size()); }  // bound on index() + 1

  Result<Cgroup*> mkdir(std::string_view path);  // parent must exist
  Result<Cgroup*> mkdir_p(std::string_view path);  // creates missing ancestors too
  Status rmdir(Cgroup& cg);

  void set_weight(Cgroup& cg, uint32_t weight);
  void set_shares(Cgroup& cg, uint32_t shares);
  void set_max(Cgroup& cg, const CpuMax& max);
  // sched_group_set_idle(): an idle group weighs WEIGHT_IDLEPRIO (3); leaving idle resets it
  // to NICE_0_LOAD (cpu.weight 100), whatever it was before.
  void set_idle(Cgroup& cg, bool idle);
  // Sets cpuset.cpus (empty: unset) and recomputes the effective sets below.
  void set_cpuset(Cgroup& cg, const CpuMask& cpus);

  void attach(Cgroup& cg, int pid);  // the task's membership (the core moves the task)
  void detach(Cgroup& cg, int pid);

  // Checks a path's syntax: absolute, no empty, "." or ".." components.
  static Status check_path(std::string_view path);

 private:
  void update_effective(Cgroup& cg);
  std::vector<std::unique_ptr<Cgroup>> nodes_;  // by index; removed ones are null
  uint64_t next_id_ = 2;
  CpuMask all_cpus_;
};

// The kernel's css walks within the subtree of `root` (kernel/cgroup/cgroup.c): the cgroup after
// `pos` in pre-order / post-order, `pos` null for the first; null after the last.
Cgroup* next_descendant_pre(Cgroup* pos, Cgroup& root);
Cgroup* next_descendant_post(Cgroup* pos, Cgroup& root);

}  // namespace scx
