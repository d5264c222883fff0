// Generic kfuncs that need no scheduler state.
#include <cstring>

#include "bpf/helpers/graph.h"
#include "bpf/loader/kfuncs.h"

namespace scx::bpf {

void add_generic_kfuncs(KfuncRegistry& r) {
  r.add("bpf_rcu_read_lock", [](CallContext&, const HostArgs&) -> uint64_t { return 0; });
  r.add("bpf_rcu_read_unlock", [](CallContext&, const HostArgs&) -> uint64_t { return 0; });
  // struct bpf_iter_num (8 bytes): {int cur; int end} as the kernel's bpf_iter_num_kern.
  r.add("bpf_iter_num_new", [](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (!cx.check(a[0], 8, kPermReadWrite, "it")) return 0;
    int32_t start = static_cast<int32_t>(a[1]), end = static_cast<int32_t>(a[2]);
    int32_t st[2] = {0, 0};
    uint64_t ret = 0;
    if (start > end) {
      ret = static_cast<uint64_t>(-22);  // -EINVAL, empty iterator
    } else if (static_cast<int64_t>(end) - start > (1 << 23)) {
      ret = static_cast<uint64_t>(-7);  // -E2BIG
    } else {
      st[0] = start - 1;
      st[1] = end;
    }
    std::memcpy(reinterpret_cast<void*>(a[0]), st, 8);
    return ret;
  });
  r.add("bpf_iter_num_next", [](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (!cx.check(a[0], 8, kPermReadWrite, "it")) return 0;
    auto* st = reinterpret_cast<int32_t*>(a[0]);
    if (st[0] + 1 >= st[1]) {
      st[0] = st[1] = 0;
      return 0;
    }
    ++st[0];
    return a[0];  // &it->cur
  });
  r.add("bpf_iter_num_destroy", [](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (!cx.check(a[0], 8, kPermReadWrite, "it")) return 0;
    std::memset(reinterpret_cast<void*>(a[0]), 0, 8);
    return 0;
  });
  add_graph_kfuncs(r);
}

KfuncRegistry& global_kfunc_registry() {
  static KfuncRegistry* r = [] {
    auto* reg = new KfuncRegistry;
    add_generic_kfuncs(*reg);
    return reg;
  }();
  return *r;
}

}  // namespace scx::bpf
