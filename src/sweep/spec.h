// A sweep file: the axes of a matrix of runs (schedulers and variants x workloads x topologies x
// seeds) and the settings every run shares. Read once, checked key by key; docs/sweep.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace scx::sweep {

struct SweepSpec {
  std::string path;   // as given on the command line
  std::string dir;    // its directory: relative paths inside the file resolve against it
  std::string hash;   // of the file's bytes (16 hex digits): results carry it, merge compares it
  std::vector<std::string> schedulers;  // eevdf, native policies, FILE.bpf.o (as written)
  std::vector<std::string> variants;    // NAME:OPTIONS, as `compare --variant` takes them
  std::vector<std::string> workloads;
  std::vector<std::string> topologies = {"laptop"};
  std::vector<uint64_t> seeds = {1, 2, 3};
  std::string duration;                 // as written ("" = the workload's own)
  // Settings every run shares, named as `compare`'s options.
  std::string kernel = "6.18", cost_profile = "default", profile, usersched;
  std::vector<std::string> fair, cost, noise, set, resize, map_size, sched_opt;
};

// Reads and checks a sweep file (JSON). Errors name the file and the key: "f.json: seeds: ...".
Result<SweepSpec> read_sweep_file(const std::string& path);

// A value of the sweep file that names a file (contains '/' or ends in .json or .bpf.o), made
// relative to the sweep file's directory; anything else (a name, an absolute path) unchanged.
std::string resolve_against(const std::string& dir, const std::string& value);

}  // namespace scx::sweep
