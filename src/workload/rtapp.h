// rt-app JSON front-end: compiles an rt-app workload description into behaviour programs
// (kernel/program.h). The format and its semantics are described in
// /work/shared/spec/rt-app-format.md; where rt-app 1.0 and upstream HEAD differ we follow HEAD
// (noted at each place in rtapp.cc).
//
// Input is checked strictly: unknown keys, wrongly typed values and events the simulator cannot
// model are errors (one line naming file, task, phase and key), never silently skipped, so a
// workload never runs differently from what the file says. A key repeated inside one object
// (which json-c, rt-app's parser, silently collapses to one value) is renamed the way rt-app's
// `workgen` does ("run", "run" -> "run", "run1"), with a warning in Workload::warnings; with
// rename_duplicates = false it is an error instead.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "kernel/program.h"
#include "sim/time.h"
#include "workload/task_limit.h"

namespace scx {

struct RtAppOptions {
  // CPU demand of `run` = value × run_scale µs at capacity 1024. rt-app busy-loops
  // value*1000/calib iterations, so run_scale = true_ns_per_loop / calib_ns (1 = nominal).
  double run_scale = 1.0;
  // The simulated machine's time per rt-app loop (CostModel::rtapp_loop_ns); when set, a file
  // with a numeric calibration gets run_scale = loop_ns / calibration instead.
  double loop_ns = 0;
  // Workload::duration when the file has no global.duration (0 = the CLI decides).
  Ns default_duration = 0;
  // CPUs of the simulated machine, for checking `cpus` and "CPUn" calibration; 0 = unchecked.
  int nr_cpus = 0;
  // Cost of `mem` / `iorun` as CPU work at capacity 1024. rt-app's mem is a memset of its
  // per-thread buffer (~10 GB/s) and iorun a write() of it to /dev/null (cheaper still), so
  // 0.1 ns per byte is a round, slightly pessimistic figure.
  double mem_ns_per_byte = 0.1;
  // Rename repeated keys like workgen (and warn) instead of refusing the file.
  bool rename_duplicates = true;
  // The most tasks (instances of every task) the file may start (--max-tasks).
  int64_t max_tasks = kDefaultMaxTasks;
};

// Reads and compiles a file. Errors are prefixed with `path`.
Result<Workload> parse_rtapp_file(const std::string& path, const RtAppOptions& = {});
// Compiles JSON text; `origin` names it in errors (usually the file name) and gives
// Workload::name (its base name without ".json").
Result<Workload> parse_rtapp_json(std::string_view text, const std::string& origin,
                                  const RtAppOptions& = {});

// The one-line description of a bundled workload: the text of a /* ... */ comment that opens
// the file (leading '*' and blanks trimmed), or "" when there is none.
std::string rtapp_description(std::string_view text);

}  // namespace scx
