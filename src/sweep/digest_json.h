// A run's digest (what it contributes to a comparison) as JSON and back, exactly: doubles keep
// every bit (shortest round-trip form; infinities and NaN as strings), so that merged sweep
// results give the same tables as a single `compare`.
#pragma once

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "report/compare.h"

namespace scx::sweep {

nlohmann::ordered_json digest_to_json(const RunDigest& d);
// An error names the key that is missing or of the wrong type.
Result<RunDigest> digest_from_json(const nlohmann::ordered_json& j);

}  // namespace scx::sweep
