// The eBPF interpreter. A Vm owns the address space programs see, the helper table, and the
// call-frame stacks; it runs validated Programs (program.h), one invocation at a time or
// nested (below).
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
// Runs nest: a helper or kfunc may start another run, as the kernel calls ops.enqueue from
// scx_bpf_reenqueue_local() while ops.cpu_release is still running. A nested run is an
// invocation of its own, as in the kernel (where each program runs on its own stack):
//   * its own stack (kMaxCallFrames frames in a separate area; the enclosing runs' frames are
//     neither visible to it nor touched), registers, ctx buffer (run_ctx) and fault state;
//   * its own instruction budget: a fresh VmOptions::insn_budget, and its instructions count
//     in its own RunResult only. The kernel bounds programs at load time, not per call, so the
//     budget stands for "this invocation terminates"; charging nested runs to the enclosing
//     one would let nesting make a bounded program fault;
//   * scratch regions added while it runs (add_scratch) or passed to it go when it ends.
// At most kMaxRunDepth runs are active at once; a deeper start is refused with a fault. A
// nested run that faults (or is refused) reports that in its RunResult, and the run it is
// nested in then stops as soon as the host function that started it returns: that run faults
// at its call instruction ("nested run faulted: <inner message>"), callbacks and further
// nested runs are refused meanwhile, so the host sees the inner fault first.
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
  uint64_t insn_budget = 1'000'000;  // per run (nested ones too), callbacks included
  uint64_t may_goto_budget = kBpfMaxLoops;  // per call frame, as the kernel's prologue sets
};

struct Fault {
  size_t pc = 0;              // instruction index in the program
  std::string reason;         // e.g. "instruction budget exceeded (1000000 instructions)"
  std::string message;        // "<prog>: insn 12 (r1 = *(u64 *)(r2 + 0x8)) [file:line]: <reason>"
  std::vector<size_t> call_stack;  // return pcs of the calling frames, innermost first
};

// A reference held by a running invocation (CallContext::acquire_ref).
struct HeldRef {
  uint64_t object = 0;  // base of the region holding it (the address itself when unmapped)
  const char* kfunc = "";
  size_t pc = 0;  // the acquiring call
};

struct RunResult {
  bool ok = false;
  uint64_t r0 = 0;
  uint64_t insns = 0;  // instructions executed (callbacks run by helpers too, nested runs not)
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

  // References the running invocation holds (the verifier's acquired references): an object
  // an acquiring kfunc returned, held until a releasing kfunc or bpf_kptr_xchg takes it. The
  // object is named by the base of the region holding `addr` (a list node and its object are
  // one reference); addr 0 (a NULL return) is nothing. A run that returns holding one faults.
  void acquire_ref(uint64_t addr, const char* kfunc);
  void release_ref(uint64_t addr);

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

// Runs active at once: the outermost one and up to kMaxRunDepth - 1 nested in it.
inline constexpr int kMaxRunDepth = 8;

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

  // Runs prog from entry_pc with R1..R5 = args (missing ones are 0). Called from a helper or
  // kfunc of a running program, it starts a nested run (see the top of this file). `scratch`
  // regions are mapped for this run only (e.g. the arguments of the op it runs).
  RunResult run(const Program& prog, size_t entry_pc, std::span<const uint64_t> args,
                std::span<const Region> scratch = {});
  RunResult run(const Program& prog, std::initializer_list<uint64_t> args = {}) {
    return run(prog, 0, std::span<const uint64_t>(args.begin(), args.size()));
  }
  // struct_ops style: copies args into a read-only "ctx" region (exactly args.size() * 8
  // bytes) and passes its address in R1 (what BPF_PROG() unpacks). At most kMaxCtxArgs. Each
  // run depth has its own buffer, so a nested run leaves the enclosing run's ctx intact.
  static constexpr size_t kMaxCtxArgs = 12;
  RunResult run_ctx(const Program& prog, size_t entry_pc, std::span<const uint64_t> ctx_args,
                    std::span<const Region> scratch = {});

  // A region that lives until the innermost active run ends (outside a run: until the next
  // top-level run ends).
  Status add_scratch(Region region);

  // True while a program runs (helpers may inspect it); run_depth() counts the active runs.
  bool running() const { return depth_ > 0; }
  int run_depth() const { return depth_; }

  // Stack of frame `depth` (0 = outermost) of the innermost active run (outside a run: of the
  // next top-level run): [stack_top() - (depth+1)*512, stack_top() - depth*512).
  uint64_t stack_top() const { return cur_.stack_top; }

 private:
  friend class CallContext;
  // What belongs to one run; the enclosing runs' states wait on the host stack in run().
  struct RunState {
    uint64_t insns_left = 0;
    std::optional<Fault> fault;
    int fault_depth = 0;            // frame depth where fault was raised
    std::vector<uint64_t> scratch;  // region bases removed when the run ends
    uint64_t stack_top = 0;
    std::vector<HeldRef> refs;  // references held now (CallContext::acquire_ref)
  };
  struct CtxBuf {
    std::array<uint64_t, kMaxCtxArgs> words{};
    uint64_t mapped = 0;  // bytes currently mapped as region "ctx" (0: unmapped)
  };
  static constexpr uint64_t kRunStackBytes = uint64_t{kMaxCallFrames} * kStackSize;

  // Executes prog from pc in a fresh frame at `depth`. False on fault (cur_.fault is set).
  bool exec(const Program& prog, size_t pc, const HostArgs& args, int depth, uint64_t* r0);
  void set_fault(const Program& prog, size_t pc, std::string reason);
  uint64_t ref_key(uint64_t addr) const;
  void fault_unreleased(const Program& prog, const HeldRef& ref);
  std::string explain_access(uint64_t addr, uint64_t size, uint8_t need, uint64_t stack_lo) const;
  // Why a run cannot start now, or nullopt. Checked inline at every run; only a refusal goes
  // out of line to say why.
  std::optional<std::string> cannot_start(const Program& prog, size_t entry_pc) const {
    if (depth_ < kMaxRunDepth && (depth_ == 0 || !cur_.fault) && entry_pc < prog.size() &&
        prog.is_insn_start(entry_pc)) [[likely]]
      return std::nullopt;
    return why_cannot_start(prog, entry_pc);
  }
  std::optional<std::string> why_cannot_start(const Program& prog, size_t entry_pc) const;
  RunResult refuse(const Program& prog, size_t entry_pc, std::string reason);
  void stop_enclosing(const Fault& inner);
  Status map_ctx(std::span<const uint64_t> ctx_args, uint64_t* addr);
  void drop_scratch(std::vector<uint64_t>& bases);
  // The run itself, in cur_ (which run() prepared): from scratch mapping to result.
  RunResult run_in_cur(const Program& prog, size_t entry_pc, const HostArgs& args,
                       std::span<const Region> scratch);
  void reset_idle_state();
  uint64_t stack_top_of(int run_depth) const { return stack_top0_ - run_depth * kRunStackBytes; }

  VmOptions options_;
  AddressSpace memory_;
  HostTable helpers_;
  void* user_data_ = nullptr;

  // kMaxRunDepth stacks of kMaxCallFrames frames, the outermost run's at the top.
  std::unique_ptr<uint8_t[]> stack_mem_;
  uint64_t stack_top0_ = 0;
  uint64_t stack_bottom_ = 0;

  int depth_ = 0;  // active runs
  RunState cur_;   // the innermost active run (outside a run: scratch for the next one)
  std::array<CtxBuf, kMaxRunDepth> ctx_{};  // by run depth
};

}  // namespace scx::bpf
