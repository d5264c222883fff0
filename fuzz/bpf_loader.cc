// Fuzzes the ELF / BTF / CO-RE loader: bytes → load_bpf_object. Malformed objects must give a
// one-line Status, never a crash, hang or sanitizer report.
#include <cstddef>
#include <cstdint>
#include <span>

#include "bpf/loader/object.h"
#include "one_line.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  scx::bpf::LoadOptions options;
  // As `scxsim inspect` loads: unknown kfuncs are listed rather than refused, so that the
  // fuzzer gets past them into relocations and struct_ops.
  options.allow_missing_kfuncs = true;
  // Keep one input's global data well under libFuzzer's 2 GB RSS limit.
  options.max_global_data = uint64_t{64} << 20;
  auto object = scx::bpf::load_bpf_object(bytes, "fuzz.bpf.o", options);
  if (!object.ok()) scx::fuzz::require_one_line(object.status().message());
  auto ops_name = scx::bpf::peek_struct_ops_name(bytes, "fuzz.bpf.o");
  if (!ops_name.ok()) scx::fuzz::require_one_line(ops_name.status().message());
  return 0;
}
