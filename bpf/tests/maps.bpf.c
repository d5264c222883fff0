/* SPDX-License-Identifier: GPL-2.0 */
/* Every map type and global data section, exercised from BPF; each step returns a distinct
 * error code so the test can name what failed. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct val {
  u64 a;
  u64 b;
};

struct lockval {
  struct bpf_spin_lock lock;
  u64 n;
};

struct timerval {
  struct bpf_timer t;
  u64 fired;
};

struct { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, u32); __type(value, struct val); __uint(max_entries, 4); } arr SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __type(key, u32); __type(value, u64); __uint(max_entries, 2); } pcpu_arr SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __type(key, u32); __type(value, struct val); __uint(max_entries, 3); } hash SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_HASH); __type(key, u64); __type(value, u64); __uint(max_entries, 8); } pcpu_hash SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __type(key, u32); __type(value, u64); __uint(max_entries, 2); } lru SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH); __type(key, u32); __type(value, u64); __uint(max_entries, 2); } lru_pcpu SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_QUEUE); __uint(value_size, sizeof(u32)); __uint(max_entries, 2); } queue SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_STACK); __uint(value_size, sizeof(u32)); __uint(max_entries, 2); } stack SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_TASK_STORAGE); __uint(map_flags, BPF_F_NO_PREALLOC); __type(key, int); __type(value, u64); } task_store SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_CGRP_STORAGE); __uint(map_flags, BPF_F_NO_PREALLOC); __type(key, int); __type(value, u64); } cgrp_store SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } rb SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, u32); __type(value, struct lockval); __uint(max_entries, 1); } locked SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, u32); __type(value, struct timerval); __uint(max_entries, 1); } timers SEC(".maps");

struct inner_map { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, u32); __type(value, u64); __uint(max_entries, 1); } inner0 SEC(".maps"), inner1 SEC(".maps");
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
  __uint(max_entries, 2);
  __type(key, u32);
  __array(values, struct inner_map);
} outer SEC(".maps") = {.values = {&inner0, &inner1}};
struct {
  __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
  __uint(max_entries, 2);
  __type(key, u32);
  __array(values, struct inner_map);
} outer_hash SEC(".maps");

u64 data_var = 7;                       /* .data */
const volatile u64 ro_var = 11;         /* .rodata */
u64 bss_var;                            /* .bss */
u64 custom_var SEC(".data.custom") = 13; /* .data.* */
const volatile u32 ro_custom SEC(".rodata.custom") = 17;
extern int LINUX_KERNEL_VERSION __kconfig;
extern int CONFIG_HZ __kconfig __weak;
extern int CONFIG_NOT_A_THING __kconfig __weak;

static long loop_cb(u32 i, void *ctx) {
  *(u64 *)ctx += i;
  return i == 9 ? 1 : 0;
}

static long each_cb(void *map, u32 *key, struct val *v, u64 *sum) {
  *sum += v->a;
  return 0;
}

static int timer_cb(void *map, u32 *key, struct timerval *v) {
  v->fired++;
  return 0;
}

SEC("syscall")
int maps_test(struct task_struct *p) {
  u32 k = 1;
  struct val v = {.a = 5, .b = 6}, *vp;
  u64 x = 3, *xp;
  u32 q;

  /* array */
  if (bpf_map_update_elem(&arr, &k, &v, BPF_ANY)) return 1;
  vp = bpf_map_lookup_elem(&arr, &k);
  if (!vp || vp->a != 5) return 2;
  vp->b = 66;
  k = 4;
  if (bpf_map_lookup_elem(&arr, &k)) return 3;
  if (bpf_map_update_elem(&arr, &k, &v, BPF_ANY) != -7 /* E2BIG */) return 4;
  if (bpf_map_update_elem(&arr, &k, &v, BPF_NOEXIST) != -7) return 5;
  k = 0;
  if (bpf_map_update_elem(&arr, &k, &v, BPF_NOEXIST) != -17 /* EEXIST */) return 6;
  if (bpf_map_delete_elem(&arr, &k) != -22) return 7;

  /* percpu array: this CPU's value */
  xp = bpf_map_lookup_elem(&pcpu_arr, &k);
  if (!xp) return 10;
  *xp += 100 + bpf_get_smp_processor_id();

  /* hash: flags and E2BIG */
  for (k = 0; k < 3; k++)
    if (bpf_map_update_elem(&hash, &k, &v, BPF_NOEXIST)) return 20;
  if (bpf_map_update_elem(&hash, &k, &v, BPF_ANY) != -7) return 21;
  k = 1;
  if (bpf_map_update_elem(&hash, &k, &v, BPF_NOEXIST) != -17) return 22;
  if (bpf_map_delete_elem(&hash, &k)) return 23;
  if (bpf_map_delete_elem(&hash, &k) != -2 /* ENOENT */) return 24;
  if (bpf_map_update_elem(&hash, &k, &v, BPF_EXIST) != -2) return 25;
  k = 7;
  if (bpf_map_update_elem(&hash, &k, &v, BPF_ANY)) return 26;

  /* percpu hash */
  if (bpf_map_update_elem(&pcpu_hash, &x, &x, BPF_ANY)) return 30;

  /* lru: 3 inserts into 2 entries evict the least recently used (key 1) */
  for (k = 1; k <= 2; k++)
    if (bpf_map_update_elem(&lru, &k, &x, BPF_ANY)) return 40;
  k = 1;
  if (!bpf_map_lookup_elem(&lru, &k)) return 41; /* 1 becomes most recent */
  k = 3;
  if (bpf_map_update_elem(&lru, &k, &x, BPF_ANY)) return 42;
  k = 2;
  if (bpf_map_lookup_elem(&lru, &k)) return 43; /* 2 was evicted */
  if (bpf_map_update_elem(&lru_pcpu, &k, &x, BPF_ANY)) return 44;

  /* queue / stack */
  for (q = 1; q <= 2; q++) {
    if (bpf_map_push_elem(&queue, &q, 0)) return 50;
    if (bpf_map_push_elem(&stack, &q, 0)) return 51;
  }
  q = 3;
  if (bpf_map_push_elem(&queue, &q, 0) != -7) return 52;
  if (bpf_map_push_elem(&queue, &q, BPF_EXIST)) return 53; /* drops 1 */
  if (bpf_map_pop_elem(&queue, &q) || q != 2) return 54;
  if (bpf_map_pop_elem(&stack, &q) || q != 2) return 55;
  if (bpf_map_peek_elem(&stack, &q) || q != 1) return 56;

  /* local storage */
  xp = bpf_task_storage_get(&task_store, p, 0, 0);
  if (xp) return 60;
  xp = bpf_task_storage_get(&task_store, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (!xp) return 61;
  *xp = 42;
  xp = bpf_cgrp_storage_get(&cgrp_store, (struct cgroup *)p->real_parent, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (!xp) return 62;
  *xp = 43;

  /* ringbuf */
  xp = bpf_ringbuf_reserve(&rb, 8, 0);
  if (!xp) return 70;
  *xp = 0xabc;
  bpf_ringbuf_submit(xp, 0);
  xp = bpf_ringbuf_reserve(&rb, 8, 0);
  if (!xp) return 71;
  bpf_ringbuf_discard(xp, 0);
  if (bpf_ringbuf_output(&rb, &x, sizeof(x), 0)) return 72;
  if (bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) != 32) return 73;

  /* map in map */
  k = 1;
  void *inner = bpf_map_lookup_elem(&outer, &k);
  if (!inner) return 80;
  k = 0;
  xp = bpf_map_lookup_elem(inner, &k);
  if (!xp) return 81;
  *xp = 99;

  /* spin lock */
  struct lockval *lv = bpf_map_lookup_elem(&locked, &k);
  if (!lv) return 90;
  bpf_spin_lock(&lv->lock);
  lv->n++;
  bpf_spin_unlock(&lv->lock);

  /* timer */
  struct timerval *tv = bpf_map_lookup_elem(&timers, &k);
  if (!tv) return 100;
  if (bpf_timer_init(&tv->t, &timers, CLOCK_MONOTONIC)) return 101;
  if (bpf_timer_set_callback(&tv->t, timer_cb)) return 102;
  if (bpf_timer_start(&tv->t, 1000, 0)) return 103;

  /* bpf_loop, for_each_map_elem */
  u64 sum = 0;
  if (bpf_loop(100, loop_cb, &sum, 0) != 10 || sum != 45) return 110;
  sum = 0;
  if (bpf_for_each_map_elem(&arr, each_cb, &sum, 0) != 4 || sum != 5) return 111;

  /* global data */
  if (data_var != 7 && data_var != 70) return 120;
  data_var = 70;
  bss_var = ro_var + custom_var + ro_custom;
  if (LINUX_KERNEL_VERSION != ((6 << 16) | (12 << 8))) return 121;
  if (CONFIG_HZ != 250 || CONFIG_NOT_A_THING != 0) return 122;

  bpf_printk("maps ok %d %s", 42, "yes");
  return 0;
}

SEC("syscall")
int spin_unbalanced(void *ctx) {
  u32 k = 0;
  struct lockval *lv = bpf_map_lookup_elem(&locked, &k);
  if (!lv) return 1;
  bpf_spin_lock(&lv->lock);
  return 0;
}
