// The validate table (text) and its JSON form.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "validate/host_facts.h"
#include "validate/verdict.h"

namespace scx {

struct ValidationReport {
  std::string workload;             // as given
  // The real side.
  std::string reference;            // the --reference directory; "" = run on this host
  HostFacts host;
  int runs_kept = 0;
  int runs_attempted = 0;           // kept + discarded
  std::vector<std::string> discarded;  // reasons
  // The simulated side.
  std::string sched;
  std::string topology;             // as given to the simulator
  std::string topology_summary;
  std::vector<std::string> costs, fair;
  std::vector<uint64_t> seeds;
  std::vector<ValidationCell> cells;
  // An interrupted simulated side: what it covers ("3 of 5 seeds, 1 stopped early at 2.1s");
  // "" when complete.
  std::string partial;
};

std::string format_validation_text(const ValidationReport& r);
std::string format_validation_json(const ValidationReport& r);

}  // namespace scx
