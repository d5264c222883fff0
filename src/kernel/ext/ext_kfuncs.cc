// The sched_ext kfuncs (§15) with the kernel's argument and context checks: a misuse the kernel
// would reject is an error exit (scx_error) and a neutral return value, never a crash.
#include <algorithm>
#include <bit>
#include <cstring>

#include <fmt/format.h>

#include "kernel/ext/ext_class.h"
#include "kernel/ext/ext_internal.h"
#include "kernel/kernel.h"

namespace scx {
namespace {

constexpr int kENOENT = 2, kEINVAL = 22, kEEXIST = 17, kEBUSY = 16;
constexpr u64 kIterMagic = 0x5343584954455231ULL;  // "SCXITER1"
constexpr u64 kIterRev = 1ULL << 16;               // SCX_DSQ_ITER_REV

// The index of the highest set bit, -1 for 0 (the kernel's fls() - 1). Runs on every kfunc
// call, hence one instruction rather than a loop over the 32 bits.
constexpr int highest_bit(u32 mask) { return static_cast<int>(std::bit_width(mask)) - 1; }

}  // namespace

bool ExtClass::kf_allowed(u32 mask, const char* kfunc) {
  if (!(kf_.mask & mask)) {
    (void)kfunc;
    scx_error(SCX_EXIT_ERROR, 0, fmt::format("kfunc with mask 0x{:x} called from an operation only allowing 0x{:x}",
                                             mask, kf_.mask));
    return false;
  }
  // Nesting boundaries: a dispatch (cpu_release) kfunc may not run in an op nested inside one.
  const u32 higher_than_release = ~((1u << (highest_bit(SCX_KF_CPU_RELEASE) + 1)) - 1);
  const u32 higher_than_dispatch = ~((1u << (highest_bit(SCX_KF_DISPATCH) + 1)) - 1);
  if (highest_bit(mask) == highest_bit(SCX_KF_CPU_RELEASE) && (kf_.mask & higher_than_release)) {
    scx_error(SCX_EXIT_ERROR, 0, "cpu_release kfunc called from a nested operation");
    return false;
  }
  if (highest_bit(mask) == highest_bit(SCX_KF_DISPATCH) && (kf_.mask & higher_than_dispatch)) {
    scx_error(SCX_EXIT_ERROR, 0, "dispatch kfunc called from a nested operation");
    return false;
  }
  return true;
}

// scx_kf_allow(): ops nest only in increasing mask order (ops.enqueue inside ops.cpu_release,
// an op of the REST group inside ops.dispatch); the kernel warns once about any other nesting
// and goes on. Unlocked ops (mask 0) leave the context alone.
void ExtClass::check_op_nesting(u32 mask) {
  if (!mask) return;
  const int top = highest_bit(mask);
  const u32 higher = top >= 31 ? 0u : ~((1u << (top + 1)) - 1);
  if ((mask | higher) & kf_.mask)
    log_once(fmt::format("sched_ext: invalid nesting current->scx.kf_mask=0x{:x} mask=0x{:x}",
                         kf_.mask, mask));
}

// --- Inserting and moving -------------------------------------------------------------------

void ExtClass::set_task_slice_on_insert(Task& p, u64 slice) {
  if (slice) p.kt().scx.slice = slice;
  else if (!p.kt().scx.slice) p.kt().scx.slice = 1;  // 0 keeps the slice, but never leaves it at 0
}

void ExtClass::mark_direct_dispatch(Task& ddsp_task, Task& p, u64 dsq_id, u64 enq_flags) {
  const bool already = ddsp_done_;
  ddsp_done_ = true;
  if (&p != &ddsp_task || already) {
    if (already && &p == &ddsp_task)
      scx_error(SCX_EXIT_ERROR, 0, fmt::format("{}[{}] already direct-dispatched", p.comm, p.pid));
    else
      scx_error(SCX_EXIT_ERROR, 0, fmt::format("scheduling for {}[{}] but trying to direct-dispatch {}[{}]",
                                               ddsp_task.comm, ddsp_task.pid, p.comm, p.pid));
    return;
  }
  p.kt().scx.ddsp_dsq_id = dsq_id;
  p.kt().scx.ddsp_enq_flags = enq_flags;
}

// scx_dsq_insert_commit(): a direct-dispatch verdict inside select_cpu/enqueue, otherwise an
// entry of this CPU's dispatch buffer (ops.dispatch), validated when the buffer is flushed.
void ExtClass::insert_commit(Task& p, u64 dsq_id, u64 enq_flags) {
  if (ddsp_task_) return mark_direct_dispatch(*ddsp_task_, p, dsq_id, enq_flags);
  ScxRq& srq = rqs_[this_cpu()];
  if (srq.dsp_buf.size() >= dispatch_max_batch()) {
    scx_error(SCX_EXIT_ERROR, 0, "dispatch buffer overflow");
    return;
  }
  srq.dsp_buf.push_back({&p, ops_qseq(p), dsq_id, enq_flags});
}

static bool insert_preamble(ExtClass& e, bool allowed, task_struct* p, u64 enq_flags) {
  if (!allowed) return false;
  if (!p) {
    e.error_bstr("called with NULL task");
    return false;
  }
  if (enq_flags & __SCX_ENQ_INTERNAL_MASK) {
    e.error_bstr(fmt::format("invalid enq_flags 0x{:x}", enq_flags));
    return false;
  }
  return true;
}

void ExtClass::dsq_insert(task_struct* kp, u64 dsq_id, u64 slice, u64 enq_flags) {
  if (!insert_preamble(*this, kf_allowed(SCX_KF_ENQUEUE | SCX_KF_DISPATCH, "scx_bpf_dsq_insert"), kp, enq_flags)) return;
  Task& p = *task_of(kp);
  set_task_slice_on_insert(p, slice);
  insert_commit(p, dsq_id, enq_flags);
}

void ExtClass::dsq_insert_vtime(task_struct* kp, u64 dsq_id, u64 slice, u64 vtime, u64 enq_flags) {
  if (!insert_preamble(*this, kf_allowed(SCX_KF_ENQUEUE | SCX_KF_DISPATCH, "scx_bpf_dsq_insert_vtime"), kp, enq_flags)) return;
  Task& p = *task_of(kp);
  set_task_slice_on_insert(p, slice);
  p.kt().scx.dsq_vtime = vtime;
  enq_flags |= SCX_ENQ_DSQ_PRIQ;
  insert_commit(p, dsq_id, enq_flags);
}

u32 ExtClass::dispatch_nr_slots() {
  if (!kf_allowed(SCX_KF_DISPATCH, "scx_bpf_dispatch_nr_slots")) return 0;
  const u32 max_batch = dispatch_max_batch();
  return max_batch - static_cast<u32>(rqs_[this_cpu()].dsp_buf.size());
}

void ExtClass::dispatch_cancel() {
  if (!kf_allowed(SCX_KF_DISPATCH, "scx_bpf_dispatch_cancel")) return;
  auto& buf = rqs_[this_cpu()].dsp_buf;
  if (buf.empty()) {
    scx_error(SCX_EXIT_ERROR, 0, "dispatch buffer underflow");
    return;
  }
  buf.pop_back();
}

bool ExtClass::dsq_move_to_local(u64 dsq_id) {
  if (!kf_allowed(SCX_KF_DISPATCH, "scx_bpf_dsq_move_to_local")) return false;
  Rq& rq = k_.rq(this_cpu());
  flush_dispatch_buf(rq);
  Dsq* dsq = find_user_dsq(dsq_id);
  if (!dsq) {
    scx_error(SCX_EXIT_ERROR, 0, fmt::format("invalid DSQ ID 0x{:016x}", dsq_id));
    return false;
  }
  if (consume_dispatch_q(rq, *dsq)) {
    ++rqs_[rq.cpu].dsp_nr_tasks;
    return true;
  }
  return false;
}

ExtClass::IterState* ExtClass::iter_of(bpf_iter_scx_dsq* it) {
  if (!it || it->__opaque[1] != kIterMagic || it->__opaque[0] == 0 || it->__opaque[0] > iters_.size())
    return nullptr;
  IterState& st = iters_[it->__opaque[0] - 1];
  return st.live ? &st : nullptr;
}

void ExtClass::dsq_move_set_slice(bpf_iter_scx_dsq* it, u64 slice) {
  if (IterState* st = iter_of(it)) st->slice = slice, st->has_slice = true;
}

void ExtClass::dsq_move_set_vtime(bpf_iter_scx_dsq* it, u64 vtime) {
  if (IterState* st = iter_of(it)) st->vtime = vtime, st->has_vtime = true;
}

bool ExtClass::move_from_iter(bpf_iter_scx_dsq* it, task_struct* kp, u64 dsq_id, u64 enq_flags, bool vtime) {
  if (kf_.mask != SCX_KF_UNLOCKED && !kf_allowed(SCX_KF_DISPATCH, "scx_bpf_dsq_move")) return false;
  IterState* st = iter_of(it);
  Task* pp = task_of(kp);
  if (!st || !pp) return false;
  Task& p = *pp;
  if (vtime) enq_flags |= SCX_ENQ_DSQ_PRIQ;
  const bool in_balance = rqs_[this_cpu()].in_balance;
  if (in_balance) flush_dispatch_buf(k_.rq(this_cpu()));
  bool moved = false;
  Dsq* src = st->dsq;
  // Did someone else get to it (left the DSQ, re-queued after the iterator began, or held)?
  if (p.ext.dsq == src && static_cast<s32>(p.kt().scx.dsq_seq - st->seq) <= 0 && p.kt().scx.holding_cpu < 0) {
    Dsq* dst = find_dsq_for_dispatch(this_cpu(), dsq_id, p);
    if (st->has_vtime) p.kt().scx.dsq_vtime = st->vtime;
    if (st->has_slice) p.kt().scx.slice = st->slice;
    Rq& src_rq = k_.rq(p.cpu);
    if (dst->kind == DsqKind::Local) {
      Rq& dst_rq = k_.rq(dst->cpu);
      if (&src_rq != &dst_rq && !p.cpus_allowed.test(dst_rq.cpu)) {
        scx_error(SCX_EXIT_ERROR, 0, local_on_not_allowed(dst_rq.cpu, p));
        unlink_task_from_dsq(p);
        dispatch_enqueue(global_dsq(p.cpu), p, enq_flags);
      } else if (&src_rq == &dst_rq) {
        unlink_task_from_dsq(p);
        dispatch_enqueue(*dst, p, enq_flags);
      } else {
        unlink_task_from_dsq(p);
        move_task_to_local_dsq(p, enq_flags, src_rq, dst_rq);
      }
    } else {
      unlink_task_from_dsq(p);
      dispatch_enqueue(*dst, p, enq_flags);
    }
    moved = true;
  }
  st->has_slice = st->has_vtime = false;
  return moved;
}

bool ExtClass::dsq_move(bpf_iter_scx_dsq* it, task_struct* p, u64 dsq_id, u64 enq_flags) {
  return move_from_iter(it, p, dsq_id, enq_flags, false);
}

bool ExtClass::dsq_move_vtime(bpf_iter_scx_dsq* it, task_struct* p, u64 dsq_id, u64 enq_flags) {
  return move_from_iter(it, p, dsq_id, enq_flags, true);
}

// 6.12 to 6.18: only from ops.cpu_release (not from an op nested in it). Every task of this
// CPU's local DSQ goes through the enqueue path again with SCX_ENQ_REENQ, so ops.enqueue runs
// nested inside ops.cpu_release. The kernel skips tasks with a migration pending; simulated
// migrations complete at once, so no task on a local DSQ has one.
u32 ExtClass::reenqueue_local() {
  if (!kf_allowed(SCX_KF_CPU_RELEASE, "scx_bpf_reenqueue_local")) return 0;
  Rq& rq = k_.rq(this_cpu());
  // Move the candidates aside first so tasks re-inserted into this local DSQ are not seen twice.
  std::vector<Task*> tasks;
  for (Task* p : rqs_[rq.cpu].local.list)
    if (p) tasks.push_back(p);
  for (Task* p : tasks) dispatch_dequeue(*p);
  for (Task* p : tasks) do_enqueue_task(rq, *p, SCX_ENQ_REENQ, -1);
  return static_cast<u32>(tasks.size());
}

// --- DSQ management -------------------------------------------------------------------------

s32 ExtClass::create_dsq(u64 dsq_id, s32 node) {
  if (!(kf_.mask == SCX_KF_UNLOCKED || (kf_.mask & SCX_KF_SLEEPABLE))) {
    scx_error(SCX_EXIT_ERROR, 0, fmt::format("kfunc with mask 0x{:x} called from an operation only allowing 0x{:x}",
                                             static_cast<u32>(SCX_KF_SLEEPABLE), kf_.mask));
    return -kEINVAL;
  }
  if (dsq_id & SCX_DSQ_FLAG_BUILTIN) return -kEINVAL;
  if (node >= k_.topo().nr_nodes() || (node < 0 && node != -1)) return -kEINVAL;
  if (user_dsqs_.count(dsq_id)) return -kEEXIST;
  auto d = std::make_unique<Dsq>();
  d->id = dsq_id;
  d->kind = DsqKind::User;
  d->node = node < 0 ? 0 : node;
  d->sync_view();
  user_dsqs_.emplace(dsq_id, std::move(d));
  return 0;
}

void ExtClass::destroy_dsq(u64 dsq_id) {
  auto it = user_dsqs_.find(dsq_id);
  if (it == user_dsqs_.end()) return;
  if (it->second->nr) {
    scx_error(SCX_EXIT_ERROR, 0, fmt::format("attempting to destroy in-use dsq 0x{:016x} (nr={})", dsq_id, it->second->nr));
    return;
  }
  it->second->destroyed = true;
  it->second->id = SCX_DSQ_INVALID;
  destroyed_dsqs_.push_back(std::move(it->second));  // freed at unload (RCU in the kernel)
  user_dsqs_.erase(it);
}

s32 ExtClass::dsq_nr_queued(u64 dsq_id) {
  if (dsq_id == SCX_DSQ_LOCAL) return static_cast<s32>(rqs_[this_cpu()].local.nr);
  if ((dsq_id & SCX_DSQ_LOCAL_ON) == SCX_DSQ_LOCAL_ON) {
    const s32 cpu = static_cast<s32>(dsq_id & SCX_DSQ_LOCAL_CPU_MASK);
    if (!ops_cpu_valid(cpu, nullptr)) return -kENOENT;
    return static_cast<s32>(rqs_[cpu].local.nr);
  }
  Dsq* d = find_user_dsq(dsq_id);
  return d ? static_cast<s32>(d->nr) : -kENOENT;
}

int ExtClass::iter_scx_dsq_new(bpf_iter_scx_dsq* it, u64 dsq_id, u64 flags) {
  if (!it) return -kEINVAL;
  it->__opaque[0] = 0;
  it->__opaque[1] = 0;
  if (flags & ~kIterRev) return -kEINVAL;
  Dsq* d = find_user_dsq(dsq_id);
  if (!d) return -kENOENT;
  size_t idx = 0;
  while (idx < iters_.size() && iters_[idx].live) ++idx;
  if (idx == iters_.size()) iters_.emplace_back();
  IterState& st = iters_[idx];
  st = IterState{};
  st.dsq = d;
  st.reverse = flags & kIterRev;
  st.seq = d->seq;
  st.live = true;
  st.cursor = d->list.end();  // not on the list yet
  st.on_list = false;
  it->__opaque[0] = idx + 1;
  it->__opaque[1] = kIterMagic;
  it->__opaque[2] = dsq_id;
  return 0;
}

task_struct* ExtClass::iter_scx_dsq_next(bpf_iter_scx_dsq* it) {
  IterState* st = iter_of(it);
  if (!st) return nullptr;
  auto& list = st->dsq->list;
  // Start after the cursor (or at the head/tail), skip other cursors and tasks queued after
  // the iterator began, then park the cursor right behind the task returned.
  std::list<Task*>::iterator pos;
  if (st->reverse) {
    auto end = st->on_list ? st->cursor : list.end();
    pos = list.end();
    for (auto i = end; i != list.begin();) {
      --i;
      if (*i && static_cast<s32>((*i)->kt().scx.dsq_seq - st->seq) <= 0) {
        pos = i;
        break;
      }
    }
  } else {
    auto i = st->on_list ? std::next(st->cursor) : list.begin();
    pos = list.end();
    for (; i != list.end(); ++i)
      if (*i && static_cast<s32>((*i)->kt().scx.dsq_seq - st->seq) <= 0) {
        pos = i;
        break;
      }
  }
  if (st->on_list) list.erase(st->cursor);
  st->on_list = false;
  if (pos == list.end()) return nullptr;
  Task* t = *pos;
  st->cursor = st->reverse ? list.insert(pos, nullptr) : list.insert(std::next(pos), nullptr);
  st->on_list = true;
  return &t->kt();
}

void ExtClass::iter_scx_dsq_destroy(bpf_iter_scx_dsq* it) {
  IterState* st = iter_of(it);
  if (!st) return;
  if (st->on_list) st->dsq->list.erase(st->cursor);
  st->live = false;
  it->__opaque[0] = 0;
  it->__opaque[1] = 0;
}

// --- CPUs -----------------------------------------------------------------------------------

void ExtClass::kick_cpu(s32 cpu, u64 flags) {
  if (!ops_cpu_valid(cpu, nullptr)) return;
  kick_cpu_internal(cpu, flags);
}

u32 ExtClass::cpuperf_cap(s32 cpu) {
  if (!ops_cpu_valid(cpu, nullptr)) return SCX_CPUPERF_ONE;
  return k_.topo().cpu(cpu).capacity;
}

// arch_scale_freq_capacity(): the simulated CPUs have no frequency scaling (as a kernel
// without frequency invariance, which reports SCHED_CAPACITY_SCALE), so always full scale.
u32 ExtClass::cpuperf_cur(s32 cpu) {
  if (!ops_cpu_valid(cpu, nullptr)) return SCX_CPUPERF_ONE;
  return SCX_CPUPERF_ONE;
}

void ExtClass::cpuperf_set(s32 cpu, u32 perf) {
  if (perf > SCX_CPUPERF_ONE) {
    scx_error(SCX_EXIT_ERROR, 0, fmt::format("Invalid cpuperf target {} for CPU {}", perf, cpu));
    return;
  }
  if (!ops_cpu_valid(cpu, nullptr)) return;
  // Recorded (rq->scx.cpuperf_target, readable by programs); with no cpufreq governor to
  // consume it, the simulated CPUs keep running at their fixed frequency.
  rqs_[cpu].cpuperf_target = perf;
}

void ExtClass::events(scx_event_stats* out, size_t size) const {
  std::memcpy(out, &events_, std::min(size, sizeof(events_)));
}

// The counters reports print. SCX_EV_DISPATCH_LOCAL_DSQ_OFFLINE (a CPU going offline) and
// SCX_EV_ENQ_SKIP_MIGRATION_DISABLED (migrate_disable()) cannot move in the simulation (no CPU
// hotplug, nothing disables migration): programs still read them as 0 from scx_bpf_events(),
// reports leave them out (docs/sched_ext.md, "Known differences").
std::vector<std::pair<const char*, s64>> ExtClass::event_counters() const {
  const scx_event_stats& e = events_;
  return {{"SCX_EV_SELECT_CPU_FALLBACK", e.SCX_EV_SELECT_CPU_FALLBACK},
          {"SCX_EV_DISPATCH_KEEP_LAST", e.SCX_EV_DISPATCH_KEEP_LAST},
          {"SCX_EV_ENQ_SKIP_EXITING", e.SCX_EV_ENQ_SKIP_EXITING},
          {"SCX_EV_REFILL_SLICE_DFL", e.SCX_EV_REFILL_SLICE_DFL},
          {"SCX_EV_BYPASS_DURATION", e.SCX_EV_BYPASS_DURATION},
          {"SCX_EV_BYPASS_DISPATCH", e.SCX_EV_BYPASS_DISPATCH},
          {"SCX_EV_BYPASS_ACTIVATE", e.SCX_EV_BYPASS_ACTIVATE}};
}

u32 ExtClass::nr_cpu_ids() const { return static_cast<u32>(k_.nr_cpus()); }
u32 ExtClass::nr_node_ids() const { return static_cast<u32>(k_.topo().nr_nodes()); }
s32 ExtClass::cpu_node(s32 cpu) {
  if (!ops_cpu_valid(cpu, nullptr)) return -1;
  return k_.topo().cpu(cpu).node;
}
const cpumask* ExtClass::get_possible_cpumask() { return &possible_view_; }
const cpumask* ExtClass::get_online_cpumask() { return &online_view_; }
bool ExtClass::task_running(const task_struct* p) {
  const Task* t = Task::from_kernel(p);
  return t && t->on_cpu;
}
s32 ExtClass::task_cpu(const task_struct* p) {
  const Task* t = Task::from_kernel(p);
  return t ? t->cpu : -1;
}
struct rq* ExtClass::cpu_rq(s32 cpu) {
  if (!ops_cpu_valid(cpu, nullptr)) return nullptr;
  sync_rq_view(cpu);
  return &rqs_[cpu].kview;
}

task_struct* ExtClass::cpu_curr(s32 cpu) {
  if (!ops_cpu_valid(cpu, nullptr)) return nullptr;
  return &k_.rq(cpu).curr->kt();
}

struct rq* ExtClass::locked_rq() {
  // Every op but select_cpu and the unlocked ones runs under an rq lock: the rq of the task it
  // is about, else this CPU's.
  if (kf_.mask == SCX_KF_UNLOCKED || kf_.mask == (SCX_KF_ENQUEUE | SCX_KF_SELECT_CPU)) {
    scx_error(SCX_EXIT_ERROR, 0, "scx_bpf_locked_rq() called without a locked rq");
    return nullptr;
  }
  const Task* t = kf_.tasks[0] ? task_of(kf_.tasks[0]) : nullptr;
  return cpu_rq(t ? t->cpu : this_cpu());
}

task_struct* ExtClass::dsq_peek(u64 dsq_id) {
  Dsq* d = (dsq_id & SCX_DSQ_FLAG_BUILTIN) ? nullptr : find_user_dsq(dsq_id);
  if (!d) {
    scx_error(SCX_EXIT_ERROR, 0, fmt::format("scx_bpf_dsq_peek: invalid DSQ 0x{:x}", dsq_id));
    return nullptr;
  }
  Task* p = d->first();
  return p ? &p->kt() : nullptr;
}

bool ExtClass::task_set_slice(task_struct* p, u64 slice) {
  if (!p || !task_of(p)) return false;
  p->scx.slice = slice;
  return true;
}

bool ExtClass::task_set_dsq_vtime(task_struct* p, u64 vtime) {
  if (!p || !task_of(p)) return false;
  p->scx.dsq_vtime = vtime;
  return true;
}

task_struct* ExtClass::task_from_pid(s32 pid) {
  Task* t = k_.find_task(pid);
  return t && t->state != TaskState::Dead ? &t->kt() : nullptr;
}

void ExtClass::policy_timer(Ns after, int cpu, std::function<void()> fn) {
  const uint64_t instance = instance_;
  k_.schedule_callback(k_.now() + after, cpu, [this, instance, f = std::move(fn)] {
    if (!enabled() || instance_ != instance) return;
    KfContext saved = kf_;
    kf_ = KfContext{};  // timers run unlocked
    f();
    kf_ = saved;
  });
}

// --- Exit and dump --------------------------------------------------------------------------

void ExtClass::exit_bstr(s64 exit_code, const std::string& msg) {
  if (!before_attach_) scx_error(SCX_EXIT_UNREG_BPF, exit_code, msg);
}
void ExtClass::error_bstr(const std::string& msg) {
  if (!before_attach_) scx_error(SCX_EXIT_ERROR_BPF, 0, msg);
}
void ExtClass::dump_bstr(const std::string& text) {
  if (!in_dump_) {
    scx_error(SCX_EXIT_ERROR, 0, "scx_bpf_dump() must only be called from ops.dump() and friends");
    return;
  }
  dump_buf_ += text;
}

}  // namespace scx
