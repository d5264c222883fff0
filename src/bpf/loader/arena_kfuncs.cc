// The BPF arena kfuncs (kernel/bpf/arena.c): bpf_arena_alloc_pages, bpf_arena_free_pages and
// bpf_arena_reserve_pages. The map argument is the arena map's handle (ld_imm64 of the map);
// addresses are user (__arena) addresses of which only the low 32 bits count. Newer kernels
// also let non-sleepable programs call them (freeing is then deferred to a work item); the
// simulator frees at once in every context, so a freed page reads as 0 immediately.
#include <cerrno>

#include "bpf/loader/kfuncs.h"
#include "bpf/maps/arena.h"

namespace scx::bpf {

namespace {

// The arena behind the map argument; a program passing anything else faults (the verifier
// would have rejected it, as the kfunc's argument is KF_TRUSTED_ARGS).
Arena* arena_arg(CallContext& cx, uint64_t handle) {
  Arena* a = ArenaMap::from_handle(handle);
  if (!a) cx.fault("bpf_arena_*: the map argument is not a BPF arena map");
  return a;
}

uint64_t alloc_pages(CallContext& cx, const HostArgs& a) {
  Arena* arena = arena_arg(cx, a[0]);
  const auto page_cnt = static_cast<uint32_t>(a[2]);
  if (!arena || a[4] != 0 || page_cnt == 0) return 0;  // flags must be 0
  const uint64_t p = arena->alloc_pages(a[1], page_cnt);  // node_id (a[3]) is ignored
  if (!p && arena->cap_exceeded()) cx.fault(arena->last_error());
  return p;
}

uint64_t free_pages(CallContext& cx, const HostArgs& a) {
  Arena* arena = arena_arg(cx, a[0]);
  const auto page_cnt = static_cast<uint32_t>(a[2]);
  if (arena && page_cnt != 0 && a[1] != 0) arena->free_pages(a[1], page_cnt);
  return 0;
}

uint64_t reserve_pages(CallContext& cx, const HostArgs& a) {
  Arena* arena = arena_arg(cx, a[0]);
  if (!arena) return static_cast<uint64_t>(-EINVAL);
  const auto page_cnt = static_cast<uint32_t>(a[2]);
  if (page_cnt == 0) return 0;
  return static_cast<uint64_t>(static_cast<int64_t>(arena->reserve_pages(a[1], page_cnt)));
}

}  // namespace

void add_arena_kfuncs(KfuncRegistry& r) {
  r.add("bpf_arena_alloc_pages", alloc_pages);
  r.add("bpf_arena_free_pages", free_pages);
  r.add("bpf_arena_reserve_pages", reserve_pages);
}

}  // namespace scx::bpf
