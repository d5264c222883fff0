// Cost profiles: a machine's measured cost-model values in a JSON file (docs in README.md, "Cost
// profiles"), written by `scxsim calibrate` and loaded with `--cost-profile FILE`:
//
//   {"format": "scxsim-cost-profile-1",
//    "machine": {"cpu": "...", "kernel": "...", "virtualized": "...", "date": "..."},
//    "costs": {"context_switch": "1.2us", "pipe_write": "450ns", ...},
//    "measurements": {...}}
//
// "costs" uses the cost model's names and --cost's value syntax; "machine" and "measurements"
// are for the reader and are not interpreted. Errors are one line naming the file and the place.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "kernel/cost_model.h"

namespace scx {

inline constexpr const char* kCostProfileFormat = "scxsim-cost-profile-1";

// One measured figure, over the repetitions of a calibration: the median and the range.
struct CostFigure {
  std::string name;  // e.g. "pipe_write_100B", "timer_wakeup_busy.p99"
  double median_ns = 0;
  double min_ns = 0;
  double max_ns = 0;
};

struct CostProfile {
  std::vector<std::pair<std::string, std::string>> machine;  // key -> text, in file order
  std::vector<std::pair<std::string, std::string>> costs;    // cost name -> value ("1.2us")
  std::vector<CostFigure> measurements;                      // written; not read back
  std::string measurements_note;                             // how the costs were derived
};

// The profile as JSON text (what `scxsim calibrate` writes).
std::string format_cost_profile(const CostProfile& p);

// Parses and checks a profile: every cost name is known and every value is valid.
Result<CostProfile> parse_cost_profile(std::string_view text, const std::string& origin);

// --cost-profile ARG: a file, or the name of a bundled profile (costs/NAME.json, embedded in the
// binary).
Result<CostProfile> load_cost_profile(const std::string& arg);

// Sets the profile's costs in `cost` (later --cost settings override them).
Status apply_cost_profile(const CostProfile& p, CostModel& cost, const std::string& origin);

}  // namespace scx
