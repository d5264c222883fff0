// A cpu cgroup of high weight for the workload, so that other work on the machine disturbs it
// as little as possible: cgroup v1 (the "cpu" hierarchy, cpu.shares = 262144, the maximum) or
// v2 (a cgroup2 mount offering the cpu controller, cpu.weight = 10000, the maximum).
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace scx {

// The cgroup the scxsim side runs the workload in, to stand where the real run stands (a v1
// host's; a v2 host's cpu.weight 10000 is cpu.shares=102400): `scxsim run --cgroup` syntax.
inline constexpr char kSimulatedValidateCgroup[] = "/scxsim-validate:cpu.shares=262144";

struct CpuCgroupLayout {
  int version = 0;          // 1 or 2
  std::string mount;        // the hierarchy's mount point
};

// From /proc/mounts text; v1's cpu hierarchy wins, else a cgroup2 mount whose
// cgroup.controllers (read under `mount`) lists cpu.
Result<CpuCgroupLayout> find_cpu_cgroup(std::string_view mounts);

// A cgroup made for one run; removed by the destructor.
class CpuCgroup {
 public:
  static Result<CpuCgroup> create(const CpuCgroupLayout& layout, const std::string& name);
  CpuCgroup(CpuCgroup&& o) noexcept : dir_(std::move(o.dir_)), version_(o.version_) { o.dir_.clear(); }
  CpuCgroup& operator=(CpuCgroup&&) = delete;
  ~CpuCgroup();
  Status attach(int pid) const;  // moves the process (all its threads) in
  const std::string& dir() const { return dir_; }

 private:
  CpuCgroup(std::string dir, int version) : dir_(std::move(dir)), version_(version) {}
  std::string dir_;
  int version_ = 0;
};

}  // namespace scx
