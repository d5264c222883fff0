#include "report/param_json.h"

#include <charconv>

#include "sim/time.h"

namespace scx {
namespace {

// The number before `suffix` ("25/s" with "/s" -> 25), if the value is exactly that.
std::optional<double> number_before(const std::string& value, const std::string& suffix) {
  if (!value.ends_with(suffix)) return std::nullopt;
  double v = 0;
  const char* end = value.data() + value.size() - suffix.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, v);
  if (ec != std::errc() || ptr != end || ptr == value.data()) return std::nullopt;
  return v;
}

}  // namespace

std::pair<std::string, nlohmann::ordered_json> param_json(const std::string& name, const std::string& value) {
  using json = nlohmann::ordered_json;
  if (value == "on" || value == "off") return {name, json(value == "on")};
  if (auto ns = number_before(value, "ns"); ns && *ns != static_cast<double>(static_cast<Ns>(*ns)))
    return {name + "_ns", json(*ns)};  // fractional ns (rtapp_loop), which parse_duration rounds
  if (auto d = parse_duration(value); d.ok()) return {name + "_ns", json(*d)};
  if (auto rate = number_before(value, "/s")) return {name + "_per_s", json(*rate)};
  if (auto pct = number_before(value, "%")) return {name + "_pct", json(*pct)};
  if (auto n = number_before(value, "")) return {name, json(*n)};  // hz, daemon_nice
  return {name, json(value)};
}

nlohmann::ordered_json cost_model_json(const CostModel& cost) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& p : cost.describe()) {
    auto [key, value] = param_json(p.name, p.value);
    j[key] = value;
  }
  return j;
}

nlohmann::ordered_json noise_json(const NoiseModel& noise) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (!noise.any()) return j;
  for (const auto& p : noise.describe()) {
    auto [key, value] = param_json(p.name, p.value);
    j[key] = value;
  }
  return j;
}

}  // namespace scx
