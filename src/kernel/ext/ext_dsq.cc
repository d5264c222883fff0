// Dispatch queues and moving tasks between them (§7, §8.2, §8.4 of the spec).
#include <fmt/format.h>

#include "base/check.h"
#include "kernel/ext/ext_class.h"
#include "kernel/ext/ext_internal.h"
#include "kernel/kernel.h"
#include "trace/trace.h"

namespace scx {

Dsq& ExtClass::global_dsq(int cpu) { return *global_dsqs_[k_.topo().cpu(cpu).node]; }

Dsq* ExtClass::find_user_dsq(u64 dsq_id) {
  auto it = user_dsqs_.find(dsq_id);
  return it == user_dsqs_.end() ? nullptr : it->second.get();
}

bool ExtClass::ops_cpu_valid(s32 cpu, const char* where) {
  if (cpu >= 0 && cpu < k_.nr_cpus()) return true;
  scx_error(SCX_EXIT_ERROR, 0, fmt::format("invalid CPU {}{}{}", cpu, where ? " " : "", where ? where : ""));
  return false;
}

std::string ExtClass::local_on_not_allowed(int cpu, const Task& p) const {
  // 6.14's "sched_ext: Fix incorrect assumption about migration disabled tasks in
  // task_can_run_on_remote_rq()" reworded it (6.12.y has the new wording too).
  if (k_.kernel_version() >= KernelVersion::V6_18)
    return fmt::format("SCX_DSQ_LOCAL[_ON] target CPU {} not allowed for {}[{}]", cpu, p.comm, p.pid);
  return fmt::format("SCX_DSQ_LOCAL[_ON] verdict target cpu {} not allowed for {}[{}]", cpu, p.comm, p.pid);
}

// find_dsq_for_dispatch(): `cpu` is the CPU doing the operation (the dispatching CPU, or the
// task's rq in the enqueue path).
Dsq* ExtClass::find_dsq_for_dispatch(int cpu, u64 dsq_id, Task& p) {
  if (dsq_id == SCX_DSQ_LOCAL) return &rqs_[cpu].local;
  if ((dsq_id & SCX_DSQ_LOCAL_ON) == SCX_DSQ_LOCAL_ON) {
    const s32 target = static_cast<s32>(dsq_id & SCX_DSQ_LOCAL_CPU_MASK);
    if (!ops_cpu_valid(target, "in SCX_DSQ_LOCAL_ON dispatch verdict")) return &global_dsq(p.cpu);
    return &rqs_[target].local;
  }
  Dsq* dsq = dsq_id == SCX_DSQ_GLOBAL ? &global_dsq(p.cpu) : find_user_dsq(dsq_id);
  if (!dsq) {
    scx_error(SCX_EXIT_ERROR, 0, fmt::format("non-existent DSQ 0x{:x} for {}[{}]", dsq_id, p.comm, p.pid));
    return &global_dsq(p.cpu);
  }
  return dsq;
}

namespace {

// Where p (already in dsq.priq) goes in a vtime DSQ's list: right after the task before it in
// vtime order, or at the head, as the kernel links it after rb_prev(). That is where a scan
// from the tail for the last task whose vtime is not after p's lands too (cursors included),
// which is what a mixed list still gets.
std::list<Task*>::iterator priq_list_pos(Dsq& dsq, const Task& p) {
  if (dsq.priq_mixed) {
    auto pos = dsq.list.end();
    while (pos != dsq.list.begin()) {
      auto prev = std::prev(pos);
      Task* t = *prev;
      if (t && static_cast<s64>(t->kt().scx.dsq_vtime - p.kt().scx.dsq_vtime) <= 0) break;
      pos = prev;
    }
    return pos;
  }
  if (p.ext.priq_pos == dsq.priq.begin()) return dsq.list.begin();
  return std::next(std::prev(p.ext.priq_pos)->task->ext.dsq_pos);
}

}  // namespace

void ExtClass::dispatch_enqueue(Dsq& target, Task& p, u64 enq_flags) {
  SCX_CHECK_MSG(!p.ext.dsq, fmt::format("{}[{}] is already on a DSQ", p.comm, p.pid));
  Dsq* dsq = &target;
  if (dsq->kind == DsqKind::User && dsq->destroyed) {
    scx_error(SCX_EXIT_ERROR, 0, fmt::format("attempting to dispatch to a destroyed dsq"));
    dsq = &global_dsq(p.cpu);
  }
  if ((enq_flags & SCX_ENQ_DSQ_PRIQ) && dsq->builtin()) {
    scx_error(SCX_EXIT_ERROR, 0, "cannot use vtime ordering for built-in DSQs");
    enq_flags &= ~static_cast<u64>(SCX_ENQ_DSQ_PRIQ);
  }
  if (enq_flags & SCX_ENQ_DSQ_PRIQ) {
    if (!dsq->nr_priq && dsq->nr) {
      scx_error(SCX_EXIT_ERROR, 0, fmt::format("DSQ ID 0x{:016x} already had FIFO-enqueued tasks", dsq->id));
      dsq->priq_mixed = true;
    }
    p.kt().scx.dsq_flags |= SCX_TASK_DSQ_ON_PRIQ;
    ++dsq->nr_priq;
    p.ext.priq_pos = dsq->priq.insert(PriqEntry{p.kt().scx.dsq_vtime, &p});
    p.ext.dsq_pos = dsq->list.insert(priq_list_pos(*dsq, p), &p);
  } else {
    if (dsq->nr_priq) {
      scx_error(SCX_EXIT_ERROR, 0, fmt::format("DSQ ID 0x{:016x} already had PRIQ-enqueued tasks", dsq->id));
      dsq->priq_mixed = true;
    }
    if (enq_flags & (SCX_ENQ_HEAD | SCX_ENQ_PREEMPT)) p.ext.dsq_pos = dsq->list.insert(dsq->list.begin(), &p);
    else p.ext.dsq_pos = dsq->list.insert(dsq->list.end(), &p);
  }
  ++dsq->seq;
  p.kt().scx.dsq_seq = dsq->seq;
  ++dsq->nr;
  dsq->sync_view();
  trace_dsq(TraceType::ScxDsqInsert, *dsq, p);
  p.ext.dsq = dsq;
  p.kt().scx.dsq = &dsq->kview;
  clear_direct_dispatch(p);
  if (enq_flags & SCX_ENQ_CLEAR_OPSS) set_ops_state(p, SCX_OPSS_NONE, 0);
  if (dsq->kind == DsqKind::Local) local_dsq_post_enq(*dsq, p, enq_flags);
}

void ExtClass::local_dsq_post_enq(Dsq& dsq, Task& p, u64 enq_flags) {
  Rq& rq = k_.rq(dsq.cpu);
  bool preempt = false;
  if ((enq_flags & SCX_ENQ_PREEMPT) && rq.curr != &p && rq.curr->sched_class == this) {
    rq.curr->kt().scx.slice = 0;
    preempt = true;
  }
  if (preempt || rq.curr->sched_class->rank() > ClassRank::Ext) k_.resched_curr(rq);
}

// Takes p off its DSQ (keeping bookkeeping of nr/priq) without re-inserting it.
void ExtClass::unlink_task_from_dsq(Task& p) {
  Dsq* dsq = p.ext.dsq;
  dsq->list.erase(p.ext.dsq_pos);
  --dsq->nr;
  if (!dsq->nr) dsq->priq_mixed = false;
  if (p.kt().scx.dsq_flags & SCX_TASK_DSQ_ON_PRIQ) {
    dsq->priq.erase(p.ext.priq_pos);
    --dsq->nr_priq;
    p.kt().scx.dsq_flags &= ~static_cast<u32>(SCX_TASK_DSQ_ON_PRIQ);
  }
  dsq->sync_view();
  trace_dsq(TraceType::ScxDsqRemove, *dsq, p);
  p.ext.dsq = nullptr;
  p.kt().scx.dsq = nullptr;
}

void ExtClass::dispatch_dequeue(Task& p) {
  if (!p.ext.dsq) {
    // A parked LOCAL_ON verdict is cancelled by unlinking it.
    if (p.ext.deferred_local) {
      auto& list = rqs_[p.cpu].ddsp_deferred_locals;
      list.erase(std::find(list.begin(), list.end(), &p));
      p.ext.deferred_local = false;
    }
    p.kt().scx.holding_cpu = -1;
    return;
  }
  unlink_task_from_dsq(p);
}

// move_local_task_to_local_dsq(): p is on rq already; no seq bump and no resched (the rq is
// balancing).
void ExtClass::trace_dsq(TraceType type, const Dsq& dsq, const Task& p) {
  TraceBus& bus = k_.trace();
  if (!bus.active()) return;
  TraceEvent e;
  e.time = k_.now();
  e.type = type;
  e.cpu = k_.this_cpu();
  e.pid = p.pid;
  // Local DSQs are told apart by CPU, as scxtop names them.
  e.value = static_cast<int64_t>(dsq.kind == DsqKind::Local ? (SCX_DSQ_LOCAL_ON | static_cast<u64>(dsq.cpu)) : dsq.id);
  e.arg = static_cast<int32_t>(dsq.nr);
  bus.emit(e);
}

void ExtClass::append_to_local(Dsq& local, Task& p, u64 enq_flags) {
  if (enq_flags & (SCX_ENQ_HEAD | SCX_ENQ_PREEMPT)) p.ext.dsq_pos = local.list.insert(local.list.begin(), &p);
  else p.ext.dsq_pos = local.list.insert(local.list.end(), &p);
  ++local.nr;
  local.sync_view();
  p.ext.dsq = &local;
  p.kt().scx.dsq = &local.kview;
  trace_dsq(TraceType::ScxDsqInsert, local, p);
}

// move_remote_task_to_local_dsq(): migrate p (queued, not running) to dst's local DSQ through
// a deactivate/activate pair marked with sticky_cpu, so that no BPF callbacks fire.
void ExtClass::move_task_to_local_dsq(Task& p, u64 enq_flags, Rq&, Rq& dst) {
  p.kt().scx.sticky_cpu = dst.cpu;
  rqs_[dst.cpu].extra_enq_flags = enq_flags;
  k_.move_task_locked(p, dst.cpu);
  rqs_[dst.cpu].extra_enq_flags = 0;
}

static bool task_can_run_on(const Task& p, int cpu) { return p.cpus_allowed.test(cpu); }

bool ExtClass::consume_dispatch_q(Rq& rq, Dsq& dsq) {
  if (!dsq.nr) return false;
  for (auto it = dsq.list.begin(); it != dsq.list.end(); ++it) {
    Task* p = *it;
    if (!p) continue;  // iterator cursor
    if (p->cpu == rq.cpu) {
      unlink_task_from_dsq(*p);
      append_to_local(rqs_[rq.cpu].local, *p, 0);
      return true;
    }
    if (task_can_run_on(*p, rq.cpu)) {
      unlink_task_from_dsq(*p);
      move_task_to_local_dsq(*p, 0, k_.rq(p->cpu), rq);
      return true;
    }
  }
  return false;
}

void ExtClass::dispatch_to_local_dsq(Rq& rq, Dsq& dst_dsq, Task& p, u64 enq_flags) {
  Rq& src = k_.rq(p.cpu);
  Rq& dst = k_.rq(dst_dsq.cpu);
  if (&rq == &src && &rq == &dst) {
    dispatch_enqueue(dst_dsq, p, enq_flags | SCX_ENQ_CLEAR_OPSS);
    return;
  }
  if (!task_can_run_on(p, dst.cpu)) {
    scx_error(SCX_EXIT_ERROR, 0, local_on_not_allowed(dst.cpu, p));
    dispatch_enqueue(global_dsq(p.cpu), p, enq_flags | SCX_ENQ_CLEAR_OPSS);
    return;
  }
  set_ops_state(p, SCX_OPSS_NONE, 0);
  if (&src == &dst) {
    dispatch_enqueue(dst.cpu == rq.cpu ? rqs_[rq.cpu].local : rqs_[dst.cpu].local, p, enq_flags);
  } else {
    move_task_to_local_dsq(p, enq_flags, src, dst);
  }
  // Wake the destination if it runs something below ext (idle).
  if (dst.curr->sched_class->rank() > ClassRank::Ext) k_.resched_curr(dst);
}

void ExtClass::finish_dispatch(Rq& rq, Task& p, u64 qseq_at_dispatch, u64 dsq_id, u64 enq_flags) {
  // Honoured only if the task is still owned by BPF with the same qseq; stale or spurious
  // dispatches are dropped silently.
  if (ops_state(p) != SCX_OPSS_QUEUED || ops_qseq(p) != qseq_at_dispatch) return;
  set_ops_state(p, SCX_OPSS_DISPATCHING, qseq_at_dispatch);
  SCX_CHECK(p.kt().scx.flags & SCX_TASK_QUEUED);
  Dsq* dsq = find_dsq_for_dispatch(rq.cpu, dsq_id, p);
  if (dsq->kind == DsqKind::Local) dispatch_to_local_dsq(rq, *dsq, p, enq_flags);
  else dispatch_enqueue(*dsq, p, enq_flags | SCX_ENQ_CLEAR_OPSS);
}

void ExtClass::flush_dispatch_buf(Rq& rq) {
  ScxRq& srq = rqs_[rq.cpu];
  // Entries can add more entries only through callbacks that do not dispatch, so a copy of the
  // buffer is not needed; but be safe against reentrancy.
  std::vector<DspEntry> buf;
  buf.swap(srq.dsp_buf);
  for (const DspEntry& e : buf) finish_dispatch(rq, *e.p, e.qseq, e.dsq_id, e.enq_flags);
  srq.dsp_nr_tasks += static_cast<int>(buf.size());
}

}  // namespace scx
