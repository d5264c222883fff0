#include "trace/text_sink.h"

#include <fmt/format.h>

namespace scx {

const std::string& TextTraceSink::comm(int32_t pid, int32_t cpu) {
  // pid 0 is the per-CPU idle task; it is keyed by CPU.
  int64_t key = pid == 0 ? -1 - static_cast<int64_t>(cpu) : pid;
  auto it = comms_.find(key);
  if (it != comms_.end()) return it->second;
  static const std::string kUnknown = "<...>";
  return kUnknown;
}

std::string TextTraceSink::format(const TraceEvent& e) {
  if (e.cpu >= 0 && static_cast<size_t>(e.cpu) >= curr_.size()) curr_.resize(e.cpu + 1, 0);
  if (e.type == TraceType::TaskNew || e.type == TraceType::SchedProcessFork) {
    int64_t key = e.pid == 0 ? -1 - static_cast<int64_t>(e.cpu) : e.pid;
    comms_[key] = e.comm ? e.comm : "";
  }
  int32_t cur = e.cpu >= 0 ? curr_[e.cpu] : 0;
  std::string head = fmt::format("{:>16}-{:<7} [{:03}] {:>13}: {}: ", comm(cur, e.cpu), cur, e.cpu,
                                 format_seconds(e.time), trace_type_name(e.type));
  switch (e.type) {
    case TraceType::TaskNew:
      return head + fmt::format("pid={} comm={} prio={}", e.pid, e.comm ? e.comm : "", e.prio);
    case TraceType::SchedSwitch: {
      std::string s = head + fmt::format(
          "prev_comm={} prev_pid={} prev_prio={} prev_state={} ==> next_comm={} next_pid={} "
          "next_prio={}",
          comm(e.pid, e.cpu), e.pid, e.prio, switch_state_name(static_cast<SwitchState>(e.arg)),
          comm(e.pid2, e.cpu), e.pid2, e.prio2);
      curr_[e.cpu] = e.pid2;
      return s;
    }
    case TraceType::SchedWaking:
    case TraceType::SchedWakeup:
    case TraceType::SchedWakeupNew:
      return head + fmt::format("comm={} pid={} prio={} target_cpu={:03}", comm(e.pid, e.cpu), e.pid,
                                e.prio, e.arg);
    case TraceType::SchedMigrateTask:
      return head + fmt::format("comm={} pid={} prio={} orig_cpu={} dest_cpu={}", comm(e.pid, e.cpu),
                                e.pid, e.prio, e.arg2, e.arg);
    case TraceType::SchedProcessFork:
      return head + fmt::format("comm={} pid={} child_comm={} child_pid={}", comm(e.pid2, e.cpu),
                                e.pid2, e.comm ? e.comm : "", e.pid);
    case TraceType::SchedProcessExit:
      return head + fmt::format("comm={} pid={} prio={}", comm(e.pid, e.cpu), e.pid, e.prio);
    case TraceType::Tick:
      return head + fmt::format("curr_pid={}", e.pid);
    case TraceType::Mark:
      return head + fmt::format("pid={} counter={} value={}", e.pid, e.arg, e.value);
    case TraceType::PhaseEnd:
      return head + fmt::format("pid={} phase={} slack_ns={}", e.pid, e.arg, e.value);
    case TraceType::TimerMiss:
      return head + fmt::format("pid={} timer={} late_ns={}", e.pid, e.arg, e.value);
    case TraceType::ScxDsqInsert:
    case TraceType::ScxDsqRemove:
      return head + fmt::format("pid={} dsq=0x{:x} depth={}", e.pid, static_cast<uint64_t>(e.value), e.arg);
    case TraceType::ScxExit:
      return head + fmt::format("kind={} reason={} code={}", e.arg, e.comm ? e.comm : "", e.value);
    case TraceType::BpfTracePrintk:
      return head + (e.comm ? e.comm : "");
    case TraceType::CgroupNew:
      return head + fmt::format("id={} parent={} path={}", e.arg, e.arg2, e.comm ? e.comm : "");
    case TraceType::CgroupRemove:
      return head + fmt::format("id={}", e.arg);
    case TraceType::CgroupWrite:
      return head + fmt::format("id={} {}={}", e.arg, e.comm ? e.comm : "", e.text ? e.text : "");
    case TraceType::CgroupAttach:
      return head + fmt::format("pid={} id={} from={}", e.pid, e.arg, e.arg2);
    case TraceType::CgroupThrottle:
      return head + fmt::format("id={}", e.arg);
    case TraceType::CgroupUnthrottle:
      return head + fmt::format("id={} throttled_ns={}", e.arg, e.value);
  }
  return head;
}

void TextTraceSink::on_event(const TraceEvent& e) {
  std::string line = format(e);
  if (e.type == TraceType::Tick && !ticks_) return;
  std::fputs(line.c_str(), out_);
  std::fputc('\n', out_);
}

}  // namespace scx
