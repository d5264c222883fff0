#include "base/cpumask.h"

namespace scx {

std::string CpuMask::to_list() const {
  std::string out;
  int c = first();
  while (c >= 0) {
    int end = c;
    while (end + 1 < kMaxCpus && test(end + 1)) ++end;
    if (!out.empty()) out += ',';
    out += std::to_string(c);
    if (end > c) out += '-' + std::to_string(end);
    c = next(end + 1);
  }
  return out;
}

}  // namespace scx
