/* SPDX-License-Identifier: GPL-2.0 */
/* The BPF arena: pages from bpf_arena_alloc_pages, a linked list built in them, __arena
 * globals (.addr_space.1), casts between the address spaces, reads and writes of pages that
 * are not allocated (0 / dropped, no fault), atomics in arena memory, free and reserve.
 * Programs write what they saw to out[] (host-checked); a failed step returns its number. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define __arena __attribute__((address_space(1)))
#define PAGE 4096
#define ARENA_BASE (1ull << 44)

struct {
  __uint(type, BPF_MAP_TYPE_ARENA);
  __uint(map_flags, BPF_F_MMAPABLE);
  __uint(max_entries, 16); /* pages */
  __ulong(map_extra, ARENA_BASE);
} arena SEC(".maps");

void __arena *bpf_arena_alloc_pages(void *map, void __arena *addr, __u32 page_cnt, int node_id,
                                    __u64 flags) __ksym __weak;
void bpf_arena_free_pages(void *map, void __arena *ptr, __u32 page_cnt) __ksym __weak;
int bpf_arena_reserve_pages(void *map, void __arena *ptr, __u32 page_cnt) __ksym __weak;

struct node {
  struct node __arena *next;
  u64 val;
};

/* __arena globals: initialised ones and a zeroed list head. */
int __arena counter = 7;
u64 __arena table[4] = {1, 2, 3, 4};
struct node __arena *__arena head;

u64 out[16];

/* Page 0 (lowest free, best fit), a 4-node list in it, summed by walking the arena pointers. */
SEC("syscall")
int list(void *ctx)
{
  struct node __arena *n = bpf_arena_alloc_pages(&arena, NULL, 1, -1, 0);
  struct node __arena *p;
  u64 sum = 0;
  int i;

  if (!n)
    return 1;
  out[0] = (u64)n;
  for (i = 0; i < 4; i++) {
    n[i].val = i * 10 + counter;
    n[i].next = head;
    head = &n[i];
  }
  for (p = head, i = 0; p && i < 8; p = p->next, i++)
    sum += p->val;
  out[1] = sum;              /* 0+10+20+30 + 4*7 = 88 */
  out[2] = (u64)head;        /* &n[3]: a user (as1) address */
  out[3] = table[0] + table[3];
  counter += 1;
  return 0;
}

/* An address hint, a busy range, a reservation, limits. */
SEC("syscall")
int hints(void *ctx)
{
  char __arena *a = bpf_arena_alloc_pages(&arena, (void __arena *)(ARENA_BASE + 3 * PAGE), 2, -1, 0);

  out[4] = (u64)a;
  out[5] = (u64)bpf_arena_alloc_pages(&arena, (void __arena *)(ARENA_BASE + 4 * PAGE), 1, -1, 0);
  out[6] = (u64)bpf_arena_alloc_pages(&arena, NULL, 17, -1, 0);           /* > max_entries */
  out[7] = (u64)bpf_arena_alloc_pages(&arena, (void __arena *)(ARENA_BASE + 1), 1, -1, 0);
  out[8] = (u64)(s64)bpf_arena_reserve_pages(&arena, (void __arena *)(ARENA_BASE + 6 * PAGE), 2);
  out[9] = (u64)(s64)bpf_arena_reserve_pages(&arena, (void __arena *)(ARENA_BASE + 3 * PAGE), 1);
  out[10] = (u64)bpf_arena_alloc_pages(&arena, (void __arena *)(ARENA_BASE + 7 * PAGE), 1, -1, 0);
  /* best fit: the smallest free range that holds 1 page is [5, 5] */
  out[11] = (u64)bpf_arena_alloc_pages(&arena, NULL, 1, -1, 0);
  if (!a)
    return 1;
  a[PAGE + 8] = 42; /* second page of the pair */
  return 0;
}

/* Pages that are not there: loads give 0, stores and atomics are dropped, nothing faults. */
SEC("syscall")
int unallocated(void *ctx)
{
  volatile u64 __arena *far = (volatile u64 __arena *)(ARENA_BASE + 9 * PAGE + 16);
  volatile u32 __arena *edge = (volatile u32 __arena *)(ARENA_BASE + 3 * PAGE - 2);

  *far = 5;
  out[12] = *far;
  __sync_fetch_and_add(far, 3);
  out[13] = *far + *edge; /* edge spans page 2 (not allocated) and 3: 0 */
  return 0;
}

/* Atomics in arena memory, then freeing: the freed page reads 0 and is reused. */
SEC("syscall")
int atomics_free(void *ctx)
{
  struct node __arena *n = head;
  u64 old;

  if (!n)
    return 1;
  old = __sync_val_compare_and_swap(&n->val, 37, 100);
  __sync_fetch_and_add(&n->val, 5);
  out[14] = old * 1000 + n->val; /* 37 * 1000 + 105 */
  bpf_arena_free_pages(&arena, (void __arena *)ARENA_BASE, 1);
  out[15] = n->val + (u64)bpf_arena_alloc_pages(&arena, NULL, 1, -1, 0);
  return 0;
}
