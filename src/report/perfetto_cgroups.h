// The cgroup tracks of a Perfetto trace (docs/reports.md, "Perfetto"): one track group per
// cgroup, nested as the hierarchy is, holding a counter of its running tasks (its own and its
// descendants'), one slice track per task that was in it ("member" while attached) and one per
// CPU on which it was throttled ("throttled" slices). Written only when the run has cgroups.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "report/proto.h"
#include "trace/trace.h"

namespace scx {

class PerfettoCgroupTracks {
 public:
  using WritePacket = std::function<void(const proto::Message& packet)>;
  using CommOf = std::function<std::string(int pid)>;
  PerfettoCgroupTracks(WritePacket write, CommOf comm) : write_(std::move(write)), comm_(std::move(comm)) {}

  void on_event(const TraceEvent& e);
  void finish(Ns end);  // closes the open slices

 private:
  struct Group {
    uint64_t parent = 0;
    std::string path;
    int64_t running = 0;  // running tasks here and below
  };
  uint64_t group_track(uint64_t id) const;
  void declare(uint64_t uuid, uint64_t parent_uuid, const std::string& name, bool counter);
  void slice(Ns t, uint64_t track, bool begin, const char* name);
  void counter(Ns t, uint64_t track, int64_t value);
  void add_running(Ns t, uint64_t id, int64_t delta);
  void leave(Ns t, int pid);
  uint64_t cgroup_of(int pid) const;

  WritePacket write_;
  CommOf comm_;
  std::map<uint64_t, Group> groups_;                   // by cgroup id; the root is 1
  std::map<int, uint64_t> task_cgroup_;                // pid -> cgroup id (absent: the root)
  std::map<std::pair<uint64_t, int>, uint64_t> member_tracks_;  // (cgroup, pid) -> uuid
  std::map<std::pair<uint64_t, int>, uint64_t> throttle_tracks_;  // (cgroup, cpu) -> uuid
  std::set<uint64_t> open_slices_;                     // tracks with an open slice
  std::map<int, int> running_on_cpu_;                  // cpu -> pid running
};

}  // namespace scx
