#include "sweep/digest_json.h"

#include <cmath>
#include <limits>

namespace scx::sweep {

namespace {

using Json = nlohmann::ordered_json;

// JSON has no infinities or NaN (nlohmann would write null): they go as strings.
Json number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}
Json optional_number(std::optional<double> v) { return v ? number(*v) : Json(); }
Json numbers(const std::vector<double>& v) {
  Json a = Json::array();
  for (double x : v) a.push_back(number(x));
  return a;
}

// Reading: a malformed file throws type_error inside; the caller turns it into one error.
double to_double(const Json& j) {
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf" || s == "-inf") return s == "inf" ? HUGE_VAL : -HUGE_VAL;
  }
  return j.get<double>();
}
std::vector<double> to_doubles(const Json& j) {
  std::vector<double> v;
  for (const Json& x : j) v.push_back(to_double(x));
  return v;
}

}  // namespace

nlohmann::ordered_json digest_to_json(const RunDigest& d) {
  Json j;
  j["variant"] = d.variant;
  j["seed"] = d.seed;
  j["duration_ns"] = d.duration;
  j["events"] = d.events;
  Json metrics = Json::array();
  for (const MetricValue& m : d.metrics)
    metrics.push_back({{"key", m.def.key}, {"label", m.def.label}, {"unit", m.def.unit},
                       {"direction", m.def.direction}, {"value", optional_number(m.value)}});
  j["metrics"] = metrics;
  j["latency_quantiles"] = numbers(d.latency_quantiles);
  j["bucket_ns"] = d.bucket;
  Json busy = Json::array();
  for (const auto& cpu : d.busy) busy.push_back(numbers(cpu));
  j["busy"] = busy;
  j["queued"] = numbers(d.queued);
  j["dsq_depth"] = numbers(d.dsq_depth);
  j["ejected"] = d.ejected;
  return j;
}

Result<RunDigest> digest_from_json(const nlohmann::ordered_json& j) {
  RunDigest d;
  const char* key = "digest";
  try {
    for (const char* k : {"variant", "seed", "duration_ns", "events", "metrics", "latency_quantiles", "bucket_ns",
                          "busy", "queued", "dsq_depth", "ejected"})
      if (!j.contains(key = k)) return Status::Error(std::string("digest.") + k, "missing");
    d.variant = j.at(key = "variant").get<std::string>();
    d.seed = j.at(key = "seed").get<uint64_t>();
    d.duration = j.at(key = "duration_ns").get<Ns>();
    d.events = j.at(key = "events").get<uint64_t>();
    for (const Json& m : j.at(key = "metrics")) {
      MetricValue v;
      v.def = {m.at("key").get<std::string>(), m.at("label").get<std::string>(), m.at("unit").get<std::string>(),
               m.at("direction").get<int>()};
      if (!m.at("value").is_null()) v.value = to_double(m.at("value"));
      d.metrics.push_back(std::move(v));
    }
    d.latency_quantiles = to_doubles(j.at(key = "latency_quantiles"));
    d.bucket = j.at(key = "bucket_ns").get<Ns>();
    for (const Json& cpu : j.at(key = "busy")) d.busy.push_back(to_doubles(cpu));
    d.queued = to_doubles(j.at(key = "queued"));
    d.dsq_depth = to_doubles(j.at(key = "dsq_depth"));
    d.ejected = j.at(key = "ejected").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    return Status::Error(std::string("digest.") + key, "missing or of the wrong type");
  }
  return d;
}

}  // namespace scx::sweep
