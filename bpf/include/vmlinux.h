/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * scxsim's vmlinux.h: the simulated kernel's types for BPF programs, as bpftool would dump them
 * from its BTF. Every struct is marked preserve_access_index, so field accesses become CO-RE
 * relocations resolved at load time against the simulated kernel's BTF (the same declarations,
 * compiled at build time): programs built against this header, or against a real kernel's
 * vmlinux.h, relocate the same way.
 */
#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#endif

typedef _Bool bool;
enum {
  false = 0,
  true = 1,
};

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef signed short __s16;
typedef signed int __s32;
typedef signed long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u64 __be64;
typedef __u16 __le16;
typedef __u32 __le32;
typedef __u64 __le64;
typedef __u32 __wsum;
typedef unsigned long uintptr_t;
typedef long intptr_t;
typedef unsigned long size_t;
typedef long ssize_t;
typedef int pid_t;
typedef unsigned int gfp_t;

#include <scxsim/kernel_types.h>
#include <scxsim/bpf_types.h>

#ifndef NULL
#define NULL ((void *)0)
#endif

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
