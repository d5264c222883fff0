#include "report/probe_report.h"

#include <nlohmann/json.hpp>

namespace scx {

std::string add_probes_json(const std::string& run_json, const std::vector<ProbeSeries>& probes, Ns interval) {
  if (probes.empty()) return run_json;
  // Parsed back as an ordered document, so that the run's own keys keep their order and layout.
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(run_json);
  nlohmann::ordered_json series = nlohmann::ordered_json::array();
  for (const ProbeSeries& p : probes) {
    nlohmann::ordered_json times = nlohmann::ordered_json::array(), values = nlohmann::ordered_json::array();
    for (const ProbeSample& s : p.samples) {
      times.push_back(s.time);
      values.push_back(s.value);
    }
    series.push_back({{"name", p.name}, {"time_ns", times}, {"values", values}});
  }
  j["probes"] = {{"interval_ns", interval}, {"series", series}};
  return j.dump(2) + "\n";
}

}  // namespace scx
