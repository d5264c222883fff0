// Reading a real kernel's tracefs `trace` file (the default text layout) into records:
//
//   <comm>-<pid>  [<cpu>] <flags> <seconds>.<micros>: <event>: <fields>
//
// Comments (#), blank lines and "CPU:N [LOST M EVENTS]" notes are not records; lost events are
// counted, lines that do not have this shape are counted as unreadable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/time.h"

namespace scx {

struct FtraceRecord {
  Ns time = 0;         // the timestamp column in ns (the text has µs resolution)
  int cpu = 0;
  int cur_pid = 0;     // the TASK-PID column: the task current on that CPU
  std::string event;   // "sched_switch"
  std::string fields;  // everything after "<event>: "
};

struct FtraceText {
  std::vector<FtraceRecord> records;  // in file order (the kernel merges CPUs by time)
  uint64_t lost_events = 0;           // from "[LOST N EVENTS]" notes
  uint64_t unreadable_lines = 0;
};

FtraceText parse_ftrace_text(std::string_view text);
// One line; nullopt when it is not an event record.
std::optional<FtraceRecord> parse_ftrace_line(std::string_view line);

// The value of `key=` in an event's fields. Values end at the next space, or, when `next_key` is
// given, right before " <next_key>=" (comm values may contain spaces).
std::optional<std::string_view> ftrace_field(std::string_view fields, std::string_view key,
                                             std::string_view next_key = {});
// The same, as an integer.
std::optional<int64_t> ftrace_int(std::string_view fields, std::string_view key);

}  // namespace scx
