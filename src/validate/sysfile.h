// Small file helpers for cgroupfs and tracefs control files: each write is one write() so that
// the kernel's error (EINVAL, EBUSY, ...) comes back as it is.
#pragma once

#include <string>

#include "base/status.h"

namespace scx {

Status write_control(const std::string& path, const std::string& value);
Result<std::string> read_control(const std::string& path);

// Removes the directories <parent>/<prefix><pid> whose pid is no longer running (left behind by
// a run that was killed); errors are ignored.
void remove_stale_dirs(const std::string& parent, const std::string& prefix);

}  // namespace scx
