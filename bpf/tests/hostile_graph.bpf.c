/* SPDX-License-Identifier: GPL-2.0 */
/* Misuse of local kptrs and graph kfuncs that the kernel's verifier rejects: each program
 * must fault with a one-line message instead of corrupting memory. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct elem {
  u64 key;
  struct bpf_list_node node;
};

struct other {
  u64 pad;
  struct bpf_list_node node;
};

private(A) struct bpf_spin_lock glock;
private(A) struct bpf_list_head ghead __contains(elem, node);

struct relem {
  u64 key;
  struct bpf_rb_node rb;
};
private(A) struct bpf_rb_root groot __contains(relem, rb);

/* A less() that frees an object: the kernel's verifier forbids it (no kfuncs under the lock). */
static bool evil_less(struct bpf_rb_node *a, const struct bpf_rb_node *b) {
  struct elem *e = bpf_obj_new(struct elem);
  if (e) bpf_obj_drop(e);
  return false;
}

SEC("syscall")
int less_mutates(void *ctx) {
  for (int i = 0; i < 2; i++) {
    struct relem *r = bpf_obj_new(struct relem);
    if (!r) return 1;
    bpf_spin_lock(&glock);
    bpf_rbtree_add(&groot, &r->rb, evil_less);
    bpf_spin_unlock(&glock);
  }
  return 0;
}

struct stash_val {
  struct elem __kptr *e;
};
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, u32);
  __type(value, struct stash_val);
  __uint(max_entries, 1);
} stash SEC(".maps");

SEC("syscall")
int use_after_drop(void *ctx) {
  struct elem *e = bpf_obj_new(struct elem);
  if (!e) return 1;
  e->key = 1;
  bpf_obj_drop(e);
  return *(volatile u64 *)&e->key;
}

SEC("syscall")
int double_drop(void *ctx) {
  struct elem *e = bpf_obj_new(struct elem);
  if (!e) return 1;
  bpf_obj_drop(e);
  bpf_obj_drop(e);
  return 0;
}

SEC("syscall")
int push_twice(void *ctx) {
  struct elem *e = bpf_obj_new(struct elem);
  if (!e) return 1;
  bpf_spin_lock(&glock);
  bpf_list_push_back(&ghead, &e->node);
  bpf_list_push_back(&ghead, &e->node);
  bpf_spin_unlock(&glock);
  return 0;
}

SEC("syscall")
int drop_linked(void *ctx) {
  struct elem *e = bpf_obj_new(struct elem);
  if (!e) return 1;
  bpf_spin_lock(&glock);
  bpf_list_push_back(&ghead, &e->node);
  bpf_spin_unlock(&glock);
  bpf_obj_drop(e);
  return 0;
}

SEC("syscall")
int node_field_read(void *ctx) {
  struct elem *e = bpf_obj_new(struct elem);
  if (!e) return 1;
  u64 v = *(volatile u64 *)&e->node;
  bpf_obj_drop(e);
  return v;
}

SEC("syscall")
int head_field_write(void *ctx) {
  *(volatile u64 *)&ghead = 0x1234;
  return 0;
}

SEC("syscall")
int null_node(void *ctx) {
  struct bpf_list_node *volatile n = NULL;
  bpf_spin_lock(&glock);
  bpf_list_push_back(&ghead, n);
  bpf_spin_unlock(&glock);
  return 0;
}

SEC("syscall")
int foreign_node(void *ctx) {
  u64 fake[4] = {};
  bpf_spin_lock(&glock);
  bpf_list_push_back(&ghead, (struct bpf_list_node *)fake);
  bpf_spin_unlock(&glock);
  return 0;
}

SEC("syscall")
int wrong_type(void *ctx) {
  struct other *o = bpf_obj_new(struct other);
  if (!o) return 1;
  bpf_spin_lock(&glock);
  bpf_list_push_back(&ghead, &o->node);
  bpf_spin_unlock(&glock);
  return 0;
}

SEC("syscall")
int kptr_store(void *ctx) {
  u32 k = 0;
  struct stash_val *v = bpf_map_lookup_elem(&stash, &k);
  if (!v) return 1;
  *(struct elem *volatile *)&v->e = (struct elem *)ctx;
  return 0;
}

/* A leak: bpf_obj_new until it returns NULL (the heap's cap); returns how many it got, but
 * holding them all, the run faults as it returns (the verifier refuses it: unreleased references). */
struct leak {
  u64 payload;
};

SEC("syscall")
int leak_until_null(void *ctx) {
  for (int i = 0; i < 100000; i++) {
    struct leak *l = bpf_obj_new(struct leak);
    if (!l) return i;
  }
  return -1;
}
