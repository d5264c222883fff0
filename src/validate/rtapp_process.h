// Starting rt-app as a child process: forked, held until the caller has set it up (cgroup,
// tracing), then exec'd in its own working directory (its per-thread logs land there) with its
// output captured; killed when it overruns a time limit, or when this process dies.
#pragma once

#include <functional>
#include <string>

#include "base/status.h"
#include "sim/time.h"

namespace scx {

struct RtAppExit {
  int pid = 0;
  int status = 0;          // exit code, or -signal
  bool timed_out = false;  // still running at the time limit: killed
  Ns cpu_time = 0;         // of rt-app and its threads (user + system), when it exited
  std::string output;      // stdout + stderr
};

// `prepare(pid)` runs between fork and exec; an error there kills the child.
Result<RtAppExit> run_rtapp(const std::string& rt_app, const std::string& workload, const std::string& workdir,
                            Ns time_limit, const std::function<Status(int pid)>& prepare);

}  // namespace scx
