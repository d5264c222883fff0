/* SPDX-License-Identifier: GPL-2.0 */
/* Percpu objects (bpf_percpu_obj_new) reached through bpf_per_cpu_ptr / bpf_this_cpu_ptr and
 * stashed in __percpu_kptr fields, kernel-object kptrs (struct bpf_cpumask __kptr) in map
 * values, and misuse the verifier rejects. Programs write what they saw to out[]; a failed
 * step returns a distinct non-zero code. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct val_t {
  u64 a;
  u32 b[2];
};

struct elem {
  u64 sum;
  struct val_t __percpu_kptr *pc;
};
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, u32);
  __type(value, struct elem);
  __uint(max_entries, 2);
} parr SEC(".maps");
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, u32);
  __type(value, struct elem);
  __uint(max_entries, 4);
} phash SEC(".maps");

/* The scx pattern: a bpf_cpumask per CPU / per LLC in a map value. */
struct kmask_val {
  u64 tag;
  struct bpf_cpumask __kptr *mask;
};
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, u32);
  __type(value, struct kmask_val);
  __uint(max_entries, 2);
} kmask_arr SEC(".maps");
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, u32);
  __type(value, struct kmask_val);
  __uint(max_entries, 4);
} kmask_hash SEC(".maps");

const volatile u32 nr_cpus = 4;
u64 out[16];
u32 nout;

static void put(u64 v) {
  if (nout < 16) out[nout++] = v;
}

/* A new object: every CPU's copy starts zeroed; CPU c's gets a = c*10+1; per_cpu_ptr of
 * nr_cpus is NULL; this_cpu_ptr is the current CPU's copy. Stashed in parr[0]. */
SEC("syscall")
int percpu_stash(void *ctx) {
  struct val_t __percpu_kptr *p = bpf_percpu_obj_new(struct val_t);
  struct val_t *v;
  struct elem *e;
  u32 k = 0, cpu;

  nout = 0;
  if (!p) return 1;
  for (cpu = 0; cpu < nr_cpus && cpu < 8; cpu++) {
    v = bpf_per_cpu_ptr(p, cpu);
    if (!v) {
      bpf_percpu_obj_drop(p);
      return 2;
    }
    put(v->a + v->b[0] + v->b[1]);
    v->a = cpu * 10 + 1;
  }
  put((u64)bpf_per_cpu_ptr(p, nr_cpus));
  v = bpf_this_cpu_ptr(p);
  if (!v) {
    bpf_percpu_obj_drop(p);
    return 3;
  }
  put(v->a);
  e = bpf_map_lookup_elem(&parr, &k);
  if (!e) {
    bpf_percpu_obj_drop(p);
    return 4;
  }
  p = bpf_kptr_xchg(&e->pc, p);
  if (p) {
    bpf_percpu_obj_drop(p);
    return 5;
  }
  return 0;
}

/* Sums a over the CPUs through the stashed pointer (read from the field, not taken). */
SEC("syscall")
int percpu_sum(void *ctx) {
  u32 k = 0, cpu;
  u64 sum = 0;
  struct elem *e = bpf_map_lookup_elem(&parr, &k);
  struct val_t __percpu_kptr *p;

  nout = 0;
  if (!e) return 1;
  p = e->pc;
  if (!p) return 2;
  for (cpu = 0; cpu < nr_cpus && cpu < 8; cpu++) {
    struct val_t *v = bpf_per_cpu_ptr(p, cpu);

    if (!v) return 3;
    sum += v->a;
  }
  put(sum);
  return 0;
}

/* Takes the object out of parr[0] and drops it. */
SEC("syscall")
int percpu_take(void *ctx) {
  u32 k = 0;
  struct elem *e = bpf_map_lookup_elem(&parr, &k);
  struct val_t __percpu_kptr *p;

  if (!e) return 1;
  p = bpf_kptr_xchg(&e->pc, NULL);
  if (!p) return 2;
  bpf_percpu_obj_drop(p);
  return 0;
}

/* One object in phash[7], one in parr[1]: freed with their map values. */
SEC("syscall")
int percpu_stash_two(void *ctx) {
  struct elem zero = {}, *e;
  struct val_t __percpu_kptr *p;
  u32 k = 7;

  if (bpf_map_update_elem(&phash, &k, &zero, BPF_ANY)) return 1;
  e = bpf_map_lookup_elem(&phash, &k);
  if (!e) return 2;
  p = bpf_percpu_obj_new(struct val_t);
  if (!p) return 3;
  p = bpf_kptr_xchg(&e->pc, p);
  if (p) bpf_percpu_obj_drop(p);
  k = 1;
  e = bpf_map_lookup_elem(&parr, &k);
  if (!e) return 4;
  p = bpf_percpu_obj_new(struct val_t);
  if (!p) return 5;
  p = bpf_kptr_xchg(&e->pc, p);
  if (p) bpf_percpu_obj_drop(p);
  return 0;
}

SEC("syscall")
int percpu_delete_hash(void *ctx) {
  u32 k = 7;

  return bpf_map_delete_elem(&phash, &k) ? 1 : 0;
}

SEC("syscall")
int percpu_overwrite_arr(void *ctx) {
  struct elem zero = {.sum = 9};
  u32 k = 1;

  return bpf_map_update_elem(&parr, &k, &zero, BPF_ANY) ? 1 : 0;
}

/* ---- Misuse (each faults) ---- */

struct with_node {
  u64 key;
  struct bpf_list_node node;
};
struct with_ptr {
  u64 key;
  u64 *p;
};
struct too_big {
  char b[600];
};

SEC("syscall")
int percpu_direct_read(void *ctx) {
  struct val_t __percpu_kptr *p = bpf_percpu_obj_new(struct val_t);

  if (!p) return 1;
  return *(volatile u64 *)&p->a;
}

SEC("syscall")
int percpu_copy_after_drop(void *ctx) {
  struct val_t __percpu_kptr *p = bpf_percpu_obj_new(struct val_t);
  struct val_t *v;

  if (!p) return 1;
  v = bpf_per_cpu_ptr(p, 1);
  if (!v) return 2;
  bpf_percpu_obj_drop(p);
  return *(volatile u64 *)&v->a;
}

SEC("syscall")
int percpu_ptr_after_drop(void *ctx) {
  struct val_t __percpu_kptr *p = bpf_percpu_obj_new(struct val_t);

  if (!p) return 1;
  bpf_percpu_obj_drop(p);
  return bpf_this_cpu_ptr(p) ? 2 : 3;
}

SEC("syscall")
int percpu_double_drop(void *ctx) {
  struct val_t __percpu_kptr *p = bpf_percpu_obj_new(struct val_t);

  if (!p) return 1;
  bpf_percpu_obj_drop(p);
  bpf_percpu_obj_drop(p);
  return 0;
}

SEC("syscall")
int percpu_ptr_of_local(void *ctx) {
  struct val_t *e = bpf_obj_new(struct val_t);

  if (!e) return 1;
  return bpf_per_cpu_ptr(e, 0) ? 2 : 3;
}

SEC("syscall")
int percpu_drop_local(void *ctx) {
  struct val_t *e = bpf_obj_new(struct val_t);

  if (!e) return 1;
  bpf_percpu_obj_drop(e);
  return 0;
}

SEC("syscall")
int percpu_special_fields(void *ctx) {
  struct with_node __percpu_kptr *p = bpf_percpu_obj_new(struct with_node);

  if (p) bpf_percpu_obj_drop(p);
  return 0;
}

SEC("syscall")
int percpu_pointer_member(void *ctx) {
  struct with_ptr __percpu_kptr *p = bpf_percpu_obj_new(struct with_ptr);

  if (p) bpf_percpu_obj_drop(p);
  return 0;
}

SEC("syscall")
int percpu_too_big(void *ctx) {
  struct too_big __percpu_kptr *p = bpf_percpu_obj_new(struct too_big);

  if (p) bpf_percpu_obj_drop(p);
  return 0;
}
