// scx_mitosis's process (runtime.h). Sources: scheds/rust/scx_mitosis/src/main.rs
// (Scheduler::init, run, apply_initial_cells, process_cell_events, compute_and_apply_cell_config,
// apply_cell_config, check_cpuset_changes) at scx 7a58a3a1a.
#include "bpf/host/mitosis/runtime.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "bpf/host/layered/writer.h"
#include "bpf/host/mitosis/cell_table.h"
#include "bpf/host/mitosis/cpu_split.h"
#include "kernel/cgroup/cgroup.h"

namespace scx::bpf::mitosis {

namespace {

class MitosisProcess : public UserScheduler {
 public:
  MitosisProcess(std::string parent, int cell0_min_cpus, bool borrowing)
      : parent_(std::move(parent)), cell0_min_cpus_(cell0_min_cpus), borrowing_(borrowing) {}

  // CellManager::new scans before attach; a missing parent is reported at the first pass,
  // since an error raised while the scheduler is being enabled would be dropped.
  void attach(UserSchedContext& ctx) override {
    if (ctx.cgroup(parent_)) rescan(ctx);
  }

  void schedule(UserSchedContext& ctx) override {
    if (!started_) {  // apply_initial_cells(), right after attach
      started_ = true;
      if (!ctx.cgroup(parent_))
        return ctx.fail_process(fmt::format("Cell parent cgroup path does not exist: /sys/fs/cgroup{}", parent_));
      apply(ctx);
      return;
    }
    if (rescan(ctx)) apply(ctx);  // process_cell_events(): the parent's directory changed
    check_cpuset_changes(ctx);
  }

 private:
  // The parent's child directories as cgroupfs shows them.
  std::optional<std::vector<ChildCgroup>> children(UserSchedContext& ctx) {
    const Cgroup* parent = ctx.cgroup(parent_);
    if (!parent) {
      ctx.fail_process(fmt::format("Failed to read directory: /sys/fs/cgroup{}", parent_));
      return std::nullopt;
    }
    std::vector<ChildCgroup> out;
    for (const Cgroup* c : parent->children())
      out.push_back(ChildCgroup{c->path(), c->id(), c->cpuset().empty() ? std::nullopt : std::optional<CpuMask>(c->cpuset())});
    return out;
  }

  // reconcile_cells(): true when a cell was made or freed.
  bool rescan(UserSchedContext& ctx) {
    std::optional<std::vector<ChildCgroup>> now = children(ctx);
    if (!now) return false;
    Result<bool> changed = cells_.reconcile(std::move(*now));
    if (!changed.ok()) ctx.fail_process(changed.status().message());
    return changed.ok() && *changed;
  }

  // check_cpuset_changes(): the BPF side counts cpuset writes in cpuset_seq.
  void check_cpuset_changes(UserSchedContext& ctx) {
    const uint64_t seq = ctx.global("cpuset_seq");
    if (ctx.failed() || seq == last_cpuset_seq_) return;
    last_cpuset_seq_ = seq;
    std::optional<std::vector<ChildCgroup>> now = children(ctx);
    if (!now) return;
    if (cells_.refresh_cpusets(*now)) apply(ctx);
    if (!ctx.failed()) ctx.set_global("applied_cpuset_seq", last_cpuset_seq_);
  }

  // compute_and_apply_cell_config() with equal weights.
  void apply(UserSchedContext& ctx) {
    if (ctx.failed()) return;
    const Topology& topo = ctx.topology();
    SplitInput in;
    in.all_cpus = CpuMask::first_n(topo.nr_cpus());
    in.cells = cells_.specs();
    in.cell0_min_cpus = cell0_min_cpus_;
    in.borrowable = borrowing_;
    for (int c = 0; c < topo.nr_cpus(); ++c) in.cpu_to_llc.push_back(topo.cpu(c).llc);
    Result<SplitResult> split = split_cpus(in);
    if (!split.ok()) return ctx.fail_process(split.status().message());
    write_config(ctx, *split);
    if (ctx.failed()) return;
    const int64_t r = ctx.run_program("apply_cell_config", std::span<uint8_t>());
    if (!ctx.failed() && r != 0)
      ctx.fail_process(fmt::format("apply_cell_config BPF program returned error {} (num_assignments={}, num_cells={})",
                                   static_cast<int32_t>(r), cells_.assignments().size(), split->cells.size()));
  }

  // apply_cell_config(): cell_config zeroed, then the assignments and the byte masks.
  void write_config(UserSchedContext& ctx, const SplitResult& split) {
    uint32_t type_id = 0;
    std::span<uint8_t> bytes = ctx.global_bytes("cell_config", &type_id);
    if (bytes.empty()) return;
    std::fill(bytes.begin(), bytes.end(), uint8_t{0});
    std::vector<layered::FieldWrite> w;
    const auto assignments = cells_.assignments();
    w.push_back({"num_cell_assignments", static_cast<int64_t>(assignments.size())});
    for (size_t i = 0; i < assignments.size(); ++i) {
      w.push_back({fmt::format("assignments[{}].cgid", i), static_cast<int64_t>(assignments[i].first)});
      w.push_back({fmt::format("assignments[{}].cell_id", i), static_cast<int64_t>(assignments[i].second)});
    }
    uint32_t num_cells = 0;
    for (const CellCpus& c : split.cells) {
      num_cells = std::max(num_cells, c.cell_id + 1);
      w.push_back({fmt::format("cpumasks[{}].mask", c.cell_id), byte_mask(c.primary, ctx.topology().nr_cpus())});
      if (c.borrowable)
        w.push_back({fmt::format("borrowable_cpumasks[{}].mask", c.cell_id), byte_mask(*c.borrowable, ctx.topology().nr_cpus())});
    }
    w.push_back({"num_cells", int64_t{num_cells}});
    for (const layered::FieldWrite& f : w) {
      Result<bool> r = layered::write_field(ctx.btf(), type_id, bytes, f);
      if (!r.ok()) return ctx.fail_process(r.status().within("cell_config").message());
      if (!*r) return ctx.fail_process(fmt::format("the object's cell_config has no member {}", f.path));
    }
  }

  // write_cpumask_to_config(): bit c of byte c / 8.
  static std::vector<int64_t> byte_mask(const CpuMask& m, int nr_cpus) {
    std::vector<int64_t> bytes((static_cast<size_t>(nr_cpus) + 7) / 8, 0);
    for (int c : m) bytes[static_cast<size_t>(c) / 8] |= int64_t{1} << (c % 8);
    return bytes;
  }

  std::string parent_;
  int cell0_min_cpus_;
  bool borrowing_;
  CellTable cells_;
  bool started_ = false;
  uint64_t last_cpuset_seq_ = 0;
};

}  // namespace

UserSchedInfo mitosis_user_scheduler(const std::string& cell_parent, Ns interval) {
  UserSchedInfo info;
  info.name = "mitosis";
  info.description = "scx_mitosis's user space: cells for the child cgroups of " + cell_parent;
  info.comm = "scx_mitosis";
  info.needs = {"cell_config", "apply_cell_config", "cpuset_seq", "applied_cpuset_seq"};
  info.params = {{"cell0_min_cpus", 0, "CPUs held out for cell 0 (--cell0-min-cpus)"},
                 {"enable_borrowing", 0, "borrowable masks for each cell (--enable-borrowing)"}};
  info.period = interval;
  info.make = [cell_parent](const UserSchedArgs& args) -> std::unique_ptr<UserScheduler> {
    return std::make_unique<MitosisProcess>(cell_parent, static_cast<int>(args.at("cell0_min_cpus")),
                                            args.at("enable_borrowing") != 0);
  };
  return info;
}

}  // namespace scx::bpf::mitosis
