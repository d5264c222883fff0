// Applies scx_layered's computed set-up (setup.h) to a loaded BPF object through its BTF: each
// write names a member path, which is laid out from the object's own struct definitions, so one
// set-up fits objects of different commits. A path whose member (or global, or map) the object
// lacks is skipped, as that commit's user space has no such field to write; an index past an
// array or a value of the wrong shape is an error.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "bpf/host/layered/setup.h"
#include "bpf/loader/btf.h"
#include "bpf/loader/object.h"

namespace scx::bpf::layered {

// Where a member path ("a.b[3][1].c") lies in BTF type `type_id`: nullopt when a member is
// missing; an error for a bad index or a malformed path.
Result<std::optional<Btf::Field>> locate(const Btf& btf, uint32_t type_id, std::string_view path);

// Writes `w` (its path relative to `type_id`) into `bytes` (an object of that type). Returns
// false when the member is missing (nothing written).
Result<bool> write_field(const Btf& btf, uint32_t type_id, std::span<uint8_t> bytes, const FieldWrite& w);

// The writes whose path starts with a global's name (.rodata/.data/.bss).
Status write_globals(BpfObject& obj, const std::vector<FieldWrite>& writes);
// Map values (a missing key of a hash map is inserted zeroed first).
Status write_maps(BpfObject& obj, const std::vector<MapWrite>& writes);
// A syscall program's context: its struct zeroed, then the fields (empty without a ctx_type).
Result<std::vector<uint8_t>> build_ctx(const Btf& btf, const ProgRun& run);

// Reads an unsigned integer member (1, 2, 4 or 8 bytes) at `path` of type `type_id` in `bytes`;
// nullopt when missing.
std::optional<uint64_t> read_u64(const Btf& btf, uint32_t type_id, std::span<const uint8_t> bytes,
                                 std::string_view path);

}  // namespace scx::bpf::layered
