#include "workload/figures.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "workload/gen_internal.h"
#include "workload/latency_histogram.h"

namespace scx {

// ---------------------------------------------------------------------------------------------
// LatencyHistogram

unsigned LatencyHistogram::val_to_idx(unsigned v) {
  const unsigned msb = v == 0 ? 0 : 31 - static_cast<unsigned>(__builtin_clz(v));
  if (msb <= kBits) return v;  // below 512: one bucket per value
  const unsigned error_bits = msb - kBits;
  const unsigned base = (error_bits + 1) << kBits;
  const unsigned offset = (kVal - 1) & (v >> error_bits);
  return std::min(base + offset, kBuckets - 1);
}

unsigned LatencyHistogram::idx_to_val(unsigned idx) {
  if (idx < (kVal << 1)) return idx;
  const unsigned error_bits = (idx >> kBits) - 1;
  const unsigned base = 1u << (error_bits + kBits);
  const unsigned k = idx % kVal;
  // The middle of the bucket, truncated as the C double-to-unsigned conversion does.
  return base + static_cast<unsigned>((k + 0.5) * static_cast<double>(1u << error_bits));
}

void LatencyHistogram::add(unsigned v) {
  if (v > max_) max_ = v;
  if (min_ == 0 || v < min_) min_ = v;
  ++plat_[val_to_idx(v)];
  ++nr_;
}

std::vector<LatencyHistogram::Percentile> LatencyHistogram::percentiles() const {
  constexpr size_t len = std::size(kPercentiles);
  std::vector<Percentile> out(len);
  uint64_t sum = 0;
  size_t j = 0;
  bool last = false;
  for (unsigned i = 0; i < kBuckets && !last; ++i) {
    sum += plat_[i];
    while (static_cast<double>(sum) >= kPercentiles[j] / 100.0 * static_cast<double>(nr_)) {
      out[j].value = idx_to_val(i);
      out[j].count = sum;
      last = j == len - 1;
      if (last) break;
      ++j;
    }
  }
  uint64_t prev = 0;
  for (size_t i = 0; i < len; ++i) {
    out[i].pct = kPercentiles[i];
    if (i > 0) {
      prev += out[i - 1].count;
      out[i].count -= prev;
    }
  }
  return out;
}

std::string LatencyHistogram::show(const std::string& label, const std::string& units,
                                   uint64_t runtime_s, unsigned mask, unsigned star) const {
  std::string s = fmt::format("{} percentiles ({}) runtime {} (s) ({} total samples)\n", label, units,
                              runtime_s, nr_);
  const auto p = percentiles();
  for (size_t i = 0; i < p.size(); ++i) {
    const unsigned bit = 1u << i;
    if (!(mask & bit)) continue;
    s += fmt::format("\t{}{:2.1f}th: {:<10} ({} samples)\n", bit == star ? "* " : "  ", p[i].pct,
                     p[i].value, p[i].count);
  }
  s += fmt::format("\t  min={}, max={}\n", min_, max_);
  return s;
}

namespace {

uint32_t counter_id(const Workload& w, const std::string& name) {
  for (size_t i = 0; i < w.counters.size(); ++i)
    if (w.counters[i] == name) return static_cast<uint32_t>(i);
  return kNoObject;
}

bool is_mark(const TraceEvent& e, uint32_t id) {
  return e.type == TraceType::Mark && id != kNoObject && static_cast<uint32_t>(e.arg) == id;
}

// ---------------------------------------------------------------------------------------------
// hackbench: "Time" = main's stop mark (all children reaped) - its release mark.

class HackbenchSink : public WorkloadFiguresSink {
 public:
  explicit HackbenchSink(const Workload& w)
      : release_(counter_id(w, "release")),
        stop_(counter_id(w, "stop")),
        messages_(counter_id(w, "messages")),
        groups_(report_param(w, "groups")),
        fds_(report_param(w, "fds")),
        loops_(report_param(w, "loops")),
        datasize_(report_param(w, "datasize")),
        threads_(report_param(w, "threads") != 0),
        perf_(report_param(w, "perf") != 0) {}

  void on_event(const TraceEvent& e) override {
    if (is_mark(e, release_)) start_ = e.time;
    if (is_mark(e, stop_)) stop_time_ = e.time;
    if (is_mark(e, messages_)) messages_seen_ += e.value;
  }

  std::optional<Ns> elapsed() const {
    if (start_ < 0 || stop_time_ < 0) return std::nullopt;
    return static_cast<Ns>(stop_time_ - start_);
  }

  std::vector<WorkloadFigure> figures() const override {
    std::vector<WorkloadFigure> f;
    WorkloadFigure t{"time", std::nullopt, "s", false};
    if (auto d = elapsed()) t.value = static_cast<double>(*d) / 1e9;
    f.push_back(t);
    f.push_back(WorkloadFigure{"messages", static_cast<double>(messages_seen_), "msgs", true});
    return f;
  }

  std::string text() const override {
    std::string s;
    // Both tools print seconds and truncated milliseconds of a gettimeofday() difference.
    std::string time = "-";
    if (auto d = elapsed()) {
      const uint64_t usec = *d / 1000;
      time = fmt::format("{}.{:03}", usec / 1000000, usec % 1000000 / 1000);
    }
    const int64_t tasks = groups_ * fds_ * 2;
    if (perf_) {
      const char* what = threads_ ? "threads" : "processes";
      s += "# Running 'sched/messaging' benchmark:\n";
      s += fmt::format("# {} sender and receiver {} per group\n", fds_, what);
      s += fmt::format("# {} groups == {} {} run\n\n", groups_, tasks, what);
      s += fmt::format(" {:>14}: {} [sec]\n", "Total time", time);
    } else {
      s += fmt::format("Running in {} mode with {} groups using {} file descriptors each (== {} tasks)\n",
                       threads_ ? "threaded" : "process", groups_, 2 * fds_, tasks);
      s += fmt::format("Each sender will pass {} messages of {} bytes\n", loops_, datasize_);
      s += fmt::format("Time: {}\n", time);
    }
    return s;
  }

 private:
  uint32_t release_, stop_, messages_;
  int64_t groups_, fds_, loops_, datasize_;
  bool threads_, perf_;
  int64_t start_ = -1, stop_time_ = -1;
  int64_t messages_seen_ = 0;
};

// ---------------------------------------------------------------------------------------------
// schbench: wakeup latency = a worker's SchedWaking (the message thread's wake, its wake_time)
// to its "worker_wakeups" mark (after the switch-in, see schbench.cc); request latency = "request_starts" to "requests"; RPS sampled
// once per second from "requests". Whole microseconds from truncated timestamps, and only
// latencies > 0 are recorded, as gettimeofday() and schbench do.

class SchbenchSink : public WorkloadFiguresSink {
 public:
  explicit SchbenchSink(const Workload& w)
      : wakeups_(counter_id(w, "worker_wakeups")),
        starts_(counter_id(w, "request_starts")),
        done_(counter_id(w, "requests")),
        workers_(report_param(w, "message_threads", 1) * report_param(w, "worker_threads", 1)),
        warmup_(static_cast<Ns>(report_param(w, "warmup_ns"))),
        pipe_(report_param(w, "pipe")) {}

  void on_event(const TraceEvent& e) override {
    if (e.type == TraceType::SchedWaking) {
      Worker& wk = workers_state_[e.pid];
      wk.woken = true;
      wk.waking = e.time;
      return;
    }
    if (e.type != TraceType::Mark) return;
    const uint32_t id = static_cast<uint32_t>(e.arg);
    if (id != wakeups_ && id != starts_ && id != done_) return;
    Worker& wk = workers_state_[e.pid];
    const bool measured = e.time >= warmup_;
    if (id == wakeups_) {
      if (wk.woken && measured) {
        const uint64_t d = e.time / 1000 - wk.waking / 1000;
        if (d > 0) wakeup_.add(static_cast<unsigned>(std::min<uint64_t>(d, ~0u)));
      }
    } else if (id == starts_) {
      wk.start = e.time;
      wk.started = true;
    } else {
      ++loop_count_;
      const size_t sec = e.time / kNsPerSec;
      if (per_second_.size() <= sec) per_second_.resize(sec + 1, 0);
      ++per_second_[sec];
      if (wk.started && measured) {
        const uint64_t d = e.time / 1000 - wk.start / 1000;
        if (d > 0) request_.add(static_cast<unsigned>(std::min<uint64_t>(d, ~0u)));
      }
      wk.started = false;
    }
    wk.woken = false;
  }

  void on_finish(Ns end) override { end_ = std::max(end_, end); }

  uint64_t runtime_s() const { return end_ / kNsPerSec; }

  // One sample per whole second after the warm-up: requests completed in that second.
  LatencyHistogram rps() const {
    LatencyHistogram h;
    for (uint64_t k = 1; k <= runtime_s(); ++k) {
      if (static_cast<Ns>(k * kNsPerSec) <= warmup_) continue;
      h.add(static_cast<unsigned>(k - 1 < per_second_.size() ? per_second_[k - 1] : 0));
    }
    return h;
  }

  double average_rps() const {
    return runtime_s() ? static_cast<double>(loop_count_) / static_cast<double>(runtime_s()) : 0.0;
  }

  std::vector<WorkloadFigure> figures() const override {
    std::vector<WorkloadFigure> f;
    auto add_hist = [&](const std::string& prefix, const LatencyHistogram& h, unsigned mask,
                        const std::string& unit, bool higher) {
      auto p = h.percentiles();
      for (size_t i = 0; i < p.size(); ++i) {
        if (!(mask & (1u << i))) continue;
        WorkloadFigure fig{fmt::format("{}_p{}", prefix, i == 4 ? "99.9" : fmt::format("{}", static_cast<int>(p[i].pct))),
                           std::nullopt, unit, higher};
        if (h.samples()) fig.value = p[i].value;
        f.push_back(fig);
      }
      WorkloadFigure mn{prefix + "_min", std::nullopt, unit, higher}, mx{prefix + "_max", std::nullopt, unit, higher};
      if (h.samples()) mn.value = h.min(), mx.value = h.max();
      f.push_back(mn);
      f.push_back(mx);
    };
    if (pipe_ > 0) {
      add_hist("wakeup", wakeup_, kPlist20 | kPlistForLat, "us", false);
      f.push_back(WorkloadFigure{"ops_per_sec", ops_per_sec(), "ops/s", true});
      return f;
    }
    add_hist("wakeup", wakeup_, kPlistForLat, "us", false);
    add_hist("request", request_, kPlistForLat, "us", false);
    add_hist("rps", rps(), kPlistForRps, "req/s", true);
    WorkloadFigure avg{"average_rps", std::nullopt, "req/s", true};
    if (runtime_s()) avg.value = average_rps();
    f.push_back(avg);
    return f;
  }

  std::optional<double> ops_per_sec() const {
    // schbench: loop_count / sum of the workers' run times; every worker runs the whole time.
    const double worker_secs = static_cast<double>(workers_) * static_cast<double>(end_) / 1e9;
    if (worker_secs <= 0) return std::nullopt;
    return static_cast<double>(loop_count_) / worker_secs;
  }

  std::string text() const override {
    std::string s;
    const uint64_t rt = runtime_s();
    if (pipe_ > 0) {
      s += wakeup_.show("Wakeup Latencies", "usec", rt, kPlist20 | kPlistForLat, kPlist99);
      const double ops = ops_per_sec().value_or(0.0);
      double bytes = ops * static_cast<double>(pipe_);
      static const char* kUnits[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
      size_t u = 0;
      while (bytes >= 1024 && u + 1 < std::size(kUnits)) {
        bytes /= 1024;
        ++u;
      }
      s += fmt::format("avg worker transfer: {:.2f} ops/sec {:.2f}{}/s\n", ops, bytes, kUnits[u]);
      return s;
    }
    s += wakeup_.show("Wakeup Latencies", "usec", rt, kPlistForLat, kPlist99);
    s += request_.show("Request Latencies", "usec", rt, kPlistForLat, kPlist99);
    s += rps().show("RPS", "requests", rt, kPlistForRps, kPlist50);
    s += fmt::format("average rps: {:.2f}\n", average_rps());
    return s;
  }

  const LatencyHistogram& wakeup() const { return wakeup_; }
  const LatencyHistogram& request() const { return request_; }

 private:
  struct Worker {
    bool woken = false;  // a SchedWaking since the worker's last mark
    Ns waking = 0;
    bool started = false;
    Ns start = 0;
  };
  uint32_t wakeups_, starts_, done_;
  int64_t workers_;
  Ns warmup_;
  int64_t pipe_;
  std::map<int, Worker> workers_state_;
  LatencyHistogram wakeup_, request_;
  std::vector<int64_t> per_second_;
  uint64_t loop_count_ = 0;
  Ns end_ = 0;
};

}  // namespace

std::unique_ptr<WorkloadFiguresSink> make_figures_sink(const Workload& w) {
  if (w.report_kind == "hackbench") return std::make_unique<HackbenchSink>(w);
  if (w.report_kind == "schbench") return std::make_unique<SchbenchSink>(w);
  return nullptr;
}

}  // namespace scx
