// The kfunc registry: what the host (the sched_ext integration) provides, by name. The loader
// binds every extern kfunc of an object to an entry here, building the per-object kfunc table
// that CALL src=2 instructions index. Unknown non-weak kfunc → load error naming it; unknown
// weak kfunc → address 0 (bpf_ksym_exists() is false) and a call to it faults.
#pragma once

#include <map>
#include <string>

#include "bpf/vm/vm.h"

namespace scx::bpf {

class KfuncRegistry {
 public:
  void add(std::string name, HostFn fn) { fns_[std::move(name)] = std::move(fn); }
  void remove(const std::string& name) { fns_.erase(name); }
  // A flavored name (`name___flavor`, as the object spells the extern) the simulated kernel does
  // not have although it has the essential name: an extern of that exact name stays unresolved
  // (as libbpf's prototype check leaves an incompatible flavor), whatever the essential name.
  void add_absent(std::string name) { fns_[std::move(name)] = HostFn(); }
  const HostFn* find(const std::string& name) const {
    auto it = fns_.find(name);
    return it == fns_.end() ? nullptr : &it->second;
  }
  bool contains(const std::string& name) const { return fns_.count(name) != 0; }
  const std::map<std::string, HostFn>& all() const { return fns_; }

 private:
  std::map<std::string, HostFn> fns_;
};

// The process-wide registry: the sched_ext integration adds its kfuncs here at start-up;
// `scxsim inspect` and the default LoadOptions use it. Pre-filled with the generic kfuncs that
// need no scheduler state (generic_kfuncs.cc): bpf_rcu_read_lock/unlock, bpf_preempt_disable/
// enable (no-ops), bpf_rdonly_cast (the object itself), the numeric iterator
// bpf_iter_num_new/next/destroy, and the local-kptr / graph kfuncs (helpers/graph.h:
// bpf_obj_new/drop, bpf_refcount_acquire, bpf_list_*, bpf_rbtree_*), which the loader binds
// to each object's own heap.
KfuncRegistry& global_kfunc_registry();
void add_generic_kfuncs(KfuncRegistry& r);
// bpf_iter_bits_new/next/destroy (part of the generic set).
void add_bits_iterator_kfuncs(KfuncRegistry& r);
// bpf_arena_alloc_pages/free_pages/reserve_pages (part of the generic set; arena_kfuncs.cc).
void add_arena_kfuncs(KfuncRegistry& r);

// Typed kernel symbols (`extern const struct rq runqueues __ksym;`): name → address.
using KsymTable = std::map<std::string, uint64_t>;

}  // namespace scx::bpf
