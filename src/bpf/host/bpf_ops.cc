#include "bpf/host/bpf_ops.h"

#include <bpf/btf.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "bpf/helpers/graph.h"
#include "bpf/host/layered/runtime.h"
#include "bpf/host/layered/writer.h"
#include "bpf/host/mitosis/runtime.h"
#include "bpf/host/kernel_ksyms.h"
#include "bpf/host/native_setup.h"
#include "bpf/loader/inspect.h"
#include "bpf/loader/kernel_layouts.h"
#include "kernel/ext/ext_class.h"
#include "kernel/kernel.h"
#include "kernel/cgroup/cgroup.h"

namespace scx::bpf {

namespace {

// struct cpumask has the real kernel's NR_CPUS = 8192 bits (CO-RE checks its size); no
// simulated machine has more than kMaxCpus CPUs, so the bits past it are always clear.
constexpr size_t kMaskBits = kMaxCpus;

BpfScxOps& host(CallContext& cx) { return *static_cast<BpfScxOps*>(cx.user_data()); }

bool mask_test(const cpumask* m, uint64_t cpu) {
  return cpu < kMaskBits && (m->bits[cpu / 64] >> (cpu % 64)) & 1;
}

// Reads a NUL-terminated string from checked VM memory (at most 1024 bytes).
bool read_str(CallContext& cx, uint64_t addr, std::string* out, const char* what) {
  out->clear();
  for (size_t i = 0; i < 1024; ++i) {
    if (!cx.check(addr + i, 1, kPermRead, what)) return false;
    char c = *reinterpret_cast<const char*>(addr + i);
    if (!c) return true;
    out->push_back(c);
  }
  cx.fault(fmt::format("{}: string not terminated within 1024 bytes", what));
  return false;
}

// scx_bpf_*_bstr(fmt, data, data_len): formats with the loader's bprintf.
bool format_bstr(CallContext& cx, uint64_t fmt_addr, uint64_t data, uint64_t len, std::string* out) {
  std::string f;
  if (!read_str(cx, fmt_addr, &f, "fmt")) return false;
  if (len % 8 != 0 || len > 12 * 8) {
    cx.fault(fmt::format("bstr data size {} is not a multiple of 8 up to 96", len));
    return false;
  }
  std::vector<uint64_t> args(len / 8);
  if (len) {
    if (!cx.check(data, len, kPermRead, "data")) return false;
    std::memcpy(args.data(), reinterpret_cast<const void*>(data), len);
  }
  Result<std::string> r = bpf_bprintf(cx.memory(), f, args);
  if (!r.ok()) {
    cx.fault(r.status().message());
    return false;
  }
  *out = std::move(*r);
  return true;
}

bpf_iter_scx_dsq* iter_arg(CallContext& cx, uint64_t a) {
  if (!cx.check(a, sizeof(bpf_iter_scx_dsq), kPermReadWrite, "it")) return nullptr;
  return reinterpret_cast<bpf_iter_scx_dsq*>(a);
}

bpf_iter_css* css_iter_arg(CallContext& cx, uint64_t a) {
  if (!cx.check(a, sizeof(bpf_iter_css), kPermReadWrite, "it")) return nullptr;
  return reinterpret_cast<bpf_iter_css*>(a);
}

// BPF_CGROUP_ITER_CHILDREN: parent's child after `pos` (the first for null), in creation order.
Cgroup* child_after(Cgroup& parent, Cgroup* pos) {
  const auto& kids = parent.children();
  if (!pos) return kids.empty() ? nullptr : kids.front();
  auto at = std::find(kids.begin(), kids.end(), pos);
  return at != kids.end() && at + 1 != kids.end() ? *(at + 1) : nullptr;
}

bpf_cpumask* owned_arg(CallContext& cx, uint64_t a, const char* what) {
  if (!host(cx).cpumask_owned(a)) {
    cx.fault(fmt::format("{}: {} is not a bpf_cpumask", what, cx.memory().describe(a)));
    return nullptr;
  }
  return reinterpret_cast<bpf_cpumask*>(a);
}

// The struct bpf_cpumask * a kfunc changes: a bpf_cpumask_create() object, or program memory
// holding a struct bpf_cpumask (a global or a map value). The verifier takes a pointer to a
// struct made only of scalars as memory of that size (KF_ARG_PTR_TO_MEM, readable and
// writable), so scx_lavd's global cpdom_cpumask[] array passes; only acquire and release need
// a referenced object.
bpf_cpumask* mutable_arg(CallContext& cx, uint64_t a, const char* what) {
  if (host(cx).cpumask_owned(a)) return reinterpret_cast<bpf_cpumask*>(a);
  if (!cx.check(a, sizeof(bpf_cpumask), kPermReadWrite, what)) return nullptr;
  return reinterpret_cast<bpf_cpumask*>(a);
}

using K = CallContext;
using A = HostArgs;

// kernel/bpf/helpers.c's cgroup kfuncs and kernel/bpf/cgroup_iter.c's css iterator. A cgroup
// lives until rmdir here (no reference outlives it: the kernel's refcount is not simulated).
void add_cgroup_kfuncs(KfuncRegistry& r) {
  r.add("bpf_cgroup_acquire", [](K& cx, const A& a) -> uint64_t {
    return host(cx).cgroup_arg(cx, a[0], "cgrp") ? a[0] : 0;
  });
  r.add("bpf_cgroup_release", [](K& cx, const A& a) -> uint64_t {
    host(cx).cgroup_arg(cx, a[0], "cgrp");
    return 0;
  });
  r.add("bpf_cgroup_ancestor", [](K& cx, const A& a) -> uint64_t {
    const cgroup* c = host(cx).cgroup_arg(cx, a[0], "cgrp");
    const int level = static_cast<int32_t>(a[1]);
    if (!c || level < 0 || level > c->level) return 0;
    return host(cx).expose_cgroup(c->ancestors[level]);
  });
  r.add("bpf_cgroup_from_id", [](K& cx, const A& a) -> uint64_t {
    Cgroup* c = host(cx).kf().kernel().cgroups().find_by_id(a[0]);
    return c ? host(cx).expose_cgroup(c->kernel_cgroup()) : 0;
  });
  r.add("bpf_iter_css_new", [](K& cx, const A& a) -> uint64_t {
    auto* it = css_iter_arg(cx, a[0]);
    if (!it) return 0;
    it->__opaque[0] = it->__opaque[1] = 0;
    const auto flags = static_cast<uint32_t>(a[2]);
    if (flags != BPF_CGROUP_ITER_DESCENDANTS_PRE && flags != BPF_CGROUP_ITER_DESCENDANTS_POST &&
        flags != BPF_CGROUP_ITER_ANCESTORS_UP && flags != BPF_CGROUP_ITER_CHILDREN)
      return static_cast<uint64_t>(-22);  // -EINVAL, as the kernel (no start: next gives NULL)
    if (!host(cx).cgroup_arg(cx, a[1], "start")) return 0;  // cgroup->self is at offset 0
    it->__opaque[0] = a[1];
    it->__opaque[2] = flags;
    return 0;
  });
  r.add("bpf_iter_css_next", [](K& cx, const A& a) -> uint64_t {
    auto* it = css_iter_arg(cx, a[0]);
    if (!it || !it->__opaque[0]) return 0;
    Cgroup* start = Cgroup::from_css(reinterpret_cast<const cgroup_subsys_state*>(it->__opaque[0]));
    Cgroup* pos = Cgroup::from_css(reinterpret_cast<const cgroup_subsys_state*>(it->__opaque[1]));
    Cgroup* next = nullptr;
    switch (it->__opaque[2]) {
      case BPF_CGROUP_ITER_DESCENDANTS_PRE: next = next_descendant_pre(pos, *start); break;
      case BPF_CGROUP_ITER_DESCENDANTS_POST: next = next_descendant_post(pos, *start); break;
      case BPF_CGROUP_ITER_ANCESTORS_UP: next = pos ? pos->parent() : start; break;
      case BPF_CGROUP_ITER_CHILDREN: next = child_after(*start, pos); break;
    }
    it->__opaque[1] = next ? reinterpret_cast<uint64_t>(&next->kernel_cgroup()->self) : 0;
    return next ? host(cx).expose_cgroup(next->kernel_cgroup()) : 0;
  });
  r.add("bpf_iter_css_destroy", [](K& cx, const A& a) -> uint64_t {
    css_iter_arg(cx, a[0]);
    return 0;
  });
}

void add_scx_kfuncs(KfuncRegistry& r) {
  auto ext = [](K& cx) -> ExtClass& { return host(cx).kf(); };
  auto insert = [ext](K& cx, const A& a) -> uint64_t {
    if (task_struct* p = host(cx).task_arg(cx, a[0], "p")) ext(cx).dsq_insert(p, a[1], a[2], a[3]);
    return 0;
  };
  auto insert_vtime = [ext](K& cx, const A& a) -> uint64_t {
    if (task_struct* p = host(cx).task_arg(cx, a[0], "p")) ext(cx).dsq_insert_vtime(p, a[1], a[2], a[3], a[4]);
    return 0;
  };
  auto move_to_local = [ext](K& cx, const A& a) -> uint64_t { return ext(cx).dsq_move_to_local(a[0]); };
  auto set_slice = [ext](K& cx, const A& a) -> uint64_t {
    if (auto* it = iter_arg(cx, a[0])) ext(cx).dsq_move_set_slice(it, a[1]);
    return 0;
  };
  auto set_vtime = [ext](K& cx, const A& a) -> uint64_t {
    if (auto* it = iter_arg(cx, a[0])) ext(cx).dsq_move_set_vtime(it, a[1]);
    return 0;
  };
  auto move = [ext](K& cx, const A& a) -> uint64_t {
    auto* it = iter_arg(cx, a[0]);
    task_struct* p = it ? host(cx).task_arg(cx, a[1], "p") : nullptr;
    return p ? ext(cx).dsq_move(it, p, a[2], a[3]) : 0;
  };
  auto move_vtime = [ext](K& cx, const A& a) -> uint64_t {
    auto* it = iter_arg(cx, a[0]);
    task_struct* p = it ? host(cx).task_arg(cx, a[1], "p") : nullptr;
    return p ? ext(cx).dsq_move_vtime(it, p, a[2], a[3]) : 0;
  };
  r.add("scx_bpf_dsq_insert", insert);
  r.add("scx_bpf_dispatch", insert);
  r.add("scx_bpf_dsq_insert_vtime", insert_vtime);
  r.add("scx_bpf_dispatch_vtime", insert_vtime);
  r.add("scx_bpf_dsq_move_to_local", move_to_local);
  r.add("scx_bpf_consume", move_to_local);
  r.add("scx_bpf_dsq_move_set_slice", set_slice);
  r.add("scx_bpf_dispatch_from_dsq_set_slice", set_slice);
  r.add("scx_bpf_dsq_move_set_vtime", set_vtime);
  r.add("scx_bpf_dispatch_from_dsq_set_vtime", set_vtime);
  r.add("scx_bpf_dsq_move", move);
  r.add("scx_bpf_dispatch_from_dsq", move);
  r.add("scx_bpf_dsq_move_vtime", move_vtime);
  r.add("scx_bpf_dispatch_vtime_from_dsq", move_vtime);
  r.add("scx_bpf_dispatch_nr_slots", [ext](K& cx, const A&) -> uint64_t { return ext(cx).dispatch_nr_slots(); });
  r.add("scx_bpf_dispatch_cancel", [ext](K& cx, const A&) -> uint64_t {
    ext(cx).dispatch_cancel();
    return 0;
  });
  r.add("scx_bpf_reenqueue_local", [ext](K& cx, const A&) -> uint64_t { return ext(cx).reenqueue_local(); });
  r.add("scx_bpf_create_dsq", [ext](K& cx, const A& a) -> uint64_t {
    return static_cast<uint64_t>(static_cast<int64_t>(ext(cx).create_dsq(a[0], static_cast<s32>(a[1]))));
  });
  r.add("scx_bpf_destroy_dsq", [ext](K& cx, const A& a) -> uint64_t {
    ext(cx).destroy_dsq(a[0]);
    return 0;
  });
  r.add("scx_bpf_dsq_nr_queued", [ext](K& cx, const A& a) -> uint64_t {
    return static_cast<uint64_t>(static_cast<int64_t>(ext(cx).dsq_nr_queued(a[0])));
  });
  r.add("bpf_iter_scx_dsq_new", [ext](K& cx, const A& a) -> uint64_t {
    auto* it = iter_arg(cx, a[0]);
    return it ? static_cast<uint64_t>(static_cast<int64_t>(ext(cx).iter_scx_dsq_new(it, a[1], a[2]))) : 0;
  });
  r.add("bpf_iter_scx_dsq_next", [ext](K& cx, const A& a) -> uint64_t {
    auto* it = iter_arg(cx, a[0]);
    task_struct* p = it ? ext(cx).iter_scx_dsq_next(it) : nullptr;
    return p ? host(cx).expose_task(p) : 0;
  });
  r.add("bpf_iter_scx_dsq_destroy", [ext](K& cx, const A& a) -> uint64_t {
    if (auto* it = iter_arg(cx, a[0])) ext(cx).iter_scx_dsq_destroy(it);
    return 0;
  });
  r.add("scx_bpf_kick_cpu", [ext](K& cx, const A& a) -> uint64_t {
    ext(cx).kick_cpu(static_cast<s32>(a[0]), a[1]);
    return 0;
  });
  r.add("scx_bpf_cpuperf_cap", [ext](K& cx, const A& a) -> uint64_t { return ext(cx).cpuperf_cap(static_cast<s32>(a[0])); });
  r.add("scx_bpf_cpuperf_cur", [ext](K& cx, const A& a) -> uint64_t { return ext(cx).cpuperf_cur(static_cast<s32>(a[0])); });
  r.add("scx_bpf_cpuperf_set", [ext](K& cx, const A& a) -> uint64_t {
    ext(cx).cpuperf_set(static_cast<s32>(a[0]), static_cast<u32>(a[1]));
    return 0;
  });
  r.add("scx_bpf_nr_cpu_ids", [ext](K& cx, const A&) -> uint64_t { return ext(cx).nr_cpu_ids(); });
  r.add("scx_bpf_nr_node_ids", [ext](K& cx, const A&) -> uint64_t { return ext(cx).nr_node_ids(); });
  r.add("scx_bpf_cpu_node", [ext](K& cx, const A& a) -> uint64_t {
    return static_cast<uint64_t>(static_cast<int64_t>(ext(cx).cpu_node(static_cast<s32>(a[0]))));
  });
  auto ro_mask = [](K& cx, const cpumask* m) -> uint64_t {
    return m ? host(cx).expose_ro(m, sizeof(cpumask), "cpumask") : 0;
  };
  r.add("scx_bpf_get_possible_cpumask", [ext, ro_mask](K& cx, const A&) { return ro_mask(cx, ext(cx).get_possible_cpumask()); });
  r.add("scx_bpf_get_online_cpumask", [ext, ro_mask](K& cx, const A&) { return ro_mask(cx, ext(cx).get_online_cpumask()); });
  r.add("scx_bpf_get_idle_cpumask", [ext, ro_mask](K& cx, const A&) { return ro_mask(cx, ext(cx).get_idle_cpumask()); });
  r.add("scx_bpf_get_idle_smtmask", [ext, ro_mask](K& cx, const A&) { return ro_mask(cx, ext(cx).get_idle_smtmask()); });
  auto put = [](K&, const A&) -> uint64_t { return 0; };
  r.add("scx_bpf_put_cpumask", put);
  r.add("scx_bpf_put_idle_cpumask", put);
  r.add("scx_bpf_task_running", [ext](K& cx, const A& a) -> uint64_t {
    task_struct* p = host(cx).task_arg(cx, a[0], "p");
    return p ? ext(cx).task_running(p) : 0;
  });
  r.add("scx_bpf_task_cpu", [ext](K& cx, const A& a) -> uint64_t {
    task_struct* p = host(cx).task_arg(cx, a[0], "p");
    return p ? static_cast<uint64_t>(static_cast<int64_t>(ext(cx).task_cpu(p))) : 0;
  });
  r.add("scx_bpf_cpu_rq", [ext](K& cx, const A& a) -> uint64_t {
    struct rq* q = ext(cx).cpu_rq(static_cast<s32>(a[0]));
    return q ? host(cx).expose_ro(q, sizeof(struct rq), "rq") : 0;
  });
  // 6.18/6.19 additions (schedulers reach them through scx's compat macros).
  r.add("scx_bpf_cpu_curr", [ext](K& cx, const A& a) -> uint64_t {
    task_struct* p = ext(cx).cpu_curr(static_cast<s32>(a[0]));
    return p ? host(cx).expose_task(p) : 0;
  });
  r.add("scx_bpf_locked_rq", [ext](K& cx, const A&) -> uint64_t {
    struct rq* q = ext(cx).locked_rq();
    return q ? host(cx).expose_ro(q, sizeof(struct rq), "rq") : 0;
  });
  r.add("scx_bpf_dsq_peek", [ext](K& cx, const A& a) -> uint64_t {
    task_struct* p = ext(cx).dsq_peek(a[0]);
    return p ? host(cx).expose_task(p) : 0;
  });
  r.add("scx_bpf_task_set_slice", [ext](K& cx, const A& a) -> uint64_t {
    task_struct* p = host(cx).task_arg(cx, a[0], "p");
    return p ? ext(cx).task_set_slice(p, a[1]) : 0;
  });
  r.add("scx_bpf_task_set_dsq_vtime", [ext](K& cx, const A& a) -> uint64_t {
    task_struct* p = host(cx).task_arg(cx, a[0], "p");
    return p ? ext(cx).task_set_dsq_vtime(p, a[1]) : 0;
  });
  r.add("scx_bpf_task_cgroup", [ext](K& cx, const A& a) -> uint64_t {
    task_struct* p = host(cx).task_arg(cx, a[0], "p");
    return p ? host(cx).expose_cgroup(ext(cx).task_cgroup(p)) : 0;
  });
  r.add("scx_bpf_now", [ext](K& cx, const A&) -> uint64_t { return ext(cx).now(); });
  r.add("scx_bpf_select_cpu_dfl", [ext](K& cx, const A& a) -> uint64_t {
    task_struct* p = host(cx).task_arg(cx, a[0], "p");
    if (!p || !cx.check(a[3], 1, kPermWrite, "is_idle")) return 0;
    bool idle = false;
    s32 cpu = ext(cx).select_cpu_dfl(p, static_cast<s32>(a[1]), a[2], &idle);
    *reinterpret_cast<uint8_t*>(a[3]) = idle ? 1 : 0;
    return static_cast<uint64_t>(static_cast<int64_t>(cpu));
  });
  r.add("scx_bpf_select_cpu_and", [ext](K& cx, const A& a) -> uint64_t {
    task_struct* p = host(cx).task_arg(cx, a[0], "p");
    const cpumask* m = p ? host(cx).mask_arg(cx, a[3], "cpus_allowed") : nullptr;
    if (!m) return 0;
    return static_cast<uint64_t>(static_cast<int64_t>(ext(cx).select_cpu_and(p, static_cast<s32>(a[1]), a[2], m, a[4])));
  });
  r.add("scx_bpf_events", [ext](K& cx, const A& a) -> uint64_t {
    if (a[1] && cx.check(a[0], a[1], kPermWrite, "events"))
      ext(cx).events(reinterpret_cast<scx_event_stats*>(a[0]), static_cast<size_t>(a[1]));
    return 0;
  });
  r.add("scx_bpf_test_and_clear_cpu_idle", [ext](K& cx, const A& a) -> uint64_t {
    return ext(cx).test_and_clear_cpu_idle(static_cast<s32>(a[0]));
  });
  r.add("scx_bpf_pick_idle_cpu", [ext](K& cx, const A& a) -> uint64_t {
    const cpumask* m = host(cx).mask_arg(cx, a[0], "cpus_allowed");
    return m ? static_cast<uint64_t>(static_cast<int64_t>(ext(cx).pick_idle_cpu(m, a[1]))) : 0;
  });
  r.add("scx_bpf_pick_any_cpu", [ext](K& cx, const A& a) -> uint64_t {
    const cpumask* m = host(cx).mask_arg(cx, a[0], "cpus_allowed");
    return m ? static_cast<uint64_t>(static_cast<int64_t>(ext(cx).pick_any_cpu(m, a[1]))) : 0;
  });
  r.add("scx_bpf_exit_bstr", [ext](K& cx, const A& a) -> uint64_t {
    std::string msg;
    if (format_bstr(cx, a[1], a[2], a[3], &msg)) ext(cx).exit_bstr(static_cast<s64>(a[0]), msg);
    return 0;
  });
  r.add("scx_bpf_error_bstr", [ext](K& cx, const A& a) -> uint64_t {
    std::string msg;
    if (format_bstr(cx, a[0], a[1], a[2], &msg)) ext(cx).error_bstr(msg);
    return 0;
  });
  r.add("scx_bpf_dump_bstr", [ext](K& cx, const A& a) -> uint64_t {
    std::string msg;
    if (format_bstr(cx, a[0], a[1], a[2], &msg)) ext(cx).dump_bstr(msg);
    return 0;
  });
  // Tasks.
  r.add("bpf_task_from_pid", [ext](K& cx, const A& a) -> uint64_t {
    task_struct* p = ext(cx).task_from_pid(static_cast<s32>(a[0]));
    return p ? host(cx).expose_task(p) : 0;
  });
  r.add("bpf_task_acquire", [](K& cx, const A& a) -> uint64_t { return host(cx).task_arg(cx, a[0], "p") ? a[0] : 0; });
  r.add("bpf_task_release", put);
}

void add_cpumask_kfuncs(KfuncRegistry& r) {
  r.add("bpf_cpumask_create", [](K& cx, const A&) -> uint64_t { return host(cx).cpumask_create(); });
  r.add("bpf_cpumask_acquire", [](K& cx, const A& a) -> uint64_t {
    if (!owned_arg(cx, a[0], "cpumask")) return 0;
    host(cx).cpumask_acquire(a[0]);
    return a[0];
  });
  r.add("bpf_cpumask_release", [](K& cx, const A& a) -> uint64_t {
    if (owned_arg(cx, a[0], "cpumask")) host(cx).cpumask_release(a[0]);
    return 0;
  });
  auto ro = [](K& cx, uint64_t a, const char* w) { return host(cx).mask_arg(cx, a, w); };
  r.add("bpf_cpumask_first", [ro](K& cx, const A& a) -> uint64_t {
    const cpumask* m = ro(cx, a[0], "cpumask");
    if (!m) return 0;
    for (uint64_t i = 0; i < kMaskBits; ++i)
      if (mask_test(m, i)) return i;
    return kMaskBits;
  });
  r.add("bpf_cpumask_first_zero", [ro](K& cx, const A& a) -> uint64_t {
    const cpumask* m = ro(cx, a[0], "cpumask");
    if (!m) return 0;
    for (uint64_t i = 0; i < kMaskBits; ++i)
      if (!mask_test(m, i)) return i;
    return kMaskBits;
  });
  r.add("bpf_cpumask_first_and", [ro](K& cx, const A& a) -> uint64_t {
    const cpumask* m1 = ro(cx, a[0], "src1");
    const cpumask* m2 = m1 ? ro(cx, a[1], "src2") : nullptr;
    if (!m2) return 0;
    for (uint64_t i = 0; i < kMaskBits; ++i)
      if (mask_test(m1, i) && mask_test(m2, i)) return i;
    return kMaskBits;
  });
  auto bitop = [](K& cx, const A& a, int op) -> uint64_t {  // 0 set 1 clear 2 tas 3 tac
    bpf_cpumask* m = mutable_arg(cx, a[1], "cpumask");
    if (!m || a[0] >= kMaskBits) return 0;
    uint64_t bit = 1ULL << (a[0] % 64);
    unsigned long& w = m->cpumask.bits[a[0] / 64];
    bool was = w & bit;
    if (op == 0 || op == 2) w |= bit;
    else w &= ~bit;
    return was;
  };
  r.add("bpf_cpumask_set_cpu", [bitop](K& cx, const A& a) { bitop(cx, a, 0); return uint64_t{0}; });
  r.add("bpf_cpumask_clear_cpu", [bitop](K& cx, const A& a) { bitop(cx, a, 1); return uint64_t{0}; });
  r.add("bpf_cpumask_test_and_set_cpu", [bitop](K& cx, const A& a) { return bitop(cx, a, 2); });
  r.add("bpf_cpumask_test_and_clear_cpu", [bitop](K& cx, const A& a) { return bitop(cx, a, 3); });
  r.add("bpf_cpumask_test_cpu", [ro](K& cx, const A& a) -> uint64_t {
    const cpumask* m = ro(cx, a[1], "cpumask");
    return m && mask_test(m, a[0]);
  });
  r.add("bpf_cpumask_setall", [](K& cx, const A& a) -> uint64_t {
    if (bpf_cpumask* m = mutable_arg(cx, a[0], "cpumask")) std::memset(&m->cpumask, 0xff, sizeof(cpumask));
    return 0;
  });
  r.add("bpf_cpumask_clear", [](K& cx, const A& a) -> uint64_t {
    if (bpf_cpumask* m = mutable_arg(cx, a[0], "cpumask")) std::memset(&m->cpumask, 0, sizeof(cpumask));
    return 0;
  });
  auto binop = [ro](K& cx, const A& a, int op) -> uint64_t {
    bpf_cpumask* d = mutable_arg(cx, a[0], "dst");
    const cpumask* s1 = d ? ro(cx, a[1], "src1") : nullptr;
    const cpumask* s2 = s1 ? ro(cx, a[2], "src2") : nullptr;
    if (!s2) return 0;
    bool any = false;
    for (size_t i = 0; i < kMaskBits / 64; ++i) {
      unsigned long v = op == 0 ? (s1->bits[i] & s2->bits[i]) : op == 1 ? (s1->bits[i] | s2->bits[i])
                                                                        : (s1->bits[i] ^ s2->bits[i]);
      d->cpumask.bits[i] = v;
      any |= v != 0;
    }
    return any;
  };
  r.add("bpf_cpumask_and", [binop](K& cx, const A& a) { return binop(cx, a, 0); });
  r.add("bpf_cpumask_or", [binop](K& cx, const A& a) { binop(cx, a, 1); return uint64_t{0}; });
  r.add("bpf_cpumask_xor", [binop](K& cx, const A& a) { binop(cx, a, 2); return uint64_t{0}; });
  auto cmp = [ro](K& cx, const A& a, int op) -> uint64_t {  // 0 equal 1 intersects 2 subset
    const cpumask* s1 = ro(cx, a[0], "src1");
    const cpumask* s2 = s1 ? ro(cx, a[1], "src2") : nullptr;
    if (!s2) return 0;
    bool res = op != 1;
    for (size_t i = 0; i < kMaskBits / 64; ++i) {
      if (op == 0 && s1->bits[i] != s2->bits[i]) res = false;
      if (op == 1 && (s1->bits[i] & s2->bits[i])) res = true;
      if (op == 2 && (s1->bits[i] & ~s2->bits[i])) res = false;
    }
    return res;
  };
  r.add("bpf_cpumask_equal", [cmp](K& cx, const A& a) { return cmp(cx, a, 0); });
  r.add("bpf_cpumask_intersects", [cmp](K& cx, const A& a) { return cmp(cx, a, 1); });
  r.add("bpf_cpumask_subset", [cmp](K& cx, const A& a) { return cmp(cx, a, 2); });
  auto weight = [](const cpumask* m) {
    uint64_t n = 0;
    for (size_t i = 0; i < kMaskBits / 64; ++i) n += __builtin_popcountl(m->bits[i]);
    return n;
  };
  r.add("bpf_cpumask_empty", [ro, weight](K& cx, const A& a) -> uint64_t {
    const cpumask* m = ro(cx, a[0], "cpumask");
    return m && weight(m) == 0;
  });
  r.add("bpf_cpumask_full", [ro, weight](K& cx, const A& a) -> uint64_t {
    const cpumask* m = ro(cx, a[0], "cpumask");
    return m && weight(m) >= host(cx).kf().nr_cpu_ids();
  });
  r.add("bpf_cpumask_weight", [ro, weight](K& cx, const A& a) -> uint64_t {
    const cpumask* m = ro(cx, a[0], "cpumask");
    return m ? weight(m) : 0;
  });
  // 6.15: fill a bpf_cpumask from a bitmap in program memory; the source must cover
  // nr_cpu_ids bits in whole longs (-EACCES otherwise).
  r.add("bpf_cpumask_populate", [](K& cx, const A& a) -> uint64_t {
    bpf_cpumask* d = mutable_arg(cx, a[0], "cpumask");
    if (!d) return 0;
    const uint64_t longs = (host(cx).kf().nr_cpu_ids() + 63) / 64;
    if (a[2] < longs * 8) return static_cast<uint64_t>(-13);
    if (!cx.check(a[1], longs * 8, kPermRead, "src")) return 0;
    std::memcpy(&d->cpumask, reinterpret_cast<const void*>(a[1]), longs * 8);
    return 0;
  });
  r.add("bpf_cpumask_copy", [ro](K& cx, const A& a) -> uint64_t {
    bpf_cpumask* d = mutable_arg(cx, a[0], "dst");
    const cpumask* s = d ? ro(cx, a[1], "src") : nullptr;
    if (s) std::memcpy(&d->cpumask, s, sizeof(cpumask));
    return 0;
  });
  // cpumask_any_distribute / cpumask_any_and_distribute: the kernel's own per-CPU round robin
  // (Kernel::any_and_distribute), whose cursor the kernel's callers share; none → >= nr_cpu_ids.
  auto distribute = [](K& cx, const cpumask* m1, const cpumask* m2) -> uint64_t {
    static_assert(sizeof(m1->bits) >= CpuMask::kWords * sizeof(uint64_t));
    uint64_t w1[CpuMask::kWords], w2[CpuMask::kWords];
    std::memcpy(w1, m1->bits, sizeof(w1));
    std::memcpy(w2, (m2 ? m2 : m1)->bits, sizeof(w2));
    Kernel& k = host(cx).kf().kernel();
    const int cpu = k.any_and_distribute(CpuMask::from_words(w1) & CpuMask::from_words(w2), k.topo().all_cpus());
    return cpu >= 0 ? static_cast<uint64_t>(cpu) : kMaskBits;
  };
  r.add("bpf_cpumask_any_distribute", [ro, distribute](K& cx, const A& a) -> uint64_t {
    const cpumask* m = ro(cx, a[0], "cpumask");
    return m ? distribute(cx, m, nullptr) : 0;
  });
  r.add("bpf_cpumask_any_and_distribute", [ro, distribute](K& cx, const A& a) -> uint64_t {
    const cpumask* m1 = ro(cx, a[0], "src1");
    const cpumask* m2 = m1 ? ro(cx, a[1], "src2") : nullptr;
    return m2 ? distribute(cx, m1, m2) : 0;
  });
}

// Kfuncs of kernels after 6.12 that the public scx schedulers reach through their compat
// wrappers (weak there): the 6.19 argument-struct forms.
void add_newer_scx_kfuncs(KfuncRegistry& r) {
  auto ext = [](K& cx) -> ExtClass& { return host(cx).kf(); };
  r.add("__scx_bpf_select_cpu_and", [ext](K& cx, const A& a) -> uint64_t {
    task_struct* p = host(cx).task_arg(cx, a[0], "p");
    const cpumask* m = p ? host(cx).mask_arg(cx, a[1], "cpus_allowed") : nullptr;
    if (!m || !cx.check(a[2], sizeof(scx_bpf_select_cpu_and_args), kPermRead, "args")) return 0;
    const auto* args = reinterpret_cast<const scx_bpf_select_cpu_and_args*>(a[2]);
    return static_cast<uint64_t>(
        static_cast<int64_t>(ext(cx).select_cpu_and(p, args->prev_cpu, args->wake_flags, m, args->flags)));
  });
  r.add("__scx_bpf_dsq_insert_vtime", [ext](K& cx, const A& a) -> uint64_t {
    task_struct* p = host(cx).task_arg(cx, a[0], "p");
    if (!p || !cx.check(a[1], sizeof(scx_bpf_dsq_insert_vtime_args), kPermRead, "args")) return 0;
    const auto* args = reinterpret_cast<const scx_bpf_dsq_insert_vtime_args*>(a[1]);
    ext(cx).dsq_insert_vtime(p, args->dsq_id, args->slice, args->vtime, args->enq_flags);
    return 1;  // bool: the insert was accepted (an invalid one ejects the scheduler)
  });
  // 6.15's per-node idle kfuncs: errors unless the ops set SCX_OPS_BUILTIN_IDLE_PER_NODE.
  auto ro_mask = [](K& cx, const cpumask* m) -> uint64_t { return host(cx).expose_ro(m, sizeof(cpumask), "cpumask"); };
  r.add("scx_bpf_get_idle_cpumask_node", [ext, ro_mask](K& cx, const A& a) {
    return ro_mask(cx, ext(cx).get_idle_cpumask_node(static_cast<s32>(a[0])));
  });
  r.add("scx_bpf_get_idle_smtmask_node", [ext, ro_mask](K& cx, const A& a) {
    return ro_mask(cx, ext(cx).get_idle_smtmask_node(static_cast<s32>(a[0])));
  });
  auto pick_node = [ext](bool any) {
    return [ext, any](K& cx, const A& a) -> uint64_t {
      const cpumask* m = host(cx).mask_arg(cx, a[0], "cpus_allowed");
      if (!m) return 0;
      const s32 node = static_cast<s32>(a[1]);
      const s32 cpu = any ? ext(cx).pick_any_cpu_node(m, node, a[2]) : ext(cx).pick_idle_cpu_node(m, node, a[2]);
      return static_cast<uint64_t>(static_cast<int64_t>(cpu));
    };
  };
  r.add("scx_bpf_pick_idle_cpu_node", pick_node(false));
  r.add("scx_bpf_pick_any_cpu_node", pick_node(true));
  // Flavors whose prototype is newer than the simulated kernel's (6.19's bool dsq_insert, the
  // callable-anywhere reenqueue_local, 7.1's move_to_local with enq_flags): libbpf's prototype
  // check leaves them unresolved on such a kernel, and the compat wrappers use the old flavor.
  for (const char* n : {"scx_bpf_dsq_insert___v2", "scx_bpf_dsq_insert___v2___compat",
                        "scx_bpf_reenqueue_local___v2", "scx_bpf_reenqueue_local___v2___compat",
                        "scx_bpf_dsq_move_to_local___v2", "scx_bpf_dsq_move_to_local___v2___compat"})
    r.add_absent(n);
}

}  // namespace

const KfuncRegistry& scx_kfunc_registry() {
  static const KfuncRegistry* r = [] {
    auto* reg = new KfuncRegistry;
    add_generic_kfuncs(*reg);
    add_scx_kfuncs(*reg);
    add_newer_scx_kfuncs(*reg);
    add_cpumask_kfuncs(*reg);
    add_cgroup_kfuncs(*reg);
    return reg;
  }();
  return *r;
}

Result<std::string> inspect_scheduler_file(const std::string& path, bool json) {
  const KernelKsyms ksyms(1, nullptr);
  return inspect_file(path, json, &scx_kfunc_registry(), &ksyms.table());
}

namespace {

// scx_layered's set-up before attach (layered/setup.h) for the profile's layer specs: the
// globals and map values are written now; the syscall runs and the periodic CPU allocation are
// its process's (layered/runtime.h). -s comes from the profile's slice_ns (default 20 ms).
Result<std::shared_ptr<const layered::LayeredPlan>> plan_layered(BpfObject& o, const ResolvedProfile& profile,
                                                                const Topology& topo) {
  uint64_t slice_us = 20000;
  for (const auto& [name, value] : profile.globals)
    if (name == "slice_ns") slice_us = std::stoull(value) / 1000;
  const uint64_t slice_dfl = kernel_btf().enum_value("", "SCX_SLICE_DFL").value_or(20'000'000);
  SCX_ASSIGN_OR_RETURN(std::shared_ptr<const layered::LayeredPlan> plan,
                       layered::make_plan(profile.layered_spec, topo, slice_us, slice_dfl));
  SCX_RETURN_IF_ERROR(layered::write_globals(o, plan->setup.globals).within("layer specs " + plan->origin));
  SCX_RETURN_IF_ERROR(layered::write_maps(o, plan->setup.maps).within("layer specs " + plan->origin));
  return plan;
}

}  // namespace

Result<std::unique_ptr<BpfScxOps>> BpfScxOps::load(const std::string& path, const BpfHostOptions& opts) {
  std::unique_ptr<BpfScxOps> self(new BpfScxOps);
  VmOptions vo;
  vo.insn_budget = opts.insn_budget;
  self->vm_ = std::make_unique<Vm>(vo);
  LoadOptions lo;
  lo.kfuncs = &scx_kfunc_registry();
  lo.max_global_data = opts.max_global_data;
  lo.max_heap_bytes = opts.max_heap_bytes;
  lo.map_env = std::make_shared<MapEnv>();
  lo.map_env->nr_cpus = static_cast<uint32_t>(std::max(1, opts.nr_cpus));
  BpfScxOps* raw = self.get();
  lo.map_env->current_cpu = [raw] { return static_cast<uint32_t>(raw->kf().this_cpu()); };
  self->ksyms_ = std::make_unique<KernelKsyms>(lo.map_env->nr_cpus, opts.topology);
  lo.ksyms = &self->ksyms_->table();
  ResolvedProfile profile;
  if (opts.topology) {
    auto chosen = choose_profile(path, opts.profile, opts.sched_opts, *opts.topology, &self->profile_origin_);
    if (!chosen.ok()) return chosen.status();
    profile = std::move(chosen).value();
  } else if (!opts.profile.empty() && opts.profile != "none") {
    return Status::Error(opts.profile, "a profile needs the machine's topology");
  }
  OpenPrologue open;
  open.nr_cpu_ids = opts.topology ? static_cast<uint32_t>(opts.topology->nr_cpus()) : lo.map_env->nr_cpus;
  open.array_lengths = profile.resize;
  open.map_max_entries = profile.map_size;
  for (const auto& [k, v] : opts.array_lengths) open.array_lengths[k] = v;  // the command line wins
  for (const auto& [k, v] : opts.map_max_entries) open.map_max_entries[k] = v;
  apply_open_prologue(open, &lo);
  Result<std::unique_ptr<BpfObject>> obj = load_bpf_object(path, lo);
  if (!obj.ok()) return obj.status();
  self->obj_ = std::move(*obj);
  BpfObject& o = *self->obj_;
  if (!o.struct_ops()) return Status::Errorf(path, "no sched_ext_ops struct_ops variable");
  const StructOpsInfo& so = *o.struct_ops();
  SCX_RETURN_IF_ERROR(fill_enum_globals(o, kernel_btf()).status());
  SCX_RETURN_IF_ERROR(fill_dump_len_globals(o));
  if (opts.topology) SCX_RETURN_IF_ERROR(fill_topology_globals(o, *opts.topology));
  for (const auto& [name, value] : profile.globals) {
    Status st = o.set_global(name, value);
    if (!st.ok()) return st.within(fmt::format("profile {}: global {}", self->profile_origin_, name));
  }
  if (opts.topology)
    SCX_RETURN_IF_ERROR(run_native_setup(profile.native_setup, o, *opts.topology).within("profile " + self->profile_origin_));
  SCX_RETURN_IF_ERROR(fill_map_entries(o, profile.map_entries).within("profile " + self->profile_origin_));
  std::shared_ptr<const layered::LayeredPlan> layered_plan;
  if (!profile.layered_spec.empty() && opts.topology) {
    SCX_ASSIGN_OR_RETURN(layered_plan, plan_layered(o, profile, *opts.topology));
  }
  for (const auto& [name, value] : opts.globals) {
    Status st = o.set_global(name, value);
    if (!st.ok()) return st.within(fmt::format("--set {}={}", name, value));
  }
  ScxOpsInfo& info = self->info_;
  info.name = so.name;
  info.flags = so.flags;
  info.timeout_ms = so.timeout_ms;
  info.dispatch_max_batch = so.dispatch_max_batch;
  info.exit_dump_len = so.exit_dump_len;
  info.hotplug_seq = so.hotplug_seq;
  if (profile.loader_cpu) info.loader_cpu = static_cast<int>(*profile.loader_cpu);
  for (const auto& [field, v] : profile.ops) {  // ops fields the scheduler's user space sets
    if (field == "flags") info.flags = v;
    if (field == "timeout_ms") info.timeout_ms = static_cast<uint32_t>(v);
    if (field == "dispatch_max_batch") info.dispatch_max_batch = static_cast<uint32_t>(v);
    if (field == "exit_dump_len") info.exit_dump_len = static_cast<uint32_t>(v);
  }
  for (const SyscallRun& r : profile.syscalls) {
    const BpfProgram* p = o.program(r.program);
    if (!p || p->section != "syscall")
      return Status::Errorf(self->profile_origin_, "syscall program '{}' is not in {}", r.program, path);
  }
  self->arena_lib_task_ctx_size_ = profile.arena_lib_task_ctx_size;
  if (profile.arena_lib_task_ctx_size && !o.program("arena_init"))
    return Status::Errorf(self->profile_origin_, "arena_lib: {} has no arena_init program", path);
  // A profile lists what its loader runs; without one, the convention (prologue.h).
  if (self->profile_origin_.empty()) self->syscalls_ = conventional_syscalls(o, profile.syscalls);
  self->syscalls_.insert(self->syscalls_.end(), profile.syscalls.begin(), profile.syscalls.end());
  for (const StructOpsCallback& cb : so.callbacks) {
    for (int i = 0; i < kScxOpCount; ++i) {
      if (cb.member == scx_op_name(static_cast<ScxOp>(i))) {
        info.implemented.set(static_cast<size_t>(i));
        self->progs_[i] = &o.programs()[cb.program];
      }
    }
  }
  SCX_ASSIGN_OR_RETURN(self->tracing_, TracingPrograms::create(*self, o));
  HelperHooks hooks;
  hooks.ktime_ns = [raw] { return raw->kf().now(); };
  hooks.cpu = [raw] { return static_cast<uint32_t>(raw->kf().this_cpu()); };
  hooks.numa_node = [raw] { return static_cast<uint32_t>(raw->kf().kernel().topo().cpu(raw->kf().this_cpu()).node); };
  hooks.prandom = [raw] { return static_cast<uint32_t>(raw->kf().kernel().rng().next_u64()); };
  hooks.log = [raw](std::string_view line) { raw->printk(line); };
  hooks.current_task = [raw] { return raw->current_task(); };
  self->helpers_ = std::make_unique<HelperEnv>(std::move(hooks));
  self->helpers_->bind(*self->vm_);
  self->ksyms_->install(*self->helpers_, self->vm_->memory(), [raw](uint32_t cpu) -> uint64_t {
    struct rq* q = raw->kf().cpu_rq(static_cast<s32>(cpu));
    return q ? raw->expose_ro(q, sizeof(struct rq), "rq") : 0;
  });
  self->vm_->set_user_data(raw);
  // A bpf_cpumask in a freed map value is released (bpf_cpumask_release_dtor). Tasks need no
  // destructor: bpf_task_acquire takes no reference here (task_structs outlive their use).
  if (o.graph()) o.graph()->set_kptr_dtor("bpf_cpumask", [raw](uint64_t a) { raw->cpumask_release(a); });
  o.attach(*self->vm_);
  SCX_ASSIGN_OR_RETURN(self->usersched_, UserSchedHost::choose(*self, opts.usersched, profile));
  // scx_layered's process (layered/runtime.h), unless another user-space scheduler was chosen.
  if (layered_plan && !self->usersched_ && opts.usersched != "none") {
    SCX_ASSIGN_OR_RETURN(self->usersched_, UserSchedHost::create(*self, layered::layered_user_scheduler(layered_plan), {}));
  }
  // scx_mitosis's process (mitosis/runtime.h) for a cell parent cgroup, likewise.
  if (!profile.cell_parent_cgroup.empty() && !self->usersched_ && opts.usersched != "none") {
    SCX_RETURN_IF_ERROR(CgroupTree::check_path(profile.cell_parent_cgroup).within("cell parent cgroup"));
    SCX_ASSIGN_OR_RETURN(self->usersched_, UserSchedHost::create(*self, mitosis::mitosis_user_scheduler(profile.cell_parent_cgroup),
                                                                 profile.usersched_args));
  }
  return self;
}

BpfScxOps::~BpfScxOps() {
  if (tracing_) tracing_->detach();  // no probe may outlive the programs it runs
  if (!obj_) return;
  std::shared_ptr<GraphHeap> heap = obj_->graph();
  obj_->detach();
  // The maps release their bpf_cpumasks while owned_masks_ still exists; a heap that outlives
  // the object must not call back into this host.
  obj_.reset();
  if (heap) heap->set_kptr_dtor("bpf_cpumask", nullptr);
}

bool BpfScxOps::expose_task_cgroups(const task_struct* p) {
  if (!p || !p->cgroups) return true;
  const uint64_t cset = expose_ro(p->cgroups, sizeof(css_set), "css_set");
  const cgroup* g = p->cgroups->dfl_cgrp;
  return exposed_.count(cset) && (!g || expose_cgroup(g) != 0);
}

uint64_t BpfScxOps::expose_task(const task_struct* p) {
  uint64_t a = reinterpret_cast<uint64_t>(p);
  // Its cgroup (task->cgroups->dfl_cgrp) changes when it moves: checked every time.
  const css_set* cset = p ? p->cgroups : nullptr;
  const ExposedTasks::Cgroups now{cset, cset ? cset->dfl_cgrp : nullptr};
  const std::optional<ExposedTasks::Cgroups> known = exposed_tasks_.find(a);
  if (known == now) return a;
  // Remembered only once visible, so that a failed exposure is tried again on the next call.
  const ExposedTasks::Cgroups remembered = expose_task_cgroups(p) ? now : ExposedTasks::Cgroups{};
  if (known) {
    exposed_tasks_.set(a, remembered);
    return a;
  }
  if (exposed_.count(a)) return a;
  static const std::shared_ptr<const FieldLayout> layout = task_struct_layout();
  AddressSpace& mem = vm_->memory();
  Status st = mem.add(p, sizeof(task_struct), kPermReadWrite, "task_struct", layout);
  if (!st.ok()) {
    // A stale registration of a freed object overlapping this one: drop it and retry.
    for (uint64_t probe : {a, a + sizeof(task_struct) - 1}) {
      const Region* r = mem.find(probe);
      if (r && exposed_.count(r->base)) {
        exposed_.erase(r->base);
        exposed_tasks_.erase(r->base);
        mem.remove(r->base);
        exposed_tasks_.forget_cgroups();  // it may have been a css_set or a cgroup
      }
    }
    st = mem.add(p, sizeof(task_struct), kPermReadWrite, "task_struct", layout);
  }
  if (st.ok()) {
    exposed_.insert(a);
    exposed_tasks_.set(a, remembered);
  }
  // What programs reach through the task: its thread group leader and parent (tasks are
  // never freed while the simulation runs).
  for (const task_struct* q : {p->group_leader, p->real_parent})
    if (q && q != p) expose_task(q);
  return a;
}

uint64_t BpfScxOps::expose_ro(const void* p, size_t size, const char* name) {
  uint64_t a = reinterpret_cast<uint64_t>(p);
  if (exposed_.count(a)) return a;
  if (vm_->memory().add(p, size, kPermRead, name).ok()) exposed_.insert(a);
  return a;
}

// With it what programs reach from it: its kernfs node and name, its cpuset (subsys[]) and its
// ancestors (ancestors[], self.parent).
uint64_t BpfScxOps::expose_cgroup(const cgroup* g) {
  const uint64_t a = reinterpret_cast<uint64_t>(g);
  if (!g || exposed_.count(a)) return a;
  Cgroup* cg = Cgroup::from_kernel(g);
  if (!cg) return 0;
  const size_t size = cg->kernel_size();
  if (!vm_->memory().add(g, size, kPermRead, "cgroup", cgroup_layout(size)).ok()) return 0;
  exposed_.insert(a);
  exposed_cgroups_.insert(a);
  expose_ro(g->kn, sizeof(kernfs_node), "kernfs_node");
  if (g->kn->name) expose_ro(g->kn->name, std::strlen(g->kn->name) + 1, "kernfs_node name");
  expose_ro(cg->kernel_cpuset(), sizeof(cpuset), "cpuset");
  if (cg->parent()) expose_cgroup(cg->parent()->kernel_cgroup());
  return a;
}

const cgroup* BpfScxOps::cgroup_arg(CallContext& cx, uint64_t addr, const char* what) {
  if (!exposed_cgroups_.count(addr)) {
    cx.fault(fmt::format("{}: {} is not a cgroup", what, cx.memory().describe(addr)));
    return nullptr;
  }
  return reinterpret_cast<const cgroup*>(addr);
}

// cgroup_free(): the cgroup's memory goes, and with it its local storage
// (bpf_cgrp_storage_free()).
void BpfScxOps::cgroup_released(cgroup* g) {
  Cgroup* cg = Cgroup::from_kernel(g);
  const uint64_t a = reinterpret_cast<uint64_t>(g);
  for (const void* p : {static_cast<const void*>(g), static_cast<const void*>(g->kn),
                        static_cast<const void*>(g->kn->name), static_cast<const void*>(cg->kernel_cpuset()),
                        static_cast<const void*>(cg->css_set())}) {
    const uint64_t base = reinterpret_cast<uint64_t>(p);
    if (exposed_.erase(base)) vm_->memory().remove(base);
  }
  exposed_cgroups_.erase(a);
  // A new object may reuse the address: every task's cgroups are exposed again on its next
  // expose_task().
  exposed_tasks_.forget_cgroups();
  for (const BpfMapInfo& m : obj_->maps())
    if (m.map && m.map->type() == kMapCgrpStorage) static_cast<LocalStorageMap*>(m.map.get())->erase(a);
}

uint64_t BpfScxOps::scratch_mem(const void* p, size_t size, uint8_t perms, const char* name) {
  if (!p) return 0;
  op_args_.push_back(Region{reinterpret_cast<uint64_t>(p), size, perms, name, nullptr});
  return reinterpret_cast<uint64_t>(p);
}

// A task_struct region registered by expose_task() starts exactly at addr.
task_struct* BpfScxOps::task_arg(CallContext& cx, uint64_t addr, const char* what) {
  if (!exposed_tasks_.contains(addr)) {
    cx.fault(fmt::format("{}: {} is not a task_struct", what, cx.memory().describe(addr)));
    return nullptr;
  }
  return reinterpret_cast<task_struct*>(addr);
}

const cpumask* BpfScxOps::mask_arg(CallContext& cx, uint64_t addr, const char* what) {
  if (!cx.check(addr, sizeof(cpumask), kPermRead, what)) return nullptr;
  return reinterpret_cast<const cpumask*>(addr);
}

uint64_t BpfScxOps::cpumask_create() {
  auto m = std::make_unique<bpf_cpumask>();
  std::memset(m.get(), 0, sizeof(bpf_cpumask));
  uint64_t a = reinterpret_cast<uint64_t>(m.get());
  if (!vm_->memory().add(m.get(), sizeof(bpf_cpumask), kPermRead, "bpf_cpumask").ok()) return 0;
  owned_masks_[a] = {std::move(m), 1};
  return a;
}


// The kernel writes bpf_trace_printk output to the trace buffer (trace_pipe) as a
// bpf_trace_printk event of the current CPU and task; here it goes on the trace bus.
void BpfScxOps::printk(std::string_view line) {
  ++printk_lines_;
  Kernel& k = kf().kernel();
  if (!k.trace().active()) return;
  const std::string text(line);
  TraceEvent e;
  e.time = k.now();
  e.type = TraceType::BpfTracePrintk;
  e.cpu = k.this_cpu();
  e.pid = k.rq(e.cpu).curr ? k.rq(e.cpu).curr->pid : 0;
  e.comm = text.c_str();
  k.trace().emit(e);
}

void BpfScxOps::cpumask_acquire(uint64_t addr) { ++owned_masks_[addr].second; }

void BpfScxOps::cpumask_release(uint64_t addr) {
  auto it = owned_masks_.find(addr);
  if (it == owned_masks_.end()) return;
  if (--it->second.second <= 0) {
    vm_->memory().remove(addr);
    owned_masks_.erase(it);
  }
}

// Ops nest: ops.enqueue runs inside ops.cpu_release when that calls scx_bpf_reenqueue_local()
// (the VM then starts a nested run). A nested op faulting ejects the scheduler here like any
// fault; the VM stops the enclosing program too, whose own report then loses to the first.
uint64_t BpfScxOps::run(ScxOp op, std::initializer_list<uint64_t> args, uint64_t neutral) {
  // The argument structs set up for this op (scratch_mem) are mapped for its run only.
  const std::vector<Region> op_args = std::exchange(op_args_, {});
  const BpfProgram* prog = progs_[static_cast<int>(op)];
  if (!prog || failed_) return neutral;
  const size_t locks_before = helpers_->held_locks();  // the enclosing op's, when nested
  RunResult rr = vm_->run_ctx(*prog->program, 0,
                              std::span<const uint64_t>(args.begin(), args.size()), op_args);
  insns_ += rr.insns;
  Status locks = helpers_->end_run(locks_before);
  if (!rr.ok) {
    failed_ = true;
    std::string msg = rr.fault ? rr.fault->message : std::string("program failed");
    kf().error(fmt::format("BPF program {} ({}) faulted: {}", prog->name, scx_op_name(op), msg));
    return neutral;
  }
  if (!locks.ok()) {
    failed_ = true;
    kf().error(fmt::format("BPF program {} ({}): {}", prog->name, scx_op_name(op), locks.message()));
    return neutral;
  }
  arm_timer();
  return rr.r0;
}

void BpfScxOps::arm_timer() {
  if (!helpers_->has_timers()) return;
  std::optional<uint64_t> next = helpers_->next_timer();
  if (!next || (timer_pending_ && timer_at_ <= *next)) return;
  timer_pending_ = true;
  timer_at_ = *next;
  Ns now = kf().now();
  kf().policy_timer(*next > now ? *next - now : 0, kf().this_cpu(), [this] {
    timer_pending_ = false;
    if (failed_) return;
    std::vector<std::string> faults = helpers_->run_timers(*vm_, kf().now());
    if (!faults.empty()) {
      failed_ = true;
      kf().error("BPF timer callback faulted: " + faults.front());
      return;
    }
    arm_timer();
  });
}

namespace {
inline uint64_t u(const void* p) { return reinterpret_cast<uint64_t>(p); }
inline uint64_t s(int64_t v) { return static_cast<uint64_t>(v); }
}  // namespace

s32 BpfScxOps::select_cpu(task_struct* p, s32 prev_cpu, u64 wake_flags) {
  return static_cast<s32>(run(ScxOp::SelectCpu, {expose_task(p), s(prev_cpu), wake_flags}, s(prev_cpu)));
}
void BpfScxOps::enqueue(task_struct* p, u64 f) { run(ScxOp::Enqueue, {expose_task(p), f}, 0); }
void BpfScxOps::dequeue(task_struct* p, u64 f) { run(ScxOp::Dequeue, {expose_task(p), f}, 0); }
void BpfScxOps::dispatch(s32 cpu, task_struct* prev) {
  run(ScxOp::Dispatch, {s(cpu), prev ? expose_task(prev) : 0}, 0);
}
void BpfScxOps::tick(task_struct* p) { run(ScxOp::Tick, {expose_task(p)}, 0); }
void BpfScxOps::runnable(task_struct* p, u64 f) { run(ScxOp::Runnable, {expose_task(p), f}, 0); }
void BpfScxOps::running(task_struct* p) { run(ScxOp::Running, {expose_task(p)}, 0); }
void BpfScxOps::stopping(task_struct* p, bool r) { run(ScxOp::Stopping, {expose_task(p), r ? 1u : 0u}, 0); }
void BpfScxOps::quiescent(task_struct* p, u64 f) { run(ScxOp::Quiescent, {expose_task(p), f}, 0); }
bool BpfScxOps::yield(task_struct* from, task_struct* to) {
  return static_cast<uint8_t>(run(ScxOp::Yield, {expose_task(from), to ? expose_task(to) : 0}, 0)) != 0;
}
bool BpfScxOps::core_sched_before(task_struct* a, task_struct* b) {
  return static_cast<uint8_t>(run(ScxOp::CoreSchedBefore, {expose_task(a), expose_task(b)}, 0)) != 0;
}
void BpfScxOps::set_weight(task_struct* p, u32 w) { run(ScxOp::SetWeight, {expose_task(p), w}, 0); }
void BpfScxOps::set_cpumask(task_struct* p, const cpumask* m) {
  run(ScxOp::SetCpumask, {expose_task(p), scratch_mem(m, sizeof(cpumask), kPermRead, "cpumask")}, 0);
}
void BpfScxOps::update_idle(s32 cpu, bool idle) { run(ScxOp::UpdateIdle, {s(cpu), idle ? 1u : 0u}, 0); }
void BpfScxOps::cpu_acquire(s32 cpu, scx_cpu_acquire_args* a) {
  run(ScxOp::CpuAcquire, {s(cpu), scratch_mem(a, sizeof(*a), kPermRead, "scx_cpu_acquire_args")}, 0);
}
void BpfScxOps::cpu_release(s32 cpu, scx_cpu_release_args* a) {
  if (a && a->task) expose_task(a->task);
  run(ScxOp::CpuRelease, {s(cpu), scratch_mem(a, sizeof(*a), kPermRead, "scx_cpu_release_args")}, 0);
}
s32 BpfScxOps::init_task(task_struct* p, scx_init_task_args* a) {
  if (a && a->cgroup) expose_cgroup(a->cgroup);
  return static_cast<s32>(
      run(ScxOp::InitTask, {expose_task(p), scratch_mem(a, sizeof(*a), kPermRead, "scx_init_task_args")}, 0));
}
void BpfScxOps::exit_task(task_struct* p, scx_exit_task_args* a) {
  run(ScxOp::ExitTask, {expose_task(p), scratch_mem(a, sizeof(*a), kPermRead, "scx_exit_task_args")}, 0);
}
// Whether the object has an exit_task program or not: the host forgets a leaving task's memory
// (its task_struct region) before the kernel frees it, so a stale pointer kept by a program
// faults instead of touching freed memory.
void BpfScxOps::task_released(task_struct* p) {
  const uint64_t addr = reinterpret_cast<uint64_t>(p);
  exposed_tasks_.erase(addr);
  if (exposed_.erase(addr)) vm_->memory().remove(addr);
  // A dead task's exit_task comes from sched_ext_free() when its task_struct is released; the
  // kernel then frees its local storage (free_task -> bpf_task_storage_free). Tasks leaving
  // ext alive (scheduler unload) keep theirs.
  const Task* t = Task::from_kernel(p);
  if (t && t->state == TaskState::Dead)
    for (const BpfMapInfo& m : obj_->maps())
      if (m.map && m.map->type() == kMapTaskStorage) static_cast<LocalStorageMap*>(m.map.get())->erase(addr);
}
void BpfScxOps::enable(task_struct* p) { run(ScxOp::Enable, {expose_task(p)}, 0); }
void BpfScxOps::disable(task_struct* p) { run(ScxOp::Disable, {expose_task(p)}, 0); }
void BpfScxOps::dump(scx_dump_ctx* c) { run(ScxOp::Dump, {scratch_mem(c, sizeof(*c), kPermRead, "scx_dump_ctx")}, 0); }
void BpfScxOps::dump_cpu(scx_dump_ctx* c, s32 cpu, bool idle) {
  run(ScxOp::DumpCpu, {scratch_mem(c, sizeof(*c), kPermRead, "scx_dump_ctx"), s(cpu), idle ? 1u : 0u}, 0);
}
void BpfScxOps::dump_task(scx_dump_ctx* c, task_struct* p) {
  run(ScxOp::DumpTask, {scratch_mem(c, sizeof(*c), kPermRead, "scx_dump_ctx"), expose_task(p)}, 0);
}
s32 BpfScxOps::cgroup_init(cgroup* g, scx_cgroup_init_args* a) {
  return static_cast<s32>(run(ScxOp::CgroupInit,
                              {expose_cgroup(g),
                               scratch_mem(a, sizeof(*a), kPermRead, "scx_cgroup_init_args")},
                              0));
}
void BpfScxOps::cgroup_exit(cgroup* g) { run(ScxOp::CgroupExit, {expose_cgroup(g)}, 0); }
s32 BpfScxOps::cgroup_prep_move(task_struct* p, cgroup* from, cgroup* to) {
  return static_cast<s32>(run(ScxOp::CgroupPrepMove,
                              {expose_task(p), expose_cgroup(from),
                               expose_cgroup(to)},
                              0));
}
void BpfScxOps::cgroup_move(task_struct* p, cgroup* from, cgroup* to) {
  run(ScxOp::CgroupMove,
      {expose_task(p), expose_cgroup(from), expose_cgroup(to)}, 0);
}
void BpfScxOps::cgroup_cancel_move(task_struct* p, cgroup* from, cgroup* to) {
  run(ScxOp::CgroupCancelMove,
      {expose_task(p), expose_cgroup(from), expose_cgroup(to)}, 0);
}
void BpfScxOps::cgroup_set_weight(cgroup* g, u32 w) {
  run(ScxOp::CgroupSetWeight, {expose_cgroup(g), w}, 0);
}
void BpfScxOps::cgroup_set_bandwidth(cgroup* g, u64 period_us, u64 quota_us, u64 burst_us) {
  run(ScxOp::CgroupSetBandwidth, {expose_cgroup(g), period_us, quota_us, burst_us}, 0);
}
void BpfScxOps::cpu_online(s32 cpu) { run(ScxOp::CpuOnline, {s(cpu)}, 0); }
void BpfScxOps::cpu_offline(s32 cpu) { run(ScxOp::CpuOffline, {s(cpu)}, 0); }
// The user-space scheduler's process exists before its loader attaches the scheduler: fork it
// now, before the enable sequence, so that its pid is in the globals ops.init may check.
void BpfScxOps::on_attach() {
  if (usersched_) usersched_->start();
}

s32 BpfScxOps::init() { return static_cast<s32>(run(ScxOp::Init, {}, s(-22))); }

std::string BpfScxOps::prog_run(const BpfProgram& p, std::span<uint8_t> ctx, uint64_t* r0) {
  // BPF_PROG_RUN's ctx: the bytes user space passes, writable by the program (NULL without),
  // mapped for this run only (scratch_mem() regions belong to the next op's run).
  const uint64_t addr = ctx.empty() ? 0 : reinterpret_cast<uint64_t>(ctx.data());
  const Region region{addr, ctx.size(), kPermReadWrite, "syscall ctx", nullptr};
  const uint64_t args[] = {addr};
  RunResult rr = vm_->run(*p.program, 0, args, std::span<const Region>(&region, addr ? 1 : 0));
  insns_ += rr.insns;
  Status locks = helpers_->end_run();
  *r0 = rr.r0;
  if (!rr.ok) return rr.fault ? rr.fault->message : std::string("program failed");
  return locks.ok() ? std::string() : locks.message();
}

std::optional<int64_t> BpfScxOps::run_syscall_program(std::string_view name, std::span<uint8_t> ctx,
                                                      const Task* caller) {
  if (failed_) return std::nullopt;
  const BpfProgram* p = obj_->program(name);
  uint64_t r0 = 0;
  const Task* outer = current_;
  if (caller) current_ = caller;  // BPF_PROG_RUN runs in the calling process
  const std::string why = !p || p->section != "syscall" ? "no such SEC(\"syscall\") program" : prog_run(*p, ctx, &r0);
  current_ = outer;
  if (!why.empty()) {
    eject(fmt::format("SEC(\"syscall\") program {} run from user space: {}", name, why));
    return std::nullopt;
  }
  arm_timer();
  return static_cast<int64_t>(r0);
}

bool BpfScxOps::run_syscall_programs(bool after_attach) {
  // Before attach (ExtClass::set_running_before_attach): the programs' own scx_bpf_error()
  // calls are dropped as the kernel drops them; a fault or a non-zero return still stops the
  // load, as it stops the scheduler's user space.
  struct BeforeAttach {
    ExtClass& ext;
    BeforeAttach(ExtClass& e, bool on) : ext(e) { ext.set_running_before_attach(on); }
    ~BeforeAttach() { ext.set_running_before_attach(false); }
  } guard(kf(), !after_attach);
  if (!after_attach && !run_arena_lib()) return false;
  for (SyscallRun& r : syscalls_) {
    if (r.after_attach != after_attach) continue;
    uint64_t r0 = 0;
    std::string why = prog_run(*obj_->program(r.program), r.ctx, &r0);
    if (why.empty() && r0 != 0)
      why = fmt::format("returned {} (the scheduler's user space stops here)", static_cast<int64_t>(r0));
    if (!why.empty()) {
      failed_ = true;
      kf().error(fmt::format("SEC(\"syscall\") program {}: {}", r.what, why));
      return false;
    }
  }
  return true;
}
void BpfScxOps::exit(scx_exit_info* ei) {
  if (!ei) return;
  failed_ = false;  // ops.exit runs even after a fault elsewhere (UEI_RECORD)
  if (ei->reason) scratch_mem(ei->reason, std::strlen(ei->reason) + 1, kPermRead, "exit reason");
  if (ei->msg) scratch_mem(ei->msg, std::strlen(ei->msg) + 1, kPermRead, "exit msg");
  if (ei->dump) scratch_mem(ei->dump, std::strlen(ei->dump) + 1, kPermRead, "exit dump");
  run(ScxOp::Exit, {scratch_mem(ei, sizeof(*ei), kPermRead, "scx_exit_info")}, 0);
  failed_ = true;
}

}  // namespace scx::bpf
