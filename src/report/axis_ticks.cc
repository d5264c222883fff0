#include "report/axis_ticks.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace scx {
namespace {

// The nice step (1, 2 or 5 x 10^k) nearest above `raw`.
double nice_step(double raw) {
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (m * mag >= raw * (1 - 1e-9)) return m * mag;
  return 10 * mag;
}

}  // namespace

AxisTicks nice_ticks(double lo, double hi, int max_ticks) {
  if (!(hi > lo)) hi = lo + 1;
  const double step = nice_step((hi - lo) / std::max(1, max_ticks - 1));
  AxisTicks t;
  t.step = step;
  // Snap to the step within rounding error, so that 0.3 / 0.1 is 3 steps, not 3.0000000000000004.
  t.lo = std::floor(lo / step + 1e-9) * step;
  t.hi = std::ceil(hi / step - 1e-9) * step;
  const long n = std::lround((t.hi - t.lo) / step);
  for (long i = 0; i <= n; ++i) t.ticks.push_back(t.lo + static_cast<double>(i) * step);
  return t;
}

std::string tick_label(double value, double step) {
  const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  if (std::fabs(value) < step * 1e-6) value = 0;  // no "-0"
  return fmt::format("{:.{}f}", value, decimals);
}

std::vector<double> decade_ticks(double lo, double hi) {
  std::vector<double> out;
  const int e0 = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  const int e1 = std::max(e0 + 1, static_cast<int>(std::ceil(std::log10(hi) - 1e-9)));
  for (int e = e0; e <= e1; ++e) out.push_back(std::pow(10.0, e));
  return out;
}

}  // namespace scx
