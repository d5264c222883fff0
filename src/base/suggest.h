// "Did you mean": the known name nearest to a mistyped one (unknown schedulers, workloads,
// topologies, subcommands).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace scx {

// Levenshtein distance, with a swap of two neighbouring letters counted as one edit
// (optimal string alignment), so that "eevfd" is one edit from "eevdf".
size_t edit_distance(std::string_view a, std::string_view b);

// The nearest of `known` to `typed` if it is close enough to be a typo (at most 1 edit for names
// of up to 4 letters, 2 beyond), else "". Ties go to the first in `known`.
std::string nearest_name(std::string_view typed, const std::vector<std::string>& known);

// " (did you mean 'X'?)", or "" when nothing is near.
std::string did_you_mean(std::string_view typed, const std::vector<std::string>& known);

// Up to `max` names of `known` nearest to `typed` (fewest edits first, then in `known`'s order),
// for an error that lists what the user may have meant ("close names: a, b, c").
std::vector<std::string> close_names(std::string_view typed, const std::vector<std::string>& known, size_t max);

}  // namespace scx
