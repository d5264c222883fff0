// The verifier's rule on acquired references, checked at run time.
//
// An acquiring kfunc (KF_ACQUIRE: bpf_task_acquire, bpf_cpumask_create, bpf_obj_new, ...)
// gives the calling program a reference it must give back before it returns: to a releasing
// kfunc (KF_RELEASE), to a collection (bpf_list_push_*, bpf_rbtree_add), or into a map's kptr
// field (bpf_kptr_xchg, helpers.cc). The kernel's verifier proves this on every path at load
// ("Unreleased reference id=N alloc_insn=M"); scxsim has no verifier, so the kfuncs below
// record what they hand out and take back (CallContext::acquire_ref / release_ref), and a run
// that returns still holding a reference faults naming the acquiring call (vm.cc).
#pragma once

#include <string_view>

#include "bpf/vm/vm.h"

namespace scx::bpf {

// `fn` with the reference bookkeeping of the kfunc named `kfunc` (its essential name); `fn`
// itself for a kfunc that neither acquires nor releases.
HostFn with_reference_rule(std::string_view kfunc, HostFn fn);

}  // namespace scx::bpf
