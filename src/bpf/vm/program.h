// A validated, pre-decoded BPF program ready for the VM. Program::create() is the load-time
// pre-pass: it rejects unknown opcodes, bad registers, writes to R10, jumps/calls out of range
// or into the second slot of an LD_IMM64, and a last instruction that can fall through.
//
// LD_IMM64 and the loader: src 0 (plain constant) is taken as is; src 4 (BPF_PSEUDO_FUNC, the
// address of a subprogram used as a callback) is resolved here to code_address(target). Every
// other pseudo src (map fd/idx, map value, BTF id) must be resolved by the loader, either by
// rewriting the pair to src 0 before create() (see set_ld_imm64()), or through
// ProgramOptions::resolve_ld_imm64, or later with patch_ld_imm64().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "bpf/vm/decoded.h"
#include "bpf/vm/insn.h"

namespace scx::bpf {

class HostTable;
class Arena;

// Rewrites an LD_IMM64 pair in place to "dst = value" (src 0).
inline void set_ld_imm64(Insn* pair, uint64_t value) {
  pair[0].src = 0;
  pair[0].imm = static_cast<int32_t>(static_cast<uint32_t>(value));
  pair[1].imm = static_cast<int32_t>(static_cast<uint32_t>(value >> 32));
}

struct ProgramOptions {
  // Called for each LD_IMM64 whose src is neither 0 nor kPseudoFunc; returns the final value.
  // Without it such instructions are rejected.
  std::function<Result<uint64_t>(size_t pc, const Insn& first, const Insn& second)>
      resolve_ld_imm64;
  // Appended to fault messages, e.g. "scx_simple.bpf.c:42" (the loader fills it from BTF.ext).
  std::function<std::string(size_t pc)> describe_pc;
};

class Program {
 public:
  static Result<Program> create(std::string name, std::vector<Insn> insns,
                                ProgramOptions options = {});

  const std::string& name() const { return name_; }
  size_t size() const { return insns_.size(); }
  std::span<const Insn> insns() const { return insns_; }

  // Sets the value of the LD_IMM64 at pc (e.g. a map address known only at attach time).
  Status patch_ld_imm64(size_t pc, uint64_t value);

  // kfunc calls (CALL src=2) index this table; shared by all programs of one object file.
  void set_kfuncs(std::shared_ptr<const HostTable> table) { kfuncs_ = std::move(table); }
  const HostTable* kfuncs() const { return kfuncs_.get(); }

  // The BPF arena the program uses (prog->aux->arena): its accesses in the arena window and
  // addr_space_cast go through it (vm/arena.h). Shared by the programs of one object.
  void set_arena(std::shared_ptr<Arena> arena) { arena_ = std::move(arena); }
  Arena* arena() const { return arena_.get(); }

  void set_describe_pc(std::function<std::string(size_t)> fn) { describe_pc_ = std::move(fn); }
  // Source location for pc from the hook, or "".
  std::string describe_pc(size_t pc) const { return describe_pc_ ? describe_pc_(pc) : ""; }
  // Disassembly of the instruction at pc (handles the two slots of LD_IMM64).
  std::string disasm_at(size_t pc) const;

  // Callback "addresses" (LD_IMM64 src 4) are pc's tagged with a non-canonical prefix, so a
  // program dereferencing one faults as unmapped.
  static constexpr uint64_t kCodeAddressTag = 0xc0de000000000000ULL;
  static uint64_t code_address(size_t pc) { return kCodeAddressTag | pc; }
  std::optional<size_t> pc_of_code_address(uint64_t addr) const {
    if ((addr & 0xffff000000000000ULL) != kCodeAddressTag) return std::nullopt;
    uint64_t pc = addr & ~0xffff000000000000ULL;
    if (pc >= insns_.size() || !is_insn_start(pc)) return std::nullopt;
    return pc;
  }

  const detail::DecodedInsn* decoded() const { return decoded_.data(); }
  // False for the second slot of an LD_IMM64.
  bool is_insn_start(size_t pc) const {
    return decoded_[pc].op != detail::Op::INVALID;  // validated: only second slots are INVALID
  }

 private:
  std::string name_;
  std::vector<Insn> insns_;
  std::vector<detail::DecodedInsn> decoded_;
  std::shared_ptr<const HostTable> kfuncs_;
  std::shared_ptr<Arena> arena_;
  std::function<std::string(size_t)> describe_pc_;
};

}  // namespace scx::bpf
