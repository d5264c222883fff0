// A workload's own figures of merit — what the real tool would print (hackbench's "Time:",
// schbench's latency percentiles and RPS). A generator that has such figures names a kind in
// Workload::report_kind; make_figures_sink() returns the sink that measures them from trace
// events (Mark / PhaseEnd / exits), so reports can show them next to the scheduler metrics.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/program.h"
#include "trace/trace.h"

namespace scx {

struct WorkloadFigure {
  std::string name;              // e.g. "time", "wakeup_p99", "rps"
  std::optional<double> value;   // nullopt = not measured
  std::string unit;              // "s", "us", "req/s"
  bool higher_is_better = false;
};

class WorkloadFiguresSink : public TraceSink {
 public:
  virtual std::vector<WorkloadFigure> figures() const = 0;
  // The figures in the real tool's own output layout.
  virtual std::string text() const = 0;
};

// nullptr when the workload has no figures of its own.
std::unique_ptr<WorkloadFiguresSink> make_figures_sink(const Workload& w);

}  // namespace scx
