// The cost model and the noise sources as JSON numbers, the unit in the key (what reports print
// as "context_switch=1.98us" becomes "context_switch_ns": 1980; "25/s" "_per_s", "5.4%" "_pct",
// "on"/"off" a boolean), so that JSON readers need not parse units.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernel/cost_model.h"
#include "kernel/noise.h"

namespace scx {

// One (name, printed value) pair as a key and a JSON number (or boolean); a value of no known
// form stays a string.
std::pair<std::string, nlohmann::ordered_json> param_json(const std::string& name, const std::string& value);

nlohmann::ordered_json cost_model_json(const CostModel& cost);
nlohmann::ordered_json noise_json(const NoiseModel& noise);  // {} when off

}  // namespace scx
