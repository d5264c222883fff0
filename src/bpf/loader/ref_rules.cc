#include "bpf/loader/ref_rules.h"

#include <array>

namespace scx::bpf {

namespace {

constexpr int kNoArg = -1;

struct RefRule {
  const char* kfunc;
  bool acquires;     // a non-NULL result is a new reference
  int releases_arg;  // the argument (R1 = 0) whose reference the call takes, or kNoArg
};

// The KF_ACQUIRE / KF_RELEASE kfuncs of kernel/bpf/helpers.c, kernel/bpf/cpumask.c and
// kernel/sched/ext.c that scxsim provides (the list/rbtree pushes own their node argument).
constexpr std::array kRules = {
    RefRule{"bpf_task_acquire", true, kNoArg},
    RefRule{"bpf_task_from_pid", true, kNoArg},
    RefRule{"bpf_task_release", false, 0},
    RefRule{"bpf_cgroup_acquire", true, kNoArg},
    RefRule{"bpf_cgroup_from_id", true, kNoArg},
    RefRule{"bpf_cgroup_ancestor", true, kNoArg},
    RefRule{"scx_bpf_task_cgroup", true, kNoArg},
    RefRule{"bpf_cgroup_release", false, 0},
    RefRule{"scx_bpf_get_possible_cpumask", true, kNoArg},
    RefRule{"scx_bpf_get_online_cpumask", true, kNoArg},
    RefRule{"scx_bpf_get_idle_cpumask", true, kNoArg},
    RefRule{"scx_bpf_get_idle_smtmask", true, kNoArg},
    RefRule{"scx_bpf_get_idle_cpumask_node", true, kNoArg},
    RefRule{"scx_bpf_get_idle_smtmask_node", true, kNoArg},
    RefRule{"scx_bpf_put_cpumask", false, 0},
    RefRule{"scx_bpf_put_idle_cpumask", false, 0},
    RefRule{"bpf_cpumask_create", true, kNoArg},
    RefRule{"bpf_cpumask_acquire", true, kNoArg},
    RefRule{"bpf_cpumask_release", false, 0},
    RefRule{"bpf_obj_new_impl", true, kNoArg},
    RefRule{"bpf_percpu_obj_new_impl", true, kNoArg},
    RefRule{"bpf_refcount_acquire_impl", true, kNoArg},
    RefRule{"bpf_list_pop_front", true, kNoArg},
    RefRule{"bpf_list_pop_back", true, kNoArg},
    RefRule{"bpf_rbtree_remove", true, kNoArg},
    RefRule{"bpf_obj_drop_impl", false, 0},
    RefRule{"bpf_percpu_obj_drop_impl", false, 0},
    RefRule{"bpf_list_push_front_impl", false, 1},
    RefRule{"bpf_list_push_back_impl", false, 1},
    RefRule{"bpf_rbtree_add_impl", false, 1},
};

}  // namespace

HostFn with_reference_rule(std::string_view kfunc, HostFn fn) {
  for (const RefRule& rule : kRules) {
    if (kfunc != rule.kfunc) continue;
    return [rule, fn = std::move(fn)](CallContext& cx, const HostArgs& a) -> uint64_t {
      // Released first: the call may free the object (and unmap the region naming it).
      if (rule.releases_arg != kNoArg) cx.release_ref(a[static_cast<size_t>(rule.releases_arg)]);
      const uint64_t r0 = fn(cx, a);
      if (rule.acquires && !cx.faulted()) cx.acquire_ref(r0, rule.kfunc);
      return r0;
    };
  }
  return fn;
}

}  // namespace scx::bpf
