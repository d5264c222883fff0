// Helpers around event maps and dynptrs: bpf_map_lookup_percpu_elem, the perf event helpers,
// bpf_user_ringbuf_drain and the dynptr accessors its callback uses. Semantics and error codes
// as kernel/bpf/helpers.c, kernel/bpf/ringbuf.c and kernel/trace/bpf_trace.c.
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "bpf/helpers/helpers.h"
#include "bpf/maps/map.h"

namespace scx::bpf {

namespace {

uint64_t neg(long e) { return static_cast<uint64_t>(static_cast<int64_t>(e)); }
void* ptr(uint64_t a) { return reinterpret_cast<void*>(a); }

// struct bpf_dynptr_kern: data, then size (low 24 bits) with the type in bits 28..30 and the
// read-only flag in bit 31, then offset.
struct DynptrKern {
  uint64_t data;
  uint32_t size;
  uint32_t offset;
};
static_assert(sizeof(DynptrKern) == 16);
constexpr uint32_t kDynptrSizeMask = (1u << 24) - 1;
constexpr uint32_t kDynptrRdonly = 1u << 31;
constexpr uint32_t kDynptrTypeShift = 28;
constexpr uint32_t kDynptrLocal = 1, kDynptrRingbuf = 2;  // enum bpf_dynptr_type
constexpr long kMaxUserRingbufSamples = 128 * 1024;      // BPF_MAX_USER_RINGBUF_SAMPLES
constexpr size_t kPerfEventValueSize = 24;                // struct bpf_perf_event_value

uint32_t dynptr_type(const DynptrKern& d) { return (d.size >> kDynptrTypeShift) & 7; }
uint32_t dynptr_size(const DynptrKern& d) { return d.size & kDynptrSizeMask; }
// bpf_dynptr_check_off_len
bool dynptr_range_ok(const DynptrKern& d, uint32_t off, uint32_t len) {
  return len <= dynptr_size(d) && off <= dynptr_size(d) - len;
}

Map* map_arg(CallContext& cx, uint64_t h, const char* helper) {
  Map* m = Map::from_handle(h);
  if (!m) cx.fault(fmt::format("{}: {} is not a map", helper, cx.memory().shown(h)));
  return m;
}

template <typename T>
T* typed_map_arg(CallContext& cx, uint64_t h, const char* helper, const char* type) {
  Map* m = map_arg(cx, h, helper);
  auto* t = dynamic_cast<T*>(m);
  if (m && !t) cx.fault(fmt::format("{}: map '{}' is not a {} (the verifier rejects this)", helper, m->name(), type));
  return t;
}

bool is_percpu_map(uint32_t t) { return t == kMapPercpuArray || t == kMapPercpuHash || t == kMapLruPercpuHash; }

uint32_t current_cpu(HelperEnv& env) { return env.hooks().cpu ? env.hooks().cpu() : 0; }

void bind_percpu_lookup(HostTable& h) {
  h.set(kHelperMapLookupPercpuElem, helper_name(kHelperMapLookupPercpuElem),
        [](CallContext& cx, const HostArgs& a) -> uint64_t {
          const char* n = "bpf_map_lookup_percpu_elem";
          Map* m = map_arg(cx, a[0], n);
          if (!m) return 0;
          if (!is_percpu_map(m->type())) {
            cx.fault(fmt::format("{}: map '{}' ({}) is not a per-CPU map (the verifier rejects this)", n,
                                 m->name(), map_type_name(m->type())));
            return 0;
          }
          if (!cx.check(a[1], m->spec().key_size, kPermRead, "key")) return 0;
          return reinterpret_cast<uint64_t>(m->lookup_percpu(ptr(a[1]), static_cast<uint32_t>(a[2])));
        });
}

// In scxsim no perf event is ever installed, so every slot check ends in an error.
void bind_perf_helpers(HelperEnv& env, HostTable& h) {
  auto slot = [&env](CallContext& cx, uint64_t map, uint64_t flags, const char* n) -> long {
    auto* pa = typed_map_arg<PerfEventArrayMap>(cx, map, n, "perf_event_array");
    return pa ? pa->event_slot(flags, current_cpu(env)) : 0;
  };
  h.set(kHelperPerfEventRead, helper_name(kHelperPerfEventRead), [slot](CallContext& cx, const HostArgs& a) {
    return neg(slot(cx, a[0], a[1], "bpf_perf_event_read"));
  });
  h.set(kHelperPerfEventReadValue, helper_name(kHelperPerfEventReadValue),
        [slot](CallContext& cx, const HostArgs& a) -> uint64_t {
          const uint32_t size = static_cast<uint32_t>(a[3]);
          if (!cx.check(a[2], size, kPermWrite, "buf")) return 0;
          long err = size != kPerfEventValueSize ? -EINVAL : slot(cx, a[0], a[1], "bpf_perf_event_read_value");
          if (cx.faulted()) return 0;
          std::memset(ptr(a[2]), 0, size);  // the kernel clears buf on every error
          return neg(err);
        });
  h.set(kHelperPerfEventOutput, helper_name(kHelperPerfEventOutput),
        [slot](CallContext& cx, const HostArgs& a) -> uint64_t {
          if (a[4] && !cx.check(a[3], a[4], kPermRead, "data")) return 0;
          return neg(slot(cx, a[1], a[2], "bpf_perf_event_output"));
        });
}

bool read_dynptr(CallContext& cx, uint64_t addr, DynptrKern* d) {
  if (!cx.check(addr, sizeof(DynptrKern), kPermRead, "dynptr")) return false;
  std::memcpy(d, ptr(addr), sizeof(DynptrKern));
  return true;
}

void bind_dynptr_helpers(HostTable& h) {
  h.set(kHelperDynptrRead, helper_name(kHelperDynptrRead), [](CallContext& cx, const HostArgs& a) -> uint64_t {
    const uint32_t len = static_cast<uint32_t>(a[1]), off = static_cast<uint32_t>(a[3]);
    DynptrKern d;
    if ((len && !cx.check(a[0], len, kPermWrite, "dst")) || !read_dynptr(cx, a[2], &d)) return 0;
    if (!d.data || a[4]) return neg(-EINVAL);
    if (!dynptr_range_ok(d, off, len)) return neg(-E2BIG);
    if (dynptr_type(d) != kDynptrLocal && dynptr_type(d) != kDynptrRingbuf) return neg(-EINVAL);
    const uint64_t src = d.data + d.offset + off;
    if (len && !cx.check(src, len, kPermRead, "dynptr data")) return 0;
    if (len) std::memmove(ptr(a[0]), ptr(src), len);
    return 0;
  });
  h.set(kHelperDynptrData, helper_name(kHelperDynptrData), [](CallContext& cx, const HostArgs& a) -> uint64_t {
    DynptrKern d;
    if (!read_dynptr(cx, a[0], &d) || !d.data) return 0;
    if (!dynptr_range_ok(d, static_cast<uint32_t>(a[1]), static_cast<uint32_t>(a[2]))) return 0;
    if ((d.size & kDynptrRdonly) || (dynptr_type(d) != kDynptrLocal && dynptr_type(d) != kDynptrRingbuf)) return 0;
    return d.data + d.offset + static_cast<uint32_t>(a[1]);
  });
}

// Runs the drain callback on one sample through a read-only local dynptr; nullopt on a fault.
std::optional<uint64_t> drain_one(CallContext& cx, uint64_t callback, uint64_t ctx, uint64_t data, uint32_t len) {
  DynptrKern d{data, len | (kDynptrLocal << kDynptrTypeShift), 0};
  const uint64_t da = reinterpret_cast<uint64_t>(&d);
  (void)cx.memory().add(Region{da, sizeof d, kPermRead, "bpf_dynptr"});
  std::optional<uint64_t> r = cx.call(callback, HostArgs{da, ctx, 0, 0, 0});
  cx.memory().remove(da);
  return r;
}

void bind_user_ringbuf_drain(HostTable& h) {
  h.set(kHelperUserRingbufDrain, helper_name(kHelperUserRingbufDrain),
        [](CallContext& cx, const HostArgs& a) -> uint64_t {
          auto* rb = typed_map_arg<UserRingbufMap>(cx, a[0], "bpf_user_ringbuf_drain", "user_ringbuf");
          if (!rb) return 0;
          if (a[3] & ~3ULL) return neg(-EINVAL);  // BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP
          if (!rb->try_claim()) return neg(-EBUSY);
          long samples = 0, discarded = 0;
          for (uint64_t ret = 0; samples < kMaxUserRingbufSamples && ret == 0; ++samples) {
            uint64_t data = 0;
            uint32_t len = 0;
            if (long err = rb->peek(&data, &len)) {
              if (err == -ENODATA) break;
              ++discarded;
              continue;
            }
            std::optional<uint64_t> r = drain_one(cx, a[1], a[2], data, len);
            rb->release();
            if (!r) {
              rb->unclaim();
              return 0;
            }
            ret = *r;
          }
          rb->unclaim();
          return neg(samples - discarded);
        });
}

}  // namespace

void bind_event_helpers(HelperEnv& env, HostTable& table) {
  bind_percpu_lookup(table);
  bind_perf_helpers(env, table);
  bind_dynptr_helpers(table);
  bind_user_ringbuf_drain(table);
}

}  // namespace scx::bpf
