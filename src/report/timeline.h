// The per-CPU timeline of the HTML report: which task ran on which CPU when, recorded from
// sched_switch events. Idle time is not recorded. A long run is cut after `max_slices` slices (the
// report says where: Timeline::end), so that the page stays small enough to open.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "trace/trace.h"

namespace scx {

struct TimelineSlice {
  int cpu = 0;
  Ns start = 0, end = 0;
  int task = 0;  // into Timeline::tasks
};

struct Timeline {
  int nr_cpus = 0;
  Ns end = 0;                       // the run's end, or where recording stopped (truncated)
  bool truncated = false;
  std::vector<std::string> tasks;   // "comm/pid", in the order they first ran
  std::vector<TimelineSlice> slices;  // in the order they ended
};

class TimelineRecorder : public TraceSink {
 public:
  static constexpr size_t kDefaultMaxSlices = 60000;
  explicit TimelineRecorder(int nr_cpus, size_t max_slices = kDefaultMaxSlices);
  void on_event(const TraceEvent& e) override;
  void on_finish(Ns end) override;
  const Timeline& timeline() const { return timeline_; }

 private:
  struct Running {
    int pid = 0;  // 0: idle
    Ns since = 0;
  };
  void close(int cpu, Ns at);
  void stop(Ns at);
  int task_index(int pid);

  size_t max_slices_;
  Timeline timeline_;
  std::vector<Running> running_;            // per CPU
  std::map<int, std::string> comms_;        // pid -> comm, as TaskNew / fork name them
  std::vector<int> index_;                  // pid -> index into timeline_.tasks, -1 = none yet
};

}  // namespace scx
