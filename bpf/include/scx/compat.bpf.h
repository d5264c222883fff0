/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * scxsim's <scx/compat.bpf.h>: lets schedulers written with the 6.13+ kfunc names run on a
 * kernel that only has the 6.12 names, the way scx's compat header does: the 6.12 symbols are
 * declared with a "___compat" flavour suffix (stripped when binding kfuncs by name) and each new
 * name becomes a macro picking whichever the kernel provides. Also the __COMPAT_ helpers.
 */
#ifndef __SCX_COMPAT_BPF_H
#define __SCX_COMPAT_BPF_H

#define __COMPAT_ENUM_OR_ZERO(__type, __ent)                       \
  ({                                                               \
    __type __ret = 0;                                              \
    if (bpf_core_enum_value_exists(__type, __ent)) __ret = __ent;  \
    __ret;                                                         \
  })

void scx_bpf_dispatch___compat(struct task_struct *p, u64 dsq_id, u64 slice, u64 enq_flags)
    __ksym __weak;
void scx_bpf_dispatch_vtime___compat(struct task_struct *p, u64 dsq_id, u64 slice, u64 vtime,
                                     u64 enq_flags) __ksym __weak;
bool scx_bpf_consume___compat(u64 dsq_id) __ksym __weak;
void scx_bpf_dispatch_from_dsq_set_slice___compat(struct bpf_iter_scx_dsq *it__iter, u64 slice)
    __ksym __weak;
void scx_bpf_dispatch_from_dsq_set_vtime___compat(struct bpf_iter_scx_dsq *it__iter, u64 vtime)
    __ksym __weak;
bool scx_bpf_dispatch_from_dsq___compat(struct bpf_iter_scx_dsq *it__iter, struct task_struct *p,
                                        u64 dsq_id, u64 enq_flags) __ksym __weak;
bool scx_bpf_dispatch_vtime_from_dsq___compat(struct bpf_iter_scx_dsq *it__iter,
                                              struct task_struct *p, u64 dsq_id,
                                              u64 enq_flags) __ksym __weak;

#define scx_bpf_dsq_insert(p, dsq_id, slice, enq_flags)                        \
  (bpf_ksym_exists(scx_bpf_dsq_insert)                                         \
       ? scx_bpf_dsq_insert((p), (dsq_id), (slice), (enq_flags))               \
       : scx_bpf_dispatch___compat((p), (dsq_id), (slice), (enq_flags)))

#define scx_bpf_dsq_insert_vtime(p, dsq_id, slice, vtime, enq_flags)                   \
  (bpf_ksym_exists(scx_bpf_dsq_insert_vtime)                                           \
       ? scx_bpf_dsq_insert_vtime((p), (dsq_id), (slice), (vtime), (enq_flags))        \
       : scx_bpf_dispatch_vtime___compat((p), (dsq_id), (slice), (vtime), (enq_flags)))

#define scx_bpf_dsq_move_to_local(dsq_id)                                      \
  (bpf_ksym_exists(scx_bpf_dsq_move_to_local) ? scx_bpf_dsq_move_to_local((dsq_id)) \
                                              : scx_bpf_consume___compat((dsq_id)))

#define __COMPAT_scx_bpf_dsq_move_set_slice(it__iter, slice)                              \
  (bpf_ksym_exists(scx_bpf_dsq_move_set_slice)                                           \
       ? scx_bpf_dsq_move_set_slice((it__iter), (slice))                                 \
       : (bpf_ksym_exists(scx_bpf_dispatch_from_dsq_set_slice___compat)                   \
              ? scx_bpf_dispatch_from_dsq_set_slice___compat((it__iter), (slice))        \
              : (void)0))

#define __COMPAT_scx_bpf_dsq_move_set_vtime(it__iter, vtime)                              \
  (bpf_ksym_exists(scx_bpf_dsq_move_set_vtime)                                           \
       ? scx_bpf_dsq_move_set_vtime((it__iter), (vtime))                                 \
       : (bpf_ksym_exists(scx_bpf_dispatch_from_dsq_set_vtime___compat)                   \
              ? scx_bpf_dispatch_from_dsq_set_vtime___compat((it__iter), (vtime))        \
              : (void)0))

#define __COMPAT_scx_bpf_dsq_move(it__iter, p, dsq_id, enq_flags)                         \
  (bpf_ksym_exists(scx_bpf_dsq_move)                                                     \
       ? scx_bpf_dsq_move((it__iter), (p), (dsq_id), (enq_flags))                        \
       : (bpf_ksym_exists(scx_bpf_dispatch_from_dsq___compat)                             \
              ? scx_bpf_dispatch_from_dsq___compat((it__iter), (p), (dsq_id), (enq_flags)) \
              : false))

#define __COMPAT_scx_bpf_dsq_move_vtime(it__iter, p, dsq_id, enq_flags)                   \
  (bpf_ksym_exists(scx_bpf_dsq_move_vtime)                                               \
       ? scx_bpf_dsq_move_vtime((it__iter), (p), (dsq_id), (enq_flags))                  \
       : (bpf_ksym_exists(scx_bpf_dispatch_vtime_from_dsq___compat)                       \
              ? scx_bpf_dispatch_vtime_from_dsq___compat((it__iter), (p), (dsq_id),      \
                                                         (enq_flags))                    \
              : false))

#define __COMPAT_scx_bpf_cpu_node(cpu) \
  (bpf_ksym_exists(scx_bpf_cpu_node) ? scx_bpf_cpu_node(cpu) : 0)

#define __COMPAT_scx_bpf_nr_node_ids() \
  (bpf_ksym_exists(scx_bpf_nr_node_ids) ? scx_bpf_nr_node_ids() : 1U)

static inline u64 scx_bpf_now_compat(void) {
  return bpf_ksym_exists(scx_bpf_now) ? scx_bpf_now() : bpf_ktime_get_ns();
}

#define __COMPAT_SCX_ENQ_CPU_SELECTED __COMPAT_ENUM_OR_ZERO(enum scx_enq_flags, SCX_ENQ_CPU_SELECTED)

#define SCX_OPS_SWITCH_PARTIAL_ SCX_OPS_SWITCH_PARTIAL

#endif /* __SCX_COMPAT_BPF_H */
