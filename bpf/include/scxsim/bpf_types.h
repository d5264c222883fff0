/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BPF UAPI types of the simulated kernel that BPF programs embed in their own data (map values)
 * or pass to helpers: spin locks, timers, list/rbtree heads, and the UAPI enums (map types,
 * update flags). Compiled into the simulated kernel's BTF together with kernel_types.h, and
 * part of <vmlinux.h>. Valid C and C++.
 */
#ifndef SCXSIM_BPF_TYPES_H
#define SCXSIM_BPF_TYPES_H

#ifdef __cplusplus
extern "C" {
#endif

struct bpf_spin_lock {
  unsigned int val;
};

struct bpf_timer {
  unsigned long long __opaque[2];
};

struct bpf_list_head {
  unsigned long long __opaque[2];
};

struct bpf_list_node {
  unsigned long long __opaque[3];
};

struct bpf_rb_root {
  unsigned long long __opaque[2];
};

struct bpf_rb_node {
  unsigned long long __opaque[4];
};

struct bpf_refcount {
  unsigned int __opaque[1];
};

struct bpf_iter_num {
  unsigned long long __opaque[1];
};

struct bpf_iter_bits {
  unsigned long long __opaque[2];
};

struct bpf_res_spin_lock {
  unsigned int val;
};

struct bpf_dynptr {
  unsigned long long __opaque[2];
};
struct bpf_perf_event_value {
  unsigned long long counter;
  unsigned long long enabled;
  unsigned long long running;
};
enum bpf_map_type {
  BPF_MAP_TYPE_UNSPEC = 0,
  BPF_MAP_TYPE_HASH = 1,
  BPF_MAP_TYPE_ARRAY = 2,
  BPF_MAP_TYPE_PROG_ARRAY = 3,
  BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4,
  BPF_MAP_TYPE_PERCPU_HASH = 5,
  BPF_MAP_TYPE_PERCPU_ARRAY = 6,
  BPF_MAP_TYPE_STACK_TRACE = 7,
  BPF_MAP_TYPE_CGROUP_ARRAY = 8,
  BPF_MAP_TYPE_LRU_HASH = 9,
  BPF_MAP_TYPE_LRU_PERCPU_HASH = 10,
  BPF_MAP_TYPE_LPM_TRIE = 11,
  BPF_MAP_TYPE_ARRAY_OF_MAPS = 12,
  BPF_MAP_TYPE_HASH_OF_MAPS = 13,
  BPF_MAP_TYPE_DEVMAP = 14,
  BPF_MAP_TYPE_SOCKMAP = 15,
  BPF_MAP_TYPE_CPUMAP = 16,
  BPF_MAP_TYPE_XSKMAP = 17,
  BPF_MAP_TYPE_SOCKHASH = 18,
  BPF_MAP_TYPE_CGROUP_STORAGE = 19,
  BPF_MAP_TYPE_REUSEPORT_SOCKARRAY = 20,
  BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE = 21,
  BPF_MAP_TYPE_QUEUE = 22,
  BPF_MAP_TYPE_STACK = 23,
  BPF_MAP_TYPE_SK_STORAGE = 24,
  BPF_MAP_TYPE_DEVMAP_HASH = 25,
  BPF_MAP_TYPE_STRUCT_OPS = 26,
  BPF_MAP_TYPE_RINGBUF = 27,
  BPF_MAP_TYPE_INODE_STORAGE = 28,
  BPF_MAP_TYPE_TASK_STORAGE = 29,
  BPF_MAP_TYPE_BLOOM_FILTER = 30,
  BPF_MAP_TYPE_USER_RINGBUF = 31,
  BPF_MAP_TYPE_CGRP_STORAGE = 32,
  BPF_MAP_TYPE_ARENA = 33,
};

enum {
  BPF_ANY = 0,
  BPF_NOEXIST = 1,
  BPF_EXIST = 2,
  BPF_F_LOCK = 4,
};

enum {
  BPF_F_NO_PREALLOC = 1U << 0,
  BPF_F_NO_COMMON_LRU = 1U << 1,
  BPF_F_NUMA_NODE = 1U << 2,
  BPF_F_RDONLY_PROG = 1U << 7,
  BPF_F_WRONLY_PROG = 1U << 8,
  BPF_F_MMAPABLE = 1U << 10,
};

enum {
  BPF_LOCAL_STORAGE_GET_F_CREATE = 1ULL << 0,
};

enum {
  BPF_RB_NO_WAKEUP = 1ULL << 0,
  BPF_RB_FORCE_WAKEUP = 1ULL << 1,
};

enum {
  BPF_RB_AVAIL_DATA = 0,
  BPF_RB_RING_SIZE = 1,
  BPF_RB_CONS_POS = 2,
  BPF_RB_PROD_POS = 3,
};

enum {
  BPF_F_INDEX_MASK = 0xffffffffULL,
  BPF_F_CURRENT_CPU = 0xffffffffULL,
};
enum {
  BPF_F_TIMER_ABS = 1ULL << 0,
  BPF_F_TIMER_CPU_PIN = 1ULL << 1,
};

/* Clock ids for bpf_timer_init (the kernel's CLOCK_*). */
enum scxsim_clock_ids {
  CLOCK_REALTIME = 0,
  CLOCK_MONOTONIC = 1,
  CLOCK_BOOTTIME = 7,
};

#ifdef __cplusplus
}
#endif
#endif /* SCXSIM_BPF_TYPES_H */
