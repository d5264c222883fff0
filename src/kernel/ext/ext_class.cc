// The sched_ext class: enqueue, DSQs, balance/pick/put_prev/set_next, tick and task lifecycle
// (kernel/sched/ext.c). Kfuncs live in ext_kfuncs.cc, idle tracking and the default CPU
// selection in ext_idle.c, load/unload, bypass, watchdog and dump in ext_exit.cc.
#include "kernel/ext/ext_class.h"

#include <fmt/format.h>

#include "base/check.h"
#include "kernel/ext/ext_internal.h"
#include "kernel/fair/fair_class.h"
#include "kernel/fair/weights.h"
#include "kernel/kernel.h"

namespace scx {

Task* Dsq::first() const {
  for (Task* t : list)
    if (t) return t;
  return nullptr;
}

const char* scx_op_name(ScxOp op) {
  static const char* const kNames[] = {
      "select_cpu", "enqueue", "dequeue", "dispatch", "tick", "runnable", "running", "stopping",
      "quiescent", "yield", "core_sched_before", "set_weight", "set_cpumask", "update_idle",
      "cpu_acquire", "cpu_release", "init_task", "exit_task", "enable", "disable", "dump",
      "dump_cpu", "dump_task", "cgroup_init", "cgroup_exit", "cgroup_prep_move", "cgroup_move",
      "cgroup_cancel_move", "cgroup_set_weight", "cgroup_set_bandwidth", "cpu_online",
      "cpu_offline", "init", "exit"};
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == kScxOpCount);
  return kNames[static_cast<int>(op)];
}

ExtClass::ExtClass(Kernel& k) : SchedClass(ClassRank::Ext), k_(k), rqs_(k.nr_cpus()) {
  for (int cpu = 0; cpu < k_.nr_cpus(); ++cpu) {
    Dsq& d = rqs_[cpu].local;
    d.id = SCX_DSQ_LOCAL;
    d.kind = DsqKind::Local;
    d.cpu = cpu;
    d.node = k_.topo().cpu(cpu).node;
    rqs_[cpu].kview.cpu = cpu;
  }
  for (int node = 0; node < k_.topo().nr_nodes(); ++node) {
    auto d = std::make_unique<Dsq>();
    d->id = SCX_DSQ_GLOBAL;
    d->kind = DsqKind::Global;
    d->node = node;
    global_dsqs_.push_back(std::move(d));
  }
  copy_mask(k_.topo().all_cpus(), &possible_view_);
  copy_mask(k_.topo().all_cpus(), &online_view_);
  node_idle_views_.resize(2 * static_cast<size_t>(k_.topo().nr_nodes()));
}

ExtClass::~ExtClass() = default;

Task* ExtClass::task_of(task_struct* p) const { return Task::from_kernel(p); }

u64 ExtClass::jiffies() const { return now() / k_.cost().tick_ns(); }

u64 ExtClass::now() const { return static_cast<u64>(k_.now() + k_.uptime()); }

s32 ExtClass::this_cpu() const { return k_.this_cpu(); }

bool ExtClass::takes_policy(Policy policy) const {
  if (!taking_tasks_) return false;
  if (policy == Policy::Ext) return true;
  return switching_all_ && is_fair_policy(policy);
}

bool ExtClass::scx_task_enabled(const Task& p) const {
  return task_scx_state(p) == SCX_TASK_ENABLED;
}

int ExtClass::nr_queued(const Rq& rq) const { return rqs_[rq.cpu].nr_running; }
int ExtClass::nr_runnable_here(const Rq& rq) const { return static_cast<int>(rqs_[rq.cpu].local.nr); }

void ExtClass::sync_rq_view(int cpu) {
  ::rq& v = rqs_[cpu].kview;
  Rq& rq = k_.rq(cpu);
  v.cpu = cpu;
  v.nr_running = static_cast<unsigned>(rq.nr_running);
  v.curr = &rq.curr->kt();
  v.idle = &rq.idle->kt();
  v.clock = v.clock_task = now();
  if (const auto* fair = dynamic_cast<const FairClass*>(k_.fair_class())) {
    const FairClass::PeltClock pelt = fair->pelt_clock(cpu);
    v.clock_pelt = pelt.clock_pelt + static_cast<u64>(k_.uptime());
    v.lost_idle_time = pelt.lost_idle_time;
  } else {
    v.clock_pelt = v.clock_task;
  }
  v.scx.nr_running = static_cast<u32>(rqs_[cpu].nr_running);
  v.scx.ops_qseq = rqs_[cpu].ops_qseq;
  v.scx.cpuperf_target = rqs_[cpu].cpuperf_target;
  v.scx.cpu_released = rqs_[cpu].cpu_released;
}

// ---------------------------------------------------------------------------------------------
// Runnable list and slice accounting.

void ExtClass::set_task_runnable(Rq& rq, Task& p) {
  if (p.kt().scx.flags & SCX_TASK_RESET_RUNNABLE_AT) {
    p.kt().scx.runnable_at = jiffies();
    p.kt().scx.flags &= ~SCX_TASK_RESET_RUNNABLE_AT;
  }
  ScxRq& srq = rqs_[rq.cpu];
  SCX_CHECK(!p.ext.on_runnable_list);
  p.ext.runnable_pos = srq.runnable_list.insert(srq.runnable_list.end(), &p);
  p.ext.on_runnable_list = true;
  p.ext.runnable_cpu = rq.cpu;
}

void ExtClass::clr_task_runnable(Task& p, bool reset_runnable_at) {
  if (p.ext.on_runnable_list) {
    rqs_[p.ext.runnable_cpu].runnable_list.erase(p.ext.runnable_pos);
    p.ext.on_runnable_list = false;
  }
  if (reset_runnable_at) p.kt().scx.flags |= SCX_TASK_RESET_RUNNABLE_AT;
}

void ExtClass::update_curr_scx(Rq& rq) {
  Task& curr = *rq.curr;
  if (curr.sched_class != this) return;
  const Ns now = this->now();
  if (now > curr.kt().se.exec_start) {
    const Ns delta = now - curr.kt().se.exec_start;
    curr.kt().se.exec_start = now;
    if (curr.kt().scx.slice != SCX_SLICE_INF) curr.kt().scx.slice -= std::min<u64>(curr.kt().scx.slice, delta);
  }
  k_.update_curr_common(rq);
}

void ExtClass::update_curr(Rq& rq) { update_curr_scx(rq); }

// ---------------------------------------------------------------------------------------------
// Enqueue (§6).

void ExtClass::enqueue_task(Rq& rq, Task& p, int core_flags) {
  u64 enq_flags = static_cast<u64>(static_cast<unsigned>(core_flags)) | rqs_[rq.cpu].extra_enq_flags;
  int sticky_cpu = p.kt().scx.sticky_cpu;
  if (sticky_cpu >= 0) p.kt().scx.sticky_cpu = -1;
  // Restoring the running task: it goes straight back to the local DSQ (set_next follows).
  if ((core_flags & ENQUEUE_RESTORE) && rq.curr == &p) sticky_cpu = rq.cpu;
  if (p.kt().scx.flags & SCX_TASK_QUEUED) return;
  set_task_runnable(rq, p);
  p.kt().scx.flags |= SCX_TASK_QUEUED;
  ++rqs_[rq.cpu].nr_running;
  if (info_.has(ScxOp::Runnable) && !p.migrating) {
    OpScope op(*this, ScxOp::Runnable, SCX_KF_REST, &p.kt());
    ops_->runnable(&p.kt(), enq_flags);
  }
  do_enqueue_task(rq, p, enq_flags, sticky_cpu);
}

void ExtClass::do_enqueue_task(Rq& rq, Task& p, u64 enq_flags, int sticky_cpu) {
  auto refill_to = [&](Dsq& dsq) {
    p.kt().scx.slice = SCX_SLICE_DFL;
    ++events_.SCX_EV_REFILL_SLICE_DFL;
    clear_direct_dispatch(p);
    dispatch_enqueue(dsq, p, enq_flags);
  };
  if (sticky_cpu == rq.cpu) {  // internal migration or restore: keep the slice
    dispatch_enqueue(rqs_[rq.cpu].local, p, enq_flags);
    return;
  }
  if (bypassing()) {
    ++events_.SCX_EV_BYPASS_DISPATCH;
    return refill_to(global_dsq(rq.cpu));
  }
  if (p.kt().scx.ddsp_dsq_id != SCX_DSQ_INVALID) return direct_dispatch(p, enq_flags);
  if ((p.kt().flags & PF_EXITING) && !(info_.flags & SCX_OPS_ENQ_EXITING)) {
    ++events_.SCX_EV_ENQ_SKIP_EXITING;
    return refill_to(rqs_[rq.cpu].local);
  }
  if (!info_.has(ScxOp::Enqueue)) return refill_to(global_dsq(rq.cpu));

  // Hand the task to the BPF scheduler.
  const u64 qseq = rqs_[rq.cpu].ops_qseq++;
  set_ops_state(p, SCX_OPSS_QUEUEING, qseq);
  {
    DdspScope capture(*this, p);
    OpScope op(*this, ScxOp::Enqueue, SCX_KF_ENQUEUE, &p.kt());
    ops_->enqueue(&p.kt(), enq_flags);
  }
  if (p.kt().scx.ddsp_dsq_id != SCX_DSQ_INVALID) return direct_dispatch(p, enq_flags);
  set_ops_state(p, SCX_OPSS_QUEUED, qseq);  // owned by BPF until dispatched
}

void ExtClass::clear_direct_dispatch(Task& p) {
  p.kt().scx.ddsp_dsq_id = SCX_DSQ_INVALID;
  p.kt().scx.ddsp_enq_flags = 0;
}

void ExtClass::direct_dispatch(Task& p, u64 enq_flags) {
  Rq& rq = k_.rq(p.cpu);
  Dsq* dsq = find_dsq_for_dispatch(rq.cpu, p.kt().scx.ddsp_dsq_id, p);
  p.kt().scx.ddsp_enq_flags |= enq_flags;
  if (dsq->kind == DsqKind::Local && dsq->cpu != rq.cpu) {
    // A LOCAL_ON verdict for another CPU: finish it later (task_woken / end of balance), where
    // the remote rq can be locked.
    set_ops_state(p, SCX_OPSS_NONE, 0);
    rqs_[rq.cpu].ddsp_deferred_locals.push_back(&p);
    p.ext.deferred_local = true;
    return;
  }
  dispatch_enqueue(*dsq, p, p.kt().scx.ddsp_enq_flags | SCX_ENQ_CLEAR_OPSS);
}

void ExtClass::process_ddsp_deferred_locals(Rq& rq) {
  auto& list = rqs_[rq.cpu].ddsp_deferred_locals;
  while (!list.empty()) {
    Task* p = list.front();
    list.erase(list.begin());
    p->ext.deferred_local = false;
    Dsq* dsq = find_dsq_for_dispatch(rq.cpu, p->kt().scx.ddsp_dsq_id, *p);
    if (dsq->kind == DsqKind::Local) dispatch_to_local_dsq(rq, *dsq, *p, p->kt().scx.ddsp_enq_flags);
  }
}

void ExtClass::task_woken(Rq& rq, Task&) { process_ddsp_deferred_locals(rq); }

// ---------------------------------------------------------------------------------------------
// Dequeue.

void ExtClass::ops_dequeue(Task& p, u64 deq_flags) {
  clr_task_runnable(p, false);  // a dequeue is temporary: runnable_at is kept
  if (ops_state(p) == SCX_OPSS_QUEUED) {
    if (info_.has(ScxOp::Dequeue)) {
      OpScope op(*this, ScxOp::Dequeue, SCX_KF_REST, &p.kt());
      ops_->dequeue(&p.kt(), deq_flags);
    }
    set_ops_state(p, SCX_OPSS_NONE, 0);
  }
}

bool ExtClass::dequeue_task(Rq& rq, Task& p, int core_flags) {
  if (!(p.kt().scx.flags & SCX_TASK_QUEUED)) return true;
  const u64 deq_flags = static_cast<u64>(static_cast<unsigned>(core_flags));
  ops_dequeue(p, deq_flags);
  // A running task leaving the rq stops now, so that running/stopping pairs stay inside
  // runnable/quiescent ones.
  if (info_.has(ScxOp::Stopping) && rq.curr == &p) {
    update_curr_scx(rq);
    OpScope op(*this, ScxOp::Stopping, SCX_KF_REST, &p.kt());
    ops_->stopping(&p.kt(), false);
  }
  if (info_.has(ScxOp::Quiescent) && !p.migrating) {
    OpScope op(*this, ScxOp::Quiescent, SCX_KF_REST, &p.kt());
    ops_->quiescent(&p.kt(), deq_flags);
  }
  if (deq_flags & SCX_DEQ_SLEEP) p.kt().scx.flags |= SCX_TASK_DEQD_FOR_SLEEP;
  else p.kt().scx.flags &= ~SCX_TASK_DEQD_FOR_SLEEP;
  p.kt().scx.flags &= ~SCX_TASK_QUEUED;
  --rqs_[rq.cpu].nr_running;
  dispatch_dequeue(p);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Balance and pick (§8).

void ExtClass::pick_start(Rq& rq) {
  // Flags of an earlier cycle whose pick went to a higher class must not leak into this one.
  ScxRq& srq = rqs_[rq.cpu];
  srq.balanced = false;
  srq.bal_keep = false;
}

bool ExtClass::balance(Rq& rq, Task* prev) {
  ScxRq& srq = rqs_[rq.cpu];
  srq.balanced = true;
  if (!enabled() && !(prev && prev->sched_class == this)) {
    srq.bal_keep = false;
    return srq.local.nr > 0;
  }
  bool has = balance_one(rq, prev);
  process_ddsp_deferred_locals(rq);
  return has;
}

bool ExtClass::balance_one(Rq& rq, Task* prev) {
  ScxRq& srq = rqs_[rq.cpu];
  const bool prev_on_scx = prev && prev->sched_class == this;
  srq.in_balance = true;
  srq.bal_keep = false;
  struct Done {
    ScxRq& s;
    ~Done() { s.in_balance = false; }
  } done{srq};

  if (srq.cpu_released && (info_.has(ScxOp::CpuAcquire) || info_.has(ScxOp::CpuRelease))) {
    if (info_.has(ScxOp::CpuAcquire)) {
      scx_cpu_acquire_args args{};
      OpScope op(*this, ScxOp::CpuAcquire, SCX_KF_REST);
      ops_->cpu_acquire(rq.cpu, &args);
    }
    srq.cpu_released = false;
  }
  const bool prev_queued = prev_on_scx && (prev->kt().scx.flags & SCX_TASK_QUEUED);
  if (prev_on_scx) {
    update_curr_scx(rq);
    // Keep running prev if it has slice left (unless bypassing: then every tick rotates).
    if (prev_queued && prev->kt().scx.slice && !bypassing()) {
      srq.bal_keep = true;
      return true;
    }
  }
  if (srq.local.nr) return true;
  if (consume_dispatch_q(rq, global_dsq(rq.cpu))) return true;
  if (!info_.has(ScxOp::Dispatch) || bypassing() || !enabled()) goto no_tasks;
  {
    int loops = SCX_DSP_MAX_LOOPS;
    do {
      srq.dsp_nr_tasks = 0;
      {
        OpScope op(*this, ScxOp::Dispatch, SCX_KF_DISPATCH, prev_on_scx ? &prev->kt() : nullptr);
        srq.dispatching = true;
        ops_->dispatch(rq.cpu, prev_on_scx ? &prev->kt() : nullptr);
        srq.dispatching = false;
      }
      flush_dispatch_buf(rq);
      if (prev_queued && prev->kt().scx.slice) {
        srq.bal_keep = true;
        return true;
      }
      if (srq.local.nr) return true;
      if (consume_dispatch_q(rq, global_dsq(rq.cpu))) return true;
      // The kernel breaks out after SCX_DSP_MAX_LOOPS rounds and kicks itself, so that a
      // dispatch that keeps producing work elsewhere cannot live-lock the CPU.
      if (--loops == 0) {
        kick_cpu_internal(rq.cpu, 0);
        break;
      }
    } while (srq.dsp_nr_tasks);
  }
no_tasks:
  // Nothing else: keep a runnable prev, unless ENQ_LAST asks to see it (bypass ignores that).
  if (prev_queued && (!(info_.flags & SCX_OPS_ENQ_LAST) || bypassing())) {
    srq.bal_keep = true;
    ++events_.SCX_EV_DISPATCH_KEEP_LAST;
    return true;
  }
  return false;
}

Task* ExtClass::pick_task(Rq& rq) {
  ScxRq& srq = rqs_[rq.cpu];
  Task* prev = rq.curr;
  if (!srq.balanced) {
    // pick without balance (a fair-class quirk of 6.12): keep a queued prev, else retry later.
    if (prev->sched_class == this && (prev->kt().scx.flags & SCX_TASK_QUEUED)) return prev;
    kick_cpu_internal(rq.cpu, SCX_KICK_IDLE);
    return nullptr;
  }
  srq.balanced = false;
  if (srq.bal_keep) {
    srq.bal_keep = false;
    SCX_CHECK(prev->sched_class == this && (prev->kt().scx.flags & SCX_TASK_QUEUED));
    if (!prev->kt().scx.slice) {
      prev->kt().scx.slice = SCX_SLICE_DFL;
      ++events_.SCX_EV_REFILL_SLICE_DFL;
    }
    return prev;
  }
  Task* p = srq.local.first();
  if (p && !p->kt().scx.slice) {
    log_once(fmt::format("sched_ext: {}[{}] has zero slice in pick_task_scx()", p->comm, p->pid));
    p->kt().scx.slice = SCX_SLICE_DFL;
    ++events_.SCX_EV_REFILL_SLICE_DFL;
  }
  return p;
}

void ExtClass::set_next_task(Rq& rq, Task& p, bool) {
  if (p.kt().scx.flags & SCX_TASK_QUEUED) {
    ops_dequeue(p, SCX_DEQ_CORE_SCHED_EXEC);  // calls ops.dequeue only for a BPF-owned task
    dispatch_dequeue(p);
  }
  p.kt().se.exec_start = now();
  if (info_.has(ScxOp::Running) && (p.kt().scx.flags & SCX_TASK_QUEUED)) {
    OpScope op(*this, ScxOp::Running, SCX_KF_REST, &p.kt());
    ops_->running(&p.kt());
  }
  clr_task_runnable(p, true);
  (void)rq;
}

void ExtClass::put_prev_task(Rq& rq, Task& p, Task* next) {
  update_curr_scx(rq);
  if (p.kt().scx.flags & SCX_TASK_QUEUED) {
    if (info_.has(ScxOp::Stopping)) {
      OpScope op(*this, ScxOp::Stopping, SCX_KF_REST, &p.kt());
      ops_->stopping(&p.kt(), true);
    }
    set_task_runnable(rq, p);
    if (p.kt().scx.slice && !bypassing()) {
      // Preempted by a higher class (or a stopper): back to the head of the local DSQ.
      dispatch_enqueue(rqs_[rq.cpu].local, p, SCX_ENQ_HEAD);
    } else if (next && next->sched_class->rank() > ClassRank::Ext) {
      do_enqueue_task(rq, p, SCX_ENQ_LAST, -1);  // reachable only with SCX_OPS_ENQ_LAST
      // The follow-up event BPF must create: a task on this local DSQ reschedules the CPU that
      // is about to idle (the spec's rule; rq->curr is still prev here).
      if (rqs_[rq.cpu].local.nr) k_.resched_curr(rq);
    } else {
      do_enqueue_task(rq, p, 0, -1);
    }
  }
  if (next && next->sched_class != this) switch_class(rq, *next);
}

void ExtClass::switch_class(Rq& rq, Task& next) {
  ScxRq& srq = rqs_[rq.cpu];
  ++srq.pnt_seq;
  pnt_seq_advanced(rq.cpu);
  if (!info_.has(ScxOp::CpuAcquire) && !info_.has(ScxOp::CpuRelease)) return;
  // Going idle is the BPF scheduler's own choice: no release for lower classes.
  if (next.sched_class->rank() > ClassRank::Ext) return;
  if (!srq.cpu_released) {
    if (info_.has(ScxOp::CpuRelease)) {
      scx_cpu_release_args args{};
      switch (next.sched_class->rank()) {
        case ClassRank::Rt: args.reason = SCX_CPU_PREEMPT_RT; break;
        case ClassRank::Stop: args.reason = SCX_CPU_PREEMPT_STOP; break;
        default: args.reason = SCX_CPU_PREEMPT_UNKNOWN; break;
      }
      args.task = &next.kt();
      OpScope op(*this, ScxOp::CpuRelease, SCX_KF_CPU_RELEASE);
      ops_->cpu_release(rq.cpu, &args);
    }
    srq.cpu_released = true;
  }
}

void ExtClass::switching(Rq&, Task&, Task&) {}

// ---------------------------------------------------------------------------------------------
// Wakeup placement, tick, yield.

int ExtClass::select_task_rq(Task& p, int prev_cpu, int wake_flags) {
  if (wake_flags & WF_EXEC) return prev_cpu;
  if (info_.has(ScxOp::SelectCpu) && !bypassing()) {
    s32 cpu;
    {
      DdspScope capture(*this, p);
      OpScope op(*this, ScxOp::SelectCpu, SCX_KF_ENQUEUE | SCX_KF_SELECT_CPU, &p.kt());
      cpu = ops_->select_cpu(&p.kt(), prev_cpu, static_cast<u64>(static_cast<unsigned>(wake_flags)));
    }
    if (!ops_cpu_valid(cpu, "from ops.select_cpu()")) return prev_cpu;
    // A CPU the task may not use: the core silently falls back (select_fallback_rq).
    if (!p.cpus_allowed.test(cpu)) ++events_.SCX_EV_SELECT_CPU_FALLBACK;
    return cpu;
  }
  bool found = false;
  s32 cpu = scx_select_cpu_dfl(p, prev_cpu, static_cast<u64>(static_cast<unsigned>(wake_flags)), &found);
  if (found) {
    p.kt().scx.slice = SCX_SLICE_DFL;
    ++events_.SCX_EV_REFILL_SLICE_DFL;
    p.kt().scx.ddsp_dsq_id = SCX_DSQ_LOCAL;
  }
  return cpu;
}

void ExtClass::task_tick(Rq& rq, Task& curr, bool) {
  update_curr_scx(rq);
  if (bypassing()) {
    curr.kt().scx.slice = 0;  // round-robin every tick while bypassing
  } else if (info_.has(ScxOp::Tick)) {
    OpScope op(*this, ScxOp::Tick, SCX_KF_REST, &curr.kt());
    ops_->tick(&curr.kt());
  }
  if (!curr.kt().scx.slice) k_.resched_curr(rq);
}

void ExtClass::tick_balance(Rq& rq) {
  (void)rq;
  // scx_tick(): the watchdog work must have checked in within the timeout.
  if (!enabled() || !watchdog_armed_) return;
  const Ns since = k_.now() - watchdog_last_check_;
  const Ns timeout_j = watchdog_timeout_ / k_.cost().tick_ns();
  if (k_.now() / k_.cost().tick_ns() > watchdog_last_check_ / k_.cost().tick_ns() + timeout_j) {
    const uint64_t ms = since / kNsPerMs;
    scx_error(SCX_EXIT_ERROR_STALL, 0,
              fmt::format("watchdog failed to check in for {}.{:03}s", ms / 1000, ms % 1000));
  }
}

void ExtClass::yield_task(Rq& rq) {
  Task& p = *rq.curr;
  if (info_.has(ScxOp::Yield)) {
    OpScope op(*this, ScxOp::Yield, SCX_KF_REST, &p.kt());
    ops_->yield(&p.kt(), nullptr);
  } else {
    p.kt().scx.slice = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Task lifecycle (§5.1).

int ExtClass::init_task_op(Task& p, bool fork) {
  p.kt().scx.sticky_cpu = -1;
  p.kt().scx.holding_cpu = -1;
  p.kt().scx.ddsp_dsq_id = SCX_DSQ_INVALID;
  p.kt().scx.slice = SCX_SLICE_DFL;
  p.kt().scx.flags |= SCX_TASK_RESET_RUNNABLE_AT;
  p.kt().scx.weight = scx_weight_of(p);
  p.kt().scx.disallow = false;
  int ret = 0;
  if (info_.has(ScxOp::InitTask)) {
    scx_init_task_args args{};
    args.fork = fork;
    args.cgroup = task_cgroup_of(p).kernel_cgroup();
    OpScope op(*this, ScxOp::InitTask, SCX_KF_SLEEPABLE);
    ret = ops_->init_task(&p.kt(), &args);
  }
  if (ret) {
    if (ret > 0 || ret < -4095) ret = -71;  // not an errno: -EPROTO
    scx_error(SCX_EXIT_ERROR, 0, fmt::format("ops.init_task() failed ({}) for {}[{}]", ret, p.comm, p.pid));
    return ret;
  }
  set_task_scx_state(p, SCX_TASK_INIT);
  if (p.kt().scx.disallow) {
    if (fork) {
      scx_error(SCX_EXIT_ERROR, 0, fmt::format("ops.init_task() set task->scx.disallow for {}[{}] during fork", p.comm, p.pid));
    } else if (p.policy == Policy::Ext) {
      // Only SCHED_EXT tasks can be kept out; they fall back to SCHED_NORMAL.
      p.policy = Policy::Normal;
      p.sync_kernel_view();
      ++nr_rejected_;
    }
  }
  set_task_scx_state(p, SCX_TASK_READY);
  return 0;
}

void ExtClass::enable_task(Task& p) {
  p.kt().scx.weight = scx_weight_of(p);
  if (info_.has(ScxOp::Enable)) {
    OpScope op(*this, ScxOp::Enable, SCX_KF_REST, &p.kt());
    ops_->enable(&p.kt());
  }
  set_task_scx_state(p, SCX_TASK_ENABLED);
  if (info_.has(ScxOp::SetWeight)) {
    OpScope op(*this, ScxOp::SetWeight, SCX_KF_REST, &p.kt());
    ops_->set_weight(&p.kt(), p.kt().scx.weight);
  }
}

void ExtClass::disable_task(Task& p) {
  if (task_scx_state(p) != SCX_TASK_ENABLED) return;
  if (info_.has(ScxOp::Disable)) {
    OpScope op(*this, ScxOp::Disable, SCX_KF_REST, &p.kt());
    ops_->disable(&p.kt());
  }
  set_task_scx_state(p, SCX_TASK_READY);
}

void ExtClass::exit_task_op(Task& p, bool cancelled) {
  const int st = task_scx_state(p);
  if (st == SCX_TASK_NONE) return;
  if (st == SCX_TASK_ENABLED) disable_task(p);
  if (info_.has(ScxOp::ExitTask)) {
    scx_exit_task_args args{};
    args.cancelled = cancelled;
    OpScope op(*this, ScxOp::ExitTask, SCX_KF_REST, &p.kt());
    ops_->exit_task(&p.kt(), &args);
  }
  ops_->task_released(&p.kt());
  set_task_scx_state(p, SCX_TASK_NONE);
}

u32 ExtClass::scx_weight_of(const Task& p) const {
  const uint32_t w = p.policy == Policy::Idle ? fair::kWeightIdlePrio : fair::nice_to_weight(p.nice);
  return fair::scx_weight_from_weight(w);
}

u32 ExtClass::dispatch_max_batch() const {
  return info_.dispatch_max_batch ? info_.dispatch_max_batch : static_cast<u32>(SCX_DSP_DFL_MAX_BATCH);
}

void ExtClass::task_new(Task& p) {
  if (!ops_ || !enabled() || p.is_idle_task()) return;
  if (init_task_op(p, true) != 0) return;
  if (p.sched_class == this) enable_task(p);
}

void ExtClass::task_gone(Task& p) {
  if (!ops_) return;
  exit_task_op(p, false);
}

void ExtClass::task_fork(Task&) {}
void ExtClass::task_dead(Task&) {}

void ExtClass::switching_to(Rq&, Task& p) {
  if (!ops_) return;
  if (task_scx_state(p) == SCX_TASK_READY) enable_task(p);
  if (info_.has(ScxOp::SetCpumask)) {
    OpScope op(*this, ScxOp::SetCpumask, SCX_KF_REST, &p.kt());
    ops_->set_cpumask(&p.kt(), p.kt().cpus_ptr);
  }
}

void ExtClass::switched_to(Rq&, Task&) {}

void ExtClass::switched_from(Rq&, Task& p) {
  if (ops_ && enable_state_ != SCX_OPS_DISABLING) disable_task(p);
}

// reweight_task_scx(); prio_changed_scx() does nothing.
void ExtClass::reweight_task(Rq&, Task& p) { refresh_weight(p); }

void ExtClass::refresh_weight(Task& p) {
  const u32 w = scx_weight_of(p);
  if (w == p.kt().scx.weight) return;
  p.kt().scx.weight = w;
  if (scx_task_enabled(p) && info_.has(ScxOp::SetWeight)) {
    OpScope op(*this, ScxOp::SetWeight, SCX_KF_REST, &p.kt());
    ops_->set_weight(&p.kt(), w);
  }
}

void ExtClass::set_cpus_allowed(Task& p, const CpuMask&) {
  if (scx_task_enabled(p) && info_.has(ScxOp::SetCpumask)) {
    OpScope op(*this, ScxOp::SetCpumask, SCX_KF_REST, &p.kt());
    ops_->set_cpumask(&p.kt(), p.kt().cpus_ptr);
  }
}

}  // namespace scx
