// The sched_ext class (kernel/sched/ext.c, ext_idle.c) hosting a policy given as ScxOps: DSQs,
// the enqueue / balance / pick / put_prev paths, direct and buffered dispatch with the qseq
// validation, kicks, built-in idle tracking and the default CPU selection, the kfuncs with
// their context checks, and the safety net: watchdog, error exits with exit info and dump,
// bypass mode and the return of every task to the fair class. Semantics are Linux 6.12's
// (with the 6.13 kfunc names); see ../shared/spec/sched_ext.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/cpumask.h"
#include "kernel/ext/dsq.h"
#include "kernel/ext/ops.h"
#include "kernel/sched_class.h"
#include "sim/time.h"
#include "trace/trace.h"

namespace scx {

class Kernel;
struct Rq;
struct Task;

// The exit record userspace sees through UEI (kind, code, reason, message, dump).
struct ScxExitInfo {
  int kind = SCX_EXIT_NONE;
  int64_t exit_code = 0;
  std::string reason;
  std::string msg;
  std::string dump;
  Ns at = 0;
};
const char* scx_exit_reason(int kind);

// What /sys/kernel/sched_ext shows, plus counters for reports.
struct ScxState {
  std::string state = "disabled";  // enabling / enabled / disabling / disabled
  bool switch_all = false;
  uint64_t nr_rejected = 0;
  uint64_t enable_seq = 0;
  uint64_t hotplug_seq = 0;
  std::string ops_name;            // root/ops, while loaded
  uint64_t kick_waits = 0;         // SCX_KICK_WAIT spins so far, and the time CPUs spent in them
  Ns kick_wait_ns = 0;
};

class ExtClass : public SchedClass {
 public:
  explicit ExtClass(Kernel& k);
  ~ExtClass() override;
  const char* name() const override { return "ext"; }

  // --- Loading and unloading (the struct_ops link attach/detach) ---------------------------
  // Attaches `ops` at simulated time `at`; the enable sequence of §12.1 runs then.
  void load_at(std::unique_ptr<ScxOps> ops, Ns at);
  // Detaches at `at` (exit kind UNREG, "unregistered from user space").
  void unload_at(Ns at);
  // scx_enabled(): the kernel turns it on only once ops.init() succeeded and every task is
  // READY (taking_tasks_), so a failed ops.init() is followed by ops.exit() and no other op.
  bool enabled() const {
    return enable_state_ == SCX_OPS_ENABLED || (enable_state_ == SCX_OPS_ENABLING && taking_tasks_);
  }
  bool bypassing() const { return bypass_depth_ > 0; }
  ScxState state() const;
  const std::optional<ScxExitInfo>& exit_info() const { return exit_info_; }
  const std::vector<std::string>& log() const { return log_; }  // kernel log lines
  const ScxOps* ops() const { return ops_.get(); }
  uint64_t callback_count(ScxOp op) const { return op_calls_[static_cast<int>(op)]; }
  // Hook for the BPF host to stop a policy whose program faulted: an abort (SCX_EXIT_ERROR).
  void error(const std::string& msg) { scx_error(SCX_EXIT_ERROR, 0, msg); }
  // While on, the BPF programs running are SEC("syscall") programs user space runs before it
  // attaches the scheduler: the kernel has no scheduler registered yet (scx_root is NULL), so
  // their scx_bpf_error() and scx_bpf_exit() stop nothing and are dropped (seen on 6.18.15 and
  // 7.3.4 under qemu).
  void set_running_before_attach(bool on) { before_attach_ = on; }

  // --- SchedClass ---------------------------------------------------------------------------
  bool takes_policy(Policy policy) const override;
  // Ejects an enabled scheduler: its kicks or timers are what keeps time from advancing.
  bool stop_livelock(const std::string& why) override {
    if (!enabled()) return false;
    error(why);
    return true;
  }
  void enqueue_task(Rq& rq, Task& p, int flags) override;
  bool dequeue_task(Rq& rq, Task& p, int flags) override;
  void yield_task(Rq& rq) override;
  void pick_start(Rq& rq) override;
  bool balance(Rq& rq, Task* prev) override;
  Task* pick_task(Rq& rq) override;
  void put_prev_task(Rq& rq, Task& p, Task* next) override;
  void set_next_task(Rq& rq, Task& p, bool first) override;
  int select_task_rq(Task& p, int prev_cpu, int wake_flags) override;
  void task_woken(Rq& rq, Task& p) override;
  void task_tick(Rq& rq, Task& p, bool queued) override;
  void task_fork(Task& p) override;
  void task_dead(Task& p) override;
  void switched_to(Rq& rq, Task& p) override;
  void switched_from(Rq& rq, Task& p) override;
  void reweight_task(Rq& rq, Task& p) override;
  void set_cpus_allowed(Task& p, const CpuMask& mask) override;
  void update_curr(Rq& rq) override;
  void switching(Rq& rq, Task& prev, Task& next) override;
  void idle_transition(Rq& rq, bool idle, bool real) override;
  void tick_balance(Rq& rq) override;
  int nr_queued(const Rq& rq) const override;
  int nr_runnable_here(const Rq& rq) const override;  // the CPU's local DSQ

  // The cpu controller's callbacks into sched_ext (ext_cgroup.cc): scx_tg_online/offline,
  // scx_group_set_weight/bandwidth/idle, scx_cgroup_can_attach/cancel_attach/move_task.
  void cgroup_online(Cgroup& cg) override;
  void cgroup_offline(Cgroup& cg) override;
  void cgroup_changed(Cgroup& cg, CgroupKnob knob) override;
  int cgroup_can_attach(Task& p, Cgroup& from, Cgroup& to) override;
  void cgroup_cancel_attach(Task& p, Cgroup& from, Cgroup& to) override;
  void task_change_group(Task& p, Cgroup& from) override;

  // Core notifications that concern every task, whatever its class.
  void task_new(Task& p) override;    // scx_fork(): ops.init_task(fork=true), READY, enable
  void task_gone(Task& p) override;   // sched_ext_free(): disable, exit_task
  void switching_to(Rq& rq, Task& p) override;  // ops.enable/set_weight/set_cpumask

  // --- kfuncs (kernel names without the scx_bpf_ prefix; 6.12 aliases map here too) -------
  void dsq_insert(task_struct* p, u64 dsq_id, u64 slice, u64 enq_flags);
  void dsq_insert_vtime(task_struct* p, u64 dsq_id, u64 slice, u64 vtime, u64 enq_flags);
  u32 dispatch_nr_slots();
  void dispatch_cancel();
  bool dsq_move_to_local(u64 dsq_id);
  void dsq_move_set_slice(bpf_iter_scx_dsq* it, u64 slice);
  void dsq_move_set_vtime(bpf_iter_scx_dsq* it, u64 vtime);
  bool dsq_move(bpf_iter_scx_dsq* it, task_struct* p, u64 dsq_id, u64 enq_flags);
  bool dsq_move_vtime(bpf_iter_scx_dsq* it, task_struct* p, u64 dsq_id, u64 enq_flags);
  u32 reenqueue_local();
  s32 create_dsq(u64 dsq_id, s32 node);
  void destroy_dsq(u64 dsq_id);
  s32 dsq_nr_queued(u64 dsq_id);
  int iter_scx_dsq_new(bpf_iter_scx_dsq* it, u64 dsq_id, u64 flags);
  task_struct* iter_scx_dsq_next(bpf_iter_scx_dsq* it);
  void iter_scx_dsq_destroy(bpf_iter_scx_dsq* it);
  void kick_cpu(s32 cpu, u64 flags);
  u32 cpuperf_cap(s32 cpu);
  u32 cpuperf_cur(s32 cpu);
  void cpuperf_set(s32 cpu, u32 perf);
  u32 nr_cpu_ids() const;
  u32 nr_node_ids() const;
  s32 cpu_node(s32 cpu);
  const cpumask* get_possible_cpumask();
  const cpumask* get_online_cpumask();
  void put_cpumask(const cpumask* mask) { (void)mask; }
  // scx_bpf_task_cgroup(): p's cgroup; p must be an argument of the running rq-locked op
  // (else an error exit and the root).
  cgroup* task_cgroup(task_struct* p);
  bool task_running(const task_struct* p);
  s32 task_cpu(const task_struct* p);
  struct rq* cpu_rq(s32 cpu);
  // 6.18+: the current task of a CPU (RCU), and the rq whose lock the running op holds.
  task_struct* cpu_curr(s32 cpu);
  struct rq* locked_rq();
  // 6.19+: the head of a user DSQ without taking it (built-in or unknown ids abort).
  task_struct* dsq_peek(u64 dsq_id);
  // 6.19+: the setters that replace direct writes of p->scx.slice / dsq_vtime.
  bool task_set_slice(task_struct* p, u64 slice);
  bool task_set_dsq_vtime(task_struct* p, u64 vtime);
  // The clock the scheduler sees (scx_bpf_now, bpf_ktime_get_ns, rq->clock*, exec_start,
  // jiffies, the dump's at_ns): the simulated time plus the machine's uptime at its start
  // (KernelConfig::uptime).
  u64 now() const;
  s32 select_cpu_dfl(task_struct* p, s32 prev_cpu, u64 wake_flags, bool* is_idle);
  // The default selection narrowed to cpus_allowed (flags: SCX_PICK_IDLE_CORE): the idle CPU
  // claimed, or -EBUSY.
  s32 select_cpu_and(task_struct* p, s32 prev_cpu, u64 wake_flags, const cpumask* cpus_allowed, u64 flags);
  // scx_bpf_events(): copies min(size, sizeof) bytes of the event counters.
  void events(scx_event_stats* out, size_t size) const;
  // The same counters by their kernel names, in the struct's order (reports, dumps).
  std::vector<std::pair<const char*, s64>> event_counters() const;
  const cpumask* get_idle_cpumask();
  const cpumask* get_idle_smtmask();
  void put_idle_cpumask(const cpumask* mask) { (void)mask; }
  bool test_and_clear_cpu_idle(s32 cpu);
  s32 pick_idle_cpu(const cpumask* allowed, u64 flags);
  s32 pick_any_cpu(const cpumask* allowed, u64 flags);
  // 6.15's per-node idle kfuncs (SCX_OPS_BUILTIN_IDLE_PER_NODE; ext_idle_node.cc).
  const cpumask* get_idle_cpumask_node(s32 node);
  const cpumask* get_idle_smtmask_node(s32 node);
  s32 pick_idle_cpu_node(const cpumask* allowed, s32 node, u64 flags);
  s32 pick_any_cpu_node(const cpumask* allowed, s32 node, u64 flags);
  void exit_bstr(s64 exit_code, const std::string& msg);   // scx_bpf_exit()
  void error_bstr(const std::string& msg);                 // scx_bpf_error()
  void dump_bstr(const std::string& text);                 // scx_bpf_dump()
  // bpf_task_from_pid(): the live task with this pid, or null.
  task_struct* task_from_pid(s32 pid);
  // A policy timer (bpf_timer): fn runs at now + after on `cpu` in an unlocked context, unless
  // the scheduler has been disabled by then.
  void policy_timer(Ns after, int cpu, std::function<void()> fn);
  // The CPU whose code calls the kfunc (smp_processor_id()).
  s32 this_cpu() const;
  // Random numbers and time for policies come from the simulator.
  Kernel& kernel() { return k_; }

 private:
  struct DspEntry {
    Task* p;
    u64 qseq;
    u64 dsq_id;
    u64 enq_flags;
  };
  struct ScxRq {
    Dsq local;
    int nr_running = 0;        // QUEUED ext tasks on this rq
    u64 ops_qseq = 0;
    bool bal_keep = false;
    bool in_balance = false;
    bool cpu_released = false;
    u64 pnt_seq = 0;
    u32 cpuperf_target = SCX_CPUPERF_ONE;
    std::list<Task*> runnable_list;
    std::vector<Task*> ddsp_deferred_locals;
    std::vector<DspEntry> dsp_buf;
    int dsp_nr_tasks = 0;
    CpuMask cpus_to_kick, cpus_to_kick_if_idle, cpus_to_preempt, cpus_to_wait;
    bool kick_work_pending = false;
    // SCX_KICK_WAIT: the targets this CPU spins on, and the CPUs spinning on this one.
    CpuMask waiting_on, waiters;
    Ns wait_began = 0;
    bool balanced = false;     // balance ran since the last pick (BAL_PENDING cleared)
    bool dispatching = false;  // inside ops.dispatch on this CPU
    u64 extra_enq_flags = 0;   // carried into the enqueue of an internal migration
    ::rq kview{};
  };
  struct IterState {
    Dsq* dsq = nullptr;
    std::list<Task*>::iterator cursor;
    bool reverse = false;
    u32 seq = 0;
    bool on_list = false;  // the cursor node is in the DSQ's list
    bool has_slice = false, has_vtime = false;
    u64 slice = 0, vtime = 0;
    bool live = false;
  };
  // The context mask in force (scx_kf_mask) and the task arguments of the current op.
  struct KfContext {
    u32 mask = SCX_KF_UNLOCKED;
    task_struct* tasks[2] = {nullptr, nullptr};
  };
  class OpScope;    // RAII: enter an op's context, count the call
  class DdspScope;  // RAII: direct-dispatch capture for one task

  // Enqueue path (§6).
  void do_enqueue_task(Rq& rq, Task& p, u64 enq_flags, int sticky_cpu);
  void direct_dispatch(Task& p, u64 enq_flags);
  void mark_direct_dispatch(Task& ddsp_task, Task& p, u64 dsq_id, u64 enq_flags);
  void ops_dequeue(Task& p, u64 deq_flags);
  void process_ddsp_deferred_locals(Rq& rq);
  // DSQs (§7).
  Dsq* find_dsq_for_dispatch(int cpu, u64 dsq_id, Task& p);
  Dsq* find_user_dsq(u64 dsq_id);
  Dsq& global_dsq(int cpu);
  void dispatch_enqueue(Dsq& dsq, Task& p, u64 enq_flags);
  void dispatch_dequeue(Task& p);
  void local_dsq_post_enq(Dsq& dsq, Task& p, u64 enq_flags);
  bool consume_dispatch_q(Rq& rq, Dsq& dsq);
  void move_task_to_local_dsq(Task& p, u64 enq_flags, Rq& src, Rq& dst);
  void dispatch_to_local_dsq(Rq& rq, Dsq& dst_dsq, Task& p, u64 enq_flags);
  void clear_direct_dispatch(Task& p);
  void insert_commit(Task& p, u64 dsq_id, u64 enq_flags);
  void unlink_task_from_dsq(Task& p);
  void append_to_local(Dsq& local, Task& p, u64 enq_flags);
  void trace_dsq(TraceType type, const Dsq& dsq, const Task& p);
  void switch_class(Rq& rq, Task& next);
  void kick_cpu_internal(int cpu, u64 flags);
  void log_once(const std::string& line);
  u32 scx_weight_of(const Task& p) const;
  u32 dispatch_max_batch() const;
  void finish_dispatch(Rq& rq, Task& p, u64 qseq_at_dispatch, u64 dsq_id, u64 enq_flags);
  void flush_dispatch_buf(Rq& rq);
  void set_task_slice_on_insert(Task& p, u64 slice);
  bool move_from_iter(bpf_iter_scx_dsq* it, task_struct* p, u64 dsq_id, u64 enq_flags, bool vtime);
  // Balance and pick (§8).
  bool balance_one(Rq& rq, Task* prev);
  // Kicks (§9.4).
  void kick_cpus_irq_workfn(int cpu);
  void pnt_seq_advanced(int cpu);  // releases the CPUs kick-waiting on `cpu`
  void end_kick_wait(int cpu);     // `cpu` stops spinning
  // Idle (§10).
  void update_idle_masks(int cpu, bool idle);
  s32 scx_select_cpu_dfl(Task& p, s32 prev_cpu, u64 wake_flags, bool* found, const CpuMask* and_mask = nullptr,
                         u64 pick_flags = 0);
  // scx_pick_idle_cpu(): node -1 searches the one global mask; a node (per-node masks) is
  // searched first, then the others by distance unless flags has SCX_PICK_IDLE_IN_NODE.
  s32 pick_idle_cpu_mask(const CpuMask& allowed, int node, u64 flags);
  s32 pick_idle_cpu_in_node(const CpuMask& allowed, int node, u64 flags);
  int idle_node_of(int cpu) const;  // cpu's node with per-node idle masks, else -1
  bool idle_cpus_empty(int node) const;
  s32 validate_node(s32 node);      // node, or a negative errno (after an error exit if bad)
  static const cpumask* no_cpus();  // cpu_none_mask
  // Tasks and classes.
  void set_task_runnable(Rq& rq, Task& p);
  void clr_task_runnable(Task& p, bool reset_runnable_at);
  void update_curr_scx(Rq& rq);
  int init_task_op(Task& p, bool fork);
  void enable_task(Task& p);
  void disable_task(Task& p);
  void exit_task_op(Task& p, bool cancelled);
  void refresh_weight(Task& p);
  bool scx_task_enabled(const Task& p) const;
  // Enable / disable / bypass / watchdog / dump (§12).
  void enable_work();
  // scx_cgroup_init() / scx_cgroup_exit(): every online cgroup's ops.cgroup_init at enable
  // (pre-order), every inited one's ops.cgroup_exit at disable (post-order).
  bool cgroup_init_all();
  void cgroup_exit_all();
  Cgroup& task_cgroup_of(const Task& p) const;
  void disable_work();
  void bypass(bool on);
  void cycle_all_runnable();
  void watchdog_workfn();
  void scx_error(int kind, int64_t code, const std::string& msg);
  std::string dump_state();
  void log_line(const std::string& line);
  // Context checks for kfuncs.
  bool kf_allowed(u32 mask, const char* kfunc);
  void check_op_nesting(u32 mask);
  bool ops_cpu_valid(s32 cpu, const char* where);
  // The error of a local-DSQ verdict for a CPU the task may not run on, in the kernel's words.
  std::string local_on_not_allowed(int cpu, const Task& p) const;
  void check_ops_flags_and_members();
  Task* task_of(task_struct* p) const;
  IterState* iter_of(bpf_iter_scx_dsq* it);
  void sync_rq_view(int cpu);
  u64 jiffies() const;  // of now()

  Kernel& k_;
  std::unique_ptr<ScxOps> ops_;
  ScxOpsInfo info_;
  int enable_state_ = SCX_OPS_DISABLED;
  bool switching_all_ = false;
  bool taking_tasks_ = false;  // tasks belong to ext (set during enable, cleared on disable)
  int bypass_depth_ = 0;
  uint64_t nr_rejected_ = 0;
  uint64_t enable_seq_ = 0;
  int exit_kind_ = SCX_EXIT_NONE;        // claimed once per instance
  std::optional<ScxExitInfo> exit_info_; // last exit
  ScxExitInfo pending_exit_;
  bool disable_queued_ = false;
  std::vector<std::string> log_;
  std::vector<ScxRq> rqs_;
  std::vector<std::unique_ptr<Dsq>> global_dsqs_;  // one per node
  std::map<u64, std::unique_ptr<Dsq>> user_dsqs_;
  std::vector<std::unique_ptr<Dsq>> destroyed_dsqs_;  // kept until unload (RCU-freed in the kernel)
  bool builtin_idle_ = true;
  bool idle_per_node_ = false;  // SCX_OPS_BUILTIN_IDLE_PER_NODE: the masks are per node
  // The idle CPUs and wholly idle cores; with per-node masks, node N's are these & its CPUs.
  CpuMask idle_cpu_, idle_smt_;
  cpumask idle_cpu_view_{}, idle_smt_view_{}, possible_view_{}, online_view_{};
  std::vector<cpumask> node_idle_views_;  // per node: its idle CPUs, its wholly idle cores
  int pick_idle_prev_ = -1;
  KfContext kf_;
  Task* ddsp_task_ = nullptr;          // the task whose select_cpu/enqueue may direct-dispatch
  bool ddsp_done_ = false;
  std::vector<IterState> iters_;
  Ns watchdog_timeout_ = 30 * 1000000000ULL;
  Ns watchdog_last_check_ = 0;
  uint64_t watchdog_handle_ = 0;
  bool watchdog_armed_ = false;
  std::string dump_buf_;
  bool in_dump_ = false;
  bool before_attach_ = false;  // set_running_before_attach()
  uint64_t op_calls_[kScxOpCount] = {};
  std::unique_ptr<ScxOps> pending_load_;
  // tg->scx of each cgroup (by Cgroup::index()): the values last told to the policy and
  // whether ops.cgroup_init succeeded (SCX_TG_INITED: ops.cgroup_exit is owed).
  struct ScxTg {
    u32 weight = 100;  // CGROUP_WEIGHT_DFL
    u64 bw_period_us = 100000, bw_quota_us = ~0ULL, bw_burst_us = 0;  // RUNTIME_INF: "max"
    bool inited = false;
  };
  ScxTg& tg_of(const Cgroup& cg);
  s32 cgroup_init_op(Cgroup& cg);
  std::vector<ScxTg> tgs_;
  bool cgroup_enabled_ = false;  // scx_cgroup_enabled: the cgroup ops are live
  std::vector<std::string> logged_once_;
  scx_event_stats events_{};  // the SCX_EV_* counters (6.15+), never reset within a run
  Ns bypass_began_ = 0;
  uint64_t kick_waits_ = 0;   // SCX_KICK_WAIT spins, and their total time
  Ns kick_wait_ns_ = 0;
  uint64_t instance_ = 0;  // incremented at every load, so timers of an old instance stay dead
};

}  // namespace scx
