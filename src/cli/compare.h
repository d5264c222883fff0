// `scxsim compare`: runs one scenario under several variants (schedulers, or one scheduler with
// different --fair/--cost settings) and seeds, in parallel, and builds the comparison.
#pragma once

#include <atomic>
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
  std::string sched;               // eevdf, a native policy, or a FILE.bpf.o
  std::vector<std::string> fair;   // added after the scenario's common --fair settings
  std::vector<std::string> costs;  // added after the scenario's common --cost settings
  std::vector<std::string> noise;  // added after the common --noise settings
  std::string kernel;              // --kernel for this variant ("" = the scenario's)
  // A BPF object's settings, as `run` takes them; added after the common ones (--profile and
  // --usersched replace the common value).
  std::vector<std::string> bpf_globals, bpf_resize, bpf_map_size, sched_opts;  // --set --resize --map-size --sched-opt
  std::string profile, usersched;                                                // --profile --usersched
  std::string spec;                // as the user wrote it (for the report)
};

struct CompareOptions {
  RunOptions base;                      // scenario: topology, workload, duration, common knobs
  std::vector<std::string> scheds;      // --sched a,b,c (empty = eevdf)
  std::vector<std::string> variants;    // --variant NAME:OPTIONS
  std::vector<uint64_t> seeds = {1, 2, 3};
  unsigned jobs = 0;                    // 0 = hardware concurrency
  bool progress = false;                // live progress on stderr
  // Set (by a SIGINT/SIGTERM handler) to stop: runs under way stop at their next simulated
  // millisecond, runs not started are skipped (their seeds are "not measured"). nullptr: never.
  const std::atomic<bool>* interrupt = nullptr;
};

// What an interrupted comparison covers, for the `partial:` line: "4 of 6 runs complete, 2
// stopped early (at 0.051s to 0.107s of 1s), 0 not started"; "" when it was not interrupted.
std::string describe_interruption(const CompareResult& r, Ns asked);

// "--variant NAME:OPTIONS": OPTIONS are whitespace-separated --sched=X, --fair=K=V, --cost=K=V,
// --noise=K=V, --kernel=6.12|6.18 and, for a FILE.bpf.o, --set=NAME=VALUE, --resize=NAME=N,
// --map-size=NAME=N, --profile=FILE|none, --sched-opt=NAME[=VALUE], --usersched=NAME|none; each
// also as "--key VALUE" (the leading dashes are optional). The scheduler defaults to
// `default_sched`.
Result<Variant> parse_variant(const std::string& text, const std::string& default_sched);
// The column name of a --sched item: its name, or a BPF object's file name without ".bpf.o"
// ("build/bpf/schedulers/simple.bpf.o" -> "simple"); when that is taken, "DIR-STEM" with the
// object's directory, then "-2", "-3", ...
std::string variant_name_for(const std::string& sched, const std::vector<std::string>& taken);
// "--seeds N" (1..N), "A-B" (a range) or "A,B,C" (a list; items may be ranges).
Result<std::vector<uint64_t>> parse_seeds(const std::string& text);
Result<std::vector<Variant>> resolve_variants(const CompareOptions& opts);
// One variant's run options: the scenario's, then the variant's settings on top. The common
// BPF settings (--set, --profile, ...) go to the BPF objects only.
RunOptions options_of(const RunOptions& base, const Variant& v);
// How a variant runs, as flags (the report's spec line).
std::string spec_of(const RunOptions& o);

// Runs every (variant, seed) and builds the comparison. Results do not depend on `jobs` or on
// thread timing: every simulation is independent and results are stored by (variant, seed).
// --perfetto in `base` writes one trace per variant (first seed): FILE with ".<variant>" inserted
// before the extension.
Result<CompareResult> run_compare(const CompareOptions& opts);

// "out.pftrace" + "eevdf" -> "out.eevdf.pftrace".
std::string variant_path(const std::string& path, const std::string& variant);

}  // namespace scx
