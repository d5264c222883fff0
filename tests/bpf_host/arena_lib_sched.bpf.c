/* SPDX-License-Identifier: GPL-2.0 */
/* A global FIFO with the SEC("syscall") interface of scx's arena library (lib/arena.bpf.c)
 * that scx_arena's ArenaLib::setup() drives from user space: arena_init, arena_topology_init,
 * then arena_alloc_mask / arena_topology_node_init per topology node. Each program records
 * what it was given; node_init reads back the mask user space wrote into the arena bitmap.
 * ops.init fails unless the set-up happened (as a scheduler whose allocator was never set up). */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define __arena __attribute__((address_space(1)))
#define DSQ 3

struct {
  __uint(type, BPF_MAP_TYPE_ARENA);
  __uint(map_flags, BPF_F_MMAPABLE);
  __uint(max_entries, 64); /* pages */
} arena SEC(".maps");

void __arena *bpf_arena_alloc_pages(void *map, void __arena *addr, __u32 page_cnt, int node_id,
                                    __u64 flags) __ksym __weak;

struct arena_init_args { u64 static_pages; u64 task_ctx_size; };
struct arena_topology_init_args { u32 max_children[5]; };
struct arena_alloc_mask_args { u64 bitmap; };
struct arena_topology_node_init_args { u64 bitmap; u64 data_size; u64 id; };

u64 static_pages, task_ctx_size;
u32 max_children[5];
u32 nr_masks, nr_nodes_seen;
u64 node_log[256]; /* per node_init call: id << 32 | the number of CPUs in its mask */
u64 seq, init_seq, topo_init_seq, first_node_seq;

static u64 __arena *next_mask;
static u32 masks_left;

SEC("syscall")
int arena_init(struct arena_init_args *args) {
  static_pages = args->static_pages;
  task_ctx_size = args->task_ctx_size;
  init_seq = ++seq;
  return 0;
}

SEC("syscall")
int arena_topology_init(struct arena_topology_init_args *args) {
  int i;

  bpf_for(i, 0, 5) max_children[i] = args->max_children[i];
  topo_init_seq = ++seq;
  return 0;
}

/* One bitmap of 16 words (enough for 1024 CPUs) per call, from pages allocated on demand. */
SEC("syscall")
int arena_alloc_mask(struct arena_alloc_mask_args *args) {
  if (!masks_left) {
    next_mask = bpf_arena_alloc_pages(&arena, NULL, 1, -1, 0);
    if (!next_mask) return -12;
    masks_left = 4096 / 128;
  }
  args->bitmap = (u64)next_mask;
  next_mask += 16;
  masks_left--;
  nr_masks++;
  return 0;
}

SEC("syscall")
int arena_topology_node_init(struct arena_topology_node_init_args *args) {
  u64 __arena *bits = (u64 __arena *)args->bitmap;
  u32 n = 0, w;

  bpf_for(w, 0, 16) n += __builtin_popcountll(bits[w]);
  if (!first_node_seq) first_node_seq = ++seq;
  if (nr_nodes_seen < 256) node_log[nr_nodes_seen] = args->id << 32 | n;
  nr_nodes_seen++;
  return args->data_size ? -22 : 0;
}

void BPF_STRUCT_OPS(al_enqueue, struct task_struct *p, u64 enq_flags) {
  scx_bpf_dsq_insert(p, DSQ, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(al_dispatch, s32 cpu, struct task_struct *prev) {
  scx_bpf_dsq_move_to_local(DSQ);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(al_init) {
  if (!task_ctx_size || !nr_nodes_seen) return -22;
  return scx_bpf_create_dsq(DSQ, -1);
}

SCX_OPS_DEFINE(al_ops, .enqueue = (void *)al_enqueue, .dispatch = (void *)al_dispatch, .init = (void *)al_init,
               .name = "arena_lib_test");
