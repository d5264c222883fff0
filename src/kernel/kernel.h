// The simulated scheduler core: per-CPU runqueues, the class order (stop, rt, fair, ext, idle),
// try_to_wake_up, __schedule, the tick, migration, fork and exit, and the interpreter of task
// behaviour programs. It owns the event loop; everything it decides is published on the trace
// bus.
#pragma once

#include <array>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "kernel/cgroup/cgroup.h"
#include "kernel/cost_model.h"
#include "kernel/kernel_version.h"
#include "kernel/noise.h"
#include "kernel/program.h"
#include "kernel/rq.h"
#include "kernel/sched_class.h"
#include "kernel/task.h"
#include "kernel/tracepoints.h"
#include "sim/event_queue.h"
#include "sim/rng.h"
#include "topo/topology.h"
#include "trace/trace.h"

namespace scx {

struct KernelConfig {
  CostModel cost;
  NoiseModel noise;  // off unless asked for: tests want exact schedules
  uint64_t seed = 1;
  // Whose behaviour the core and sched_ext follow (kernel_version.h; the fair class takes its
  // own from FairConfig). 6.12 unless asked: the CLI sets it from --kernel (default 6.18).
  KernelVersion version = KernelVersion::V6_12;
  // How long the machine had been up when the simulation starts: the clock a sched_ext
  // scheduler reads (ExtClass::now) starts there. 0 unless asked, so that tests see plain
  // times; the CLI uses kCliUptime.
  Ns uptime = 0;
  // Events handled at one simulated nanosecond before the run is called a livelock: time no
  // longer advances (a loop of kicks or timers with zero costs). A sched_ext scheduler is then
  // ejected; without one the run stops with an error (docs/sched_ext.md, "Floods").
  uint64_t livelock_events = 10'000'000;
  // Tasks the run may create (forks included): past it a fork stops the run (--max-tasks).
  int64_t max_tasks = kDefaultMaxTasks;
};

// A scheduler is attached long after boot; schedulers that compare the clock with a time they
// have not set yet (scx_pair's first pair_ctx expiry) rely on it being far from 0.
inline constexpr Ns kCliUptime = 100 * kNsPerSec;

// Counts of things that are not errors but are worth reporting (the design's "anomaly table").
struct KernelStats {
  uint64_t events = 0;
  uint64_t wakeups = 0;
  uint64_t remote_wakeups = 0;   // delivered through an IPI (wakelist)
  uint64_t migrations = 0;
  uint64_t context_switches = 0;
  uint64_t rt_pushes = 0;
  uint64_t rt_pulls = 0;
  uint64_t forks = 0;
  uint64_t exits = 0;
  uint64_t timer_misses = 0;
  uint64_t cgroup_moves_refused = 0;  // a class refused a move (sched_ext's ops.cgroup_prep_move)
};

class Kernel {
 public:
  Kernel(const Topology& topo, KernelConfig config);
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  // Installs the fair class (or a replacement). Must happen before load().
  void set_fair_class(std::unique_ptr<SchedClass> fair);
  void set_ext_class(std::unique_ptr<SchedClass> ext);

  // Creates the workload's tasks at t=0 (or at their start delay). Validates references
  // (CPU numbers, object ids) and returns a one-line error for a bad workload.
  // The kernel keeps the workload for the run (programs, object names): shared with the caller
  // rather than copied, as it holds every task's program.
  Status load(std::shared_ptr<const Workload> workload);
  // The same with a copy of `workload` (tests and other one-off callers).
  Status load(const Workload& workload) { return load(std::make_shared<const Workload>(workload)); }

  // Runs events up to and including time `end`, then closes accounting at `end`.
  Status run_until(Ns end);
  // Runs events up to and including `end` and nothing else: the scheduler's state is exactly
  // what a straight run has at that time, so a run taken in steps (--check) is the same run.
  // Finish with run_until(), which also closes the accounting.
  Status advance_to(Ns end);
  // The same while any user task lives: a run-until-done workload taken in steps stops where
  // run_until_idle() would.
  Status advance_while_alive(Ns end);
  // Runs until every user task has exited (or `limit` is reached: error).
  Status run_until_idle(Ns limit);

  TraceBus& trace() { return trace_; }
  // Probes on the kernel's tracepoints (BPF tracing programs); nullptr: none.
  void set_tracepoint_probes(TracepointProbes* p) { tp_probes_ = p; }
  TracepointProbes* tracepoint_probes() const { return tp_probes_; }
  Ns now() const { return events_.now(); }
  const Topology& topo() const { return topo_; }
  const CostModel& cost() const { return config_.cost; }
  Ns uptime() const { return config_.uptime; }  // KernelConfig::uptime
  KernelVersion kernel_version() const { return config_.version; }
  const KernelStats& stats() const { return stats_; }
  void set_livelock_events(uint64_t n) { config_.livelock_events = n; }
  // Ends the run with `why` (the first such error wins): a resource limit reached.
  void stop(const Status& why) {
    if (error_.ok()) error_ = why;
  }
  int nr_cpus() const { return topo_.nr_cpus(); }
  Rq& rq(int cpu) { return rqs_[cpu]; }
  const Rq& rq(int cpu) const { return rqs_[cpu]; }
  // CPUs whose runqueue is idle as the core sees it: nothing queued (nr_running == 0), no
  // remote wakeup on the way (ttwu_pending == 0) and the idle task running. Kept up to date at
  // every change of those fields, so that the classes' idle-CPU searches test a bit, or a word
  // of 64 CPUs, instead of reading each runqueue.
  const CpuMask& idle_rqs() const { return idle_rqs_; }
  // The CPU whose code is running now (smp_processor_id()).
  int this_cpu() const { return this_cpu_; }
  Rng& rng() { return rng_; }
  SchedClass& stop_class() { return *classes_[0]; }
  SchedClass& rt_class() { return *classes_[1]; }
  SchedClass* fair_class() { return classes_[2].get(); }
  SchedClass* ext_class() { return classes_[3].get(); }
  SchedClass& idle_class() { return *classes_[4]; }

  // Tasks, in creation order (user tasks only; idle and stopper tasks are per-CPU).
  const std::vector<std::unique_ptr<Task>>& tasks() const { return tasks_; }
  Task* find_task(int pid);
  int next_pid() const { return next_pid_; }  // the pid the next task gets
  int noise_thread_count() const;  // the noise daemons load() starts (start_noise())
  int live_user_tasks() const { return live_user_tasks_; }

  // --- Core services used by the scheduling classes (kernel/sched/core.c equivalents) ---
  void resched_curr(Rq& rq);
  void activate_task(Rq& rq, Task& p, int flags);
  // Returns false if the class kept the task queued (delayed dequeue).
  bool deactivate_task(Rq& rq, Task& p, int flags);
  // A class finished a delayed dequeue on its own (e.g. at pick): the task leaves the rq.
  void finish_delayed_dequeue(Rq& rq, Task& p);
  void set_task_cpu(Task& p, int new_cpu);
  // Moves a queued, not running task to dest_cpu (move_queued_task_locked: no preemption check).
  void move_task_locked(Task& p, int dest_cpu, int enqueue_flags = ENQUEUE_NOCLOCK);
  // The same, then checks preemption on the destination (move_queued_task).
  void move_queued_task(Task& p, int dest_cpu);
  // Charges curr's runtime since exec_start (the common part of every class's update_curr).
  void update_curr_common(Rq& rq);
  KernelStats& mutable_stats() { return stats_; }
  void wakeup_preempt(Rq& rq, Task& p, int wake_flags);
  bool task_running(const Task& p) const { return p.on_cpu; }
  // Queues a callback for the CPU's stopper (stop_one_cpu): it preempts everything there.
  void stop_one_cpu(int cpu, std::function<void()> work);
  // A CPU busy-waiting with interrupts off (sched_ext's SCX_KICK_WAIT): from hold_cpu() until
  // release_cpu(), its current task makes no progress and every event aimed at the CPU (tick,
  // IPI, wake-up, timer, callback) is delivered only after the release, in its original order.
  void hold_cpu(int cpu);
  void release_cpu(int cpu);
  // Fallback when a chosen CPU is not allowed (select_fallback_rq).
  int select_fallback_rq(int cpu, const Task& p) const;
  // cpumask_any_and_distribute() (lib/cpumask.c): a per-CPU round robin; the search starts
  // after the CPU this CPU returned last and wraps.
  // The BPF bpf_cpumask_any*_distribute kfuncs call it too, so all share the cursor.
  int any_and_distribute(const CpuMask& a, const CpuMask& b);

  // A class-owned timer (hrtimer / timer_list / irq_work): `fn` runs at `when` with this_cpu()
  // == cpu. Returns a handle for cancel_callback(). Used for balancing, the sched_ext watchdog,
  // deferred kicks and BPF timers.
  // cpu == kUnboundCpu: work of an unbound kthread or of user space, run on the lowest CPU
  // that is not held (hold_cpu), so it is never stuck behind a spinning CPU.
  static constexpr int kUnboundCpu = -1;
  using CallbackHandle = uint64_t;
  CallbackHandle schedule_callback(Ns when, int cpu, std::function<void()> fn);
  void cancel_callback(CallbackHandle h);

  // The kernel's save/restore pattern around a change of a task's parameters or class:
  // dequeue (and put_prev if running), change(), switching_to on a class change, enqueue
  // (and set_next), then switched_from/switched_to or prio_changed.
  // queue_flags: the DEQUEUE_* bits (the ENQUEUE_* ones of the same values follow): SAVE|MOVE
  // for sched_setscheduler, SAVE alone for an affinity change (__do_set_cpus_allowed).
  void change_task(Task& p, const std::function<void()>& change,
                   int queue_flags = DEQUEUE_SAVE | DEQUEUE_MOVE | DEQUEUE_NOCLOCK);
  // Moves p to the class its policy maps to now (sched_ext load/unload), if different.
  void reclassify_task(Task& p);
  // Per-CPU kernel threads (idle excluded): stoppers.
  const std::vector<std::unique_ptr<Task>>& kthreads() const { return kthreads_; }

  // Native code run by tasks (OpKind::Host), such as a user-space scheduler's main loop
  // (src/bpf/host/userspace.h): fn(task, op.a) returns the work in ns (at capacity 1024) the op
  // then takes, or a negative value: the task exits. Returns the id for Op::obj.
  using HostFn = std::function<int64_t(Task&, int64_t)>;
  uint32_t add_host_function(HostFn fn);
  // Forks a task that is not part of the workload (a daemon, such as a user-space scheduler's
  // process) now, on this CPU, running its own `program`; run_until_idle() does not wait for it.
  // With `thread_of`, a thread of that task's thread group (CLONE_THREAD). A `background` task
  // (a noise source) is reported with the kernel threads, apart from the workload.
  Task& spawn_daemon(const TaskSpec& spec, Program program, const Task* thread_of = nullptr,
                     bool kthread = false, bool background = false);

  // Changes scheduling policy/priority (sched_setscheduler) and affinity (sched_setaffinity).
  Status sched_setscheduler(Task& p, Policy policy, int prio_value);
  void set_cpus_allowed(Task& p, const CpuMask& mask);

  // --- Cgroups (kernel_cgroup.cc; docs/cgroups.md) ---
  CgroupTree& cgroups() { return *cgroups_; }
  // mkdir -p: creates the missing cgroups of `path`, each announced to the classes.
  Result<Cgroup*> make_cgroup(std::string_view path);
  // rmdir: fails while it has children or tasks.
  Status remove_cgroup(Cgroup& cg);
  // A write of `value` to the controller file `file` ("cpu.weight", "cpu.weight.nice",
  // "cpu.max", "cpu.idle", "cpuset.cpus", and v1's "cpu.shares") with the kernel's formats;
  // errors name file and value.
  Status write_cgroup_file(Cgroup& cg, std::string_view file, std::string_view value);
  // Moves p into `to` (a write of its pid to to's cgroup.threads): the cpuset confines its
  // affinity, then every class sees the move as sched_move_task() shows it. A class may refuse
  // (sched_ext's ops.cgroup_prep_move): p stays, the refusal is counted
  // (KernelStats::cgroup_moves_refused) and the error says so; the run goes on, as the writer of
  // cgroup.procs would, having got EBUSY.
  Status move_to_cgroup(Task& p, Cgroup& to);
  // The CPUs p may use given the mask it asks for: within its cpuset, or the cpuset's CPUs
  // when the two do not meet (cpuset v2 keeps a task's request only where it can).
  CpuMask cpuset_confined(const Task& p, const CpuMask& want) const;

  // Consistency checks used by tests and --check: every task on at most one rq, curr states,
  // counts per class, affinity. Returns the first violation.
  Status check_invariants() const;

  // Description of "where we are" for internal check failures.
  std::string context_string() const;

 private:
  enum EventKind : uint32_t {
    kOpDone = 1,     // target cpu: curr's running op may have finished
    kTick,           // target cpu
    kTimerWake,      // target pid, arg = timer generation
    kWakeArrive,     // target cpu, arg = pid: a queued remote wakeup lands
    kResched,        // target cpu
    kCallback,       // target cpu, arg = callback slot
  };

  void handle(const Event& e);
  // Counts the events at one time; too many end the loop that keeps time from advancing.
  void watch_livelock(const Event& e);
  // The CPU an event interrupts (-1: none), to hold it back while that CPU is held.
  int event_cpu(const Event& e);
  // `program` nullptr: the workload's program of spec.
  Task& create_task(const TaskSpec& spec, int instance, int parent_pid, const Program* program = nullptr);
  // A per-CPU kernel thread; its policy is set before its task_struct view is synced, as the
  // BPF scheduler reads the view (a stopper is SCHED_FIFO 99, not SCHED_NORMAL).
  Task* create_kthread(const std::string& comm, int pid, int cpu, int prio, Policy policy = Policy::Normal,
                       int rt_priority = 0);
  void wake_up_new_task(Task& p, int parent_cpu);
  bool try_to_wake_up(Task& p, int wake_flags);
  void ttwu_do_activate(Rq& rq, Task& p, int wake_flags);
  void schedule(Rq& rq);
  Task* pick_next_task(Rq& rq, Task* prev);
  void scheduler_tick(Rq& rq);
  void arm_tick(Rq& rq);
  SchedClass* class_for_policy(Policy p) const;
  void set_policy_fields(Task& p, Policy policy, int prio_value);
  void trace_task_new(const Task& p, int cpu);
  // An event about task p on `cpu` at the current time (time, type, cpu, pid, prio filled in).
  TraceEvent task_event(TraceType type, int cpu, const Task& p) const;
  bool tracing(Tracepoint tp) const { return tp_probes_ && tp_probes_->enabled(tp); }
  // Fires tracepoint `tp` (tracepoints.h) with `current` as the kernel's current task; a task
  // argument becomes its task_struct pointer, and only when a probe is attached (kt() makes
  // the task_struct: nothing else needs one under EEVDF).
  template <class... Args>
  void tracepoint(Tracepoint tp, Task& current, const Args&... args) {
    if (!tracing(tp)) return;
    const uint64_t values[] = {tracepoint_arg(args)...};
    tp_probes_->fire(tp, current, std::span<const uint64_t>(values, sizeof...(Args)));
  }
  Task& current() { return *rqs_[this_cpu_].curr; }
  static uint64_t task_ptr(const Task& p);
  static uint64_t tracepoint_arg(const Task& p) { return task_ptr(p); }
  static uint64_t tracepoint_arg(uint64_t value) { return value; }
  void trace_fork(Task& child);
  void trace_switch(Task& prev, Task& next, SwitchState state);
  bool last_of_thread_group(const Task& p) const;

  // Program interpreter.
  void start_running(Rq& rq, Task& p, bool switched);
  void stop_running(Rq& rq, Task& p);   // charge progress, disarm the op event
  // Runs p's program from its current op until it consumes time, blocks or exits
  // (interpreter.cc); each step_* handles one family of ops and says whether p goes on.
  void continue_task(Rq& rq, Task& p);
  enum class Step { kNext, kStop };
  Step step_work(Rq& rq, Task& p, const Op& op);        // run, runtime, host
  Step step_timing(Rq& rq, Task& p, const Op& op);      // sleep, timer
  Step step_mutex_cond(Rq& rq, Task& p, const Op& op);  // lock/unlock, condition variables
  Step step_barrier_sem(Rq& rq, Task& p, const Op& op); // barriers, semaphores
  Step step_pipe(Rq& rq, Task& p, const Op& op);        // pipe send/receive
  Step step_fork(Rq& rq, Task& p, const Op& op);
  Step step_control(Rq& rq, Task& p, const Op& op);     // loops, yield, affinity, policy, marks
  void arm_op_event(Rq& rq, Task& p);
  void consume_work(Task& p, Ns work);
  Ns wall_for_work(Ns work, uint32_t capacity) const;
  void block_current(Rq& rq, Task& p);
  void sleep_until(Rq& rq, Task& p, Ns when);
  void do_exit(Rq& rq, Task& p);

  // The run's noise sources (noise_sources.cc).
  void start_noise();
  struct NoiseThread {
    std::string name;
    int cpu = kUnboundCpu;  // pinned there, or allowed on every CPU
    bool kthread = true;    // PF_KTHREAD, or a user-space daemon
    int nice = 0;
    double rate = 0;        // wake-ups per second (Poisson)
    Ns run_ns = 0;          // mean CPU time per wake-up (exponential)
    bool long_tail = false; // NoiseModel::kthread_long applies
    uint64_t stream = 0;    // its random stream, forked from the seed
  };
  void spawn_noise_thread(const NoiseThread& t);
  void schedule_kworker_arrival(Task& kworker, uint32_t sem, double rate);
  void kworker_arrival(Task& kworker, uint32_t sem, double rate);
  Ns noisy_timer(Task& p, Ns when);
  Ns noisy_work(Task& p, Ns work);
  Ns noisy_resched(int cpu);
  void run_stopper(Rq& rq, Task& p);
  Status fail(const Task& p, const std::string& reason);

  // Wait objects (futex-like queues with prio-then-FIFO order). Vectors, not deques: an empty
  // deque already holds ~600 bytes, and a workload has a few wait queues per task.
  struct WaitQueue {
    std::vector<Task*> q;
    void add(Task* p);
    Task* pop();
    bool empty() const { return q.empty(); }
  };
  struct MutexState {
    Task* owner = nullptr;
    WaitQueue waiters;
  };
  struct BarrierState {
    int arrived = 0;
    int participants = 0;
    std::vector<Task*> waiting;
  };
  struct SemState {
    int64_t count = 0;
    WaitQueue waiters;
  };
  struct PipeState {
    int64_t bytes = 0;
    int64_t capacity = 0;
    int64_t wake_all_writers_at = -1;  // PipeSpec::wake_all_writers_at
    WaitQueue readers, writers;
  };
  struct TimerState {
    bool init = false;
    Ns next = 0;
  };
  bool preempt_point(Rq& rq);
  bool mutex_lock(Task& p, uint32_t m);        // true if acquired, else p is queued
  Status mutex_unlock(Task& p, uint32_t m);
  void wake_one(WaitQueue& q, int wake_flags);
  void charge_ipi_send();  // cost.ipi_send_ns of CPU work for the task whose op sends an IPI

  const Topology& topo_;
  KernelConfig config_;
  EventQueue events_;
  Rng rng_;
  TraceBus trace_;
  TracepointProbes* tp_probes_ = nullptr;  // declared before classes_: outlives the ext policy
  KernelStats stats_;
  std::array<std::unique_ptr<SchedClass>, 5> classes_;
  std::unique_ptr<CgroupTree> cgroups_;
  std::vector<Cgroup*> workload_cgroups_;  // Workload::cgroups resolved (SetCgroup operands)
  void attach_new_task(Task& p, Cgroup& cg);  // a new task's cgroup, before it first runs
  // CgroupAttach; a new task's (from 0) follows its TaskNew / SchedProcessFork, for a task
  // outside the root only.
  void trace_cgroup_attach(const Task& p, uint64_t from_id);
  Status load_cgroups(const Workload& w);     // creates Workload::cgroups, schedules its events
  std::vector<Rq> rqs_;
  CpuMask idle_rqs_;
  void refresh_idle_rq(const Rq& rq);  // idle_rqs_'s bit of rq, after one of its fields changed
  std::vector<std::unique_ptr<Task>> kthreads_;
  std::vector<std::vector<std::function<void()>>> stopper_work_;  // per CPU, oldest first
  struct CallbackSlot {
    std::function<void()> fn;
    EventQueue::Handle event = 0;
    bool deferred = false;  // popped while its CPU was held; redelivered at the release
  };
  std::vector<CallbackSlot> callbacks_;   // slot = handle index; freed slots are reused
  std::vector<uint64_t> free_callback_slots_;
  std::vector<std::unique_ptr<Task>> tasks_;
  std::vector<Task*> pid_table_;  // index: pid - first_user_pid_
  int first_user_pid_ = 1000;
  int next_pid_ = 1000;
  int live_user_tasks_ = 0;
  int this_cpu_ = 0;
  Task* op_task_ = nullptr;  // the task whose program continue_task() is interpreting
  bool any_held_ = false;  // some CPU is held (hold_cpu): events are filtered in handle()
  std::vector<int> distribute_prev_;  // per CPU (distribute_cpu_mask_prev, 0 at boot)
  Status error_;  // first fatal workload error (stops the run)
  Ns same_time_ = 0;                 // the time of the last event handled
  uint64_t same_time_events_ = 0;    // events handled at same_time_ (livelock_events)

  std::shared_ptr<const Workload> workload_ = std::make_shared<const Workload>();
  std::vector<HostFn> host_fns_;
  std::vector<std::unique_ptr<Program>> daemon_programs_;  // stable addresses (Task::program)
  Ns tick_offset_ = 0;  // the tick grid's phase (noise tick_phase)
  std::vector<Rng> resched_rngs_;  // per CPU: the wake-up path's jitter (noise wakeup_jitter)
  double speed_factor_ = 1.0;      // this run's machine speed (noise speed_spread)
  std::vector<MutexState> mutexes_;
  std::vector<WaitQueue> condvars_;
  std::vector<BarrierState> barriers_;
  std::vector<SemState> sems_;
  std::vector<PipeState> pipes_;
  std::vector<TimerState> timers_;
};

}  // namespace scx
