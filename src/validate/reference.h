// Saved real runs (`scxsim validate --save-reference DIR`, read back by `--reference DIR`): one
// small JSON file per kept run (run-1.json, run-2.json, ...) with the per-group figures the
// table needs and the host facts, plus topology.json (the host's machine, which the simulated
// side then runs on). No raw traces.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "validate/figures.h"
#include "validate/host_facts.h"

namespace scx {

struct ReferenceRun {
  HostFacts host;
  std::string workload;       // the file's base name
  std::string workload_hash;  // of its JSON content (comments and layout do not count)
  RunFigures figures;
};

struct Reference {
  std::vector<ReferenceRun> runs;  // in run order
  std::string topology_json;       // "" when the directory has none
};

// Writes DIR (created if needed), replacing any run-*.json and topology.json there.
Status save_reference(const std::string& dir, const std::vector<ReferenceRun>& runs, const std::string& topology_json);
Result<Reference> load_reference(const std::string& dir);

// A hash of a workload file's JSON content: the same for files that differ only in comments,
// white space or trailing commas.
std::string workload_hash(std::string_view json_text);

}  // namespace scx
