#include "bpf/host/tracing.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>
#include <string_view>

#include "bpf/host/bpf_ops.h"
#include "bpf/vm/insn.h"
#include "kernel/ext/ext_class.h"
#include "kernel/kernel.h"

namespace scx::bpf {

namespace {

// Kernel functions fentry/fexit programs may attach to: the ones the simulator runs (the
// host is bpf_scx_reg), and ones the real kernel has that never run here.
constexpr std::string_view kSimulatedFunctions[] = {"bpf_scx_reg"};
constexpr std::string_view kUnsimulatedFunctions[] = {
    "scx_tick",
    "cpuset_write_resmask",
    "__futex_wait",
    "futex_wait_multiple",
    "futex_wait_requeue_pi",
    "futex_wake",
    "futex_wake_op",
    "futex_lock_pi",
    "futex_unlock_pi",
};
// Tracepoints of the real kernel that the simulator never reaches (no renames, exec, cgroups,
// NUMA balancing, system calls or interrupts).
constexpr std::string_view kUnsimulatedTracepoints[] = {
    "task_rename",
    "sched_process_exec",
    "sched_process_wait",
    "sched_wait_task",
    "sched_pi_setprio",
    "sched_stat_runtime",
    "sched_kthread_stop",
    "sched_kthread_stop_ret",
    "sched_wake_idle_without_ipi",
    "sched_move_numa",
    "sched_stick_numa",
    "sched_swap_numa",
    "sched_ext_dump",
    "sched_ext_event",
    "cgroup_attach_task",
    "cgroup_mkdir",
    "cgroup_rmdir",
    "cgroup_release",
    "cgroup_rename",
    "cgroup_freeze",
    "cgroup_unfreeze",
    "cpu_frequency",
    "cpu_idle",
    "sys_enter",
    "sys_exit",
    "irq_handler_entry",
    "irq_handler_exit",
    "softirq_entry",
    "softirq_exit",
};
// scx kfuncs the kernel registers for struct_ops (and syscall) programs only, so the verifier
// rejects them in a tracing program, which gets scx_kfunc_set_any and scx_kfunc_set_idle
// besides the generic, cpumask and task kfuncs.
constexpr std::string_view kNotForTracing[] = {
    "scx_bpf_select_cpu_dfl",
    "scx_bpf_select_cpu_and",
    "__scx_bpf_select_cpu_and",
    "scx_bpf_dsq_insert",
    "scx_bpf_dsq_insert_vtime",
    "__scx_bpf_dsq_insert_vtime",
    "scx_bpf_dispatch",
    "scx_bpf_dispatch_vtime",
    "scx_bpf_dispatch_nr_slots",
    "scx_bpf_dispatch_cancel",
    "scx_bpf_dsq_move_to_local",
    "scx_bpf_consume",
    "scx_bpf_dsq_move_set_slice",
    "scx_bpf_dsq_move_set_vtime",
    "scx_bpf_dsq_move",
    "scx_bpf_dsq_move_vtime",
    "scx_bpf_dispatch_from_dsq_set_slice",
    "scx_bpf_dispatch_from_dsq_set_vtime",
    "scx_bpf_dispatch_from_dsq",
    "scx_bpf_dispatch_vtime_from_dsq",
    "scx_bpf_reenqueue_local",
    "scx_bpf_create_dsq",
};

template <size_t N>
bool listed(const std::string_view (&list)[N], std::string_view name) {
  return std::find(std::begin(list), std::end(list), name) != std::end(list);
}

std::optional<Tracepoint> simulated_tracepoint(std::string_view name) {
  for (int i = 0; i < kTracepointCount; ++i)
    if (name == tracepoint_info(static_cast<Tracepoint>(i)).name) return static_cast<Tracepoint>(i);
  return std::nullopt;
}

// The first resolved kfunc `p` calls that tracing programs may not call ("" if none).
std::string forbidden_kfunc(const BpfObject& obj, const BpfProgram& p) {
  std::set<int> resolved;
  for (const ExternInfo& e : obj.externs())
    if (e.kind == ExternKind::kKfunc && e.resolved) resolved.insert(e.kfunc_index);
  const std::span<const Insn> insns = p.program->insns();
  for (size_t pc = 0; pc < insns.size(); ++pc) {
    const Insn& in = insns[pc];
    if (in.code == op::kLdImm64) ++pc;
    if (in.code != (op::kJmp | op::kCall) || in.src != op::kCallKfunc || !resolved.count(in.imm))
      continue;
    const HostFunction* fn = obj.kfunc_table()->get(static_cast<uint64_t>(in.imm));
    if (fn && listed(kNotForTracing, fn->name)) return fn->name;
  }
  return "";
}

// The trampoline prolog (__bpf_prog_enter: 6.12 without PREEMPT_RCU) runs migrate_disable()
// on current around fentry/fexit programs; raw tracepoint programs run without it. A
// simulated task_struct without the field has nothing to count.
template <typename T>
void migrate_disable_by(T& t, int delta) {
  if constexpr (requires { t.migration_disabled; })
    t.migration_disabled =
        static_cast<decltype(t.migration_disabled)>(t.migration_disabled + delta);
}

std::string describe(const BpfProgram& p) {
  return fmt::format("BPF program {} ({})", p.name, p.section);
}

}  // namespace

Result<std::unique_ptr<TracingPrograms>> TracingPrograms::create(BpfScxOps& host,
                                                                 const BpfObject& obj) {
  std::unique_ptr<TracingPrograms> self(new TracingPrograms(host));
  for (const BpfProgram& p : obj.programs()) {
    std::optional<TracingSection> sec = parse_tracing_section(p.section);
    if (sec && sec->autoload) SCX_RETURN_IF_ERROR(self->add(obj, p, std::move(*sec)));
  }
  return self;
}

Status TracingPrograms::add(const BpfObject& obj, const BpfProgram& p, TracingSection sec) {
  const std::string where = fmt::format("{}: program '{}' ({})", obj.path(), p.name, p.section);
  TracingProgram t;
  t.prog = &p;
  t.kind = sec.kind;
  t.target = std::move(sec.target);
  if (t.kind == TracingKind::kTracepoint) {
    t.tracepoint = simulated_tracepoint(t.target);
    t.fires = t.tracepoint.has_value();
    if (!t.fires && !listed(kUnsimulatedTracepoints, t.target))
      return Status::Errorf(where, "the kernel has no tracepoint '{}' to attach to", t.target);
    if (t.tracepoint) enable(*t.tracepoint);
  } else {
    t.fires = listed(kSimulatedFunctions, t.target);
    if (!t.fires && !listed(kUnsimulatedFunctions, t.target))
      return Status::Errorf(where, "the kernel has no function '{}' to attach to", t.target);
  }
  if (std::string k = forbidden_kfunc(obj, p); !k.empty())
    return Status::Errorf(
        where, "calls kfunc '{}', which the kernel allows only in struct_ops programs", k);
  progs_.push_back(std::move(t));
  return Status();
}

void TracingPrograms::attach(Kernel& k) {
  kernel_ = &k;
  k.set_tracepoint_probes(this);
}

void TracingPrograms::detach() {
  if (kernel_ && kernel_->tracepoint_probes() == this) kernel_->set_tracepoint_probes(nullptr);
  kernel_ = nullptr;
}

// bpf_scx_reg(void *kdata, struct bpf_link *link): the simulator has no kernel copy of the
// ops table nor a link, so both arguments are 0; fexit programs get the return value after.
void TracingPrograms::scx_reg(Task& current, std::optional<int> ret) {
  if (!kernel_) return;
  const TracingKind kind = ret ? TracingKind::kFexit : TracingKind::kFentry;
  const std::array<uint64_t, 3> args = {
      0, 0, static_cast<uint64_t>(static_cast<int64_t>(ret.value_or(0)))};
  for (TracingProgram& t : progs_)
    if (t.fires && t.kind == kind && t.target == "bpf_scx_reg")
      run(t, current, std::span<const uint64_t>(args.data(), ret ? 3 : 2), 0);
}

void TracingPrograms::fire(Tracepoint tp, Task& current, std::span<const uint64_t> args) {
  const unsigned task_args = tracepoint_info(tp).task_args;
  for (TracingProgram& t : progs_)
    if (t.tracepoint == tp) run(t, current, args, task_args);
}

void TracingPrograms::run(TracingProgram& t, Task& current, std::span<const uint64_t> args,
                          unsigned task_args) {
  if (t.running) {  // bpf_prog_inc_misses_counter()
    ++t.misses;
    return;
  }
  for (size_t i = 0; i < args.size(); ++i)
    if ((task_args >> i) & 1) host_.expose_task(reinterpret_cast<const task_struct*>(args[i]));
  const bool trampoline = t.kind != TracingKind::kTracepoint;
  if (trampoline) migrate_disable_by(current.kt(), 1);
  t.running = true;
  const std::optional<uint64_t> r0 = host_.run_traced(*t.prog, current, args);
  t.running = false;
  if (r0) ++t.runs;
  if (trampoline) migrate_disable_by(current.kt(), -1);
  // The verifier requires fentry/fexit programs to return 0.
  if (r0 && trampoline && *r0 != 0)
    host_.eject(
        fmt::format("{} returned {}, which the verifier does not accept (fentry/fexit return 0)",
                    describe(*t.prog), static_cast<int64_t>(*r0)));
}

// ---- BpfScxOps: the registration and the runs of tracing programs ----

namespace {
Task& current_of(Kernel& k) {
  return *k.rq(k.this_cpu()).curr;
}
}  // namespace

// What scx_ops_load!/scx_ops_attach! do before the struct_ops link calls bpf_scx_reg(): the
// SEC("syscall") programs, then skel.attach(); then bpf_scx_reg() is entered.
void BpfScxOps::registering() {
  if (!run_syscall_programs()) return;
  Kernel& k = kf().kernel();
  tracing_->attach(k);
  tracing_->scx_reg(current_of(k), std::nullopt);
}

void BpfScxOps::registered(int ret) {
  tracing_->scx_reg(current_of(kf().kernel()), ret);
  if (ret == 0) run_syscall_programs(/*after_attach=*/true);  // the loader's calls after attach
}

void BpfScxOps::disabled() {
  tracing_->detach();
}

uint64_t BpfScxOps::current_task() {
  Kernel& k = kf().kernel();
  const Task* t = current_ ? current_ : k.rq(k.this_cpu()).curr;
  return t ? expose_task(&t->kt()) : 0;
}

void BpfScxOps::eject(const std::string& msg) {
  failed_ = true;
  kf().error(msg);
}

// A tracing program cannot stop a scheduler in the kernel (it returns, its effects stay), but a
// fault here means the program did what the verifier would have refused to load: the
// scheduler is ejected, as for a faulting op, with a message naming the program.
std::optional<uint64_t> BpfScxOps::run_traced(const BpfProgram& prog, Task& current,
                                              std::span<const uint64_t> args) {
  if (failed_) return std::nullopt;
  const Task* const outer = std::exchange(current_, &current);
  const size_t locks_before = helpers_->held_locks();  // the enclosing op's, when nested
  RunResult rr = vm_->run_ctx(*prog.program, 0, args);
  current_ = outer;
  insns_ += rr.insns;
  Status locks = helpers_->end_run(locks_before);
  const std::string why = !rr.ok ? (rr.fault ? rr.fault->message : std::string("program failed"))
                          : !locks.ok() ? locks.message()
                                        : std::string();
  if (!why.empty()) {
    eject(fmt::format("{} faulted: {}", describe(prog), why));
    return std::nullopt;
  }
  arm_timer();
  return rr.r0;
}

}  // namespace scx::bpf
