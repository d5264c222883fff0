#include "sim/fingerprint.h"

#include <fmt/format.h>

namespace scx {

std::string Fingerprint::hex() const { return fmt::format("{:016x}", value()); }

}  // namespace scx
