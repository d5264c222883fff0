// Loading and unloading a policy, bypass mode, the watchdog, error exits and the debug dump
// (§12 of the spec).
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "kernel/ext/ext_class.h"
#include "kernel/ext/ext_internal.h"
#include "kernel/kernel.h"

namespace scx {

const char* scx_exit_reason(int kind) {
  switch (kind) {
    case SCX_EXIT_NONE: return "";
    case SCX_EXIT_DONE: return "";
    case SCX_EXIT_UNREG: return "unregistered from user space";
    case SCX_EXIT_UNREG_BPF: return "unregistered from BPF";
    case SCX_EXIT_UNREG_KERN: return "unregistered from the main kernel";
    case SCX_EXIT_SYSRQ: return "disabled by sysrq-S";
    case SCX_EXIT_ERROR: return "runtime error";
    case SCX_EXIT_ERROR_BPF: return "scx_bpf_error";
    case SCX_EXIT_ERROR_STALL: return "runnable task stall";
  }
  return "unknown";
}

ScxState ExtClass::state() const {
  ScxState s;
  switch (enable_state_) {
    case SCX_OPS_ENABLING: s.state = "enabling"; break;
    case SCX_OPS_ENABLED: s.state = "enabled"; break;
    case SCX_OPS_DISABLING: s.state = "disabling"; break;
    default: s.state = "disabled"; break;
  }
  s.switch_all = switching_all_;
  s.nr_rejected = nr_rejected_;
  s.enable_seq = enable_seq_;
  s.kick_waits = kick_waits_;
  s.kick_wait_ns = kick_wait_ns_;
  if (enable_state_ != SCX_OPS_DISABLED && ops_) s.ops_name = info_.name;
  return s;
}

void ExtClass::log_line(const std::string& line) { log_.push_back(fmt::format("[{}] {}", format_seconds(k_.now()), line)); }

void ExtClass::log_once(const std::string& line) {
  if (std::find(logged_once_.begin(), logged_once_.end(), line) != logged_once_.end()) return;
  logged_once_.push_back(line);
  log_line(line);
}

void ExtClass::load_at(std::unique_ptr<ScxOps> ops, Ns at) {
  // Enabling runs in the attaching process's context: on its CPU when it pinned itself.
  const int cpu = ops->info().loader_cpu;
  pending_load_ = std::move(ops);
  k_.schedule_callback(at, cpu >= 0 && cpu < k_.nr_cpus() ? cpu : Kernel::kUnboundCpu, [this] { enable_work(); });
}

void ExtClass::unload_at(Ns at) {
  k_.schedule_callback(at, Kernel::kUnboundCpu, [this] {
    if (enable_state_ == SCX_OPS_ENABLED) scx_error(SCX_EXIT_UNREG, 0, "");
  });
}

static bool valid_ops_name(const std::string& name) {
  if (name.empty() || name.size() >= SCX_OPS_NAME_LEN) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; });
}

void ExtClass::enable_work() {
  if (enable_state_ != SCX_OPS_DISABLED) {
    log_line("sched_ext: a BPF scheduler is already loaded (-EBUSY)");
    pending_load_.reset();
    return;
  }
  ops_ = std::move(pending_load_);
  ++instance_;
  info_ = ops_->info();
  ops_->attach(this);
  exit_kind_ = SCX_EXIT_NONE;
  pending_exit_ = ScxExitInfo{};
  disable_queued_ = false;
  enable_state_ = SCX_OPS_ENABLING;
  nr_rejected_ = 0;
  for (ScxRq& r : rqs_) r.cpuperf_target = SCX_CPUPERF_ONE;

  // Load-time validation of the ops table.
  std::string bad;
  if (!valid_ops_name(info_.name)) bad = fmt::format("invalid ops name \"{}\"", info_.name);
  else if (info_.flags & ~static_cast<u64>(SCX_OPS_ALL_FLAGS)) bad = fmt::format("invalid ops flags 0x{:x}", info_.flags);
  else if (info_.timeout_ms > SCX_WATCHDOG_MAX_TIMEOUT) bad = fmt::format("timeout_ms {} exceeds the maximum of {} (-E2BIG)", info_.timeout_ms, static_cast<int>(SCX_WATCHDOG_MAX_TIMEOUT));
  else if ((info_.flags & SCX_OPS_ENQ_LAST) && !info_.has(ScxOp::Enqueue)) bad = "SCX_OPS_ENQ_LAST requires ops.enqueue() to be implemented";
  builtin_idle_ = !(info_.has(ScxOp::UpdateIdle) && !(info_.flags & SCX_OPS_KEEP_BUILTIN_IDLE));
  idle_per_node_ = info_.flags & SCX_OPS_BUILTIN_IDLE_PER_NODE;
  if (bad.empty() && idle_per_node_ && !builtin_idle_) bad = "SCX_OPS_BUILTIN_IDLE_PER_NODE requires CPU idle selection enabled";
  idle_cpu_ = idle_smt_ = k_.topo().all_cpus();
  watchdog_timeout_ = (info_.timeout_ms ? info_.timeout_ms : static_cast<u32>(SCX_WATCHDOG_MAX_TIMEOUT)) * kNsPerMs;
  // bpf_scx_reg() is entered here and returns when this function does, enabled or not.
  ops_->registering();
  struct Returns {
    ExtClass& e;
    ~Returns() {
      if (e.ops_) e.ops_->registered(e.enable_state_ == SCX_OPS_ENABLED ? 0 : -22);  // -EINVAL
    }
  } returns{*this};
  if (!bad.empty()) {
    scx_error(SCX_EXIT_ERROR, 0, bad);
    return;
  }
  if (exit_kind_ != SCX_EXIT_NONE) return;  // what ran at registration failed the load
  if (info_.has(ScxOp::Init)) {
    s32 ret;
    {
      OpScope op(*this, ScxOp::Init, SCX_KF_SLEEPABLE);
      ret = ops_->init();
    }
    if (ret) {
      scx_error(SCX_EXIT_ERROR, 0, fmt::format("ops.init() failed ({})", ret));
      return;
    }
    if (exit_kind_ != SCX_EXIT_NONE) return;  // init itself called scx_bpf_error/exit
  }
  if (!cgroup_init_all()) return;

  bypass(true);
  // Every task but the idle tasks gets ops.init_task(fork=false) and becomes READY.
  for (const auto& t : k_.kthreads())
    if (!t->is_idle_task() && init_task_op(*t, false) != 0) return;
  for (const auto& t : k_.tasks())
    if (t->state != TaskState::Dead && init_task_op(*t, false) != 0) return;
  switching_all_ = !(info_.flags & SCX_OPS_SWITCH_PARTIAL);
  taking_tasks_ = true;
  // Move tasks whose policy now maps to ext; runnable ones land in the bypass queue.
  for (const auto& t : k_.tasks()) {
    if (t->state == TaskState::Dead) continue;
    t->kt().scx.slice = SCX_SLICE_DFL;
    k_.reclassify_task(*t);
  }
  bypass(false);  // cycles every runnable task through ops.enqueue
  if (exit_kind_ != SCX_EXIT_NONE) return;
  enable_state_ = SCX_OPS_ENABLED;
  ++enable_seq_;
  log_line(fmt::format("sched_ext: BPF scheduler \"{}\" enabled{}", info_.name, switching_all_ ? "" : " (partial)"));
  watchdog_last_check_ = k_.now();
  watchdog_armed_ = true;
  watchdog_handle_ = k_.schedule_callback(k_.now() + watchdog_timeout_ / 2, Kernel::kUnboundCpu, [this] { watchdog_workfn(); });
}

void ExtClass::bypass(bool on) {
  if (on) {
    if (bypass_depth_++ > 0) return;
    ++events_.SCX_EV_BYPASS_ACTIVATE;
    bypass_began_ = k_.now();
  } else {
    if (--bypass_depth_ > 0) return;
    events_.SCX_EV_BYPASS_DURATION += static_cast<s64>(k_.now() - bypass_began_);
  }
  if (!taking_tasks_) return;
  // Cycle every queued, not running ext task through dequeue/enqueue so it lands where the new
  // mode puts it; then resched every CPU.
  for (int cpu = 0; cpu < k_.nr_cpus(); ++cpu) {
    std::vector<Task*> tasks(rqs_[cpu].runnable_list.rbegin(), rqs_[cpu].runnable_list.rend());
    for (Task* p : tasks) k_.change_task(*p, [] {});
    k_.resched_curr(k_.rq(cpu));
  }
}

void ExtClass::watchdog_workfn() {
  if (enable_state_ != SCX_OPS_ENABLED) return;
  const u64 timeout_j = watchdog_timeout_ / k_.cost().tick_ns();
  const u64 now_j = jiffies();
  for (int cpu = 0; cpu < k_.nr_cpus(); ++cpu) {
    for (Task* p : rqs_[cpu].runnable_list) {
      const u64 at = p->kt().scx.runnable_at;
      if (now_j > at + timeout_j) {
        const u64 dur_ms = (now_j - at) * k_.cost().tick_ns() / kNsPerMs;
        scx_error(SCX_EXIT_ERROR_STALL, 0,
                  fmt::format("{}[{}] failed to run for {}.{:03}s", p->comm, p->pid, dur_ms / 1000, dur_ms % 1000));
        return;
      }
    }
  }
  watchdog_last_check_ = k_.now();
  watchdog_handle_ = k_.schedule_callback(k_.now() + watchdog_timeout_ / 2, Kernel::kUnboundCpu, [this] { watchdog_workfn(); });
}

void ExtClass::scx_error(int kind, int64_t code, const std::string& msg) {
  if (!ops_ || exit_kind_ != SCX_EXIT_NONE || enable_state_ == SCX_OPS_DISABLED ||
      enable_state_ == SCX_OPS_DISABLING)
    return;  // the first exit wins; later ones are ignored
  exit_kind_ = kind;
  pending_exit_.kind = kind;
  pending_exit_.exit_code = code;
  pending_exit_.reason = scx_exit_reason(kind);
  pending_exit_.msg = msg.substr(0, SCX_EXIT_MSG_LEN - 1);
  pending_exit_.at = k_.now();
  // irq_work: take the dump (error kinds), then queue the disable work on a kthread.
  const int cpu = k_.this_cpu();
  k_.schedule_callback(k_.now(), cpu, [this] {
    if (exit_kind_ >= SCX_EXIT_ERROR) pending_exit_.dump = dump_state();
    if (!disable_queued_) {
      disable_queued_ = true;
      k_.schedule_callback(k_.now(), Kernel::kUnboundCpu, [this] { disable_work(); });
    }
  });
}

void ExtClass::disable_work() {
  if (!ops_ || enable_state_ == SCX_OPS_DISABLED || enable_state_ == SCX_OPS_DISABLING) return;
  if (exit_kind_ == SCX_EXIT_NONE) {
    exit_kind_ = SCX_EXIT_UNREG;
    pending_exit_.kind = SCX_EXIT_UNREG;
    pending_exit_.reason = scx_exit_reason(SCX_EXIT_UNREG);
  }
  if (watchdog_armed_) {
    k_.cancel_callback(watchdog_handle_);
    watchdog_armed_ = false;
  }
  bypass(true);
  enable_state_ = SCX_OPS_DISABLING;
  switching_all_ = false;
  taking_tasks_ = false;
  // Every ext task returns to the class of its policy (fair), then leaves ext for good.
  for (const auto& t : k_.tasks()) {
    if (t->state == TaskState::Dead) continue;
    k_.reclassify_task(*t);
    exit_task_op(*t, false);
  }
  for (const auto& t : k_.kthreads()) exit_task_op(*t, false);
  // Every CPU has left ext by now (its pnt_seq moved on): no SCX_KICK_WAIT spin survives.
  for (int cpu = 0; cpu < k_.nr_cpus(); ++cpu)
    if (!rqs_[cpu].waiting_on.empty()) end_kick_wait(cpu);
  const bool error = pending_exit_.kind >= SCX_EXIT_ERROR;
  log_line(fmt::format("sched_ext: BPF scheduler \"{}\" disabled ({})", info_.name, pending_exit_.reason));
  if (error && !pending_exit_.msg.empty()) log_line(fmt::format("sched_ext: {}: {}", info_.name, pending_exit_.msg));
  cgroup_exit_all();
  if (info_.has(ScxOp::Exit)) {
    std::string msg = pending_exit_.msg, dump = pending_exit_.dump;
    scx_exit_info ei{};
    ei.kind = static_cast<scx_exit_kind>(pending_exit_.kind);
    ei.exit_code = pending_exit_.exit_code;
    ei.reason = pending_exit_.reason.c_str();
    ei.msg = msg.data();
    ei.dump = dump.data();
    OpScope op(*this, ScxOp::Exit, SCX_KF_SLEEPABLE);
    ops_->exit(&ei);
  }
  info_.implemented.reset();  // no more callbacks from here on
  for (auto& [id, d] : user_dsqs_) destroyed_dsqs_.push_back(std::move(d));
  user_dsqs_.clear();
  exit_info_ = pending_exit_;
  enable_state_ = SCX_OPS_DISABLED;
  ops_->disabled();
  if (k_.trace().active()) {
    TraceEvent e;
    e.time = k_.now();
    e.type = TraceType::ScxExit;
    e.cpu = k_.this_cpu();
    e.arg = exit_info_->kind;
    e.value = exit_info_->exit_code;
    e.comm = exit_info_->reason.c_str();
    k_.trace().emit(e);
  }
  bypass(false);
}

std::string ExtClass::dump_state() {
  const size_t limit = info_.exit_dump_len ? info_.exit_dump_len : static_cast<u32>(SCX_EXIT_DUMP_DFL_LEN);
  std::string out;
  const Task* curr = k_.rq(k_.this_cpu()).curr;
  out += fmt::format("{}[{}] triggered exit kind {}:\n", curr->comm, curr->pid, pending_exit_.kind);
  out += fmt::format("  {} ({})\n\n", pending_exit_.reason, pending_exit_.msg);
  out += "Backtrace:\n  (simulated kernel: no stack)\n";
  scx_dump_ctx dctx{};
  dctx.kind = static_cast<scx_exit_kind>(pending_exit_.kind);
  dctx.exit_code = pending_exit_.exit_code;
  dctx.reason = pending_exit_.reason.c_str();
  dctx.at_ns = now();
  dctx.at_jiffies = jiffies();
  in_dump_ = true;
  if (info_.has(ScxOp::Dump)) {
    dump_buf_.clear();
    {
      OpScope op(*this, ScxOp::Dump, SCX_KF_UNLOCKED);
      ops_->dump(&dctx);
    }
    out += "\n" + dump_buf_;
    if (!out.empty() && out.back() != '\n') out += '\n';
  }
  out += "\nCPU states\n----------\n";
  for (int cpu = 0; cpu < k_.nr_cpus(); ++cpu) {
    Rq& rq = k_.rq(cpu);
    ScxRq& srq = rqs_[cpu];
    const bool idle = rq.curr->is_idle_task() && srq.runnable_list.empty();
    dump_buf_.clear();
    if (info_.has(ScxOp::DumpCpu)) {
      OpScope op(*this, ScxOp::DumpCpu, SCX_KF_REST);
      ops_->dump_cpu(&dctx, cpu, idle);
    }
    if (idle && dump_buf_.empty()) continue;
    out += fmt::format("\nCPU {:<4}: nr_run={} flags=0x{:x} cpu_rel={} ops_qseq={} pnt_seq={}\n", cpu,
                       srq.nr_running, 0, srq.cpu_released ? 1 : 0, srq.ops_qseq, srq.pnt_seq);
    out += fmt::format("          curr={}[{}] class={}_sched_class\n", rq.curr->comm, rq.curr->pid,
                       rq.curr->sched_class->name());
    if (!dump_buf_.empty()) out += "  " + dump_buf_ + (dump_buf_.back() == '\n' ? "" : "\n");
    std::vector<Task*> tasks;
    if (rq.curr->sched_class == this) tasks.push_back(rq.curr);
    for (Task* p : srq.runnable_list) tasks.push_back(p);
    for (Task* p : tasks) {
      const int64_t rel_ms = (static_cast<int64_t>(p->kt().scx.runnable_at) - static_cast<int64_t>(jiffies())) *
                             static_cast<int64_t>(k_.cost().tick_ns() / kNsPerMs);
      out += fmt::format("\n {}{} {}[{}] {:+}ms\n", p == rq.curr ? '*' : ' ', 'R', p->comm, p->pid, rel_ms);
      out += fmt::format("      scx_state/flags={}/0x{:x} dsq_flags=0x{:x} ops_state/qseq={}/{}\n",
                         task_scx_state(*p), p->kt().scx.flags & ~SCX_TASK_STATE_MASK, p->kt().scx.dsq_flags,
                         ops_state(*p), ops_qseq(*p));
      out += fmt::format("      sticky/holding_cpu={}/{} dsq_id={} dsq_vtime={}\n", p->kt().scx.sticky_cpu,
                         p->kt().scx.holding_cpu,
                         p->ext.dsq ? fmt::format("0x{:x}", p->ext.dsq->id) : std::string("(n/a)"),
                         p->kt().scx.dsq_vtime);
      out += fmt::format("      cpus={}\n", p->cpus_allowed.to_list());
      if (info_.has(ScxOp::DumpTask)) {
        dump_buf_.clear();
        {
          OpScope op(*this, ScxOp::DumpTask, SCX_KF_REST, &p->kt());
          ops_->dump_task(&dctx, &p->kt());
        }
        if (!dump_buf_.empty()) out += "    " + dump_buf_ + (dump_buf_.back() == '\n' ? "" : "\n");
      }
    }
  }
  in_dump_ = false;
  if (out.size() > limit) {
    const std::string trunc = "\n\n~~~~ TRUNCATED ~~~~\n";
    out = out.substr(0, limit > trunc.size() ? limit - trunc.size() : 0) + trunc;
  }
  return out;
}

}  // namespace scx
