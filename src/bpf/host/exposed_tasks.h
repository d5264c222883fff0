// The task_structs a BpfScxOps made visible to programs (registered as VM regions), each with
// the cgroups it was exposed with. Every op call looks its task up (expose_task) and every
// kfunc taking a task checks it (task_arg), so lookups are hot: a direct-mapped table of recent
// entries answers most of them with one probe, where the hash map alone cost two dependent
// cache misses (its bucket, then its node). The table only ever holds copies of map entries.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include "scxsim/kernel_types.h"

namespace scx::bpf {

class ExposedTasks {
 public:
  // What expose_task() last made visible through a task (task->cgroups and its dfl_cgrp), so
  // that a task whose cgroup has not changed costs one lookup per op call.
  struct Cgroups {
    const css_set* cset = nullptr;
    const cgroup* dfl_cgrp = nullptr;
    bool operator==(const Cgroups&) const = default;
  };

  // The cgroups a registered task was exposed with; nullopt when addr is no registered task.
  std::optional<Cgroups> find(uint64_t addr) {
    Recent& r = recent_[slot_of(addr)];
    if (r.addr == addr && addr != 0) return r.cgroups;
    auto it = all_.find(addr);
    if (it == all_.end()) return std::nullopt;
    r = Recent{addr, it->second};
    return it->second;
  }
  bool contains(uint64_t addr) { return find(addr).has_value(); }

  void set(uint64_t addr, Cgroups cgroups) {
    all_[addr] = cgroups;
    recent_[slot_of(addr)] = Recent{addr, cgroups};
  }
  void erase(uint64_t addr) {
    all_.erase(addr);
    Recent& r = recent_[slot_of(addr)];
    if (r.addr == addr) r = Recent{};
  }
  // After a css_set or cgroup region is dropped: every task's cgroups are exposed again.
  void forget_cgroups() {
    for (auto& [task, cgroups] : all_) cgroups = Cgroups{};
    for (Recent& r : recent_) r.cgroups = Cgroups{};
  }

 private:
  struct Recent {
    uint64_t addr = 0;  // 0: empty
    Cgroups cgroups;
  };
  static constexpr int kRecentBits = 12;  // 4096 slots: few of a few hundred tasks collide
  // A Fibonacci hash of the address in 64-byte units (task_structs are far larger).
  static size_t slot_of(uint64_t addr) {
    return static_cast<size_t>(((addr >> 6) * 0x9E3779B97F4A7C15ULL) >> (64 - kRecentBits));
  }
  std::array<Recent, size_t{1} << kRecentBits> recent_{};
  std::unordered_map<uint64_t, Cgroups> all_;
};

}  // namespace scx::bpf
