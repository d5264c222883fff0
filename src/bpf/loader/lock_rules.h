// The verifier's rule on calls made while a bpf_spin_lock is held, checked at load.
//
// A global (non-static) BPF function is verified on its own, as if called from anywhere, so
// the kernel's verifier refuses to call one while the caller holds a bpf_spin_lock
// (check_func_call(): "global function calls are not allowed while holding a lock, use static
// function instead"). scxsim runs programs without a verifier, so an object that breaks the
// rule would load here and run — the public scx_wd40 of sched-ext/scx 0f379644a does, and both
// 6.18 and 7.x kernels reject it. This pass finds such calls in a linked program so the load
// fails as the kernel's does.
//
// The analysis follows every branch (it has no register values): a lock taken on one path
// counts as possibly held where paths join. Static functions are followed into with the
// caller's lock state (their effect on it is summarised per entry state); global functions
// start unlocked, as the verifier checks them. bpf_res_spin_lock (whose result decides whether
// the lock is held) is not tracked.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "bpf/vm/insn.h"

namespace scx::bpf {

// One function of a linked program: instructions [pos, pos + count) of the program.
struct LinkedFunction {
  size_t pos = 0, count = 0;
  bool global = false;  // BTF_FUNC_GLOBAL as libbpf leaves it (hidden globals become static)
  std::string name;
};

struct GlobalCallUnderLock {
  size_t pc = 0;       // the call instruction, in the linked program
  std::string callee;  // the global function it calls
};

// The first call to a global function (in pc order of discovery) that can be reached with a
// bpf_spin_lock held, starting from functions[0] (the program) unlocked. `functions` must
// cover every bpf-to-bpf call target of `code`.
std::optional<GlobalCallUnderLock> find_global_call_under_lock(std::span<const Insn> code,
                                                              std::span<const LinkedFunction> functions);

}  // namespace scx::bpf
