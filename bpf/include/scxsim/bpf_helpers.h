/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * scxsim's self-contained replacement for libbpf's bpf_helpers.h, bpf_core_read.h and
 * bpf_tracing.h (the parts sched_ext schedulers use): section and extern annotations,
 * BTF-defined map macros, helper declarations (ids are the kernel's enum bpf_func_id), CO-RE
 * builtins, and BPF_PROG. Include <vmlinux.h> first.
 */
#ifndef SCXSIM_BPF_HELPERS_H
#define SCXSIM_BPF_HELPERS_H

/* ---- Annotations ---- */
#define SEC(name) \
  _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wignored-attributes\"") \
  __attribute__((section(name), used)) _Pragma("GCC diagnostic pop")

#undef __always_inline
#define __always_inline inline __attribute__((always_inline))
#ifndef __noinline
#define __noinline __attribute__((noinline))
#endif
#ifndef __weak
#define __weak __attribute__((weak))
#endif
#define __hidden __attribute__((visibility("hidden")))
#define __ksym __attribute__((section(".ksyms")))
#define __kconfig __attribute__((section(".kconfig")))
#define __kptr_untrusted __attribute__((btf_type_tag("kptr_untrusted")))
#define __kptr __attribute__((btf_type_tag("kptr")))
#define __percpu_kptr __attribute__((btf_type_tag("percpu_kptr")))
#define __uptr __attribute__((btf_type_tag("uptr")))
#define __arg_ctx __attribute__((btf_decl_tag("arg:ctx")))
#define __arg_nonnull __attribute__((btf_decl_tag("arg:nonnull")))
#define __arg_trusted __attribute__((btf_decl_tag("arg:trusted")))
#define __arg_nullable __attribute__((btf_decl_tag("arg:nullable")))
#define __contains(name, node) __attribute__((btf_decl_tag("contains:" #name ":" #node)))
#define private(name) SEC(".data." #name) __hidden __attribute__((aligned(8)))

/* ---- BTF-defined maps ---- */
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]
#define __ulong(name, val) enum { ___bpf_concat(__unique_value, __COUNTER__) = val } name

enum libbpf_pin_type {
  LIBBPF_PIN_NONE,
  LIBBPF_PIN_BY_NAME,
};

enum libbpf_tristate {
  TRI_NO = 0,
  TRI_YES = 1,
  TRI_MODULE = 2,
};

#define ___bpf_concat(a, b) a##b
#define ___bpf_apply(fn, n) ___bpf_concat(fn, n)
#define ___bpf_nth(_, _1, _2, _3, _4, _5, _6, _7, _8, _9, _a, _b, _c, N, ...) N
#define ___bpf_narg(...) ___bpf_nth(_, ##__VA_ARGS__, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)

/* ---- Externs ---- */
#define bpf_ksym_exists(sym)                                                        \
  ({                                                                                \
    _Static_assert(!__builtin_constant_p(!!sym), #sym " should be marked as __weak"); \
    !!sym;                                                                          \
  })

#define barrier() asm volatile("" ::: "memory")
#define barrier_var(var) asm volatile("" : "+r"(var))
#define __bpf_unreachable() __builtin_trap()

#ifndef offsetof
#define offsetof(type, member) __builtin_offsetof(type, member)
#endif
#ifndef container_of
#define container_of(ptr, type, member)              \
  ({                                                 \
    void *__mptr = (void *)(ptr);                    \
    ((type *)(__mptr - offsetof(type, member)));     \
  })
#endif

/* ---- Helpers (ids: the kernel's enum bpf_func_id) ---- */
static void *(* const bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (* const bpf_map_update_elem)(void *map, const void *key, const void *value,
                                          __u64 flags) = (void *)2;
static long (* const bpf_map_delete_elem)(void *map, const void *key) = (void *)3;
static __u64 (* const bpf_ktime_get_ns)(void) = (void *)5;
static long (* const bpf_trace_printk)(const char *fmt, __u32 fmt_size, ...) = (void *)6;
static __u32 (* const bpf_get_prandom_u32)(void) = (void *)7;
static __u32 (* const bpf_get_smp_processor_id)(void) = (void *)8;
static __u64 (* const bpf_get_current_pid_tgid)(void) = (void *)14;
static long (* const bpf_get_current_comm)(void *buf, __u32 size_of_buf) = (void *)16;
static __u64 (* const bpf_get_current_task)(void) = (void *)35;
static long (* const bpf_get_numa_node_id)(void) = (void *)42;
static __u64 (* const bpf_perf_event_read)(void *map, __u64 flags) = (void *)22;
static long (* const bpf_perf_event_output)(void *ctx, void *map, __u64 flags, void *data, __u64 size) =
    (void *)25;
static long (* const bpf_perf_event_read_value)(void *map, __u64 flags, struct bpf_perf_event_value *buf,
                                                __u32 buf_size) = (void *)55;
static long (* const bpf_map_push_elem)(void *map, const void *value, __u64 flags) = (void *)87;
static long (* const bpf_map_pop_elem)(void *map, void *value) = (void *)88;
static long (* const bpf_map_peek_elem)(void *map, void *value) = (void *)89;
static long (* const bpf_spin_lock)(struct bpf_spin_lock *lock) = (void *)93;
static long (* const bpf_spin_unlock)(struct bpf_spin_lock *lock) = (void *)94;
static long (* const bpf_probe_read_kernel)(void *dst, __u32 size, const void *unsafe_ptr) =
    (void *)113;
static long (* const bpf_probe_read_kernel_str)(void *dst, __u32 size, const void *unsafe_ptr) =
    (void *)115;
static __u64 (* const bpf_jiffies64)(void) = (void *)118;
static __u64 (* const bpf_ktime_get_boot_ns)(void) = (void *)125;
static long (* const bpf_ringbuf_output)(void *ringbuf, void *data, __u64 size, __u64 flags) =
    (void *)130;
static void *(* const bpf_ringbuf_reserve)(void *ringbuf, __u64 size, __u64 flags) = (void *)131;
static void (* const bpf_ringbuf_submit)(void *data, __u64 flags) = (void *)132;
static void (* const bpf_ringbuf_discard)(void *data, __u64 flags) = (void *)133;
static __u64 (* const bpf_ringbuf_query)(void *ringbuf, __u64 flags) = (void *)134;
static void *(* const bpf_per_cpu_ptr)(const void *percpu_ptr, __u32 cpu) = (void *)153;
static void *(* const bpf_this_cpu_ptr)(const void *percpu_ptr) = (void *)154;
static void *(* const bpf_task_storage_get)(void *map, struct task_struct *task, void *value,
                                           __u64 flags) = (void *)156;
static long (* const bpf_task_storage_delete)(void *map, struct task_struct *task) = (void *)157;
static struct task_struct *(* const bpf_get_current_task_btf)(void) = (void *)158;
static long (* const bpf_for_each_map_elem)(void *map, void *callback_fn, void *callback_ctx,
                                            __u64 flags) = (void *)164;
static long (* const bpf_snprintf)(char *str, __u32 str_size, const char *fmt, __u64 *data,
                                   __u32 data_len) = (void *)165;
static long (* const bpf_timer_init)(struct bpf_timer *timer, void *map, __u64 flags) =
    (void *)169;
static long (* const bpf_timer_set_callback)(struct bpf_timer *timer, void *callback_fn) =
    (void *)170;
static long (* const bpf_timer_start)(struct bpf_timer *timer, __u64 nsecs, __u64 flags) =
    (void *)171;
static long (* const bpf_timer_cancel)(struct bpf_timer *timer) = (void *)172;
static long (* const bpf_trace_vprintk)(const char *fmt, __u32 fmt_size, const void *data,
                                        __u32 data_len) = (void *)177;
static long (* const bpf_strncmp)(const char *s1, __u32 s1_sz, const char *s2) = (void *)182;
static long (* const bpf_loop)(__u32 nr_loops, void *callback_fn, void *callback_ctx,
                               __u64 flags) = (void *)181;
static void *(* const bpf_kptr_xchg)(void *dst, void *ptr) = (void *)194;
static void *(* const bpf_map_lookup_percpu_elem)(void *map, const void *key, __u32 cpu) = (void *)195;
static long (* const bpf_dynptr_read)(void *dst, __u32 len, const struct bpf_dynptr *src, __u32 offset,
                                      __u64 flags) = (void *)201;
static void *(* const bpf_dynptr_data)(const struct bpf_dynptr *ptr, __u32 offset, __u32 len) = (void *)203;
static long (* const bpf_user_ringbuf_drain)(void *map, void *callback_fn, void *ctx, __u64 flags) =
    (void *)209;
static void *(* const bpf_cgrp_storage_get)(void *map, struct cgroup *cgroup, void *value,
                                           __u64 flags) = (void *)210;
static long (* const bpf_cgrp_storage_delete)(void *map, struct cgroup *cgroup) = (void *)211;

/* bpf_printk: trace_printk for up to 3 arguments, trace_vprintk beyond. */
#define ___bpf_fill0(arr, p, x) do {} while (0)
#define ___bpf_fill1(arr, p, x) arr[p] = x
#define ___bpf_fill2(arr, p, x, args...) arr[p] = x; ___bpf_fill1(arr, p + 1, args)
#define ___bpf_fill3(arr, p, x, args...) arr[p] = x; ___bpf_fill2(arr, p + 1, args)
#define ___bpf_fill4(arr, p, x, args...) arr[p] = x; ___bpf_fill3(arr, p + 1, args)
#define ___bpf_fill5(arr, p, x, args...) arr[p] = x; ___bpf_fill4(arr, p + 1, args)
#define ___bpf_fill6(arr, p, x, args...) arr[p] = x; ___bpf_fill5(arr, p + 1, args)
#define ___bpf_fill7(arr, p, x, args...) arr[p] = x; ___bpf_fill6(arr, p + 1, args)
#define ___bpf_fill8(arr, p, x, args...) arr[p] = x; ___bpf_fill7(arr, p + 1, args)
#define ___bpf_fill9(arr, p, x, args...) arr[p] = x; ___bpf_fill8(arr, p + 1, args)
#define ___bpf_fill10(arr, p, x, args...) arr[p] = x; ___bpf_fill9(arr, p + 1, args)
#define ___bpf_fill11(arr, p, x, args...) arr[p] = x; ___bpf_fill10(arr, p + 1, args)
#define ___bpf_fill12(arr, p, x, args...) arr[p] = x; ___bpf_fill11(arr, p + 1, args)
#define ___bpf_fill(arr, args...) ___bpf_apply(___bpf_fill, ___bpf_narg(args))(arr, 0, args)

#define bpf_printk(fmt, args...)                                               \
  ({                                                                           \
    static const char ___fmt[] = fmt;                                          \
    unsigned long long ___param[___bpf_narg(args)];                            \
    _Pragma("GCC diagnostic push")                                             \
    _Pragma("GCC diagnostic ignored \"-Wint-conversion\"")                     \
    ___bpf_fill(___param, args);                                               \
    _Pragma("GCC diagnostic pop")                                              \
    bpf_trace_vprintk(___fmt, sizeof(___fmt), ___param, sizeof(___param));     \
  })

/* ---- CO-RE ---- */
enum bpf_field_info_kind {
  BPF_FIELD_BYTE_OFFSET = 0,
  BPF_FIELD_BYTE_SIZE = 1,
  BPF_FIELD_EXISTS = 2,
  BPF_FIELD_SIGNED = 3,
  BPF_FIELD_LSHIFT_U64 = 4,
  BPF_FIELD_RSHIFT_U64 = 5,
};
enum bpf_type_id_kind {
  BPF_TYPE_ID_LOCAL = 0,
  BPF_TYPE_ID_TARGET = 1,
};
enum bpf_type_info_kind {
  BPF_TYPE_EXISTS = 0,
  BPF_TYPE_SIZE = 1,
  BPF_TYPE_MATCHES = 2,
};
enum bpf_enum_value_kind {
  BPF_ENUMVAL_EXISTS = 0,
  BPF_ENUMVAL_VALUE = 1,
};

#define bpf_core_field_exists(field) __builtin_preserve_field_info(field, BPF_FIELD_EXISTS)
#define bpf_core_field_size(field) __builtin_preserve_field_info(field, BPF_FIELD_BYTE_SIZE)
#define bpf_core_field_offset(field) __builtin_preserve_field_info(field, BPF_FIELD_BYTE_OFFSET)
#define bpf_core_field_signed(field) __builtin_preserve_field_info(field, BPF_FIELD_SIGNED)
#define bpf_core_type_id_local(type) __builtin_btf_type_id(*(typeof(type) *)0, BPF_TYPE_ID_LOCAL)
#define bpf_core_type_id_kernel(type) \
  __builtin_btf_type_id(*(typeof(type) *)0, BPF_TYPE_ID_TARGET)
#define bpf_core_type_exists(type) __builtin_preserve_type_info(*(typeof(type) *)0, BPF_TYPE_EXISTS)
#define bpf_core_type_matches(type) \
  __builtin_preserve_type_info(*(typeof(type) *)0, BPF_TYPE_MATCHES)
#define bpf_core_type_size(type) __builtin_preserve_type_info(*(typeof(type) *)0, BPF_TYPE_SIZE)
#define bpf_core_enum_value_exists(enum_type, enum_value) \
  __builtin_preserve_enum_value(*(typeof(enum_type) *)enum_value, BPF_ENUMVAL_EXISTS)
#define bpf_core_enum_value(enum_type, enum_value) \
  __builtin_preserve_enum_value(*(typeof(enum_type) *)enum_value, BPF_ENUMVAL_VALUE)

/* Reads a bitfield (or any integer field) of a struct through CO-RE shifts. */
#define BPF_CORE_READ_BITFIELD(s, field)                                          \
  ({                                                                              \
    const void *___bfp = (const void *)(s) + __builtin_preserve_field_info((s)->field, \
                                                                        BPF_FIELD_BYTE_OFFSET); \
    unsigned long long ___bfv = 0;                                                   \
    switch (__builtin_preserve_field_info((s)->field, BPF_FIELD_BYTE_SIZE)) {     \
      case 1: ___bfv = *(const unsigned char *)___bfp; break;                             \
      case 2: ___bfv = *(const unsigned short *)___bfp; break;                            \
      case 4: ___bfv = *(const unsigned int *)___bfp; break;                              \
      case 8: ___bfv = *(const unsigned long long *)___bfp; break;                        \
    }                                                                             \
    ___bfv <<= __builtin_preserve_field_info((s)->field, BPF_FIELD_LSHIFT_U64);      \
    if (__builtin_preserve_field_info((s)->field, BPF_FIELD_SIGNED))              \
      ___bfv = ((long long)___bfv) >> __builtin_preserve_field_info((s)->field, BPF_FIELD_RSHIFT_U64); \
    else                                                                          \
      ___bfv = ___bfv >> __builtin_preserve_field_info((s)->field, BPF_FIELD_RSHIFT_U64); \
    ___bfv;                                                                       \
  })

#define bpf_core_read(dst, sz, src) \
  bpf_probe_read_kernel(dst, sz, (const void *)__builtin_preserve_access_index(src))
#define bpf_core_read_str(dst, sz, src) \
  bpf_probe_read_kernel_str(dst, sz, (const void *)__builtin_preserve_access_index(src))

/* BPF_CORE_READ(src, a, b, c): up to four levels of pointer chasing. */
#define ___core_rd(dst, src) bpf_core_read(&(dst), sizeof(dst), &(src))
#define ___CORE_READ1(s, a) ({ typeof((s)->a) __v; ___core_rd(__v, (s)->a); __v; })
#define ___CORE_READ2(s, a, b) ({ typeof((s)->a) __p = ___CORE_READ1(s, a); ___CORE_READ1(__p, b); })
#define ___CORE_READ3(s, a, b, c) \
  ({ typeof((s)->a) __p3 = ___CORE_READ1(s, a); ___CORE_READ2(__p3, b, c); })
#define ___CORE_READ4(s, a, b, c, d) \
  ({ typeof((s)->a) __p4 = ___CORE_READ1(s, a); ___CORE_READ3(__p4, b, c, d); })
#define BPF_CORE_READ(src, a, ...) \
  ___bpf_apply(___CORE_READ, ___bpf_narg(a, ##__VA_ARGS__))(src, a, ##__VA_ARGS__)

/* ---- BPF_PROG: unpacks a struct_ops/tracing u64 context array into typed arguments ---- */
#define ___bpf_ctx_cast0() ctx
#define ___bpf_ctx_cast1(x) ___bpf_ctx_cast0(), (void *)ctx[0]
#define ___bpf_ctx_cast2(x, args...) ___bpf_ctx_cast1(args), (void *)ctx[1]
#define ___bpf_ctx_cast3(x, args...) ___bpf_ctx_cast2(args), (void *)ctx[2]
#define ___bpf_ctx_cast4(x, args...) ___bpf_ctx_cast3(args), (void *)ctx[3]
#define ___bpf_ctx_cast5(x, args...) ___bpf_ctx_cast4(args), (void *)ctx[4]
#define ___bpf_ctx_cast6(x, args...) ___bpf_ctx_cast5(args), (void *)ctx[5]
#define ___bpf_ctx_cast7(x, args...) ___bpf_ctx_cast6(args), (void *)ctx[6]
#define ___bpf_ctx_cast8(x, args...) ___bpf_ctx_cast7(args), (void *)ctx[7]
#define ___bpf_ctx_cast9(x, args...) ___bpf_ctx_cast8(args), (void *)ctx[8]
#define ___bpf_ctx_cast10(x, args...) ___bpf_ctx_cast9(args), (void *)ctx[9]
#define ___bpf_ctx_cast11(x, args...) ___bpf_ctx_cast10(args), (void *)ctx[10]
#define ___bpf_ctx_cast12(x, args...) ___bpf_ctx_cast11(args), (void *)ctx[11]
#define ___bpf_ctx_cast(args...) ___bpf_apply(___bpf_ctx_cast, ___bpf_narg(args))(args)

#define BPF_PROG(name, args...)                                                   \
  name(unsigned long long *ctx);                                                  \
  static __always_inline typeof(name(0)) ____##name(unsigned long long *ctx, ##args); \
  typeof(name(0)) name(unsigned long long *ctx) {                                 \
    _Pragma("GCC diagnostic push")                                                \
    _Pragma("GCC diagnostic ignored \"-Wint-conversion\"")                        \
    return ____##name(___bpf_ctx_cast(args));                                     \
    _Pragma("GCC diagnostic pop")                                                 \
  }                                                                               \
  static __always_inline typeof(name(0)) ____##name(unsigned long long *ctx, ##args)

#endif /* SCXSIM_BPF_HELPERS_H */
