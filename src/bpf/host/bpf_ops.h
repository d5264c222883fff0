// BpfScxOps: a sched_ext policy given as an unmodified BPF object (.bpf.o). Every ScxOps
// callback runs the object's struct_ops program in the VM with the kernel's struct_ops calling
// convention (R1 = pointer to a u64 array of the arguments); task arguments are the real
// task_struct (Task::kt()), registered lazily as VM regions with task_struct_layout(). The scx
// kfuncs call the ExtClass kfunc methods (scx_kfunc_registry()). A VM fault ejects the policy
// through ExtClass::error() (SCX_EXIT_ERROR) and the callback returns a neutral value. Ops may
// nest (ops.enqueue from scx_bpf_reenqueue_local() in ops.cpu_release): the inner op is a
// nested VM run with its own stack, ctx, budget and argument regions (vm.h).
//
//   BpfHostOptions o;  o.globals = {{"fifo_sched", "1"}};
//   Result<std::unique_ptr<BpfScxOps>> ops = BpfScxOps::load("simple.bpf.o", o);
//   ext->load_at(std::move(*ops), 0);
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/status.h"
#include "bpf/helpers/helpers.h"
#include "bpf/host/exposed_tasks.h"
#include "bpf/host/kernel_ksyms.h"
#include "bpf/loader/kfuncs.h"
#include "bpf/loader/object.h"
#include "bpf/host/profile.h"
#include "bpf/host/prologue.h"
#include "bpf/host/tracing.h"
#include "bpf/host/userspace.h"
#include "bpf/vm/vm.h"
#include "kernel/ext/ops.h"
#include "topo/topology.h"

namespace scx::bpf {

struct BpfHostOptions {
  std::vector<std::pair<std::string, std::string>> globals;  // --set NAME=VALUE, before load
  int nr_cpus = 1;                                           // for per-CPU maps
  uint64_t insn_budget = 1'000'000;
  // The machine, for the topology globals user space fills before load (fill_topology_globals);
  // --set values are applied after and win.
  const Topology* topology = nullptr;
  // What user space does between open and load besides the conventions (prologue.h).
  std::map<std::string, uint64_t> array_lengths;   // --resize NAME=N
  std::map<std::string, uint32_t> map_max_entries;  // --map-size NAME=N
  // The scheduler's profile (profile.h): "" = the bundled one for the object's ops name (if
  // any), "none", or a file. Needs `topology`.
  std::string profile;
  std::vector<std::string> sched_opts;  // --sched-opt NAME[=VALUE]: the profile's options
  // The user-space scheduler (userspace.h): "" = the profile's, else the one for the ops name
  // (if any); "none"; or a registered name.
  std::string usersched;
  uint64_t max_global_data = kDefaultMaxGlobalData;        // --bpf-max-global-data
  uint64_t max_heap_bytes = GraphHeap::kDefaultMaxHeapBytes;  // --bpf-max-heap
};


// Every scx kfunc (6.13 names and 6.12 aliases), bpf_cpumask_*, bpf_task_*, plus the generic
// ones. The HostFns find their BpfScxOps through CallContext::user_data().
const KfuncRegistry& scx_kfunc_registry();
// `scxsim inspect`: the object's contents, with its kfuncs checked against that registry.
Result<std::string> inspect_scheduler_file(const std::string& path, bool json);

class BpfScxOps : public ScxOps {
 public:
  static Result<std::unique_ptr<BpfScxOps>> load(const std::string& path, const BpfHostOptions& opts = {});
  ~BpfScxOps() override;

  const ScxOpsInfo& info() const override { return info_; }
  BpfObject& object() { return *obj_; }
  Vm& vm() { return *vm_; }
  uint64_t insns_executed() const { return insns_; }

  s32 select_cpu(task_struct* p, s32 prev_cpu, u64 wake_flags) override;
  void enqueue(task_struct* p, u64 enq_flags) override;
  void dequeue(task_struct* p, u64 deq_flags) override;
  void dispatch(s32 cpu, task_struct* prev) override;
  void tick(task_struct* p) override;
  void runnable(task_struct* p, u64 enq_flags) override;
  void running(task_struct* p) override;
  void stopping(task_struct* p, bool runnable) override;
  void quiescent(task_struct* p, u64 deq_flags) override;
  bool yield(task_struct* from, task_struct* to) override;
  bool core_sched_before(task_struct* a, task_struct* b) override;
  void set_weight(task_struct* p, u32 weight) override;
  void set_cpumask(task_struct* p, const cpumask* mask) override;
  void update_idle(s32 cpu, bool idle) override;
  void cpu_acquire(s32 cpu, scx_cpu_acquire_args* args) override;
  void cpu_release(s32 cpu, scx_cpu_release_args* args) override;
  s32 init_task(task_struct* p, scx_init_task_args* args) override;
  void exit_task(task_struct* p, scx_exit_task_args* args) override;
  void task_released(task_struct* p) override;
  void enable(task_struct* p) override;
  void disable(task_struct* p) override;
  void dump(scx_dump_ctx* ctx) override;
  void dump_cpu(scx_dump_ctx* ctx, s32 cpu, bool idle) override;
  void dump_task(scx_dump_ctx* ctx, task_struct* p) override;
  s32 cgroup_init(cgroup* cgrp, scx_cgroup_init_args* args) override;
  void cgroup_exit(cgroup* cgrp) override;
  s32 cgroup_prep_move(task_struct* p, cgroup* from, cgroup* to) override;
  void cgroup_move(task_struct* p, cgroup* from, cgroup* to) override;
  void cgroup_cancel_move(task_struct* p, cgroup* from, cgroup* to) override;
  void cgroup_set_weight(cgroup* cgrp, u32 weight) override;
  void cgroup_set_bandwidth(cgroup* cgrp, u64 period_us, u64 quota_us, u64 burst_us) override;
  void cgroup_released(cgroup* cgrp) override;
  void cpu_online(s32 cpu) override;
  void cpu_offline(s32 cpu) override;
  s32 init() override;
  void exit(scx_exit_info* info) override;
  // bpf_scx_reg(): SEC("syscall") programs, then the tracing programs attach (tracing.h).
  void registering() override;
  void registered(int ret) override;
  void disabled() override;
  void on_attach() override;

  // ---- for the kfunc bindings ----
  // Makes a kernel object visible to programs (idempotent): tasks with task_struct_layout(),
  // others read-only.
  uint64_t expose_task(const task_struct* p);
  uint64_t expose_ro(const void* p, size_t size, const char* name);
  // A cgroup and what it leads to (kernfs node, cpuset, ancestors), read-only; 0 for a
  // struct cgroup that is no simulated cgroup's.
  uint64_t expose_cgroup(const cgroup* g);
  // A struct cgroup pointer argument: must be an exposed, live cgroup.
  const cgroup* cgroup_arg(CallContext& cx, uint64_t addr, const char* what);
  // A task_struct pointer argument: must be the start of an exposed task.
  task_struct* task_arg(CallContext& cx, uint64_t addr, const char* what);
  // A cpumask argument (read).
  const cpumask* mask_arg(CallContext& cx, uint64_t addr, const char* what);
  // bpf_cpumask objects owned by the host.
  uint64_t cpumask_create();
  bool cpumask_owned(uint64_t addr) const { return owned_masks_.count(addr) != 0; }
  void cpumask_release(uint64_t addr);
  void cpumask_acquire(uint64_t addr);
  size_t live_cpumasks() const { return owned_masks_.size(); }
  int cpumask_refcount(uint64_t addr) const {
    auto it = owned_masks_.find(addr);
    return it == owned_masks_.end() ? 0 : it->second.second;
  }
  // Maps a host object (an op's argument struct) for the next op's run only.
  uint64_t scratch_mem(const void* p, size_t size, uint8_t perms, const char* name);
  // bpf_trace_printk / bpf_trace_vprintk lines emitted so far (also on the trace bus).
  uint64_t printk_lines() const { return printk_lines_; }
  // The profile in force ("" without one) and the SEC("syscall") runs done before ops.init.
  const std::string& profile_origin() const { return profile_origin_; }
  const std::vector<SyscallRun>& syscall_runs() const { return syscalls_; }
  // ---- tracing programs (tracing.h, tracing.cc) ----
  const TracingPrograms& tracing() const { return *tracing_; }
  // Runs a tracing program with R1 = a ctx of `args`, `current` standing for the kernel's
  // current task meanwhile; R0, or nullopt after ejecting the scheduler (a fault, a lock left
  // held) or when it was ejected before.
  std::optional<uint64_t> run_traced(const BpfProgram& prog, Task& current, std::span<const uint64_t> args);
  // Stops the policy: no program of the object runs again but ops.exit.
  void eject(const std::string& msg);
  // The user-space scheduler's process, or nullptr.
  const UserSchedHost* usersched() const { return usersched_.get(); }
  // BPF_PROG_RUN of the SEC("syscall") program `name` from user space, outside any op, with
  // `ctx` as its context: its return value, or nullopt after ejecting the scheduler (a fault, or
  // no such program).
  // `caller`: the process whose BPF_PROG_RUN this is, `current` for the program (nullptr: the
  // CPU's running task).
  std::optional<int64_t> run_syscall_program(std::string_view name, std::span<uint8_t> ctx,
                                             const Task* caller = nullptr);

 private:
  BpfScxOps() = default;
  uint64_t run(ScxOp op, std::initializer_list<uint64_t> args, uint64_t neutral);
  void arm_timer();
  void printk(std::string_view line);
  // Runs syscalls_ (before ops.init); false after ejecting the scheduler.
  bool run_syscall_programs(bool after_attach = false);
  // The profile's ArenaLib::setup() (arena_lib.h), before syscalls_; false after ejecting.
  bool run_arena_lib();
  // bpf_get_current_task(_btf): `current` (current_ while a tracing program runs), exposed.
  uint64_t current_task();
  // One BPF_PROG_RUN of a SEC("syscall") program: "" and *r0, or why it failed.
  std::string prog_run(const BpfProgram& p, std::span<uint8_t> ctx, uint64_t* r0);

  ScxOpsInfo info_;
  std::unique_ptr<Vm> vm_;          // destroyed last
  std::unique_ptr<HelperEnv> helpers_;
  std::unique_ptr<KernelKsyms> ksyms_;  // per-CPU kernel variables (typed ksyms)
  std::unique_ptr<BpfObject> obj_;  // destroyed (detached) first
  const BpfProgram* progs_[kScxOpCount] = {};
  // Exposes the task's css_set and default-hierarchy cgroup; true when both are visible.
  bool expose_task_cgroups(const task_struct* p);
  // Hashed, iterated only to forget cgroups (in no particular order).
  std::unordered_set<uint64_t> exposed_;          // region bases registered by expose_*
  ExposedTasks exposed_tasks_;                    // the task_structs among them
  std::unordered_set<uint64_t> exposed_cgroups_;  // the struct cgroups among them
  std::map<uint64_t, std::pair<std::unique_ptr<bpf_cpumask>, int>> owned_masks_;
  std::vector<Region> op_args_;  // scratch_mem() regions for the next op's run
  uint64_t insns_ = 0;
  uint64_t printk_lines_ = 0;
  bool failed_ = false;
  std::string profile_origin_;
  std::vector<SyscallRun> syscalls_;
  std::optional<uint64_t> arena_lib_task_ctx_size_;  // the profile's ArenaLib::setup()
  bool timer_pending_ = false;
  uint64_t timer_at_ = 0;
  std::unique_ptr<TracingPrograms> tracing_;
  const Task* current_ = nullptr;
  std::unique_ptr<UserSchedHost> usersched_;
};

}  // namespace scx::bpf
