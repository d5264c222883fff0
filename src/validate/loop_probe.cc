#include "validate/loop_probe.h"

#include <fmt/format.h>

namespace scx {

std::optional<int64_t> numeric_calibration(const nlohmann::json& workload) {
  if (!workload.is_object() || !workload.contains("global")) return std::nullopt;
  const nlohmann::json& g = workload["global"];
  if (!g.is_object() || !g.contains("calibration") || !g["calibration"].is_number_integer()) return std::nullopt;
  const int64_t c = g["calibration"].get<int64_t>();
  return c > 0 ? std::optional<int64_t>(c) : std::nullopt;
}

std::string loop_probe_json(int64_t calibration, int cpus) {
  nlohmann::json tasks = nlohmann::json::object();
  for (int cpu = 0; cpu < cpus; ++cpu) {
    tasks[fmt::format("loop-probe-{}", cpu)] = {
        {"loop", 1},
        {"cpus", {cpu}},
        {"phases", {{"run", {{"run", kProbeRun / kNsPerUs}}}}},
    };
  }
  nlohmann::json j = {
      {"global",
       {{"duration", -1}, {"calibration", calibration}, {"default_policy", "SCHED_OTHER"}, {"lock_pages", false}}},
      {"tasks", tasks},
  };
  return j.dump(1);
}

double loop_ns_from_probe(int64_t calibration, int cpus, Ns cpu_time) {
  if (cpus <= 0) return 0;
  return static_cast<double>(calibration) * static_cast<double>(cpu_time) /
         (static_cast<double>(cpus) * static_cast<double>(kProbeRun));
}

}  // namespace scx
