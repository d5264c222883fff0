// Writes a Perfetto trace (protobuf, docs: /work/shared/spec/perfetto.md) from trace events with
// our own encoder (report/proto.h): per-CPU ftrace bundles with sched_switch, sched_waking
// (waker = the task current on the waking CPU, so the UI draws wake-up arrows), task_newtask,
// sched_process_free, sched_migrate_task; a ProcessTree naming every task; SystemInfo (Linux 6.x
// prev_state layout); scxtop's topology track; and sched_ext DSQ counter tracks named as scxtop
// names them ("DSQ {id} nr_queued", "DSQ {id} latency ns"); `--probe` counter tracks ("probe NAME"); and, for runs with cgroups, the
// cgroup tracks of perfetto_cgroups.h.
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "report/perfetto_cgroups.h"
#include "report/proto.h"
#include "topo/topology.h"
#include "trace/trace.h"

namespace scx {

class PerfettoWriter : public TraceSink {
 public:
  // Writes to `out` (not closed). Events are buffered per CPU and flushed as one bundle per CPU
  // every `flush_bytes` of encoded events and at the end.
  PerfettoWriter(const Topology& topo, std::FILE* out, size_t flush_bytes = 1 << 20);
  void on_event(const TraceEvent& e) override;
  void on_finish(Ns end) override;

  // sched_ext DSQ counters (fed from ext trace events once they exist; tests call them directly).
  void dsq_depth(Ns t, uint64_t dsq, int64_t depth);
  void dsq_latency(Ns t, uint64_t dsq, Ns latency);
  // A `--probe` sample: counter track "probe NAME" (report/probe_series.h).
  void probe_value(Ns t, const std::string& name, int64_t value);

  // False if a write failed.
  bool ok() const { return ok_; }
  uint64_t bytes_written() const { return bytes_; }

 private:
  struct TaskInfo {
    std::string comm;
    int tgid = 0;
    int ppid = 0;
    int prio = 120;
    bool kthread = false;
  };
  void write_packet(const proto::Message& packet);
  void write_header();
  void flush_bundles();
  void add_event(int cpu, Ns t, int common_pid, uint32_t field, const proto::Message& body);
  const std::string& comm(int pid, int cpu);
  uint64_t counter_track(uint64_t dsq, int kind);  // kind 0 = nr_queued, 1 = latency
  uint64_t new_counter_track(uint64_t uuid, const std::string& name);
  void counter_value(Ns t, uint64_t uuid, int64_t value);

  const Topology& topo_;
  std::FILE* out_;
  size_t flush_bytes_;
  bool ok_ = true;
  bool header_done_ = false;
  uint64_t bytes_ = 0;
  size_t buffered_ = 0;
  std::vector<proto::Message> cpu_events_;  // encoded `event` fields per CPU
  std::vector<int> curr_;                   // pid current on each CPU
  std::vector<std::string> idle_names_;     // swapper/N
  std::map<int, TaskInfo> tasks_;
  std::vector<int> new_tasks_;              // not yet in a ProcessTree packet
  std::map<std::pair<uint64_t, int>, uint64_t> tracks_;  // (dsq, kind) -> uuid
  std::map<std::string, uint64_t> probe_tracks_;         // probe name -> uuid
  std::string scratch_;
  PerfettoCgroupTracks cgroups_;  // written only when the run has cgroups
};

// Perfetto's prev_state values for the Linux >= 4.14 layout (SystemInfo release 6.x).
inline constexpr int64_t kPerfettoStateRunnable = 0;
inline constexpr int64_t kPerfettoStatePreempted = 0x100;  // "R+"
inline constexpr int64_t kPerfettoStateSleeping = 1;       // "S"
inline constexpr int64_t kPerfettoStateDead = 0x10;        // "X"

}  // namespace scx
