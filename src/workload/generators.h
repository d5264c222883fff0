// Built-in workload generators, selected as `--workload NAME[:key=value,...]`. Each one builds a
// Workload from options with documented defaults; unknown options are errors.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "kernel/cost_model.h"
#include "kernel/program.h"
#include "workload/task_limit.h"

namespace scx {

// What a generator may depend on besides its options: the machine's CPU count (defaults such as
// "one worker per CPU") and the run's seed (workloads with random shapes, e.g. `build`, draw
// them once, at build time, from an Rng seeded with it, so a seed names one workload), and the
// run's cost model (defaults such as hackbench's per-message system call costs).
struct GeneratorContext {
  int nr_cpus = 1;
  uint64_t seed = 1;
  CostModel cost;
};

// Parsed "key=value,key=value" options with typed, checked accessors. Every option a generator
// reads is marked used; finish() reports any that were given but never read. Errors are one
// line: "--workload NAME: key=value must be ...".
class GeneratorOptions {
 public:
  static Result<GeneratorOptions> parse(std::string_view generator, std::string_view text,
                                        GeneratorContext ctx = {});
  Result<int64_t> get_int(const std::string& key, int64_t def, int64_t min, int64_t max);
  // A duration with a unit ("5ms", "250us"); must lie in [min, max].
  Result<Ns> get_duration(const std::string& key, Ns def, Ns min = 0, Ns max = 3600 * kNsPerSec);
  Result<std::string> get_string(const std::string& key, const std::string& def,
                                 const std::vector<std::string>& allowed);
  // 0/1 (also accepts true/false, on/off, yes/no).
  Result<bool> get_bool(const std::string& key, bool def);
  // Integers separated by ';' (',' separates options), e.g. nices=0;5;10. Non-empty.
  Result<std::vector<int64_t>> get_int_list(const std::string& key, const std::vector<int64_t>& def,
                                            int64_t min, int64_t max);
  // An error about this generator's options (e.g. a constraint between two options).
  Status error(const std::string& what) const;
  Status finish() const;
  const std::string& generator() const { return generator_; }
  const GeneratorContext& context() const { return ctx_; }
  int nr_cpus() const { return ctx_.nr_cpus; }
  uint64_t seed() const { return ctx_.seed; }
  const CostModel& cost() const { return ctx_.cost; }

 private:
  std::string generator_;
  GeneratorContext ctx_;
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
// At most max_tasks tasks (--max-tasks; an rt-app file is refused before its instances exist).
Result<Workload> resolve_workload(std::string_view arg, int nr_cpus, uint64_t seed = 1,
                                  const CostModel& cost = {}, int64_t max_tasks = kDefaultMaxTasks);

// Where bundled workloads live: $SCXSIM_DATA_DIR/workloads, else the source tree's.
std::string bundled_workload_dir();
struct BundledWorkload {
  std::string name;
  std::string description;
};
std::vector<BundledWorkload> bundled_workloads();

}  // namespace scx
