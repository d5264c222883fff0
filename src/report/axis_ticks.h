// "Nice number" axis ticks for the HTML report's plots: steps of 1, 2 or 5 times a power of
// ten, so that a 0..37.3 axis reads 0 10 20 30 40 rather than 0 9.33 18.65 ...
#pragma once

#include <string>
#include <vector>

namespace scx {

struct AxisTicks {
  double lo = 0, hi = 1;      // the axis range: [lo, hi] widened to whole steps
  double step = 1;
  std::vector<double> ticks;  // lo, lo + step, ..., hi
};

// At most about `max_ticks` ticks covering [lo, hi] (hi <= lo: a unit range from lo).
AxisTicks nice_ticks(double lo, double hi, int max_ticks = 6);

// A tick's label: as few decimals as the step needs ("0.25", "20", "1.5k" never: plain numbers).
std::string tick_label(double value, double step);

// Powers of ten covering [lo, hi] on a log axis (lo > 0): 10^floor(log10 lo) .. 10^ceil(log10 hi).
std::vector<double> decade_ticks(double lo, double hi);

}  // namespace scx
