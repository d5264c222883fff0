// Samples resolved probes every `interval` of simulated time. The runner steps the simulation
// to each due time (Kernel::advance_to: a stepped run is the same run) and calls sample(): the
// value at time T is the scheduler's state after every event up to and including T. Reading
// never writes, so probes do not change the schedule.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "probe/probe_readers.h"
#include "report/probe_series.h"

namespace scx {

class ProbeSampler {
 public:
  explicit ProbeSampler(Ns interval) : interval_(interval), next_(interval) {}

  void add(std::vector<ProbeReader> readers);
  bool empty() const { return readers_.empty(); }
  // The time of the next sample.
  Ns next_due() const { return next_; }
  // Records every probe's value at `now` (the due time) and moves to the next.
  void sample(Ns now);
  // Also told of each sample (the Perfetto writer's counter tracks); optional.
  void on_sample(std::function<void(const std::string& name, Ns time, int64_t value)> fn) { on_sample_ = std::move(fn); }

  const std::vector<ProbeSeries>& series() const { return series_; }

 private:
  Ns interval_;
  Ns next_;
  std::vector<ProbeReader> readers_;
  std::vector<ProbeSeries> series_;  // parallel to readers_
  std::function<void(const std::string&, Ns, int64_t)> on_sample_;
};

}  // namespace scx

namespace scx {
class ScxOps;
namespace bpf {
class BpfObject;
}

// The sampler of a run's `--probe` texts against its scheduler: a BPF object (`object`), or a
// native policy (`native`, its counters), named `sched` in messages; neither (EEVDF) is an error.
Result<std::unique_ptr<ProbeSampler>> make_probe_sampler(const std::vector<std::string>& probes, Ns interval,
                                                         bpf::BpfObject* object, const ScxOps* native,
                                                         const std::string& sched);

}  // namespace scx
