// `--probe` text, parsed: what a BPF author names in their own source.
//   NAME, NAME[3], NAME.member, NAME.a[2].b    a global of .bss/.data/.rodata (BTF path, as --set)
//   map:MAP[KEY], map:MAP[KEY].member          an array/hash map's value at integer KEY (or a member
//                                              of it); a per-CPU map's values summed over CPUs,
//   map:MAP[KEY]...@N, map:MAP[KEY]...@each    or CPU N's value, or one series per CPU
// A native policy's counters (policy/counters.h) are named like globals: `--probe nr_queued`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace scx {

struct ProbeSpec {
  enum class Cpus { kSum, kOne, kEach };  // how a per-CPU map's values are read

  std::string text;    // as given (the series' name)
  bool map = false;
  std::string path;    // a global: its path (NAME...); a map: the map's name
  uint64_t key = 0;    // map:MAP[KEY]
  std::string member;  // map:MAP[KEY]MEMBER: ".a.b[2]" ("" = the whole value)
  Cpus cpus = Cpus::kSum;
  uint32_t cpu = 0;    // Cpus::kOne
};

// Errors name `--probe TEXT` and what is wrong with the syntax (names are checked when resolved).
Result<ProbeSpec> parse_probe(std::string_view text);

}  // namespace scx
