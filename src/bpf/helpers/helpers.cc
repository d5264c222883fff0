#include "bpf/helpers/helpers.h"

#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "bpf/helpers/graph.h"
#include "bpf/maps/map.h"
#include "scxsim/kernel_types.h"

namespace scx::bpf {

const char* helper_name(uint32_t id) {
  switch (id) {
    case kHelperMapLookupElem: return "bpf_map_lookup_elem";
    case kHelperMapUpdateElem: return "bpf_map_update_elem";
    case kHelperMapDeleteElem: return "bpf_map_delete_elem";
    case kHelperProbeRead: return "bpf_probe_read";
    case kHelperKtimeGetNs: return "bpf_ktime_get_ns";
    case kHelperTracePrintk: return "bpf_trace_printk";
    case kHelperGetPrandomU32: return "bpf_get_prandom_u32";
    case kHelperGetSmpProcessorId: return "bpf_get_smp_processor_id";
    case kHelperGetCurrentPidTgid: return "bpf_get_current_pid_tgid";
    case kHelperGetCurrentComm: return "bpf_get_current_comm";
    case kHelperGetCurrentTask: return "bpf_get_current_task";
    case kHelperGetNumaNodeId: return "bpf_get_numa_node_id";
    case kHelperProbeReadStr: return "bpf_probe_read_str";
    case kHelperMapPushElem: return "bpf_map_push_elem";
    case kHelperMapPopElem: return "bpf_map_pop_elem";
    case kHelperMapPeekElem: return "bpf_map_peek_elem";
    case kHelperSpinLock: return "bpf_spin_lock";
    case kHelperSpinUnlock: return "bpf_spin_unlock";
    case kHelperProbeReadKernel: return "bpf_probe_read_kernel";
    case kHelperProbeReadKernelStr: return "bpf_probe_read_kernel_str";
    case kHelperJiffies64: return "bpf_jiffies64";
    case kHelperKtimeGetBootNs: return "bpf_ktime_get_boot_ns";
    case kHelperRingbufOutput: return "bpf_ringbuf_output";
    case kHelperRingbufReserve: return "bpf_ringbuf_reserve";
    case kHelperRingbufSubmit: return "bpf_ringbuf_submit";
    case kHelperRingbufDiscard: return "bpf_ringbuf_discard";
    case kHelperRingbufQuery: return "bpf_ringbuf_query";
    case kHelperPerCpuPtr: return "bpf_per_cpu_ptr";
    case kHelperThisCpuPtr: return "bpf_this_cpu_ptr";
    case kHelperTaskStorageGet: return "bpf_task_storage_get";
    case kHelperTaskStorageDelete: return "bpf_task_storage_delete";
    case kHelperGetCurrentTaskBtf: return "bpf_get_current_task_btf";
    case kHelperForEachMapElem: return "bpf_for_each_map_elem";
    case kHelperSnprintf: return "bpf_snprintf";
    case kHelperTimerInit: return "bpf_timer_init";
    case kHelperTimerSetCallback: return "bpf_timer_set_callback";
    case kHelperTimerStart: return "bpf_timer_start";
    case kHelperTimerCancel: return "bpf_timer_cancel";
    case kHelperTraceVprintk: return "bpf_trace_vprintk";
    case kHelperLoop: return "bpf_loop";
    case kHelperStrncmp: return "bpf_strncmp";
    case kHelperKptrXchg: return "bpf_kptr_xchg";
    case kHelperCgrpStorageGet: return "bpf_cgrp_storage_get";
    case kHelperCgrpStorageDelete: return "bpf_cgrp_storage_delete";
    case kHelperPerfEventRead: return "bpf_perf_event_read";
    case kHelperPerfEventOutput: return "bpf_perf_event_output";
    case kHelperPerfEventReadValue: return "bpf_perf_event_read_value";
    case kHelperMapLookupPercpuElem: return "bpf_map_lookup_percpu_elem";
    case kHelperDynptrRead: return "bpf_dynptr_read";
    case kHelperDynptrData: return "bpf_dynptr_data";
    case kHelperUserRingbufDrain: return "bpf_user_ringbuf_drain";
    default: return nullptr;
  }
}

namespace {
uint64_t neg(long e) { return static_cast<uint64_t>(static_cast<int64_t>(e)); }
void* ptr(uint64_t a) { return reinterpret_cast<void*>(a); }
}  // namespace

struct HelperImpl {
  HelperEnv& env;

  Map* map_arg(CallContext& cx, uint64_t h, const char* helper) {
    Map* m = Map::from_handle(h);
    if (!m) cx.fault(fmt::format("{}: R1 {} is not a map", helper, cx.memory().shown(h)));
    return m;
  }

  uint64_t now() { return env.hooks_.ktime_ns ? env.hooks_.ktime_ns() : 0; }

  void print(std::string s) {
    while (!s.empty() && s.back() == '\n') s.pop_back();
    if (env.hooks_.log) env.hooks_.log(s);
    env.log_.push_back(std::move(s));
  }

  // Reads the u64 argument array of the *printf helpers.
  bool read_args(CallContext& cx, uint64_t data, uint64_t len, std::vector<uint64_t>* out, const char* h) {
    if (len % 8 || len > 12 * 8) {
      cx.fault(fmt::format("{}: data_len {} is not a multiple of 8 up to 96", h, len));
      return false;
    }
    if (len && !cx.check(data, len, kPermRead, "data")) return false;
    out->resize(len / 8);
    if (len) std::memcpy(out->data(), ptr(data), len);
    return true;
  }

  bool read_fmt(CallContext& cx, uint64_t f, uint64_t n, std::string* out, const char* h) {
    if (n == 0 || n > 4096) {
      cx.fault(fmt::format("{}: bad format size {}", h, n));
      return false;
    }
    if (!cx.check(f, n, kPermRead, "fmt")) return false;
    const char* s = static_cast<const char*>(ptr(f));
    if (s[n - 1] != '\0') {
      cx.fault(fmt::format("{}: format string is not NUL-terminated", h));
      return false;
    }
    *out = std::string(s, strnlen(s, n));
    return true;
  }

  uint64_t timer_key_run(Vm& vm, HelperEnv::TimerState& t, std::string* fault) {
    std::vector<uint8_t> key;
    uint64_t value = 0;
    if (!t.map || !Map::from_handle(t.map->handle()) || !t.map->locate(t.addr, &key, &value)) return 0;
    auto kb = std::make_unique<uint8_t[]>(std::max<size_t>(key.size(), 8));
    std::memcpy(kb.get(), key.data(), key.size());
    uint64_t ka = reinterpret_cast<uint64_t>(kb.get());
    (void)vm.memory().add(kb.get(), std::max<size_t>(key.size(), 1), kPermRead, "timer key");
    auto pc = t.prog->pc_of_code_address(t.callback);
    RunResult r;
    if (pc) {
      uint64_t args[3] = {t.map->handle(), ka, value};
      r = vm.run(*t.prog, *pc, std::span<const uint64_t>(args, 3));
    }
    vm.memory().remove(ka);
    if (!pc) *fault = "bpf_timer callback is not a code address";
    else if (r.fault) *fault = r.fault->message;
    return r.r0;
  }
};

HelperEnv::HelperEnv(HelperHooks hooks) : hooks_(std::move(hooks)) {}

HelperEnv::~HelperEnv() {
  for (Map* m : timer_maps_) m->remove_timer_owner(this);
}

void HelperEnv::free_timer(uint64_t timer_addr) { timers_.erase(timer_addr); }

void HelperEnv::forget_map(const Map* map) {
  std::erase_if(timers_, [map](const auto& e) { return e.second.map == map; });
  timer_maps_.erase(const_cast<Map*>(map));
}

void HelperEnv::add_percpu_ksym(uint64_t handle, std::function<uint64_t(uint32_t cpu)> copy) {
  percpu_ksyms_[handle] = std::move(copy);
}

std::optional<uint64_t> HelperEnv::percpu_ksym_ptr(uint64_t handle, uint32_t cpu) const {
  auto it = percpu_ksyms_.find(handle);
  if (it == percpu_ksyms_.end()) return std::nullopt;
  return it->second(cpu);
}

Status HelperEnv::end_run(size_t held_before) {
  if (held_locks_.size() <= held_before) return Status();
  held_locks_.resize(held_before);
  return Status::Error("bpf_spin_lock", "program returned with a bpf_spin_lock held");
}

std::optional<uint64_t> HelperEnv::next_timer() const {
  std::optional<uint64_t> best;
  for (auto& [a, t] : timers_)
    if (t.armed && (!best || t.expires < *best)) best = t.expires;
  if (best && last_timer_pass_) best = std::max(*best, *last_timer_pass_ + kMinClockEventDeltaNs);
  return best;
}

size_t HelperEnv::armed_timers() const {
  size_t n = 0;
  for (auto& [a, t] : timers_) n += t.armed;
  return n;
}

std::vector<std::string> HelperEnv::run_timers(Vm& vm, uint64_t now) {
  std::vector<std::string> faults;
  HelperImpl impl{*this};
  const uint64_t armed_before_pass = timer_seq_;
  for (;;) {
    TimerState* pick = nullptr;
    for (auto& [a, t] : timers_)
      if (t.armed && t.expires <= now && t.seq <= armed_before_pass &&
          (!pick || t.expires < pick->expires || (t.expires == pick->expires && t.seq < pick->seq)))
        pick = &t;
    if (!pick) break;
    last_timer_pass_ = now;
    pick->armed = false;
    // A copy: the callback may free its own timer (deleting or overwriting its element).
    TimerState t = *pick;
    std::string fault;
    impl.timer_key_run(vm, t, &fault);
    if (!fault.empty()) faults.push_back(fault);
    Status s = end_run();
    if (!s.ok()) faults.push_back(s.message());
  }
  return faults;
}

void HelperEnv::bind(Vm& vm) {
  auto impl = std::make_shared<HelperImpl>(HelperImpl{*this});
  HostTable& h = vm.helpers();
  auto set = [&](uint32_t id, HostFn fn) { h.set(id, helper_name(id), std::move(fn)); };

  set(kHelperMapLookupElem, [impl](CallContext& cx, const HostArgs& a) -> uint64_t {
    Map* m = impl->map_arg(cx, a[0], "bpf_map_lookup_elem");
    if (!m) return 0;
    if (m->spec().key_size && !cx.check(a[1], m->spec().key_size, kPermRead, "key")) return 0;
    return reinterpret_cast<uint64_t>(m->lookup(ptr(a[1])));
  });
  set(kHelperMapUpdateElem, [impl](CallContext& cx, const HostArgs& a) -> uint64_t {
    Map* m = impl->map_arg(cx, a[0], "bpf_map_update_elem");
    if (!m) return 0;
    if (m->type() == kMapArrayOfMaps || m->type() == kMapHashOfMaps || m->type() == kMapRingbuf ||
        m->type() == kMapTaskStorage || m->type() == kMapCgrpStorage)
      return neg(-EOPNOTSUPP);
    if (m->spec().key_size && !cx.check(a[1], m->spec().key_size, kPermRead, "key")) return 0;
    if (!cx.check(a[2], m->spec().value_size, kPermRead, "value")) return 0;
    return neg(m->update(ptr(a[1]), ptr(a[2]), a[3]));
  });
  set(kHelperMapDeleteElem, [impl](CallContext& cx, const HostArgs& a) -> uint64_t {
    Map* m = impl->map_arg(cx, a[0], "bpf_map_delete_elem");
    if (!m) return 0;
    if (m->spec().key_size && !cx.check(a[1], m->spec().key_size, kPermRead, "key")) return 0;
    if (m->type() == kMapArrayOfMaps || m->type() == kMapHashOfMaps) return neg(-EOPNOTSUPP);
    return neg(m->remove(ptr(a[1])));
  });
  set(kHelperMapPushElem, [impl](CallContext& cx, const HostArgs& a) -> uint64_t {
    Map* m = impl->map_arg(cx, a[0], "bpf_map_push_elem");
    if (!m || !cx.check(a[1], m->spec().value_size, kPermRead, "value")) return 0;
    return neg(m->push(ptr(a[1]), a[2]));
  });
  auto popk = [impl](bool pop) {
    return [impl, pop](CallContext& cx, const HostArgs& a) -> uint64_t {
      const char* n = pop ? "bpf_map_pop_elem" : "bpf_map_peek_elem";
      Map* m = impl->map_arg(cx, a[0], n);
      if (!m || !cx.check(a[1], m->spec().value_size, kPermWrite, "value")) return 0;
      return neg(pop ? m->pop(ptr(a[1])) : m->peek(ptr(a[1])));
    };
  };
  set(kHelperMapPopElem, popk(true));
  set(kHelperMapPeekElem, popk(false));

  set(kHelperKtimeGetNs, [impl](CallContext&, const HostArgs&) -> uint64_t { return impl->now(); });
  set(kHelperKtimeGetBootNs, [impl](CallContext&, const HostArgs&) -> uint64_t { return impl->now(); });
  set(kHelperJiffies64, [impl, this](CallContext&, const HostArgs&) -> uint64_t {
    return impl->now() / (1'000'000'000ULL / std::max<uint64_t>(1, hooks_.jiffies_per_sec));
  });
  set(kHelperGetSmpProcessorId, [this](CallContext&, const HostArgs&) -> uint64_t {
    return hooks_.cpu ? hooks_.cpu() : 0;
  });
  set(kHelperGetNumaNodeId, [this](CallContext&, const HostArgs&) -> uint64_t {
    return hooks_.numa_node ? hooks_.numa_node() : 0;
  });
  set(kHelperGetPrandomU32, [this](CallContext&, const HostArgs&) -> uint64_t {
    if (hooks_.prandom) return hooks_.prandom();
    uint64_t x = rng_state_;  // xorshift64*
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state_ = x;
    return static_cast<uint32_t>((x * 0x2545F4914F6CDD1DULL) >> 32);
  });
  auto current = [this]() -> uint64_t { return hooks_.current_task ? hooks_.current_task() : 0; };
  set(kHelperGetCurrentTask, [current](CallContext&, const HostArgs&) -> uint64_t { return current(); });
  set(kHelperGetCurrentTaskBtf, [current](CallContext&, const HostArgs&) -> uint64_t { return current(); });
  set(kHelperGetCurrentPidTgid, [current](CallContext&, const HostArgs&) -> uint64_t {
    uint64_t t = current();
    if (!t) return 0;
    auto* p = static_cast<const task_struct*>(ptr(t));
    return (static_cast<uint64_t>(static_cast<uint32_t>(p->tgid)) << 32) | static_cast<uint32_t>(p->pid);
  });
  set(kHelperGetCurrentComm, [current](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (!cx.check(a[0], a[1], kPermWrite, "buf")) return 0;
    uint64_t t = current();
    std::memset(ptr(a[0]), 0, a[1]);
    if (!t) return neg(-EINVAL);
    auto* p = static_cast<const task_struct*>(ptr(t));
    if (a[1]) std::memcpy(ptr(a[0]), p->comm, std::min<uint64_t>(a[1] - 1, strnlen(p->comm, sizeof p->comm)));
    return 0;
  });

  auto probe_read = [](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (a[1] > (1u << 29)) {
      cx.fault("bpf_probe_read_kernel: size too large");
      return 0;
    }
    if (a[1] && !cx.check(a[0], a[1], kPermWrite, "dst")) return 0;
    if (a[1] == 0) return 0;
    // The source may be any readable memory, the program's own stack included (a caller's
    // char buffer passed down to a subprogram).
    if (!cx.can_access(a[2], a[1], kPermRead)) {
      std::memset(ptr(a[0]), 0, a[1]);
      return neg(-EFAULT);
    }
    std::memmove(ptr(a[0]), ptr(a[2]), a[1]);
    return 0;
  };
  set(kHelperProbeReadKernel, probe_read);
  set(kHelperProbeRead, probe_read);
  auto probe_read_str = [](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (a[1] == 0) return 0;
    if (a[1] > (1u << 29)) {
      cx.fault("bpf_probe_read_kernel_str: size too large");
      return 0;
    }
    if (!cx.check(a[0], a[1], kPermWrite, "dst")) return 0;
    auto* d = static_cast<char*>(ptr(a[0]));
    for (uint64_t i = 0; i + 1 < a[1] + 1; ++i) {
      if (i == a[1] - 1) {
        d[i] = 0;
        return i + 1;
      }
      if (!cx.can_access(a[2] + i, 1, kPermRead)) {
        std::memset(d, 0, a[1]);
        return neg(-EFAULT);
      }
      d[i] = *static_cast<const char*>(ptr(a[2] + i));
      if (!d[i]) return i + 1;
    }
    return 0;
  };
  set(kHelperProbeReadKernelStr, probe_read_str);
  set(kHelperProbeReadStr, probe_read_str);

  set(kHelperTracePrintk, [impl](CallContext& cx, const HostArgs& a) -> uint64_t {
    std::string f;
    if (!impl->read_fmt(cx, a[0], a[1], &f, "bpf_trace_printk")) return 0;
    uint64_t args[3] = {a[2], a[3], a[4]};
    auto r = bpf_bprintf(cx.memory(), f, std::span<const uint64_t>(args, 3));
    if (!r.ok()) return neg(-EINVAL);
    impl->print(*r);
    return r->size();
  });
  set(kHelperTraceVprintk, [impl](CallContext& cx, const HostArgs& a) -> uint64_t {
    std::string f;
    std::vector<uint64_t> args;
    if (!impl->read_fmt(cx, a[0], a[1], &f, "bpf_trace_vprintk") ||
        !impl->read_args(cx, a[2], a[3], &args, "bpf_trace_vprintk"))
      return 0;
    auto r = bpf_bprintf(cx.memory(), f, args);
    if (!r.ok()) return neg(-EINVAL);
    impl->print(*r);
    return r->size();
  });
  set(kHelperSnprintf, [impl](CallContext& cx, const HostArgs& a) -> uint64_t {
    std::vector<uint64_t> args;
    if (a[1] && !cx.check(a[0], a[1], kPermWrite, "str")) return 0;
    if (!cx.check(a[2], 1, kPermRead, "fmt")) return 0;
    std::string f;
    for (uint64_t p = a[2]; f.size() < 4096; ++p) {
      if (!cx.check(p, 1, kPermRead, "fmt")) return 0;
      char c = *static_cast<const char*>(ptr(p));
      if (!c) break;
      f += c;
    }
    if (!impl->read_args(cx, a[3], a[4], &args, "bpf_snprintf")) return 0;
    auto r = bpf_bprintf(cx.memory(), f, args);
    if (!r.ok()) return neg(-EINVAL);
    if (a[1]) {
      size_t n = std::min<size_t>(r->size(), a[1] - 1);
      std::memcpy(ptr(a[0]), r->data(), n);
      static_cast<char*>(ptr(a[0]))[n] = 0;
    }
    return r->size() + 1;
  });

  set(kHelperLoop, [](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (a[3] != 0) return neg(-EINVAL);
    uint32_t n = static_cast<uint32_t>(a[0]);
    if (n > (1u << 23)) return neg(-E2BIG);
    uint64_t i = 0;
    for (; i < n; ++i) {
      auto r = cx.call(a[1], HostArgs{i, a[2], 0, 0, 0});
      if (!r) return 0;
      if (*r == 1) return i + 1;
    }
    return i;
  });
  // bpf_strncmp(s1, s1_sz, s2): s2 is a NUL-terminated constant string.
  set(kHelperStrncmp, [](CallContext& cx, const HostArgs& a) -> uint64_t {
    for (uint64_t i = 0; i < static_cast<uint32_t>(a[1]); ++i) {
      if (!cx.check(a[0] + i, 1, kPermRead, "s1") || !cx.check(a[2] + i, 1, kPermRead, "s2")) return 0;
      const auto c1 = *static_cast<const unsigned char*>(ptr(a[0] + i));
      const auto c2 = *static_cast<const unsigned char*>(ptr(a[2] + i));
      if (c1 != c2) return c1 < c2 ? neg(-1) : 1;
      if (!c1) break;
    }
    return 0;
  });
  set(kHelperForEachMapElem, [impl](CallContext& cx, const HostArgs& a) -> uint64_t {
    Map* m = impl->map_arg(cx, a[0], "bpf_for_each_map_elem");
    if (!m) return 0;
    if (a[3] != 0) return neg(-EINVAL);
    uint64_t n = 0;
    bool faulted = false;
    size_t ks = std::max<size_t>(8, m->spec().key_size);
    m->for_each([&](const void* key, void* value) {
      auto kb = std::make_unique<uint8_t[]>(ks);
      std::memcpy(kb.get(), key, m->spec().key_size);
      (void)cx.memory().add(kb.get(), ks, kPermRead, "for_each key");
      auto r = cx.call(a[1], HostArgs{m->handle(), reinterpret_cast<uint64_t>(kb.get()),
                                      reinterpret_cast<uint64_t>(value), a[2], 0});
      cx.memory().remove(kb.get());
      ++n;
      if (!r) {
        faulted = true;
        return false;
      }
      return *r == 0;
    });
    return faulted ? 0 : n;
  });

  set(kHelperSpinLock, [this](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (!cx.check(a[0], 4, kPermReadWrite, "lock")) return 0;
    if (!held_locks_.empty()) {
      cx.fault("bpf_spin_lock: another bpf_spin_lock is already held (nesting is not allowed)");
      return 0;
    }
    *static_cast<uint32_t*>(ptr(a[0])) = 1;
    held_locks_.push_back(a[0]);
    return 0;
  });
  set(kHelperSpinUnlock, [this](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (!cx.check(a[0], 4, kPermReadWrite, "lock")) return 0;
    if (held_locks_.empty() || held_locks_.back() != a[0]) {
      cx.fault("bpf_spin_unlock: this lock is not held");
      return 0;
    }
    *static_cast<uint32_t*>(ptr(a[0])) = 0;
    held_locks_.pop_back();
    return 0;
  });

  set(kHelperTimerInit, [impl, this](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (!cx.check(a[0], 16, kPermReadWrite, "timer")) return 0;
    Map* m = impl->map_arg(cx, a[1], "bpf_timer_init");
    if (!m) return 0;
    uint64_t clock = a[2] & 0xf;
    if ((a[2] & ~0xfULL) || (clock != 0 && clock != 1 && clock != 7)) return neg(-EINVAL);
    std::vector<uint8_t> key;
    uint64_t base;
    if (!m->locate(a[0], &key, &base)) return neg(-EINVAL);
    if (timers_.count(a[0])) return neg(-EBUSY);
    TimerState t;
    t.addr = a[0];
    t.map = m;
    timers_[a[0]] = t;
    // The map frees the timer with its value (bpf_obj_free_fields).
    m->add_timer_owner(this);
    timer_maps_.insert(m);
    return 0;
  });
  set(kHelperTimerSetCallback, [this](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (!cx.check(a[0], 16, kPermReadWrite, "timer")) return 0;
    auto it = timers_.find(a[0]);
    if (it == timers_.end()) return neg(-EINVAL);
    if (!cx.program().pc_of_code_address(a[1])) {
      cx.fault("bpf_timer_set_callback: R2 is not a function address");
      return 0;
    }
    it->second.prog = &cx.program();
    it->second.callback = a[1];
    return 0;
  });
  set(kHelperTimerStart, [impl, this](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (!cx.check(a[0], 16, kPermReadWrite, "timer")) return 0;
    auto it = timers_.find(a[0]);
    if (it == timers_.end() || !it->second.prog) return neg(-EINVAL);
    if (a[2] & ~3ULL) return neg(-EINVAL);
    it->second.expires = (a[2] & 1) ? a[1] : impl->now() + a[1];
    it->second.armed = true;
    it->second.seq = ++timer_seq_;
    return 0;
  });
  set(kHelperTimerCancel, [this](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (!cx.check(a[0], 16, kPermReadWrite, "timer")) return 0;
    auto it = timers_.find(a[0]);
    if (it == timers_.end()) return neg(-EINVAL);
    bool was = it->second.armed;
    it->second.armed = false;
    return was ? 1 : 0;
  });

  set(kHelperRingbufReserve, [impl](CallContext& cx, const HostArgs& a) -> uint64_t {
    auto* rb = dynamic_cast<RingbufMap*>(impl->map_arg(cx, a[0], "bpf_ringbuf_reserve"));
    if (!rb) {
      if (!cx.faulted()) cx.fault("bpf_ringbuf_reserve: R1 is not a ringbuf map");
      return 0;
    }
    return reinterpret_cast<uint64_t>(rb->reserve(a[1], a[2]));
  });
  auto rb_commit = [](bool discard) {
    return [discard](CallContext& cx, const HostArgs& a) -> uint64_t {
      RingbufMap* rb = RingbufMap::owner_of(a[0]);
      if (!rb || !rb->submit(a[0], discard)) {
        cx.fault(fmt::format("{}: R1 {} is not an outstanding ringbuf reservation",
                             discard ? "bpf_ringbuf_discard" : "bpf_ringbuf_submit",
                             cx.memory().describe(a[0])));
      }
      return 0;
    };
  };
  set(kHelperRingbufSubmit, rb_commit(false));
  set(kHelperRingbufDiscard, rb_commit(true));
  set(kHelperRingbufOutput, [impl](CallContext& cx, const HostArgs& a) -> uint64_t {
    auto* rb = dynamic_cast<RingbufMap*>(impl->map_arg(cx, a[0], "bpf_ringbuf_output"));
    if (!rb) {
      if (!cx.faulted()) cx.fault("bpf_ringbuf_output: R1 is not a ringbuf map");
      return 0;
    }
    if (a[2] && !cx.check(a[1], a[2], kPermRead, "data")) return 0;
    return neg(rb->output(ptr(a[1]), a[2], a[3]));
  });
  set(kHelperRingbufQuery, [impl](CallContext& cx, const HostArgs& a) -> uint64_t {
    auto* rb = dynamic_cast<RingbufMap*>(impl->map_arg(cx, a[0], "bpf_ringbuf_query"));
    if (!rb) {
      if (!cx.faulted()) cx.fault("bpf_ringbuf_query: R1 is not a ringbuf map");
      return 0;
    }
    return rb->query(a[1]);
  });

  // The storage map argument of the task/cgrp storage helpers, of the helper's own map type.
  auto storage_map = [impl](CallContext& cx, uint64_t arg, uint32_t type, const char* n) -> LocalStorageMap* {
    Map* m = impl->map_arg(cx, arg, n);
    if (!m) return nullptr;
    auto* ls = dynamic_cast<LocalStorageMap*>(m);
    if (!ls || m->type() != type) {
      cx.fault(fmt::format("{}: map '{}' has the wrong type ({})", n, m->name(), map_type_name(m->type())));
      return nullptr;
    }
    return ls;
  };
  auto storage_get = [storage_map](uint32_t type, const char* n) {
    return [storage_map, type, n](CallContext& cx, const HostArgs& a) -> uint64_t {
      LocalStorageMap* ls = storage_map(cx, a[0], type, n);
      if (!ls) return 0;
      if (!a[1] || (a[3] & ~1ULL)) return 0;
      if (a[2] && !cx.check(a[2], ls->spec().value_size, kPermRead, "value")) return 0;
      return reinterpret_cast<uint64_t>(ls->get(a[1], a[2] ? ptr(a[2]) : nullptr, a[3]));
    };
  };
  auto storage_del = [storage_map](uint32_t type, const char* n) {
    return [storage_map, type, n](CallContext& cx, const HostArgs& a) -> uint64_t {
      LocalStorageMap* ls = storage_map(cx, a[0], type, n);
      if (!ls) return 0;
      if (!a[1]) return neg(-EINVAL);
      return neg(ls->erase(a[1]));
    };
  };
  set(kHelperTaskStorageGet, storage_get(kMapTaskStorage, "bpf_task_storage_get"));
  set(kHelperTaskStorageDelete, storage_del(kMapTaskStorage, "bpf_task_storage_delete"));
  set(kHelperCgrpStorageGet, storage_get(kMapCgrpStorage, "bpf_cgrp_storage_get"));
  set(kHelperCgrpStorageDelete, storage_del(kMapCgrpStorage, "bpf_cgrp_storage_delete"));

  // The percpu pointer must be a per-CPU ksym or a live bpf_percpu_obj_new object (the
  // verifier's MEM_PERCPU | MEM_RCU); a CPU past the last gives NULL, as cpu >= nr_cpu_ids.
  set(kHelperPerCpuPtr, [this](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (auto p = percpu_ksym_ptr(a[0], static_cast<uint32_t>(a[1]))) return *p;
    return GraphHeap::percpu_ptr(cx, a[0], static_cast<uint32_t>(a[1]), "bpf_per_cpu_ptr");
  });
  set(kHelperThisCpuPtr, [this](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (auto p = percpu_ksym_ptr(a[0], hooks_.cpu ? hooks_.cpu() : 0)) return *p;
    return GraphHeap::percpu_ptr(cx, a[0], std::nullopt, "bpf_this_cpu_ptr");
  });
  bind_event_helpers(*this, h);

  set(kHelperKptrXchg, [](CallContext& cx, const HostArgs& a) -> uint64_t {
    // A referenced kptr field is read-only to programs (only this helper stores to it), so ask
    // for read access to the field and write access to the region holding it.
    if (!cx.check(a[0], 8, kPermRead, "kptr")) return 0;
    const Region* r = cx.memory().find(a[0]);
    if (!r || !(r->perms & kPermWrite)) {
      cx.fault(fmt::format("bpf_kptr_xchg: R1 {} is not writable", cx.memory().describe(a[0])));
      return 0;
    }
    uint64_t old;
    std::memcpy(&old, ptr(a[0]), 8);
    std::memcpy(ptr(a[0]), &a[1], 8);
    // The map now owns the new object and the program the old one (loader/ref_rules.h).
    cx.release_ref(a[1]);
    cx.acquire_ref(old, "bpf_kptr_xchg");
    return old;
  });
}

}  // namespace scx::bpf
