// A run's digest (what it contributes to a comparison) as JSON and back, exactly: doubles keep
// every bit (shortest round-trip form; infinities and NaN as strings), so that merged sweep
// results give the same tables as a single `compare`.
#pragma once

#include <nlohmann/json.hpp>

#include "report/compare.h"

namespace scx {

// nlohmann's conversions (found by argument-dependent lookup): `json j = digest;`,
// `j.get<RunDigest>()`; a missing key or a wrong type throws nlohmann's exception.
void to_json(nlohmann::json& j, const RunDigest& d);
void from_json(const nlohmann::json& j, RunDigest& d);

}  // namespace scx
