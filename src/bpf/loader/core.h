// CO-RE relocation resolution (the algorithm of libbpf's relo_core.c, reimplemented): parse the
// local access spec, find target candidates by essential name (a "___flavor" suffix is ignored),
// match field access paths member by member (anonymous members searched through), compute the
// local and target values for the relocation kind, and patch the instruction (ALU imm, memory
// offset with load-size adjustment, or LD_IMM64). A relocation with no matching candidate
// "poisons" its instruction like libbpf (the program faults if it reaches it), except the
// *_EXISTS / TYPE_MATCHES kinds, which resolve to 0.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "bpf/loader/btf.h"
#include "bpf/vm/insn.h"

namespace scx::bpf {

enum CoreReloKind : uint32_t {
  kCoreFieldByteOffset = 0,
  kCoreFieldByteSize = 1,
  kCoreFieldExists = 2,
  kCoreFieldSigned = 3,
  kCoreFieldLshiftU64 = 4,
  kCoreFieldRshiftU64 = 5,
  kCoreTypeIdLocal = 6,
  kCoreTypeIdTarget = 7,
  kCoreTypeExists = 8,
  kCoreTypeSize = 9,
  kCoreEnumvalExists = 10,
  kCoreEnumvalValue = 11,
  kCoreTypeMatches = 12,
};
const char* core_relo_kind_name(uint32_t kind);

struct CoreResult {
  uint64_t orig_val = 0;
  uint64_t new_val = 0;
  uint32_t orig_sz = 0, new_sz = 0;  // field sizes (load/store size adjustment)
  bool validate = true;              // check the instruction holds orig_val
  bool poison = false;               // no target: the instruction must fault if reached
  bool fail_memsz_adjust = false;
  std::string reason;                // why poisoned
  std::string description;           // "struct task_struct.scx.weight (0:11:3)"
};

// Essential name length: "task_struct___v2" → 11.
size_t core_essential_name_len(std::string_view name);

Result<CoreResult> core_calc_relo(const Btf& local, const Btf& target, const BtfExtCoreRelo& relo);

// Patches insns[idx] (and its second slot for LD_IMM64). A poisoned result is not handled here.
Status core_patch_insn(Insn* insns, size_t n, size_t idx, const CoreResult& res);

}  // namespace scx::bpf
