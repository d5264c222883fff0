/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Exit information shared between a sched_ext BPF scheduler and its user-space side: the BPF
 * half of scx's user_exit_info.h (UEI_DEFINE / UEI_RECORD) with the same layout.
 */
#ifndef __SCXSIM_USER_EXIT_INFO_H
#define __SCXSIM_USER_EXIT_INFO_H

enum uei_sizes {
  UEI_REASON_LEN = 128,
  UEI_MSG_LEN = 1024,
  UEI_DUMP_DFL_LEN = 32768,
};

struct user_exit_info {
  int kind;
  s64 exit_code;
  char reason[UEI_REASON_LEN];
  char msg[UEI_MSG_LEN];
};

#ifdef __bpf__

#define UEI_DEFINE(__name)                       \
  char RESIZABLE_ARRAY(data, __name##_dump);     \
  const volatile u32 __name##_dump_len;          \
  struct user_exit_info __name SEC(".data")

#define UEI_RECORD(__uei_name, __ei)                                                        \
  ({                                                                                        \
    bpf_probe_read_kernel_str(__uei_name.reason, sizeof(__uei_name.reason), (__ei)->reason); \
    bpf_probe_read_kernel_str(__uei_name.msg, sizeof(__uei_name.msg), (__ei)->msg);         \
    bpf_probe_read_kernel_str(__uei_name##_dump, __uei_name##_dump_len, (__ei)->dump);      \
    if (bpf_core_field_exists((__ei)->exit_code)) __uei_name.exit_code = (__ei)->exit_code;  \
    /* __sync for a full barrier, as scx does */                                            \
    __sync_val_compare_and_swap(&__uei_name.kind, __uei_name.kind, (__ei)->kind);           \
  })

#endif /* __bpf__ */
#endif /* __SCXSIM_USER_EXIT_INFO_H */
