#include "report/timeline.h"

#include <fmt/format.h>

namespace scx {

TimelineRecorder::TimelineRecorder(int nr_cpus, size_t max_slices)
    : max_slices_(max_slices), running_(static_cast<size_t>(nr_cpus)) {
  timeline_.nr_cpus = nr_cpus;
}

int TimelineRecorder::task_index(int pid) {
  if (static_cast<size_t>(pid) >= index_.size()) index_.resize(static_cast<size_t>(pid) + 1, -1);
  int& idx = index_[static_cast<size_t>(pid)];
  if (idx < 0) {
    auto it = comms_.find(pid);
    idx = static_cast<int>(timeline_.tasks.size());
    timeline_.tasks.push_back(fmt::format("{}/{}", it == comms_.end() ? "?" : it->second, pid));
  }
  return idx;
}

void TimelineRecorder::close(int cpu, Ns at) {
  Running& r = running_[static_cast<size_t>(cpu)];
  if (r.pid != 0 && at > r.since) timeline_.slices.push_back({cpu, r.since, at, task_index(r.pid)});
  r = {0, at};
}

// Full: the timeline ends here, with what every CPU was running up to now.
void TimelineRecorder::stop(Ns at) {
  for (int c = 0; c < timeline_.nr_cpus; ++c) close(c, at);
  timeline_.truncated = true;
  timeline_.end = at;
}

void TimelineRecorder::on_event(const TraceEvent& e) {
  if (e.type == TraceType::TaskNew || e.type == TraceType::SchedProcessFork) {
    if (e.pid > 0 && e.comm) comms_[e.pid] = e.comm;
    return;
  }
  if (e.type != TraceType::SchedSwitch || e.cpu < 0 || e.cpu >= timeline_.nr_cpus || timeline_.truncated) return;
  if (timeline_.slices.size() >= max_slices_) return stop(e.time);
  close(e.cpu, e.time);
  running_[static_cast<size_t>(e.cpu)] = {e.pid2, e.time};
}

void TimelineRecorder::on_finish(Ns end) {
  if (timeline_.truncated) return;
  for (int c = 0; c < timeline_.nr_cpus; ++c) close(c, end);
  timeline_.end = end;
}

}  // namespace scx
