/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Source of the simulated kernel's BTF. The build compiles this with
 * `clang-19 -g -O2 -target bpf` and extracts .BTF; the loader resolves every CO-RE relocation
 * against it. clang only emits types that are used, and only as forward declarations when
 * reached through pointers, so every struct and enum is instantiated here.
 * When a type is added to kernel_types.h or bpf_types.h, add it here too (the loader test
 * checks that the BTF has no forward-only struct).
 */
#include "scxsim/kernel_types.h"
#include "scxsim/bpf_types.h"

#define KEEP(type, name) type __scxsim_btf_##name __attribute__((used))

KEEP(struct cpumask, cpumask);
KEEP(cpumask_t, cpumask_t);
KEEP(struct bpf_cpumask, bpf_cpumask);
KEEP(struct list_head, list_head);
KEEP(struct rb_node, rb_node);
KEEP(atomic_long_t, atomic_long_t);
KEEP(atomic_t, atomic_t);
KEEP(struct mempolicy, mempolicy);
KEEP(struct scx_dsq_list_node, scx_dsq_list_node);
KEEP(struct scx_dispatch_q, scx_dispatch_q);
KEEP(struct cgroup, cgroup);
KEEP(struct kernfs_node, kernfs_node);
KEEP(struct css_set, css_set);
KEEP(struct percpu_ref, percpu_ref);
KEEP(struct cgroup_subsys_state, cgroup_subsys_state);
KEEP(struct cpuset, cpuset);
KEEP(enum cgroup_subsys_id, e_cgroup_subsys_id);
KEEP(class_rcu_t, class_rcu_t);
KEEP(struct sched_ext_entity, sched_ext_entity);
KEEP(struct sched_entity, sched_entity);
KEEP(struct mm_struct, mm_struct);
KEEP(struct task_struct, task_struct);
KEEP(struct scx_rq, scx_rq);
KEEP(struct rq, rq);
KEEP(struct scx_exit_info, scx_exit_info);
KEEP(struct scx_event_stats, scx_event_stats);
KEEP(struct scx_init_task_args, scx_init_task_args);
KEEP(struct scx_exit_task_args, scx_exit_task_args);
KEEP(struct scx_cgroup_init_args, scx_cgroup_init_args);
KEEP(struct scx_cpu_acquire_args, scx_cpu_acquire_args);
KEEP(struct scx_cpu_release_args, scx_cpu_release_args);
KEEP(struct scx_dump_ctx, scx_dump_ctx);
KEEP(struct sched_ext_ops, sched_ext_ops);
KEEP(struct bpf_iter_scx_dsq, bpf_iter_scx_dsq);
KEEP(struct bpf_iter_css, bpf_iter_css);
KEEP(enum bpf_cgroup_iter_order, e_bpf_cgroup_iter_order);
KEEP(struct cpufreq_cpuinfo, cpufreq_cpuinfo);
KEEP(struct cpufreq_policy, cpufreq_policy);
KEEP(struct scx_bpf_select_cpu_and_args, scx_bpf_select_cpu_and_args);
KEEP(struct scx_bpf_dsq_insert_vtime_args, scx_bpf_dsq_insert_vtime_args);
KEEP(u8, u8);
KEEP(u16, u16);
KEEP(u32, u32);
KEEP(u64, u64);
KEEP(s8, s8);
KEEP(s16, s16);
KEEP(s32, s32);
KEEP(s64, s64);

KEEP(struct bpf_spin_lock, bpf_spin_lock);
KEEP(struct bpf_timer, bpf_timer);
KEEP(struct bpf_list_head, bpf_list_head);
KEEP(struct bpf_list_node, bpf_list_node);
KEEP(struct bpf_rb_root, bpf_rb_root);
KEEP(struct bpf_rb_node, bpf_rb_node);
KEEP(struct bpf_refcount, bpf_refcount);
KEEP(struct bpf_iter_num, bpf_iter_num);
KEEP(struct bpf_iter_bits, bpf_iter_bits);
KEEP(struct bpf_res_spin_lock, bpf_res_spin_lock);
KEEP(struct bpf_dynptr, bpf_dynptr);
KEEP(struct bpf_perf_event_value, bpf_perf_event_value);

KEEP(enum scx_public_consts, e1);
KEEP(enum scx_dsq_id_flags, e2);
KEEP(enum scx_ent_flags, e3);
KEEP(enum scx_task_state, e4);
KEEP(enum scx_ent_dsq_flags, e5);
KEEP(enum scx_kf_mask, e6);
KEEP(enum scx_dsq_lnode_flags, e7);
KEEP(enum scx_enq_flags, e8);
KEEP(enum scx_deq_flags, e9);
KEEP(enum scx_pick_idle_cpu_flags, e10);
KEEP(enum scx_kick_flags, e11);
KEEP(enum scx_tg_flags, e12);
KEEP(enum scx_exit_kind, e13);
KEEP(enum scx_exit_code, e14);
KEEP(enum scx_ops_flags, e15);
KEEP(enum scx_cpu_preempt_reason, e16);
KEEP(enum scx_wake_flags, e17);
KEEP(enum scx_ops_enable_state, e18);
KEEP(enum scx_ops_state, e19);
KEEP(enum scx_consts, e20);
KEEP(enum scxsim_pf_flags, e21);
KEEP(enum bpf_map_type, e22);
KEEP(enum scxsim_clock_ids, e23);
KEEP(enum scx_rq_flags, e24);
