/* SPDX-License-Identifier: GPL-2.0 */
/* bpf_map_lookup_percpu_elem, the perf event helpers on an (always empty) perf event array,
 * bpf_user_ringbuf_drain with the dynptr accessors, and bpf_strncmp. Each program records
 * what the helpers returned in out[] for the test to compare. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __type(key, u32); __type(value, u64); __uint(max_entries, 2); } pcpu_arr SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_HASH); __type(key, u32); __type(value, u64); __uint(max_entries, 4); } pcpu_hash SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH); __type(key, u32); __type(value, u64); __uint(max_entries, 2); } lru_pcpu SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, u32); __type(value, u64); __uint(max_entries, 1); } plain SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, sizeof(u32)); __uint(value_size, sizeof(u32)); } perf SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_USER_RINGBUF); __uint(max_entries, 4096); } urb SEC(".maps");

s64 out[16];

/* out[i] = the value of key 1 on CPU i (0 for a NULL lookup), for CPUs 0..4 of each map. */
SEC("syscall")
int percpu_lookup(void *ctx) {
  u32 key = 1, cpu;
  u64 *v;

  for (cpu = 0; cpu < 5; cpu++) {
    v = bpf_map_lookup_percpu_elem(&pcpu_arr, &key, cpu);
    out[cpu] = v ? (s64)*v : -1;
    v = bpf_map_lookup_percpu_elem(&pcpu_hash, &key, cpu);
    out[5 + cpu] = v ? (s64)*v : -1;
  }
  v = bpf_map_lookup_percpu_elem(&pcpu_arr, &key, 0xffffffff);
  out[10] = v ? 1 : 0;
  key = 2;
  v = bpf_map_lookup_percpu_elem(&pcpu_arr, &key, 0); /* index past max_entries */
  out[11] = v ? 1 : 0;
  v = bpf_map_lookup_percpu_elem(&pcpu_hash, &key, 0); /* absent key */
  out[12] = v ? 1 : 0;
  /* A write through CPU 3's pointer lands in CPU 3's value. */
  key = 1;
  v = bpf_map_lookup_percpu_elem(&pcpu_arr, &key, 3);
  if (v) *v = 333;
  /* The LRU lookup refreshes key 1, so inserting key 3 evicts key 2. */
  v = bpf_map_lookup_percpu_elem(&lru_pcpu, &key, 1);
  out[13] = v ? (s64)*v : -1;
  return 0;
}

SEC("syscall")
int percpu_lookup_plain(void *ctx) {
  u32 key = 0;
  return bpf_map_lookup_percpu_elem(&plain, &key, 0) != 0;
}

SEC("syscall")
int perf_empty(void *ctx) {
  struct bpf_perf_event_value val;
  u64 data = 7;

  __builtin_memset(&val, 0xff, sizeof(val));
  out[0] = bpf_perf_event_read_value(&perf, BPF_F_CURRENT_CPU, &val, sizeof(val));
  out[1] = val.counter | val.enabled | val.running; /* zeroed on error */
  __builtin_memset(&val, 0xff, sizeof(val));
  out[2] = bpf_perf_event_read_value(&perf, 0, &val, 16); /* wrong size */
  out[3] = val.counter | val.enabled;
  out[4] = bpf_perf_event_read_value(&perf, 100, &val, sizeof(val)); /* index past the array */
  out[5] = bpf_perf_event_read_value(&perf, 1ULL << 33, &val, sizeof(val)); /* bad flags */
  out[6] = (s64)bpf_perf_event_read(&perf, 1);
  out[7] = (s64)bpf_perf_event_read(&perf, 64);
  out[8] = bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, &data, sizeof(data));
  out[9] = bpf_perf_event_output(ctx, &perf, 1000, &data, sizeof(data));
  out[10] = bpf_perf_event_output(ctx, &perf, 1ULL << 40, &data, sizeof(data));
  return 0;
}

struct drain_ctx {
  u64 sum;
  u64 calls;
  s64 nested;
  s64 short_read;
};

static long drain_cb(struct bpf_dynptr *dynptr, struct drain_ctx *c) {
  u64 v = 0;
  u64 *p;

  c->calls++;
  if (bpf_dynptr_read(&v, sizeof(v), dynptr, 0, 0)) return 1;
  p = bpf_dynptr_data(dynptr, 0, sizeof(u64));
  if (!p || *p != v) return 1;
  if (bpf_dynptr_data(dynptr, 1, sizeof(u64))) return 1; /* past the end */
  c->short_read = bpf_dynptr_read(&v, sizeof(v), dynptr, 4, 0);
  c->nested = bpf_user_ringbuf_drain(&urb, drain_cb, c, 0);
  c->sum += *p;
  return *p == 99 ? 1 : 0;
}

/* out[0] = drained samples, out[1] = sum, out[2] = callbacks, out[3] = the nested drain,
 * out[4] = a read past the sample, out[5] = bad flags. */
SEC("syscall")
int drain(void *ctx) {
  struct drain_ctx c = {};

  out[0] = bpf_user_ringbuf_drain(&urb, drain_cb, &c, 0);
  out[1] = c.sum;
  out[2] = c.calls;
  out[3] = c.nested;
  out[4] = c.short_read;
  out[5] = bpf_user_ringbuf_drain(&urb, drain_cb, &c, 4);
  return 0;
}

static long write_cb(struct bpf_dynptr *dynptr, void *ctx) {
  u64 *p = bpf_dynptr_data(dynptr, 0, sizeof(u64));

  if (p) *p = 1; /* the sample is read-only: faults */
  return 0;
}

SEC("syscall")
int drain_write(void *ctx) {
  return bpf_user_ringbuf_drain(&urb, write_cb, 0, 0);
}

SEC("syscall")
int strncmp_test(void *ctx) {
  char a[8] = "sched";

  out[0] = bpf_strncmp(a, sizeof(a), "sched");
  out[1] = bpf_strncmp(a, 3, "scx");
  out[2] = bpf_strncmp(a, sizeof(a), "scheduler");
  out[3] = bpf_strncmp(a, sizeof(a), "sc");
  out[4] = bpf_strncmp(a, 2, "sa");
  return 0;
}

/* libbpf rounds a ring buffer's size up to a power-of-2 multiple of the page size. */
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 5000); } odd_rb SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_USER_RINGBUF); __uint(max_entries, 12288); } odd_urb SEC(".maps");

SEC("syscall")
int generic_kfuncs(struct task_struct *p) {
  const struct task_struct *ro = bpf_rdonly_cast(p, 0);

  bpf_preempt_disable();
  out[0] = ro == p;
  out[1] = ro->pid;
  bpf_preempt_enable();
  return bpf_ringbuf_output(&odd_rb, &out[1], sizeof(out[1]), 0);
}
