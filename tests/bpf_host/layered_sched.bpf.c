/* SPDX-License-Identifier: GPL-2.0 */
/* A global FIFO shaped like scx_layered where scxsim's layer-spec set-up writes
 * (src/bpf/host/layered/): rodata counts, a bss `layers[]` of a `struct layer` with only some
 * of scx_layered's members, in another order (the writer must lay them out from BTF and skip
 * the missing ones), a per-CPU `cpu_ctxs` map, an `llc_data` array map, and the syscall
 * programs its process runs (each counts its runs). Tasks must be in a layer to be queued. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define MAX_LAYERS 16

struct layer_match {
  int kind;
  char comm_prefix[16];
  int nice;
  bool exclude;
};
struct layer_match_ands {
  struct layer_match matches[4];
  int nr_match_ands;
};
struct layer {
  char name[32];
  int kind;
  unsigned long long slice_ns;
  unsigned int weight;
  struct layer_match_ands matches[4];
  unsigned int nr_match_ors;
  unsigned long long refresh_cpus;
  unsigned char cpus[64];
  unsigned int nr_cpus;
  unsigned long long disallow_open_after_ns;
};

struct cpu_prox_map {
  u16 cpus[64];
  u32 core_end, llc_end, node_end, sys_end;
};
struct cpu_ctx {
  s32 cpu;
  u32 layer_id;
  u64 charged_at; /* this object's own: when the running task's time was last charged */
  u64 layer_usages[MAX_LAYERS][4];
  u32 gn_layer_order[MAX_LAYERS];
  struct cpu_prox_map prox_map;
};
struct llc_prox_map {
  u16 llcs[64];
  u32 node_end, sys_end;
};
struct llc_ctx {
  u32 id;
  struct llc_prox_map prox_maps[32];
};
struct refresh_node_ctx_arg {
  u32 node_id;
  u32 init;
  u32 empty_layer_ids[MAX_LAYERS];
  u32 nr_empty_layer_ids;
};

const volatile u32 nr_layers = 1;
const volatile u32 nr_gn_layers;
const volatile u64 min_open_layer_disallow_open_after_ns;
const volatile u32 layer_iteration_order[MAX_LAYERS];
struct layer layers[MAX_LAYERS];

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __type(key, u32);
  __type(value, struct cpu_ctx);
  __uint(max_entries, 1);
} cpu_ctxs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, u32);
  __type(value, struct llc_ctx);
  __uint(max_entries, 4);
} llc_data SEC(".maps");

u32 node_ctx_runs, node_ctx_inits, refreshes, pid_ns_runs;
u32 last_nr_empty;

SEC("syscall")
int refresh_node_ctx(struct refresh_node_ctx_arg *arg)
{
  node_ctx_runs++;
  if (arg->init)
    node_ctx_inits++;
  last_nr_empty = arg->nr_empty_layer_ids;
  return 0;
}

SEC("syscall")
int refresh_layer_cpumasks(void *ctx)
{
  refreshes++;
  return 0;
}

u32 layered_root_tgid;

/* As scx_layered: the tgid of the process that runs this (BPF_PROG_RUN's current). */
SEC("syscall")
int initialize_pid_namespace(void *ctx)
{
  struct task_struct *p = bpf_get_current_task_btf();

  pid_ns_runs++;
  layered_root_tgid = p ? p->tgid : 0;
  return 0;
}

/* Every task's time is charged to the last layer as owned (scx_layered's layer_usages), at
 * each tick and when it stops. */
static void charge(bool start)
{
  u32 zero = 0, last = nr_layers - 1;
  struct cpu_ctx *c = bpf_map_lookup_elem(&cpu_ctxs, &zero);
  u64 now = bpf_ktime_get_ns();

  if (!c || last >= MAX_LAYERS)
    return;
  if (!start && c->charged_at)
    c->layer_usages[last][0] += now - c->charged_at;
  c->charged_at = now;
}

void BPF_STRUCT_OPS(layered_test_running, struct task_struct *p) { charge(true); }
void BPF_STRUCT_OPS(layered_test_tick, struct task_struct *p) { charge(false); }
void BPF_STRUCT_OPS(layered_test_stopping, struct task_struct *p, bool runnable) { charge(false); }

void BPF_STRUCT_OPS(layered_test_enqueue, struct task_struct *p, u64 enq_flags)
{
  if (nr_layers < 2) {
    scx_bpf_error("no layers");
    return;
  }
  scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(layered_test_ops,
               .enqueue = (void *)layered_test_enqueue,
               .running = (void *)layered_test_running,
               .tick = (void *)layered_test_tick,
               .stopping = (void *)layered_test_stopping,
               .name = "layered_test");
