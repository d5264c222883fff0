// Fuzzes the rt-app JSON compiler: bytes → parse_rtapp_json on an 8-CPU machine. Bad files
// must give a one-line Status.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "one_line.h"
#include "workload/rtapp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  scx::RtAppOptions options;
  options.nr_cpus = 8;
  // Each input's task count stays small, so that one input cannot take seconds (the cap itself
  // is exercised: a file over it is an error).
  options.max_tasks = 4096;
  auto workload = scx::parse_rtapp_json(text, "fuzz.json", options);
  if (!workload.ok()) scx::fuzz::require_one_line(workload.status().message());
  return 0;
}
