// The eBPF interpreter. A Vm owns the address space programs see, the helper table, and the
// call-frame stacks; it runs validated Programs (program.h) one invocation at a time.
//
// Every run is bounded: an instruction budget per invocation (VmOptions::insn_budget, default
// 1,000,000 — the same number as the kernel's verifier complexity limit, far above what any
// real scheduler callback executes) turns an unbounded loop into a fault, and may_goto gets
// the kernel's per-frame loop budget (BPF_MAX_LOOPS). Faults never abort the simulator: they
// come back in RunResult with the instruction index, its disassembly and a reason.
//
// Calling convention: R1..R5 arguments, R0 result, R6..R9 preserved across BPF-to-BPF calls
// (each call gets a new 512-byte frame, at most kMaxCallFrames in all, callbacks included),
// R10 the read-only frame pointer. After any call R1..R5 hold kPoison. The stack is not
// cleared between runs (the kernel does not either; the simulation stays deterministic).
//
// For the loader: build a Program from the linked instructions (program.h explains LD_IMM64
// resolution), bind helpers by id in Vm::helpers() and kfuncs per object with
// Program::set_kfuncs(), map every object the program may touch in Vm::memory() (with a
// FieldLayout for typed kernel structs), and give Program::set_describe_pc() a BTF line-info
// lookup so faults name the source line.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bpf/vm/insn.h"
#include "bpf/vm/memory.h"
#include "bpf/vm/program.h"

namespace scx::bpf {

class Vm;
class CallContext;

using HostArgs = std::array<uint64_t, 5>;  // R1..R5
// A helper or kfunc: receives R1..R5, returns R0. May call cx.fault() to stop the program.
using HostFn = std::function<uint64_t(CallContext& cx, const HostArgs& args)>;

struct HostFunction {
  std::string name;
  HostFn fn;
};

// Helpers are indexed by helper id (BPF_FUNC_*), kfuncs by the index the loader assigned.
class HostTable {
 public:
  void set(uint32_t id, std::string name, HostFn fn) {
    if (id >= fns_.size()) fns_.resize(id + 1);
    fns_[id] = HostFunction{std::move(name), std::move(fn)};
  }
  void clear(uint32_t id) {
    if (id < fns_.size()) fns_[id] = {};
  }
  // nullptr when unbound.
  const HostFunction* get(uint64_t id) const {
    return id < fns_.size() && fns_[id].fn ? &fns_[id] : nullptr;
  }
  size_t size() const { return fns_.size(); }

 private:
  std::vector<HostFunction> fns_;
};

struct VmOptions {
  uint64_t insn_budget = 1'000'000;  // per top-level invocation, callbacks included
  uint64_t may_goto_budget = kBpfMaxLoops;  // per call frame, as the kernel's prologue sets
};

struct Fault {
  size_t pc = 0;              // instruction index in the program
  std::string reason;         // e.g. "instruction budget exceeded (1000000 instructions)"
  std::string message;        // "<prog>: insn 12 (r1 = *(u64 *)(r2 + 0x8)) [file:line]: <reason>"
  std::vector<size_t> call_stack;  // return pcs of the calling frames, innermost first
};

struct RunResult {
  bool ok = false;
  uint64_t r0 = 0;
  uint64_t insns = 0;  // instructions executed (including callbacks run by helpers)
  std::optional<Fault> fault;
};

// What a helper or kfunc sees of the running program.
class CallContext {
 public:
  Vm& vm() { return vm_; }
  AddressSpace& memory();
  const Program& program() const { return prog_; }
  size_t pc() const { return pc_; }
  void* user_data();

  // Stops the program after this call returns; `reason` becomes the fault reason.
  void fault(std::string reason);
  bool faulted() const;

  // Checks a program-supplied pointer (e.g. a helper's buffer argument); on failure records a
  // fault naming the argument and returns false.
  bool check(uint64_t addr, uint64_t size, uint8_t need, const char* what);
  // The same test without the fault (for helpers that report -EFAULT, like probe_read).
  bool can_access(uint64_t addr, uint64_t size, uint8_t need) const;

  // Runs a callback (an address from LD_IMM64 src=4) in a new frame with R1..R5 = args.
  // Returns R0, or nullopt when it faulted (the fault is recorded; return promptly).
  std::optional<uint64_t> call(uint64_t code_addr, const HostArgs& args);

 private:
  friend class Vm;
  CallContext(Vm& vm, const Program& prog, size_t pc, int depth)
      : vm_(vm), prog_(prog), pc_(pc), depth_(depth) {}
  Vm& vm_;
  const Program& prog_;
  size_t pc_;
  int depth_;  // frame depth of the calling instruction
};

class Vm {
 public:
  // R1..R5 after a helper/kfunc/subprogram call: a non-canonical address, so stale use faults.
  static constexpr uint64_t kPoison = 0xdead0bad0dead0b0ULL;

  explicit Vm(VmOptions options = {});
  ~Vm();
  Vm(const Vm&) = delete;
  Vm& operator=(const Vm&) = delete;

  const VmOptions& options() const { return options_; }
  void set_options(const VmOptions& o) { options_ = o; }
  AddressSpace& memory() { return memory_; }
  const AddressSpace& memory() const { return memory_; }
  HostTable& helpers() { return helpers_; }
  // Opaque host object handed to helpers (e.g. the simulated kernel).
  void set_user_data(void* p) { user_data_ = p; }
  void* user_data() const { return user_data_; }

  // Runs prog from entry_pc with R1..R5 = args (missing ones are 0).
  RunResult run(const Program& prog, size_t entry_pc, std::span<const uint64_t> args);
  RunResult run(const Program& prog, std::initializer_list<uint64_t> args = {}) {
    return run(prog, 0, std::span<const uint64_t>(args.begin(), args.size()));
  }
  // struct_ops style: copies args into a read-only "ctx" region (exactly args.size() * 8
  // bytes) and passes its address in R1 (what BPF_PROG() unpacks). At most kMaxCtxArgs.
  static constexpr size_t kMaxCtxArgs = 12;
  RunResult run_ctx(const Program& prog, size_t entry_pc, std::span<const uint64_t> ctx_args);

  // A region that lives until the current (or, outside a run, the next) top-level run ends.
  Status add_scratch(Region region);

  // True while a program runs (helpers may inspect it).
  bool running() const { return running_; }

  // Stack of frame `depth` (0 = outermost): [stack_top() - (depth+1)*512, stack_top() - depth*512).
  uint64_t stack_top() const { return stack_top_; }

 private:
  friend class CallContext;
  // Executes prog from pc in a fresh frame at `depth`. False on fault (fault_ is set).
  bool exec(const Program& prog, size_t pc, const HostArgs& args, int depth, uint64_t* r0);
  void set_fault(const Program& prog, size_t pc, std::string reason);
  std::string explain_access(uint64_t addr, uint64_t size, uint8_t need, uint64_t stack_lo) const;
  void end_run();

  VmOptions options_;
  AddressSpace memory_;
  HostTable helpers_;
  void* user_data_ = nullptr;

  std::unique_ptr<uint8_t[]> stack_mem_;
  uint64_t stack_top_ = 0;
  uint64_t stack_bottom_ = 0;

  // Per top-level run.
  bool running_ = false;
  uint64_t insns_left_ = 0;
  std::optional<Fault> fault_;
  int fault_depth_ = 0;  // frame depth where fault_ was raised
  std::vector<uint64_t> scratch_;
  std::array<uint64_t, kMaxCtxArgs> ctx_buf_{};
  uint64_t ctx_size_ = 0;  // bytes of ctx_buf_ currently mapped as region "ctx" (0: unmapped)
};

}  // namespace scx::bpf
