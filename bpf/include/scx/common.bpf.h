/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * scxsim's <scx/common.bpf.h>: what sched_ext schedulers include, written for the simulator and
 * self-contained (no libbpf headers): vmlinux.h, helpers, kfuncs, BPF_STRUCT_OPS,
 * SCX_OPS_DEFINE, scx_bpf_error/exit/dump, UEI_*, bpf_for, and small utilities.
 */
#ifndef __SCX_COMMON_BPF_H
#define __SCX_COMMON_BPF_H

#include <vmlinux.h>
#include "scxsim/bpf_helpers.h"
#include "scxsim/kfuncs.bpf.h"

#define RESIZABLE_ARRAY(elfsec, arr) arr[1] SEC("." #elfsec "." #arr)
#define ARRAY_ELEM_PTR(arr, i, n)                                                  \
  (typeof(arr[i]) *)({                                                             \
    unsigned int __i = (i);                                                        \
    __i < (n) ? (void *)&(arr)[__i] : (void *)0;                                   \
  })

#include "scx/user_exit_info.h"

#define PF_WQ_WORKER 0x00000020
#define PF_EXITING_ 0x00000004

/* struct_ops programs */
#define BPF_STRUCT_OPS(name, args...) SEC("struct_ops/" #name) BPF_PROG(name, ##args)
#define BPF_STRUCT_OPS_SLEEPABLE(name, args...) SEC("struct_ops.s/" #name) BPF_PROG(name, ##args)

#define SCX_OPS_DEFINE(__name, ...)         \
  SEC(".struct_ops.link")                   \
  struct sched_ext_ops __name = {           \
      __VA_ARGS__,                          \
  };

/*
 * scx_bpf_exit/error/dump: printf-like; arguments are packed into a u64 array for the _bstr
 * kfunc (bpf_bprintf conventions).
 */
#define scx_bpf_bstr_preamble(fmt, args...)                  \
  static char ___fmt[] = fmt;                                \
  unsigned long long ___param[___bpf_narg(args)];            \
  _Pragma("GCC diagnostic push")                             \
  _Pragma("GCC diagnostic ignored \"-Wint-conversion\"")     \
  ___bpf_fill(___param, args);                               \
  _Pragma("GCC diagnostic pop")

#define scx_bpf_exit(code, fmt, args...)                                        \
  ({                                                                            \
    scx_bpf_bstr_preamble(fmt, args)                                            \
    scx_bpf_exit_bstr(code, ___fmt, ___param, sizeof(___param));                \
    __bpf_unreachable_noreturn();                                               \
  })

#define scx_bpf_error(fmt, args...)                                             \
  ({                                                                            \
    scx_bpf_bstr_preamble(fmt, args)                                            \
    scx_bpf_error_bstr(___fmt, ___param, sizeof(___param));                     \
    __bpf_unreachable_noreturn();                                               \
  })

#define scx_bpf_dump(fmt, args...)                                              \
  ({                                                                            \
    scx_bpf_bstr_preamble(fmt, args)                                            \
    scx_bpf_dump_bstr(___fmt, ___param, sizeof(___param));                      \
  })

/* After exit/error the scheduler is being torn down; the call returns, code after it is moot. */
#define __bpf_unreachable_noreturn() do {} while (0)

/* Open-coded numeric iteration over [start, end). */
#define bpf_for(i, start, end)                                                          \
  for (struct bpf_iter_num ___it __attribute__((aligned(8),                              \
                                               cleanup(bpf_iter_num_destroy))),         \
       *___p __attribute__((unused)) =                                                  \
           (bpf_iter_num_new(&___it, (start), (end)), (void)bpf_iter_num_destroy, (void *)0); \
       ({                                                                               \
         int *___t = bpf_iter_num_next(&___it);                                         \
         (___t && ((i) = *___t, (i) >= (start) && (i) < (end)));                        \
       });)

#define bpf_repeat(n)                                                                   \
  for (struct bpf_iter_num ___it __attribute__((aligned(8),                              \
                                               cleanup(bpf_iter_num_destroy))),         \
       *___p __attribute__((unused)) =                                                  \
           (bpf_iter_num_new(&___it, 0, (n)), (void)bpf_iter_num_destroy, (void *)0);     \
       bpf_iter_num_next(&___it);)

/* Iterating a DSQ: bpf_for_each(scx_dsq, p, dsq_id, flags) { ... } */
#define bpf_for_each(type, cur, args...)                                                   \
  for (struct bpf_iter_##type ___it __attribute__((aligned(8),                              \
                                                  cleanup(bpf_iter_##type##_destroy))),    \
       *___p __attribute__((unused)) =                                                     \
           (bpf_iter_##type##_new(&___it, ##args), (void)bpf_iter_##type##_destroy, (void *)0); \
       (((cur) = bpf_iter_##type##_next(&___it)));)

/* Utilities */
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, val) ((*(volatile typeof(x) *)&(x)) = (val))
#define __sink(expr) asm volatile("" : "+g"(expr))
#define MEMBER_VPTR(base, member) (typeof((base) member) *)({ (void *)&(base) member; })

static inline bool time_before(u64 a, u64 b) { return (s64)(a - b) < 0; }
static inline bool time_after(u64 a, u64 b) { return (s64)(b - a) < 0; }
static inline bool time_before_eq(u64 a, u64 b) { return (s64)(a - b) <= 0; }
static inline bool time_after_eq(u64 a, u64 b) { return (s64)(b - a) <= 0; }

#ifndef min
#define min(x, y) ((x) < (y) ? (x) : (y))
#endif
#ifndef max
#define max(x, y) ((x) > (y) ? (x) : (y))
#endif

static inline u32 log2_u32(u32 v) {
  u32 r = 0;
  while (v >>= 1) r++;
  return r;
}

#include "scx/compat.bpf.h"

#endif /* __SCX_COMMON_BPF_H */
