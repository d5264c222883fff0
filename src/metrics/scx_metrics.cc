#include "metrics/scx_metrics.h"

#include <algorithm>

#include "metrics/metrics.h"

namespace scx {

std::string scx_dsq_name(uint64_t id) {
  if (id == kScxDsqGlobal) return "global";
  if (id == kScxDsqLocal) return "local";
  if ((id & kScxDsqFlagLocalOn) && (id & kScxDsqFlagBuiltin))
    return "local_on:" + std::to_string(id & 0xffffffffULL);
  if (id & kScxDsqFlagBuiltin) return "builtin:" + std::to_string(id & ~kScxDsqFlagBuiltin);
  return std::to_string(id);
}

DsqMetrics& ScxMetrics::dsq(Ns t, uint64_t id) {
  present_ = true;
  auto [it, inserted] = dsqs_.try_emplace(id);
  if (inserted) {
    it->second.id = id;
    it->second.first_seen = it->second.depth_since = t;
  }
  return it->second;
}

void ScxMetrics::set_depth(DsqMetrics& d, Ns t, int64_t depth) {
  if (d.depth > 0 && t > d.depth_since) {
    d.depth_ns += (t - d.depth_since) * static_cast<uint64_t>(d.depth);
    if (series_width_)
      add_to_buckets(d.depth_series, series_width_, d.depth_since, t, static_cast<uint64_t>(d.depth));
  }
  d.depth_since = std::max(d.depth_since, t);
  d.depth = std::max<int64_t>(depth, 0);
  d.max_depth = std::max(d.max_depth, d.depth);
}

void ScxMetrics::dsq_insert(Ns t, uint64_t id, int64_t depth, int pid) {
  DsqMetrics& d = dsq(t, id);
  ++d.inserts;
  set_depth(d, t, depth);
  queued_[pid] = {id, t};
}

void ScxMetrics::dsq_remove(Ns t, uint64_t id, int64_t depth, int pid) {
  DsqMetrics& d = dsq(t, id);
  ++d.removals;
  set_depth(d, t, depth);
  auto it = queued_.find(pid);
  if (it != queued_.end()) {
    if (it->second.first == id) d.latency.push_back(t - it->second.second);
    queued_.erase(it);
  }
}

void ScxMetrics::callback(std::string_view op, uint64_t n) {
  present_ = true;
  auto it = callbacks_.find(op);
  if (it == callbacks_.end()) it = callbacks_.emplace(std::string(op), 0).first;
  it->second += n;
}

void ScxMetrics::event_counter(std::string_view name, int64_t delta) {
  present_ = true;
  auto it = events_.find(name);
  if (it == events_.end()) it = events_.emplace(std::string(name), 0).first;
  it->second += delta;
}

void ScxMetrics::exit(std::string_view kind, std::string_view reason, Ns t) {
  present_ = true;
  exit_kind_ = std::string(kind);
  exit_reason_ = std::string(reason);
  exit_time_ = t;
}

void ScxMetrics::set_state(std::string_view state) {
  present_ = true;
  state_ = std::string(state);
}

void ScxMetrics::finish(Ns end) {
  for (auto& [id, d] : dsqs_) set_depth(d, end, d.depth);
}

}  // namespace scx
