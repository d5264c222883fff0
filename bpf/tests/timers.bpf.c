/* SPDX-License-Identifier: GPL-2.0 */
/* bpf_timers in map values that are overwritten or deleted: as bpf_obj_free_fields ->
 * bpf_timer_cancel_and_free, the old value's timer is cancelled and freed (its callback never
 * runs; the bpf_timer must be initialised again). A BPF_F_LOCK update of a hash element is in
 * place and keeps it. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct tval {
  struct bpf_timer t;
  u64 n;
};
struct lval {
  struct bpf_spin_lock lock;
  struct bpf_timer t;
  u64 n;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, u32);
  __type(value, struct tval);
  __uint(max_entries, 2);
} tarr SEC(".maps");
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, u32);
  __type(value, struct tval);
  __uint(max_entries, 8);
} thash SEC(".maps");
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, u32);
  __type(value, struct lval);
  __uint(max_entries, 2);
} tlocked SEC(".maps");

u64 fired[8]; /* by key */
long restart_err;

static int cb(void *map, u32 *key, struct tval *v) {
  fired[*key & 7]++;
  return 0;
}

static int lcb(void *map, u32 *key, struct lval *v) {
  fired[*key & 7]++;
  return 0;
}

/* Deletes its own element while it runs. */
static int self_delete_cb(void *map, u32 *key, struct tval *v) {
  fired[*key & 7]++;
  bpf_map_delete_elem(map, key);
  return 0;
}

static int arm(struct bpf_timer *t, void *map, void *fn) {
  if (bpf_timer_init(t, map, CLOCK_MONOTONIC)) return 1;
  if (bpf_timer_set_callback(t, fn)) return 2;
  if (bpf_timer_start(t, 1000, 0)) return 3;
  return 0;
}

static struct tval *hash_elem(u32 k) {
  struct tval zero = {};

  if (bpf_map_update_elem(&thash, &k, &zero, BPF_ANY)) return NULL;
  return bpf_map_lookup_elem(&thash, &k);
}

/* tarr[0], tarr[1], thash[2], thash[3], thash[4] armed to fire 1000 ns from now. */
SEC("syscall")
int arm_all(void *ctx) {
  struct tval *v;
  u32 k;

  for (k = 0; k < 2; k++) {
    v = bpf_map_lookup_elem(&tarr, &k);
    if (!v || arm(&v->t, &tarr, cb)) return 10 + k;
  }
  for (k = 2; k < 5; k++) {
    v = hash_elem(k);
    if (!v || arm(&v->t, &thash, cb)) return 10 + k;
  }
  return 0;
}

SEC("syscall")
int overwrite_array(void *ctx) {
  struct tval zero = {.n = 5};
  u32 k = 0;

  return bpf_map_update_elem(&tarr, &k, &zero, BPF_ANY) ? 1 : 0;
}

/* After the overwrite the timer is freed: start fails until it is initialised again. */
SEC("syscall")
int restart_array(void *ctx) {
  u32 k = 0;
  struct tval *v = bpf_map_lookup_elem(&tarr, &k);

  if (!v) return 1;
  restart_err = bpf_timer_start(&v->t, 1000, 0);
  return arm(&v->t, &tarr, cb) ? 2 : 0;
}

SEC("syscall")
int delete_hash(void *ctx) {
  u32 k = 2;

  return bpf_map_delete_elem(&thash, &k) ? 1 : 0;
}

SEC("syscall")
int overwrite_hash(void *ctx) {
  struct tval zero = {};
  u32 k = 3;

  return bpf_map_update_elem(&thash, &k, &zero, BPF_EXIST) ? 1 : 0;
}

/* tlocked[6]: armed, then a BPF_F_LOCK update (in place: still armed). */
SEC("syscall")
int locked_update(void *ctx) {
  struct lval zero = {}, *v;
  u32 k = 6;

  if (bpf_map_update_elem(&tlocked, &k, &zero, BPF_ANY)) return 1;
  v = bpf_map_lookup_elem(&tlocked, &k);
  if (!v || arm(&v->t, &tlocked, lcb)) return 2;
  zero.n = 3;
  return bpf_map_update_elem(&tlocked, &k, &zero, BPF_F_LOCK) ? 3 : 0;
}

/* A plain update of tlocked[6] frees its timer. */
SEC("syscall")
int locked_overwrite(void *ctx) {
  struct lval zero = {};
  u32 k = 6;

  return bpf_map_update_elem(&tlocked, &k, &zero, BPF_ANY) ? 1 : 0;
}

/* thash[5]: a callback that deletes its own element. */
SEC("syscall")
int arm_self_delete(void *ctx) {
  struct tval *v = hash_elem(5);

  return !v || arm(&v->t, &thash, self_delete_cb) ? 1 : 0;
}
