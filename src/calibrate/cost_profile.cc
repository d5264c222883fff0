#include "calibrate/cost_profile.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/json_error.h"
#include "base/json_parse.h"

namespace scx {
namespace detail {
struct EmbeddedJson {
  const char* name;
  const char* text;
};
extern const EmbeddedJson kBundledCostProfiles[];  // costs/*.json (embed_json.cmake)
extern const std::size_t kBundledCostProfilesCount;
}  // namespace detail
namespace {

using nlohmann::ordered_json;

double round_ns(double v) { return std::round(v * 10) / 10; }

Result<std::vector<std::pair<std::string, std::string>>> parse_strings(const ordered_json& obj,
                                                                        const std::string& key) {
  if (!obj.is_object()) return Status::Errorf(key, "expected an object");
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : obj.items()) {
    if (!value.is_string())
      return Status::Errorf(key + "." + name, "expected a string (e.g. \"1.5us\"), got {}", value.dump());
    out.emplace_back(name, value.get<std::string>());
  }
  return out;
}

Status check_costs(const CostProfile& p) {
  CostModel scratch;
  for (const auto& [name, value] : p.costs) {
    Status st = scratch.set(name + "=" + value);
    if (!st.ok()) return Status::Error("costs." + name, st.reason());
  }
  return {};
}

Result<CostProfile> parse_doc(const ordered_json& doc) {
  if (!doc.is_object()) return Status::Error("", "expected a JSON object");
  CostProfile p;
  for (const auto& [key, value] : doc.items()) {
    if (key == "format") {
      if (value != kCostProfileFormat)
        return Status::Errorf("format", "expected \"{}\", got {}", kCostProfileFormat, value.dump());
    } else if (key == "machine") {
      if (!value.is_object()) return Status::Error("machine", "expected an object");
      for (const auto& [k, v] : value.items()) p.machine.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
    } else if (key == "costs") {
      SCX_ASSIGN_OR_RETURN(p.costs, parse_strings(value, "costs"));
    } else if (key != "measurements") {
      return Status::Errorf(key, "unknown key (known: format, machine, costs, measurements)");
    }
  }
  if (!doc.contains("format")) return Status::Errorf("format", "missing (\"{}\")", kCostProfileFormat);
  if (!doc.contains("costs")) return Status::Error("costs", "missing");
  SCX_RETURN_IF_ERROR(check_costs(p));
  return p;
}

}  // namespace

std::string format_cost_profile(const CostProfile& p) {
  ordered_json doc;
  doc["format"] = kCostProfileFormat;
  ordered_json& machine = doc["machine"] = ordered_json::object();
  for (const auto& [k, v] : p.machine) machine[k] = v;
  ordered_json& costs = doc["costs"] = ordered_json::object();
  for (const auto& [k, v] : p.costs) costs[k] = v;
  ordered_json& m = doc["measurements"] = ordered_json::object();
  if (!p.measurements_note.empty()) m["note"] = p.measurements_note;
  for (const CostFigure& f : p.measurements)
    m[f.name] = {{"median_ns", round_ns(f.median_ns)}, {"min_ns", round_ns(f.min_ns)}, {"max_ns", round_ns(f.max_ns)}};
  return doc.dump(2) + "\n";
}

Result<CostProfile> parse_cost_profile(std::string_view text, const std::string& origin) {
  ordered_json doc;
  if (auto e = parse_json(text, &doc)) return Status::Error(origin + ": " + line_column(text, e->byte), e->reason);
  auto p = parse_doc(doc);
  if (!p.ok()) return p.status().within(origin);
  return p;
}

Result<CostProfile> load_cost_profile(const std::string& arg) {
  std::error_code ec;
  if (arg.find('/') == std::string::npos && !std::filesystem::exists(arg, ec)) {
    const std::string name = arg.ends_with(".json") ? arg : arg + ".json";
    for (std::size_t i = 0; i < detail::kBundledCostProfilesCount; ++i)
      if (name == detail::kBundledCostProfiles[i].name)
        return parse_cost_profile(detail::kBundledCostProfiles[i].text, "--cost-profile " + arg);
  }
  std::ifstream in(arg, std::ios::binary);
  if (!in) return Status::Errorf("--cost-profile " + arg, "cannot open: {}", std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::Errorf("--cost-profile " + arg, "read error: {}", std::strerror(errno));
  return parse_cost_profile(text.str(), "--cost-profile " + arg);
}

Status apply_cost_profile(const CostProfile& p, CostModel& cost, const std::string& origin) {
  for (const auto& [name, value] : p.costs) {
    Status st = cost.set(name + "=" + value);
    if (!st.ok()) return Status::Error(origin + ": costs." + name, st.reason());
  }
  return {};
}

}  // namespace scx
