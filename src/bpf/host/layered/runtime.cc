// scx_layered's process (see runtime.h): set-up runs before attach, then refresh_cpumasks every
// interval. Sources: scheds/rust/scx_layered/src/main.rs (Scheduler::init, step,
// refresh_cpumasks, update_bpf_layer_cpumask, refresh_node_ctx) at 7a58a3a1a and 0f379644a.
#include "bpf/host/layered/runtime.h"

#include <bpf/btf.h>
#include <fmt/format.h>

#include <cstring>
#include <map>
#include <optional>

#include "bpf/host/layered/alloc.h"
#include "bpf/host/layered/writer.h"
#include "bpf/loader/btf.h"

namespace scx::bpf::layered {

namespace {

constexpr int kUsageOwned = 0, kUsageOpen = 1;  // enum layer_usage

class LayeredProcess : public UserScheduler {
 public:
  explicit LayeredProcess(std::shared_ptr<const LayeredPlan> plan) : plan_(std::move(plan)) {}

  void attach(UserSchedContext& ctx) override {
    topo_ = &ctx.topology();
    alloc_.emplace(plan_->specs, *topo_);
    for (const ProgRun& r : plan_->setup.runs) run(ctx, r);
  }

  void schedule(UserSchedContext& ctx) override {
    std::vector<uint64_t> usage;
    if (!read_usage(ctx, &usage)) return;
    const Ns now = ctx.now();
    if (!prev_usage_.empty() && now > prev_at_) step(ctx, usage, static_cast<uint64_t>(now - prev_at_));
    prev_usage_ = std::move(usage);
    prev_at_ = now;
  }

 private:
  void run(UserSchedContext& ctx, const ProgRun& r) {
    if (ctx.failed() || !ctx.has_program(r.program)) return;  // 0f379644a has no refresh_node_ctx
    Result<std::vector<uint8_t>> c = build_ctx(ctx.btf(), r);
    if (!c.ok()) return ctx.fail_process(c.status().message());
    ctx.run_program(r.program, std::span<uint8_t>(*c));
  }

  // Σ over CPUs of cpu_ctx.layer_usages[layer][owned, open] (ns), two entries per layer.
  bool read_usage(UserSchedContext& ctx, std::vector<uint64_t>* out) {
    const Btf& btf = ctx.btf();
    const uint32_t t = btf.find("cpu_ctx", BTF_KIND_STRUCT);
    const int64_t size = t ? btf.size_of(t) : -1;
    if (size <= 0) {
      ctx.fail_process("the object has no struct cpu_ctx");
      return false;
    }
    const size_t stride = (static_cast<size_t>(size) + 7) / 8 * 8;
    std::vector<uint8_t> all(stride * static_cast<size_t>(topo_->nr_cpus()));
    const uint32_t key = 0;
    if (ctx.lookup("cpu_ctxs", {reinterpret_cast<const uint8_t*>(&key), 4}, all) != 0) return false;
    out->assign(plan_->specs.size() * 2, 0);
    for (size_t l = 0; l < plan_->specs.size(); ++l)
      for (int u : {kUsageOwned, kUsageOpen}) {
        Result<std::optional<Btf::Field>> f = locate(btf, t, fmt::format("layer_usages[{}][{}]", l, u));
        if (!f.ok() || !*f) continue;
        for (int c = 0; c < topo_->nr_cpus(); ++c) {
          uint64_t v = 0;
          std::memcpy(&v, all.data() + static_cast<size_t>(c) * stride + (*f)->offset, 8);
          (*out)[l * 2 + static_cast<size_t>(u)] += v;
        }
      }
    return true;
  }

  void step(UserSchedContext& ctx, const std::vector<uint64_t>& usage, uint64_t elapsed) {
    std::vector<LayerUtil> utils(plan_->specs.size());
    for (size_t l = 0; l < utils.size(); ++l) {
      utils[l].owned = static_cast<double>(usage[l * 2] - prev_usage_[l * 2]) / static_cast<double>(elapsed);
      utils[l].open = static_cast<double>(usage[l * 2 + 1] - prev_usage_[l * 2 + 1]) / static_cast<double>(elapsed);
    }
    const bool updated = alloc_->refresh(utils, elapsed);
    std::vector<FieldWrite> w;
    for (size_t l = 0; l < utils.size(); ++l) {
      if (alloc_->changed()[l]) layer_writes(l, &w);
      if (plan_->specs[l].kind != LayerKind::Open)
        w.push_back({fmt::format("layers[{}].fully_allocated", l), int64_t{alloc_->fully_allocated()}});
    }
    if (updated) fallback_writes(&w);
    write_bss(ctx, w);
    if (!updated) return;
    run(ctx, ProgRun{"refresh_layer_cpumasks", "", {}, "refresh_layer_cpumasks"});
    for (int n = 0; n < topo_->nr_nodes(); ++n) run(ctx, node_run(n));
  }

  // update_bpf_layer_cpumask().
  void layer_writes(size_t l, std::vector<FieldWrite>* w) const {
    const std::string at = fmt::format("layers[{}]", l);
    const CpuMask& m = alloc_->cpus(l);
    std::vector<int64_t> bytes((static_cast<size_t>(topo_->nr_cpus()) + 7) / 8, 0);
    for (int c : m) bytes[static_cast<size_t>(c) / 8] |= int64_t{1} << (c % 8);
    std::vector<int64_t> per_llc;
    for (int llc = 0; llc < topo_->nr_llcs(); ++llc) per_llc.push_back(alloc_->nr_cpus_in_llc(l, llc));
    w->push_back({at + ".cpus", bytes});
    w->push_back({at + ".nr_cpus", int64_t{m.weight()}});
    w->push_back({at + ".nr_llc_cpus", per_llc});
    for (int n = 0; n < topo_->nr_nodes(); ++n)
      w->push_back({fmt::format("{}.node[{}].nr_cpus", at, n), int64_t{alloc_->nr_cpus_in_node(l, n)}});
    w->push_back({at + ".refresh_cpus", int64_t{1}});
  }

  // Per-node fallback CPUs (7a58a3a1a), one fallback CPU and the empty layers (0f379644a).
  void fallback_writes(std::vector<FieldWrite>* w) const {
    for (int n = 0; n < topo_->nr_nodes(); ++n) w->push_back({fmt::format("fallback_cpus[{}]", n), int64_t{alloc_->fallback_cpu(n)}});
    w->push_back({"fallback_cpu", int64_t{alloc_->available().empty() ? 0 : alloc_->available().first()}});
    std::vector<int64_t> empty;
    for (size_t l = 0; l < alloc_->nr_layers(); ++l)
      if (alloc_->cpus(l).empty()) empty.push_back(static_cast<int64_t>(l));
    w->push_back({"nr_empty_layer_ids", static_cast<int64_t>(empty.size())});
    empty.resize(alloc_->nr_layers(), kMaxLayers);
    w->push_back({"empty_layer_ids", empty});
  }

  ProgRun node_run(int node) const {
    std::vector<int64_t> empty;
    for (size_t l = 0; l < alloc_->nr_layers(); ++l)
      if (alloc_->nr_cpus_in_node(l, node) == 0) empty.push_back(static_cast<int64_t>(l));
    const int64_t nr = static_cast<int64_t>(empty.size());
    empty.resize(kMaxLayers, kMaxLayers);
    return ProgRun{"refresh_node_ctx", "refresh_node_ctx_arg",
                   {{"node_id", int64_t{node}}, {"init", int64_t{0}}, {"nr_empty_layer_ids", nr}, {"empty_layer_ids", empty}},
                   fmt::format("refresh_node_ctx(node={})", node)};
  }

  // Writes into .bss/.data globals through the skeleton's mmap; globals this commit lacks are
  // skipped.
  void write_bss(UserSchedContext& ctx, const std::vector<FieldWrite>& writes) {
    for (const FieldWrite& w : writes) {
      const size_t end = w.path.find_first_of(".[");
      const std::string name = w.path.substr(0, end);
      if (!has_global(ctx, name)) continue;
      uint32_t type_id = 0;
      std::span<uint8_t> bytes = ctx.global_bytes(name, &type_id);
      if (bytes.empty()) return;
      const FieldWrite rel{end == std::string::npos ? "" : w.path.substr(w.path[end] == '.' ? end + 1 : end), w.value};
      Result<bool> r = write_field(ctx.btf(), type_id, bytes, rel);
      if (!r.ok()) return ctx.fail_process(r.status().message());
    }
  }

  bool has_global(UserSchedContext& ctx, const std::string& name) {
    auto it = known_.find(name);
    if (it != known_.end()) return it->second;
    // A global is a BTF VAR in a DATASEC: look it up once.
    const bool has = ctx.btf().find(name, BTF_KIND_VAR) != 0;
    known_[name] = has;
    return has;
  }

  std::shared_ptr<const LayeredPlan> plan_;
  std::optional<CpuAllocator> alloc_;  // made at attach, for the process's machine
  const Topology* topo_ = nullptr;
  std::vector<uint64_t> prev_usage_;
  Ns prev_at_ = 0;
  std::map<std::string, bool> known_;
};

}  // namespace

Result<std::shared_ptr<const LayeredPlan>> make_plan(const std::string& choice, const Topology& topo, uint64_t slice_us,
                                                     uint64_t slice_dfl_ns) {
  auto plan = std::make_shared<LayeredPlan>();
  if (choice == "example") {
    plan->origin = "scx_layered --run-example";
    SCX_ASSIGN_OR_RETURN(plan->specs, parse_layer_specs(example_spec_json(), plan->origin));
  } else {
    plan->origin = choice;
    SCX_ASSIGN_OR_RETURN(plan->specs, load_layer_spec_file(choice));
  }
  apply_spec_defaults(&plan->specs, slice_us, slice_dfl_ns);
  SCX_RETURN_IF_ERROR(verify_layer_specs(plan->specs, plan->origin));
  SCX_RETURN_IF_ERROR(check_specs_for_machine(plan->specs, topo, plan->origin));
  plan->setup = compute_setup(plan->specs, topo, slice_dfl_ns);
  return std::shared_ptr<const LayeredPlan>(std::move(plan));
}

UserSchedInfo layered_user_scheduler(std::shared_ptr<const LayeredPlan> plan, Ns interval) {
  UserSchedInfo info;
  info.name = "layered";
  info.description = "scx_layered's user space: layer CPU allocation every interval";
  info.comm = "scx_layered";
  info.needs = {"cpu_ctxs", "layers", "refresh_layer_cpumasks"};
  info.period = interval;
  info.make = [plan](const UserSchedArgs&) -> std::unique_ptr<UserScheduler> {
    return std::make_unique<LayeredProcess>(plan);
  };
  return info;
}

}  // namespace scx::bpf::layered
