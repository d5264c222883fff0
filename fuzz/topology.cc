// Fuzzes the topology readers: the first byte chooses the compact spec string (--topology
// nodes=2,llcs=2,...) or the JSON form; the rest is the text. Bad input must give a one-line
// Status.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "one_line.h"
#include "topo/topology.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto topology = (data[0] & 1) ? scx::parse_topology_json(text, "fuzz.json") : scx::parse_topology_spec(text);
  if (!topology.ok()) {
    scx::fuzz::require_one_line(topology.status().message());
    return 0;
  }
  // What every run prints of it.
  (void)topology->summary();
  return 0;
}
