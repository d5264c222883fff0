/* SPDX-License-Identifier: GPL-2.0 */
/* Local kptrs and the BPF graph: lists and rbtrees of bpf_obj_new objects, refcounted nodes,
 * kptrs stashed in map values, and nested graph fields. Each program writes what it saw to
 * out[] (the test compares exact values) and returns a distinct non-zero code on a failed step. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct elem {
  u64 key;
  struct bpf_list_node node;
  u64 seq;
};

struct relem {
  u64 key;
  u64 seq;
  struct bpf_rb_node rb;
};

/* In a list and an rbtree at once: needs a reference count. */
struct shared {
  u64 key;
  struct bpf_refcount ref;
  struct bpf_list_node lnode;
  struct bpf_rb_node rnode;
};

/* An allocated object with its own list. */
struct bucket {
  u64 id;
  struct bpf_list_head items __contains(elem, node);
};

private(A) struct bpf_spin_lock glock;
private(A) struct bpf_list_head ghead __contains(elem, node);
private(A) struct bpf_rb_root groot __contains(relem, rb);
private(B) struct bpf_spin_lock slock;
private(B) struct bpf_list_head shead __contains(shared, lnode);
private(B) struct bpf_rb_root sroot __contains(shared, rnode);

struct stash_val {
  u64 tag;
  struct elem __kptr *e;
  struct bucket __kptr *b;
};
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, u32);
  __type(value, struct stash_val);
  __uint(max_entries, 2);
} stash SEC(".maps");

struct list_val {
  struct bpf_spin_lock lock;
  struct bpf_list_head head __contains(elem, node);
};
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, u32);
  __type(value, struct list_val);
  __uint(max_entries, 4);
} lists SEC(".maps");

u64 out[32];
u32 nout;

static void put(u64 v) {
  if (nout < 32) out[nout++] = v;
}

/* Five pushes alternating back/front, peeks, then pops: one from the back, the rest from the
 * front until NULL. */
SEC("syscall")
int list_order(void *ctx) {
  nout = 0;
  for (u64 i = 0; i < 5; i++) {
    struct elem *e = bpf_obj_new(typeof(*e));
    if (!e) return 1;
    e->key = 10 + i;
    bpf_spin_lock(&glock);
    if (i & 1)
      bpf_list_push_front(&ghead, &e->node);
    else
      bpf_list_push_back(&ghead, &e->node);
    bpf_spin_unlock(&glock);
  }
  bpf_spin_lock(&glock);
  struct bpf_list_node *f = bpf_list_front(&ghead), *b = bpf_list_back(&ghead);
  u64 fk = f ? container_of(f, struct elem, node)->key : 0;
  u64 bk = b ? container_of(b, struct elem, node)->key : 0;
  bpf_spin_unlock(&glock);
  put(fk);
  put(bk);
  for (int i = 0; i < 6; i++) {
    bpf_spin_lock(&glock);
    struct bpf_list_node *n = i == 0 ? bpf_list_pop_back(&ghead) : bpf_list_pop_front(&ghead);
    bpf_spin_unlock(&glock);
    if (!n) {
      put(0);
      continue;
    }
    struct elem *e = container_of(n, struct elem, node);
    put(e->key);
    bpf_obj_drop(e);
  }
  return 0;
}

static bool rless(struct bpf_rb_node *a, const struct bpf_rb_node *b) {
  struct relem *x = container_of(a, struct relem, rb);
  const struct relem *y = container_of(b, struct relem, rb);
  return x->key < y->key;
}

static u64 rcode(struct bpf_rb_node *n) {
  if (!n) return 0;
  struct relem *e = container_of(n, struct relem, rb);
  return e->key * 10 + e->seq;
}

const volatile u64 rkeys[8] = {50, 20, 70, 20, 10, 50, 90, 20};

/* Keys out of order with duplicates; remove a middle node and the root; then pop in order.
 * out[] holds key*10+insertion sequence. */
SEC("syscall")
int rbtree_order(void *ctx) {
  struct relem *es[8];
  nout = 0;
  for (int i = 0; i < 8; i++) {
    es[i] = bpf_obj_new(struct relem);
    if (!es[i]) return 1;
    es[i]->key = rkeys[i];
    es[i]->seq = i;
  }
  bpf_spin_lock(&glock);
  for (int i = 0; i < 8; i++) bpf_rbtree_add(&groot, &es[i]->rb, rless);
  struct bpf_rb_node *mid = bpf_rbtree_remove(&groot, &es[5]->rb);
  put(rcode(mid));
  struct bpf_rb_node *top = bpf_rbtree_root(&groot);
  struct bpf_rb_node *l = bpf_rbtree_left(&groot, top), *r = bpf_rbtree_right(&groot, top);
  put(rcode(top));
  put(rcode(l));
  put(rcode(r));
  put(rcode(bpf_rbtree_left(&groot, r)));
  put(rcode(bpf_rbtree_right(&groot, l)));
  struct bpf_rb_node *old_top = bpf_rbtree_remove(&groot, top);
  put(rcode(old_top));
  top = bpf_rbtree_root(&groot);
  put(rcode(top));
  put(rcode(bpf_rbtree_left(&groot, top)));
  put(rcode(bpf_rbtree_right(&groot, top)));
  bpf_spin_unlock(&glock);
  if (mid) bpf_obj_drop(container_of(mid, struct relem, rb));
  if (old_top) bpf_obj_drop(container_of(old_top, struct relem, rb));
  for (int i = 0; i < 10; i++) {
    bpf_spin_lock(&glock);
    struct bpf_rb_node *n = bpf_rbtree_first(&groot);
    if (n) n = bpf_rbtree_remove(&groot, n);
    bpf_spin_unlock(&glock);
    if (!n) break;
    put(rcode(n));
    bpf_obj_drop(container_of(n, struct relem, rb));
  }
  return 0;
}

/* 200 pseudo-random keys with many duplicates; every third insertion removes the tree's root
 * (mostly a node with two children), every seventh otherwise the first node. */
SEC("syscall")
int rbtree_stress(void *ctx) {
  u64 x = 12345;
  for (int i = 0; i < 200; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    struct relem *e = bpf_obj_new(struct relem);
    if (!e) return 1;
    e->key = (x >> 33) % 50;
    e->seq = i;
    struct bpf_rb_node *n = NULL;
    bpf_spin_lock(&glock);
    bpf_rbtree_add(&groot, &e->rb, rless);
    if (i % 3 == 2) {
      struct bpf_rb_node *t = bpf_rbtree_root(&groot);
      if (t) n = bpf_rbtree_remove(&groot, t);
    } else if (i % 7 == 6) {
      struct bpf_rb_node *f = bpf_rbtree_first(&groot);
      if (f) n = bpf_rbtree_remove(&groot, f);
    }
    bpf_spin_unlock(&glock);
    if (n) bpf_obj_drop(container_of(n, struct relem, rb));
  }
  return 0;
}

static bool sless(struct bpf_rb_node *a, const struct bpf_rb_node *b) {
  return container_of(a, struct shared, rnode)->key < container_of(b, struct shared, rnode)->key;
}

/* One refcounted object in a list and an rbtree; pushing it again with an extra reference
 * fails with -EINVAL and drops that reference. */
SEC("syscall")
int refcounted(void *ctx) {
  nout = 0;
  struct shared *s = bpf_obj_new(struct shared);
  if (!s) return 1;
  s->key = 7;
  struct shared *m = bpf_refcount_acquire(s);
  bpf_spin_lock(&slock);
  long r1 = bpf_list_push_back(&shead, &s->lnode);
  long r2 = bpf_rbtree_add(&sroot, &m->rnode, sless);
  struct bpf_rb_node *n = bpf_rbtree_first(&sroot);
  struct shared *x = n ? bpf_refcount_acquire(container_of(n, struct shared, rnode)) : NULL;
  bpf_spin_unlock(&slock);
  if (!x) return 2;
  bpf_spin_lock(&slock);
  long r3 = bpf_list_push_front(&shead, &x->lnode);
  bpf_spin_unlock(&slock);
  put(r1);
  put(r2);
  put(r3);
  bpf_spin_lock(&slock);
  struct bpf_list_node *ln = bpf_list_pop_front(&shead);
  struct bpf_list_node *ln2 = bpf_list_pop_front(&shead);
  bpf_spin_unlock(&slock);
  if (!ln || ln2) return 3;
  struct shared *y = container_of(ln, struct shared, lnode);
  put(y->key);
  bpf_obj_drop(y); /* the tree still holds a reference */
  bpf_spin_lock(&slock);
  n = bpf_rbtree_first(&sroot);
  u64 k = n ? container_of(n, struct shared, rnode)->key : 0;
  struct bpf_rb_node *removed = n ? bpf_rbtree_remove(&sroot, n) : NULL;
  struct bpf_rb_node *again = removed ? bpf_rbtree_remove(&sroot, removed) : NULL;
  bpf_spin_unlock(&slock);
  put(k);
  put(again == NULL);
  if (removed) bpf_obj_drop(container_of(removed, struct shared, rnode));
  return 0;
}

/* Stashes an elem (key 42) in stash[0] through bpf_kptr_xchg. */
SEC("syscall")
int kptr_stash(void *ctx) {
  u32 k = 0;
  struct stash_val *v = bpf_map_lookup_elem(&stash, &k);
  if (!v) return 1;
  struct elem *e = bpf_obj_new(struct elem);
  if (!e) return 2;
  e->key = 42;
  struct elem *old = bpf_kptr_xchg(&v->e, e);
  if (old) bpf_obj_drop(old);
  return 0;
}

/* Takes the stashed elem out, bumps its key, puts it back, and reads it through the field. */
SEC("syscall")
int kptr_take(void *ctx) {
  u32 k = 0;
  nout = 0;
  struct stash_val *v = bpf_map_lookup_elem(&stash, &k);
  if (!v) return 1;
  struct elem *e = bpf_kptr_xchg(&v->e, NULL);
  if (!e) return 2;
  put(e->key);
  e->key++;
  struct elem *old = bpf_kptr_xchg(&v->e, e);
  put(old == NULL);
  struct elem *seen = v->e;
  put(seen ? seen->key : 0);
  return 0;
}

/* Overwrites stash[0] from BPF: the kernel frees the old value's kptrs. */
SEC("syscall")
int kptr_overwrite(void *ctx) {
  u32 k = 0;
  struct stash_val zero = {.tag = 5};
  return bpf_map_update_elem(&stash, &k, &zero, BPF_ANY);
}

/* A bucket holding three elems in its own list, stashed in stash[1]. */
SEC("syscall")
int nested_stash(void *ctx) {
  u32 k = 1;
  struct stash_val *v = bpf_map_lookup_elem(&stash, &k);
  if (!v) return 1;
  struct bucket *b = bpf_obj_new(struct bucket);
  if (!b) return 2;
  b->id = 9;
  for (int i = 0; i < 3; i++) {
    struct elem *e = bpf_obj_new(struct elem);
    if (!e) {
      bpf_obj_drop(b);
      return 3;
    }
    e->key = i;
    bpf_list_push_back(&b->items, &e->node);
  }
  b = bpf_kptr_xchg(&v->b, b);
  if (b) bpf_obj_drop(b);
  return 0;
}

/* Takes the bucket out and drops it: its list goes with it. */
SEC("syscall")
int nested_drop(void *ctx) {
  u32 k = 1;
  struct stash_val *v = bpf_map_lookup_elem(&stash, &k);
  if (!v) return 1;
  struct bucket *b = bpf_kptr_xchg(&v->b, NULL);
  if (!b) return 2;
  bpf_obj_drop(b);
  return 0;
}

/* Two elems in the list of lists[3], then the element is deleted (its list drained). */
SEC("syscall")
int map_list(void *ctx) {
  u32 k = 3;
  struct list_val zero = {};
  if (bpf_map_update_elem(&lists, &k, &zero, BPF_NOEXIST)) return 1;
  struct list_val *v = bpf_map_lookup_elem(&lists, &k);
  if (!v) return 2;
  for (int i = 0; i < 2; i++) {
    struct elem *e = bpf_obj_new(struct elem);
    if (!e) return 3;
    bpf_spin_lock(&v->lock);
    bpf_list_push_back(&v->head, &e->node);
    bpf_spin_unlock(&v->lock);
  }
  return 0;
}

SEC("syscall")
int map_list_delete(void *ctx) {
  u32 k = 3;
  return bpf_map_delete_elem(&lists, &k);
}
