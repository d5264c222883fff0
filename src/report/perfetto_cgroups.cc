#include "report/perfetto_cgroups.h"

#include <fmt/format.h>

namespace scx {
namespace {

// Field numbers (perfetto.protos): TracePacket, TrackDescriptor, TrackEvent.
constexpr uint32_t kTimestamp = 8, kSequenceId = 10, kTrackEvent = 11, kTrackDescriptor = 60;
constexpr uint32_t kTdUuid = 1, kTdName = 2, kTdParentUuid = 5, kTdCounter = 8;
constexpr uint32_t kTeType = 9, kTeTrackUuid = 11, kTeName = 23, kTeCounterValue = 30;
constexpr uint64_t kSliceBegin = 1, kSliceEnd = 2, kCounter = 4;
constexpr uint64_t kSequence = 1;  // the writer's sequence (perfetto.cc)
constexpr uint64_t kRootId = 1;

// Track uuids: a range of their own beside the writer's (0x5c07..., 0x5c08...).
constexpr uint64_t kGroupBase = 0x5c0900000000ULL;    // + id * 2 (+ 1: the running counter)
constexpr uint64_t kMemberBase = 0x5c0a00000000ULL;   // + a counter
constexpr uint64_t kThrottleBase = 0x5c0b00000000ULL; // + a counter

}  // namespace

uint64_t PerfettoCgroupTracks::group_track(uint64_t id) const { return kGroupBase + id * 2; }

uint64_t PerfettoCgroupTracks::cgroup_of(int pid) const {
  auto it = task_cgroup_.find(pid);
  return it == task_cgroup_.end() ? kRootId : it->second;
}

void PerfettoCgroupTracks::declare(uint64_t uuid, uint64_t parent_uuid, const std::string& name, bool counter) {
  proto::Message td, pkt;
  td.u(kTdUuid, uuid).str(kTdName, name);
  if (parent_uuid) td.u(kTdParentUuid, parent_uuid);
  if (counter) td.msg(kTdCounter, proto::Message());
  pkt.u(kSequenceId, kSequence).msg(kTrackDescriptor, td);
  write_(pkt);
}

void PerfettoCgroupTracks::slice(Ns t, uint64_t track, bool begin, const char* name) {
  if (begin == (open_slices_.count(track) > 0)) return;  // no nesting, no end without a begin
  if (begin) open_slices_.insert(track); else open_slices_.erase(track);
  proto::Message te, pkt;
  te.u(kTeType, begin ? kSliceBegin : kSliceEnd).u(kTeTrackUuid, track);
  if (begin) te.str(kTeName, name);
  pkt.u(kTimestamp, t).u(kSequenceId, kSequence).msg(kTrackEvent, te);
  write_(pkt);
}

void PerfettoCgroupTracks::counter(Ns t, uint64_t track, int64_t value) {
  proto::Message te, pkt;
  te.u(kTeType, kCounter).u(kTeTrackUuid, track).i(kTeCounterValue, value);
  pkt.u(kTimestamp, t).u(kSequenceId, kSequence).msg(kTrackEvent, te);
  write_(pkt);
}

// Running tasks are counted in the task's cgroup and every ancestor below the root.
void PerfettoCgroupTracks::add_running(Ns t, uint64_t id, int64_t delta) {
  for (auto it = groups_.find(id); it != groups_.end() && id != kRootId; it = groups_.find(id)) {
    it->second.running += delta;
    counter(t, group_track(id) + 1, it->second.running);
    id = it->second.parent;
  }
}

void PerfettoCgroupTracks::leave(Ns t, int pid) {
  auto it = member_tracks_.find({cgroup_of(pid), pid});
  if (it != member_tracks_.end()) slice(t, it->second, false, nullptr);
}

void PerfettoCgroupTracks::on_event(const TraceEvent& e) {
  switch (e.type) {
    case TraceType::CgroupNew: {
      const uint64_t id = static_cast<uint32_t>(e.arg), parent = static_cast<uint32_t>(e.arg2);
      if (groups_.empty()) {
        groups_[kRootId] = Group{0, "/", 0};
        declare(group_track(kRootId), 0, "cgroups", false);
      }
      groups_[id] = Group{parent, e.comm ? e.comm : "", 0};
      const std::string& path = groups_[id].path;
      declare(group_track(id), group_track(groups_.count(parent) ? parent : kRootId), "cgroup " + path, false);
      declare(group_track(id) + 1, group_track(id), path + " running", true);
      return;
    }
    case TraceType::CgroupAttach: {
      if (groups_.empty()) return;
      const uint64_t to = static_cast<uint32_t>(e.arg);
      const bool running = e.cpu >= 0 && running_on_cpu_.count(e.cpu) && running_on_cpu_[e.cpu] == e.pid;
      if (running) add_running(e.time, cgroup_of(e.pid), -1);
      leave(e.time, e.pid);
      task_cgroup_[e.pid] = to;
      if (running) add_running(e.time, to, +1);
      auto [it, added] = member_tracks_.try_emplace({to, e.pid}, kMemberBase + member_tracks_.size());
      if (added) declare(it->second, group_track(to), fmt::format("{} {}", comm_(e.pid), e.pid), false);
      slice(e.time, it->second, true, "member");
      return;
    }
    case TraceType::CgroupThrottle:
    case TraceType::CgroupUnthrottle: {
      const uint64_t id = static_cast<uint32_t>(e.arg);
      if (!groups_.count(id)) return;
      auto [it, added] = throttle_tracks_.try_emplace({id, e.cpu}, kThrottleBase + throttle_tracks_.size());
      if (added) declare(it->second, group_track(id), fmt::format("{} throttled cpu{}", groups_[id].path, e.cpu), false);
      slice(e.time, it->second, e.type == TraceType::CgroupThrottle, "throttled");
      return;
    }
    case TraceType::SchedSwitch:
      if (groups_.empty()) return;
      if (e.pid) add_running(e.time, cgroup_of(e.pid), -1);
      if (e.pid2) add_running(e.time, cgroup_of(e.pid2), +1);
      running_on_cpu_[e.cpu] = e.pid2;
      return;
    case TraceType::SchedProcessExit:
      if (!groups_.empty()) leave(e.time, e.pid);
      return;
    default:
      return;
  }
}

void PerfettoCgroupTracks::finish(Ns end) {
  std::set<uint64_t> open = open_slices_;
  for (uint64_t track : open) slice(end, track, false, nullptr);
}

}  // namespace scx
