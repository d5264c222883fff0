// `scxsim compare`: runs one scenario under several variants (schedulers, or one scheduler with
// different --fair/--cost settings) and seeds, in parallel, and builds the comparison.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "cli/runner.h"
#include "report/compare.h"

namespace scx {

// One column of the comparison.
struct Variant {
  std::string name;
  std::string sched;
  std::vector<std::string> fair;   // added after the scenario's common --fair settings
  std::vector<std::string> costs;  // added after the scenario's common --cost settings
  std::vector<std::string> noise;  // added after the common --noise settings
  std::string kernel;              // --kernel for this variant ("" = the scenario's)
  std::string spec;                // as the user wrote it (for the report)
};

struct CompareOptions {
  RunOptions base;                      // scenario: topology, workload, duration, common knobs
  std::vector<std::string> scheds;      // --sched a,b,c (empty = eevdf)
  std::vector<std::string> variants;    // --variant NAME:OPTIONS
  std::vector<uint64_t> seeds = {1, 2, 3};
  unsigned jobs = 0;                    // 0 = hardware concurrency
  bool progress = false;                // live progress on stderr
};

// "--variant NAME:OPTIONS": OPTIONS are whitespace-separated --sched=X, --fair=K=V, --cost=K=V,
// --kernel=6.12|6.18 (the leading dashes are optional). The scheduler defaults to `default_sched`.
Result<Variant> parse_variant(const std::string& text, const std::string& default_sched);
// "--seeds N" (1..N), "A-B" (a range) or "A,B,C" (a list; items may be ranges).
Result<std::vector<uint64_t>> parse_seeds(const std::string& text);
Result<std::vector<Variant>> resolve_variants(const CompareOptions& opts);

// Runs every (variant, seed) and builds the comparison. Results do not depend on `jobs` or on
// thread timing: every simulation is independent and results are stored by (variant, seed).
// --perfetto in `base` writes one trace per variant (first seed): FILE with ".<variant>" inserted
// before the extension.
Result<CompareResult> run_compare(const CompareOptions& opts);

// "out.pftrace" + "eevdf" -> "out.eevdf.pftrace".
std::string variant_path(const std::string& path, const std::string& variant);

}  // namespace scx
