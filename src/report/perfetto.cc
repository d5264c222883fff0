#include "report/perfetto.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "metrics/scx_metrics.h"

namespace scx {
namespace {

// Field numbers (perfetto.protos, see perfetto.md §1.2).
namespace f {
constexpr uint32_t kTracePacket = 1;
// TracePacket
constexpr uint32_t kFtraceEvents = 1, kProcessTree = 2, kTimestamp = 8, kSequenceId = 10,
                   kTrackEvent = 11, kSystemInfo = 45, kTrackDescriptor = 60;
// FtraceEventBundle
constexpr uint32_t kBundleCpu = 1, kBundleEvent = 2;
// FtraceEvent
constexpr uint32_t kEvTimestamp = 1, kEvPid = 2, kPrint = 3, kSchedSwitch = 4, kSchedWaking = 20,
                   kSchedWakeupNew = 114, kTaskNewtask = 235, kProcessExit = 238,
                   kProcessFree = 240, kMigrateTask = 491;
// ProcessTree
constexpr uint32_t kProcesses = 1, kThreads = 2;
// TrackDescriptor / TrackEvent
constexpr uint32_t kTdUuid = 1, kTdName = 2, kTdCounter = 8, kCdUnitName = 6;
constexpr uint32_t kTeType = 9, kTeTrackUuid = 11, kTeCounterValue = 30;
constexpr uint64_t kTypeCounter = 4;
}  // namespace f

constexpr uint32_t kSequence = 1;

}  // namespace

PerfettoWriter::PerfettoWriter(const Topology& topo, std::FILE* out, size_t flush_bytes)
    : topo_(topo),
      out_(out),
      flush_bytes_(flush_bytes),
      cpu_events_(topo.nr_cpus()),
      curr_(topo.nr_cpus(), 0),
      cgroups_([this](const proto::Message& packet) { write_packet(packet); },
               [this](int pid) { return comm(pid, 0); }) {
  for (int c = 0; c < topo.nr_cpus(); ++c) idle_names_.push_back(fmt::format("swapper/{}", c));
}

void PerfettoWriter::write_packet(const proto::Message& packet) {
  scratch_.clear();
  proto::put_tag(scratch_, f::kTracePacket, proto::kLengthDelimited);
  proto::put_varint(scratch_, packet.size());
  if (std::fwrite(scratch_.data(), 1, scratch_.size(), out_) != scratch_.size()) ok_ = false;
  if (std::fwrite(packet.bytes().data(), 1, packet.size(), out_) != packet.size()) ok_ = false;
  bytes_ += scratch_.size() + packet.size();
}

void PerfettoWriter::write_header() {
  header_done_ = true;
  proto::Message uts, sys, pkt;
  uts.str(1, "Linux").str(3, "6.12.0-scxsim").str(4, "x86_64");
  sys.msg(1, uts).u(8, static_cast<uint64_t>(topo_.nr_cpus()));
  pkt.u(f::kSequenceId, kSequence).msg(f::kSystemInfo, sys);
  write_packet(pkt);

  // scxtop's topology convention: a dummy track named "scxtop_topo:{json}".
  nlohmann::ordered_json topo;
  nlohmann::ordered_json llc, numa, core;
  for (const CpuInfo& c : topo_.cpus()) {
    llc[std::to_string(c.id)] = c.llc;
    numa[std::to_string(c.id)] = c.node;
    core[std::to_string(c.id)] = c.core;
  }
  topo["cpu_to_llc"] = llc;
  topo["cpu_to_numa"] = numa;
  topo["cpu_to_core"] = core;
  topo["nr_cpus"] = topo_.nr_cpus();
  topo["nr_llcs"] = topo_.nr_llcs();
  topo["nr_numa_nodes"] = topo_.nr_nodes();
  proto::Message td, tpkt;
  td.u(f::kTdUuid, 0x5c0700000000ULL).str(f::kTdName, "scxtop_topo:" + topo.dump());
  tpkt.u(f::kSequenceId, kSequence).msg(f::kTrackDescriptor, td);
  write_packet(tpkt);
}

const std::string& PerfettoWriter::comm(int pid, int cpu) {
  if (pid == 0) return idle_names_[static_cast<size_t>(cpu)];
  auto it = tasks_.find(pid);
  if (it != tasks_.end()) return it->second.comm;
  static const std::string kUnknown = "<...>";
  return kUnknown;
}

void PerfettoWriter::add_event(int cpu, Ns t, int common_pid, uint32_t field, const proto::Message& body) {
  if (cpu < 0 || cpu >= static_cast<int>(cpu_events_.size())) return;
  proto::Message ev;
  ev.u(f::kEvTimestamp, t).u(f::kEvPid, static_cast<uint32_t>(common_pid)).msg(field, body);
  proto::Message& buf = cpu_events_[static_cast<size_t>(cpu)];
  const size_t before = buf.size();
  buf.msg(f::kBundleEvent, ev);
  buffered_ += buf.size() - before;
}

void PerfettoWriter::flush_bundles() {
  if (!header_done_) write_header();
  if (!new_tasks_.empty()) {
    proto::Message tree;
    for (int pid : new_tasks_) {
      const TaskInfo& ti = tasks_.at(pid);
      if (ti.tgid == pid) {
        proto::Message p;
        p.u(1, static_cast<uint64_t>(pid)).u(2, static_cast<uint64_t>(ti.ppid)).str(3, ti.comm);
        tree.msg(f::kProcesses, p);
      }
    }
    for (int pid : new_tasks_) {
      const TaskInfo& ti = tasks_.at(pid);
      proto::Message th;
      th.u(1, static_cast<uint64_t>(pid)).str(2, ti.comm).u(3, static_cast<uint64_t>(ti.tgid));
      tree.msg(f::kThreads, th);
    }
    new_tasks_.clear();
    proto::Message pkt;
    pkt.msg(f::kProcessTree, tree).u(f::kSequenceId, kSequence);
    write_packet(pkt);
  }
  for (size_t cpu = 0; cpu < cpu_events_.size(); ++cpu) {
    if (cpu_events_[cpu].size() == 0) continue;
    proto::Message bundle, pkt;
    bundle.u(f::kBundleCpu, cpu).raw(cpu_events_[cpu].bytes());
    pkt.msg(f::kFtraceEvents, bundle).u(f::kSequenceId, kSequence);
    write_packet(pkt);
    cpu_events_[cpu].clear();
  }
  buffered_ = 0;
}

void PerfettoWriter::on_event(const TraceEvent& e) {
  if (!header_done_) write_header();
  cgroups_.on_event(e);
  switch (e.type) {
    case TraceType::TaskNew:
    case TraceType::SchedProcessFork: {
      if (e.pid == 0) return;
      const bool fork = e.type == TraceType::SchedProcessFork;
      TaskInfo ti;
      ti.comm = e.comm ? e.comm : "";
      ti.tgid = fork ? e.pid : e.pid2;
      ti.ppid = fork ? e.pid2 : 0;
      ti.prio = e.prio;
      ti.kthread = !fork && e.arg2 != 0;
      tasks_[e.pid] = ti;
      new_tasks_.push_back(e.pid);
      if (ti.kthread) return;
      // task_newtask: the new task becomes runnable, woken by its parent (0 = the launcher).
      proto::Message nt;
      nt.u(1, static_cast<uint64_t>(e.pid)).str(2, ti.comm).u(3, 0);
      add_event(e.cpu, e.time, ti.ppid, f::kTaskNewtask, nt);
      break;
    }
    case TraceType::SchedSwitch: {
      const int cpu = e.cpu;
      int64_t state = kPerfettoStateRunnable;
      switch (static_cast<SwitchState>(e.arg)) {
        case SwitchState::Running: state = kPerfettoStatePreempted; break;
        case SwitchState::Sleeping: state = kPerfettoStateSleeping; break;
        case SwitchState::Dead: state = kPerfettoStateDead; break;
      }
      if (e.pid == 0) state = kPerfettoStateRunnable;
      proto::Message sw;
      sw.str(1, comm(e.pid, cpu)).i(2, e.pid).i(3, e.pid == 0 ? 120 : e.prio).i(4, state);
      sw.str(5, comm(e.pid2, cpu)).i(6, e.pid2).i(7, e.pid2 == 0 ? 120 : e.prio2);
      add_event(cpu, e.time, e.pid, f::kSchedSwitch, sw);
      if (static_cast<SwitchState>(e.arg) == SwitchState::Dead && e.pid != 0) {
        proto::Message fr;
        fr.str(1, comm(e.pid, cpu)).i(2, e.pid).i(3, e.prio);
        add_event(cpu, e.time, e.pid2, f::kProcessFree, fr);
      }
      if (cpu >= 0 && cpu < static_cast<int>(curr_.size())) curr_[static_cast<size_t>(cpu)] = e.pid2;
      break;
    }
    case TraceType::SchedWaking:
    case TraceType::SchedWakeupNew: {
      // Emitted on the waker's CPU with common_pid = the task running there: Perfetto takes the
      // waker from FtraceEvent.pid.
      const int cpu = e.cpu;
      const int waker = cpu >= 0 && cpu < static_cast<int>(curr_.size()) ? curr_[static_cast<size_t>(cpu)] : 0;
      proto::Message wk;
      wk.str(1, comm(e.pid, cpu)).i(2, e.pid).i(3, e.prio).i(4, 1).i(5, e.arg);
      add_event(cpu, e.time, waker, e.type == TraceType::SchedWaking ? f::kSchedWaking : f::kSchedWakeupNew, wk);
      break;
    }
    case TraceType::SchedMigrateTask: {
      proto::Message mg;
      mg.str(1, comm(e.pid, e.cpu)).i(2, e.pid).i(3, e.prio).i(4, e.arg2).i(5, e.arg);
      const int cur = e.cpu >= 0 && e.cpu < static_cast<int>(curr_.size()) ? curr_[static_cast<size_t>(e.cpu)] : 0;
      add_event(e.cpu, e.time, cur, f::kMigrateTask, mg);
      break;
    }
    case TraceType::SchedProcessExit: {
      auto it = tasks_.find(e.pid);
      proto::Message ex;
      ex.str(1, comm(e.pid, e.cpu)).i(2, e.pid).i(3, it == tasks_.end() ? e.pid : it->second.tgid).i(4, e.prio);
      add_event(e.cpu, e.time, e.pid, f::kProcessExit, ex);
      break;
    }
    case TraceType::BpfTracePrintk: {
      // A BPF scheduler's bpf_printk line, as an ftrace print event (PrintFtraceEvent.buf) on
      // the CPU that ran the program.
      proto::Message pr;
      pr.str(2, fmt::format("{}\n", e.comm ? e.comm : ""));
      add_event(e.cpu, e.time, e.pid, f::kPrint, pr);
      break;
    }
    case TraceType::ScxDsqInsert:
    case TraceType::ScxDsqRemove:
      dsq_depth(e.time, static_cast<uint64_t>(e.value), e.arg);
      break;
    default:
      // SchedWakeup (no Perfetto parser), ticks and workload bookkeeping are not exported.
      break;
  }
  if (buffered_ >= flush_bytes_) flush_bundles();
}

uint64_t PerfettoWriter::new_counter_track(uint64_t uuid, const std::string& name) {
  if (!header_done_) write_header();
  proto::Message cd, td, pkt;
  cd.str(f::kCdUnitName, name);
  td.u(f::kTdUuid, uuid).str(f::kTdName, name).msg(f::kTdCounter, cd);
  pkt.u(f::kSequenceId, kSequence).msg(f::kTrackDescriptor, td);
  write_packet(pkt);
  return uuid;
}

void PerfettoWriter::counter_value(Ns t, uint64_t uuid, int64_t value) {
  proto::Message te, pkt;
  te.u(f::kTeType, f::kTypeCounter).u(f::kTeTrackUuid, uuid).i(f::kTeCounterValue, value);
  pkt.u(f::kTimestamp, t).u(f::kSequenceId, kSequence).msg(f::kTrackEvent, te);
  write_packet(pkt);
}

uint64_t PerfettoWriter::counter_track(uint64_t dsq, int kind) {
  auto key = std::make_pair(dsq, kind);
  auto it = tracks_.find(key);
  if (it != tracks_.end()) return it->second;
  const uint64_t uuid = 0x5c0800000000ULL + tracks_.size();
  tracks_.emplace(key, uuid);
  // scxtop's names; its analyzers find DSQ tracks by them.
  const std::string id = scx_dsq_name(dsq);
  return new_counter_track(uuid, kind == 0 ? fmt::format("DSQ {} nr_queued", id) : fmt::format("DSQ {} latency ns", id));
}

void PerfettoWriter::dsq_depth(Ns t, uint64_t dsq, int64_t depth) {
  counter_value(t, counter_track(dsq, 0), depth < 0 ? 0 : depth);
}

void PerfettoWriter::dsq_latency(Ns t, uint64_t dsq, Ns latency) {
  counter_value(t, counter_track(dsq, 1), static_cast<int64_t>(latency));
}

void PerfettoWriter::probe_value(Ns t, const std::string& name, int64_t value) {
  auto it = probe_tracks_.find(name);
  if (it == probe_tracks_.end())
    it = probe_tracks_.emplace(name, new_counter_track(0x5c0900000000ULL + probe_tracks_.size(), "probe " + name)).first;
  counter_value(t, it->second, value);
}

void PerfettoWriter::on_finish(Ns end) {
  cgroups_.finish(end);
  flush_bundles();
  if (std::fflush(out_) != 0) ok_ = false;
}

}  // namespace scx
