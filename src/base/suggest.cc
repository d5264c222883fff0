#include "base/suggest.h"

#include <algorithm>

namespace scx {

size_t edit_distance(std::string_view a, std::string_view b) {
  // d[i][j]: edits turning a[0..i) into b[0..j).
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t change = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + change});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::string nearest_name(std::string_view typed, const std::vector<std::string>& known) {
  const size_t allowed = typed.size() <= 4 ? 1 : 2;
  std::string best;
  size_t best_distance = allowed + 1;
  for (const std::string& name : known) {
    const size_t distance = edit_distance(typed, name);
    if (distance < best_distance) best = name, best_distance = distance;
  }
  return best;
}

std::string did_you_mean(std::string_view typed, const std::vector<std::string>& known) {
  const std::string near = nearest_name(typed, known);
  return near.empty() ? std::string() : " (did you mean '" + near + "'?)";
}

std::vector<std::string> close_names(std::string_view typed, const std::vector<std::string>& known, size_t max) {
  std::vector<std::pair<size_t, size_t>> ranked;  // (distance, index into known)
  for (size_t i = 0; i < known.size(); ++i) ranked.emplace_back(edit_distance(typed, known[i]), i);
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (size_t i = 0; i < ranked.size() && i < max; ++i) out.push_back(known[ranked[i].second]);
  return out;
}

}  // namespace scx
