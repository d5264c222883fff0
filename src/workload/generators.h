// Built-in workload generators, selected as `--workload NAME[:key=value,...]`. Each one builds a
// Workload from options with documented defaults; unknown options are errors.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "kernel/program.h"

namespace scx {

// Parsed "key=value,key=value" options with typed, checked accessors. Every option a generator
// reads is marked used; finish() reports any that were given but never read.
class GeneratorOptions {
 public:
  static Result<GeneratorOptions> parse(std::string_view generator, std::string_view text);
  Result<int64_t> get_int(const std::string& key, int64_t def, int64_t min, int64_t max);
  Result<Ns> get_duration(const std::string& key, Ns def);
  Result<std::string> get_string(const std::string& key, const std::string& def,
                                 const std::vector<std::string>& allowed);
  Status finish() const;
  const std::string& generator() const { return generator_; }

 private:
  std::string generator_;
  std::map<std::string, std::string> values_;
  mutable std::map<std::string, bool> used_;
};

struct GeneratorInfo {
  std::string name;
  std::string summary;   // one line
  std::string options;   // "key=default (meaning), ..."
  std::function<Result<Workload>(GeneratorOptions&)> build;
};

const std::vector<GeneratorInfo>& workload_generators();

// --workload argument: "name[:opts]" for a generator, a bundled rt-app file name (from the
// workloads/ folder, with or without .json), or a path to an rt-app JSON file.
Result<Workload> resolve_workload(std::string_view arg, int nr_cpus);

// Where bundled workloads live: $SCXSIM_DATA_DIR/workloads, else the source tree's.
std::string bundled_workload_dir();
struct BundledWorkload {
  std::string name;
  std::string description;
};
std::vector<BundledWorkload> bundled_workloads();

}  // namespace scx
