#include "validate/figures.h"

#include <map>

#include "metrics/summary.h"

namespace scx {

const std::vector<ValidationMetric>& validation_metrics() {
  using K = ToleranceKind;
  static const std::vector<ValidationMetric> kMetrics = {
      {"cpu_share_pct", "CPU share", "%", K::Relative, 0.10, 0, false},
      {"vcsw_per_s", "voluntary switches", "1/s/task", K::Relative, 0.25, 1.0, false},
      {"ivcsw_per_s", "involuntary switches", "1/s/task", K::Relative, 0.25, 1.0, false},
      {"wakeup_p50_us", "wake-up latency p50", "us", K::None, 0, 0, true},
      {"wakeup_p99_us", "wake-up latency p99", "us", K::Relative, 0.50, 0, true},
      {"wakeup_le_200us", "wake-ups <= 200 us", "fraction", K::None, 0, 0, true},
      {"wakeup_le_4ms", "wake-ups <= 4 ms", "fraction", K::Absolute, 0.10, 0, true},
      {"run_delay_p50_us", "run delay p50", "us", K::None, 0, 0, false},
      {"run_delay_p99_us", "run delay p99", "us", K::None, 0, 0, false},
  };
  return kMetrics;
}

namespace {

std::optional<double> us(const std::optional<double>& ns) {
  return ns ? std::optional<double>(*ns / 1e3) : std::nullopt;
}

// Fraction of samples at or below `limit`; nullopt without samples.
std::optional<double> fraction_within(const std::vector<Ns>& samples, Ns limit) {
  if (samples.empty()) return std::nullopt;
  size_t n = 0;
  for (Ns s : samples) n += s <= limit;
  return static_cast<double>(n) / static_cast<double>(samples.size());
}

// Per-task rate per second.
std::optional<double> rate(uint64_t count, uint64_t tasks, Ns duration) {
  if (!tasks || !duration) return std::nullopt;
  return static_cast<double>(count) / static_cast<double>(tasks) / (static_cast<double>(duration) / 1e9);
}

GroupFigures group_figures(const EntitySummary& g, const std::vector<Ns>& wakeups, Ns duration) {
  GroupFigures f;
  f.group = g.name;
  f.tasks = g.tasks;
  f.wakeups = wakeups.size();
  f.values = {g.share_pct,
              rate(g.nvcsw, g.tasks, duration),
              rate(g.nivcsw, g.tasks, duration),
              us(g.wakeup_latency.p50),
              us(g.wakeup_latency.p99),
              fraction_within(wakeups, 200 * kNsPerUs),
              fraction_within(wakeups, 4 * kNsPerMs),
              us(g.run_delay.p50),
              us(g.run_delay.p99)};
  return f;
}

}  // namespace

RunFigures run_figures(const MetricsCollector& m) {
  const RunSummary s = summarize(m);
  std::map<std::string, std::vector<Ns>> wakeups;
  for (const TaskMetrics& t : m.tasks())
    if (!t.kthread) wakeups[t.group].insert(wakeups[t.group].end(), t.wakeup_latency.begin(), t.wakeup_latency.end());
  RunFigures r;
  r.duration = s.duration;
  for (const EntitySummary& g : s.groups) r.groups.push_back(group_figures(g, wakeups[g.name], s.duration));
  return r;
}

nlohmann::json run_figures_json(const RunFigures& r) {
  nlohmann::json j;
  j["duration_ns"] = r.duration;
  j["foreign_cpu_pct"] = r.foreign_cpu_pct ? nlohmann::json(*r.foreign_cpu_pct) : nlohmann::json(nullptr);
  nlohmann::json groups = nlohmann::json::object();
  for (const GroupFigures& g : r.groups) {
    nlohmann::json o;
    o["tasks"] = g.tasks;
    o["wakeups"] = g.wakeups;
    for (size_t i = 0; i < validation_metrics().size(); ++i)
      o[validation_metrics()[i].key] = g.values[i] ? nlohmann::json(*g.values[i]) : nlohmann::json(nullptr);
    groups[g.group] = o;
  }
  j["groups"] = groups;
  return j;
}

Result<RunFigures> run_figures_from_json(const nlohmann::json& j) {
  RunFigures r;
  if (!j.is_object() || !j.contains("groups") || !j["groups"].is_object() || !j.contains("duration_ns"))
    return Status::Error("", "expected an object with 'duration_ns' and 'groups'");
  if (!j["duration_ns"].is_number_unsigned()) return Status::Error("duration_ns", "expected a count of ns");
  r.duration = j["duration_ns"].get<Ns>();
  if (j.contains("foreign_cpu_pct") && j["foreign_cpu_pct"].is_number())
    r.foreign_cpu_pct = j["foreign_cpu_pct"].get<double>();
  for (const auto& [name, o] : j["groups"].items()) {
    GroupFigures g;
    g.group = name;
    if (!o.is_object() || !o.value("tasks", nlohmann::json()).is_number_unsigned() ||
        !o.value("wakeups", nlohmann::json()).is_number_unsigned())
      return Status::Errorf("groups." + name, "expected an object with 'tasks' and 'wakeups' counts");
    g.tasks = o["tasks"].get<uint64_t>();
    g.wakeups = o["wakeups"].get<uint64_t>();
    for (const ValidationMetric& m : validation_metrics()) {
      const nlohmann::json v = o.value(m.key, nlohmann::json());
      if (!v.is_null() && !v.is_number()) return Status::Errorf("groups." + name + "." + m.key, "expected a number or null");
      g.values.push_back(v.is_number() ? std::optional<double>(v.get<double>()) : std::nullopt);
    }
    r.groups.push_back(std::move(g));
  }
  return r;
}

}  // namespace scx
