// `scxsim validate WORKLOAD.json`: the same rt-app file on the real kernel of this machine (or
// from saved reference runs) and in scxsim, compared per task group (src/validate).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "cli/runner.h"
#include "validate/host_env.h"
#include "validate/report.h"

namespace scx {

struct ValidateOptions {
  std::string workload;          // an rt-app JSON file (or a bundled one's name)
  int runs = 5;                  // real runs to keep
  std::vector<uint64_t> seeds = {1, 2, 3, 4, 5};
  std::string reference;         // compare against these saved runs instead of running the host
  std::string save_reference;    // store the kept real runs here
  std::string keep_traces;       // raw host traces and scxsim's --trace logs go here
  std::string topology;          // the simulated machine; "" = the host's, or the reference's
  RunOptions sim;                // scheduler, costs, fair knobs (its topology is not used)
  HostEnv env;
  unsigned jobs = 0;             // parallel simulations (0 = the number of CPUs)
  std::function<void(const std::string&)> note;  // progress lines
  // Set (by a SIGINT/SIGTERM handler) to stop the simulated side: runs under way stop at their
  // next simulated millisecond, seeds not started are left out (ValidationReport::partial).
  const std::atomic<bool>* interrupt = nullptr;
};

Result<ValidationReport> run_validate(const ValidateOptions& o);

}  // namespace scx
