#include "sweep/digest_json.h"

#include <cmath>
#include <limits>

namespace scx {

namespace {

using Json = nlohmann::json;

// JSON has no infinities or NaN (nlohmann would write null): they go as strings.
Json number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}
Json numbers(const std::vector<double>& v) {
  Json a = Json::array();
  for (double x : v) a.push_back(number(x));
  return a;
}

double to_double(const Json& j) {
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf" || s == "-inf") return s == "inf" ? HUGE_VAL : -HUGE_VAL;
  }
  return j.get<double>();
}
std::vector<double> to_doubles(const Json& j) {
  if (!j.is_array()) throw Json::type_error::create(302, "expected an array of numbers", &j);
  std::vector<double> v;
  for (const Json& x : j) v.push_back(to_double(x));
  return v;
}

}  // namespace

void to_json(nlohmann::json& j, const RunDigest& d) {
  Json metrics = Json::array();
  for (const MetricValue& m : d.metrics)
    metrics.push_back({{"key", m.def.key}, {"label", m.def.label}, {"unit", m.def.unit},
                       {"direction", m.def.direction}, {"value", m.value ? number(*m.value) : Json()}});
  Json busy = Json::array();
  for (const auto& cpu : d.busy) busy.push_back(numbers(cpu));
  j = {{"variant", d.variant}, {"seed", d.seed}, {"duration_ns", d.duration}, {"events", d.events},
       {"metrics", metrics}, {"latency_quantiles", numbers(d.latency_quantiles)}, {"bucket_ns", d.bucket},
       {"busy", busy}, {"queued", numbers(d.queued)}, {"dsq_depth", numbers(d.dsq_depth)}, {"ejected", d.ejected}};
}

void from_json(const nlohmann::json& j, RunDigest& d) {
  d.variant = j.at("variant").get<std::string>();
  d.seed = j.at("seed").get<uint64_t>();
  d.duration = j.at("duration_ns").get<Ns>();
  d.events = j.at("events").get<uint64_t>();
  for (const Json& m : j.at("metrics")) {
    MetricValue v;
    v.def = {m.at("key").get<std::string>(), m.at("label").get<std::string>(), m.at("unit").get<std::string>(),
             m.at("direction").get<int>()};
    if (!m.at("value").is_null()) v.value = to_double(m.at("value"));
    d.metrics.push_back(std::move(v));
  }
  d.latency_quantiles = to_doubles(j.at("latency_quantiles"));
  d.bucket = j.at("bucket_ns").get<Ns>();
  for (const Json& cpu : j.at("busy")) d.busy.push_back(to_doubles(cpu));
  d.queued = to_doubles(j.at("queued"));
  d.dsq_depth = to_doubles(j.at("dsq_depth"));
  d.ejected = j.at("ejected").get<std::string>();
}

}  // namespace scx
