#include "bpf/host/arena_lib.h"

#include "bpf/host/bpf_ops.h"
#include "bpf/maps/arena.h"
#include "kernel/ext/ext_class.h"
#include "kernel/kernel.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace scx::bpf {

namespace {

constexpr uint64_t kStaticPages = 8;      // ArenaLib's STATIC_ALLOC_PAGES_GRANULARITY
constexpr size_t kCpuMaskWords = 10 - 1;  // a CPU's mask: MAX_CPU_ARRSZ - 1 words
constexpr int kTopoLevels = 5;            // TOPO_TOP, NODE, LLC, CORE, CPU

template <typename T>
std::span<uint8_t> bytes_of(T& v) {
  return std::span<uint8_t>(reinterpret_cast<uint8_t*>(&v), sizeof(v));
}

Status run_checked(const ArenaLibIo& io, const std::string& program, std::span<uint8_t> ctx, const std::string& what) {
  std::optional<int64_t> r = io.run(program, ctx);
  if (!r) return Status::Errorf("ArenaLib::setup", "{} failed", what);
  if (*r != 0) return Status::Errorf("ArenaLib::setup", "{} returned {} (the scheduler's user space stops here)", what, *r);
  return Status();
}

std::vector<uint64_t> words_of(const CpuMask& m, size_t n) {
  std::vector<uint64_t> w(n);
  for (int cpu : m)
    if (static_cast<size_t>(cpu / 64) < n) w[static_cast<size_t>(cpu / 64)] |= 1ULL << (cpu % 64);
  return w;
}

// setup_topology_node(): a bitmap from the arena, the mask written into it, the node registered.
Status topology_node(const ArenaLibIo& io, const std::vector<uint64_t>& mask, uint64_t id) {
  if (std::all_of(mask.begin(), mask.end(), [](uint64_t w) { return w == 0; })) return Status();
  uint64_t bitmap = 0;
  SCX_RETURN_IF_ERROR(run_checked(io, "arena_alloc_mask", bytes_of(bitmap), "arena_alloc_mask"));
  SCX_RETURN_IF_ERROR(io.write(bitmap, mask).within(fmt::format("ArenaLib::setup: mask of node {}", id)));
  struct {
    uint64_t bitmap, data_size, id;
  } args{bitmap, 0, id};
  return run_checked(io, "arena_topology_node_init", bytes_of(args), fmt::format("arena_topology_node_init(id={})", id));
}

// setup_topology_max_children(): children per level (nodes, LLCs per node, cores per LLC,
// CPUs per core, none).
Status topology_init(const Topology& topo, const ArenaLibIo& io) {
  uint32_t max_children[kTopoLevels] = {static_cast<uint32_t>(topo.nr_nodes()), 0, 0, 0, 0};
  std::vector<uint32_t> llcs_per_node(static_cast<size_t>(topo.nr_nodes()));
  for (int llc = 0; llc < topo.nr_llcs(); ++llc)
    ++llcs_per_node[static_cast<size_t>(topo.cpu(topo.llc_cpus(llc).first()).node)];
  for (uint32_t n : llcs_per_node) max_children[1] = std::max(max_children[1], n);
  std::vector<uint32_t> cores_per_llc(static_cast<size_t>(topo.nr_llcs()));
  for (int core = 0; core < topo.nr_cores(); ++core)
    ++cores_per_llc[static_cast<size_t>(topo.cpu(topo.core_cpus(core).first()).llc)];
  for (uint32_t n : cores_per_llc) max_children[2] = std::max(max_children[2], n);
  for (int core = 0; core < topo.nr_cores(); ++core)
    max_children[3] = std::max(max_children[3], static_cast<uint32_t>(topo.core_cpus(core).weight()));
  return run_checked(io, "arena_topology_init", bytes_of(max_children), "arena_topology_init");
}

}  // namespace

Status run_arena_lib_setup(const Topology& topo, uint64_t task_ctx_size, const ArenaLibIo& io) {
  struct {
    uint64_t static_pages, task_ctx_size;
  } init{kStaticPages, task_ctx_size};
  SCX_RETURN_IF_ERROR(run_checked(io, "arena_init", bytes_of(init),
                                  fmt::format("arena_init(static_pages={}, task_ctx_size={})", kStaticPages, task_ctx_size)));
  if (io.has("arena_topology_init")) SCX_RETURN_IF_ERROR(topology_init(topo, io));
  const size_t span_words = (static_cast<size_t>(topo.nr_cpus()) + 63) / 64;
  SCX_RETURN_IF_ERROR(topology_node(io, words_of(topo.all_cpus(), span_words), 0));
  for (int n = 0; n < topo.nr_nodes(); ++n)
    SCX_RETURN_IF_ERROR(topology_node(io, words_of(topo.node_cpus(n), span_words), static_cast<uint64_t>(n)));
  for (int l = 0; l < topo.nr_llcs(); ++l)
    SCX_RETURN_IF_ERROR(topology_node(io, words_of(topo.llc_cpus(l), span_words), static_cast<uint64_t>(l)));
  for (int c = 0; c < topo.nr_cores(); ++c)
    SCX_RETURN_IF_ERROR(topology_node(io, words_of(topo.core_cpus(c), span_words), static_cast<uint64_t>(c)));
  for (int cpu = 0; cpu < topo.nr_cpus(); ++cpu) {
    CpuMask one;
    one.set(cpu);
    SCX_RETURN_IF_ERROR(topology_node(io, words_of(one, kCpuMaskWords), static_cast<uint64_t>(cpu)));
  }
  return Status();
}

// ---- BpfScxOps: the profile's ArenaLib::setup(), before its syscall list ----

namespace {
Arena* object_arena(const BpfObject& o) {
  for (const BpfMapInfo& m : o.maps())
    if (auto* a = dynamic_cast<ArenaMap*>(m.map.get())) return a->arena().get();
  return nullptr;
}
}  // namespace

bool BpfScxOps::run_arena_lib() {
  if (!arena_lib_task_ctx_size_ || failed_) return !failed_;
  Arena* arena = object_arena(*obj_);
  ArenaLibIo io;
  io.run = [this](const std::string& prog, std::span<uint8_t> ctx) { return run_syscall_program(prog, ctx); };
  io.has = [this](const std::string& prog) {
    const BpfProgram* p = obj_->program(prog);
    return p && p->section == "syscall";
  };
  io.write = [arena](uint64_t uaddr, std::span<const uint64_t> words) -> Status {
    if (!arena || uaddr < arena->user_vm_start() || uaddr >= arena->user_vm_end())
      return Status::Errorf("arena", "0x{:x} is not an arena address", uaddr);
    return arena->user_write(uaddr - arena->user_vm_start(), words.data(), words.size_bytes());
  };
  Status st = run_arena_lib_setup(kf().kernel().topo(), *arena_lib_task_ctx_size_, io);
  if (!st.ok() && !failed_) eject(st.message());
  return st.ok();
}

}  // namespace scx::bpf
