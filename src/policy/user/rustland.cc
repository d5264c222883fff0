// scx_rustland's and scx_rlfifo's user space on scx_rustland_core (sched-ext/scx 7a58a3a1a:
// scheds/rust/scx_rustland/src/main.rs, scheds/experimental/scx_rlfifo/src/main.rs).
//
// rustland: each pass drains every queued task into a set ordered by (deadline, enqueue
// timestamp, pid), where deadline = vruntime + min(exec_runtime, 100 slices): a task's vruntime
// is realigned to the global vruntime_now (new tasks) or kept at most one slice behind it, then
// grows by its last run (stop_ts - start_ts) scaled by 100 / weight, as vruntime_now does. The
// pass then dispatches the one earliest task, with slice slice_us_min * weight / 100, its
// deadline as vtime, and the CPU rs_select_cpu picks (else any CPU; with percpu_local its own
// CPU), and reports how many tasks it still holds in nr_scheduled.
//
// rlfifo: each pass dispatches every queued task in arrival order with the CPU rs_select_cpu
// picks (else any) and a 5 ms slice divided by (nr_queued at the pass's start + 1), then reports
// nothing pending.
#include <algorithm>
#include <set>

#include "policy/user/builtins.h"
#include "policy/user/rustland_core.h"

namespace scx::usersched {
namespace {

// The process runs with SCHED_EXT only when it asks for a partial switch (use_sched_ext()).
Policy rustland_policy(const ScxOpsInfo& ops) {
  return ops.flags & SCX_OPS_SWITCH_PARTIAL ? Policy::Ext : Policy::Normal;
}

class Rustland : public bpf::UserScheduler {
 public:
  Rustland(uint64_t slice_ns, uint64_t slice_ns_min, bool percpu_local)
      : slice_ns_(slice_ns), slice_ns_min_(slice_ns_min), percpu_local_(percpu_local) {}

  Policy policy(const ScxOpsInfo& ops) const override { return rustland_policy(ops); }
  void attach(bpf::UserSchedContext& c) override { RustlandCore::attach(c); }

  void schedule(bpf::UserSchedContext& c) override {
    drain_queued_tasks(c);
    dispatch_task(c);
    RustlandCore::notify_complete(c, tasks_.size());
  }

 private:
  struct Task {
    QueuedTask q;
    uint64_t deadline;
    uint64_t timestamp;
    bool operator<(const Task& o) const {
      if (deadline != o.deadline) return deadline < o.deadline;
      if (timestamp != o.timestamp) return timestamp < o.timestamp;
      return q.pid < o.q.pid;
    }
  };

  // update_enqueued(): the task's new vruntime, and its deadline.
  uint64_t update_enqueued(QueuedTask& t) {
    const uint64_t floor = vruntime_now_ > slice_ns_ ? vruntime_now_ - slice_ns_ : 0;
    t.vtime = t.vtime == 0 ? vruntime_now_ : std::max(t.vtime, floor);
    const uint64_t ran = t.stop_ts > t.start_ts ? t.stop_ts - t.start_ts : 0;
    const uint64_t vslice = ran * 100 / t.weight;
    t.vtime += vslice;
    vruntime_now_ += vslice;
    return t.vtime + std::min(t.exec_runtime, slice_ns_ * 100);
  }

  void drain_queued_tasks(bpf::UserSchedContext& c) {
    while (std::optional<QueuedTask> t = RustlandCore::dequeue_task(c)) {
      const uint64_t deadline = update_enqueued(*t);
      // The clock as the loop reads it: the pass's start plus the CPU time it has used so far.
      tasks_.insert(Task{*t, deadline, static_cast<uint64_t>(c.now() + c.charged())});
    }
  }

  void dispatch_task(bpf::UserSchedContext& c) {
    if (tasks_.empty()) return;
    const Task t = *tasks_.begin();
    tasks_.erase(tasks_.begin());
    DispatchedTask d = dispatched_from(t.q);
    d.slice_ns = slice_ns_min_ * t.q.weight / 100;
    d.vtime = t.deadline;
    if (percpu_local_) {
      d.cpu = t.q.cpu;
    } else {
      const int32_t cpu = RustlandCore::select_cpu(c, t.q.pid, t.q.cpu, t.q.flags);
      d.cpu = cpu >= 0 ? cpu : kCpuAny;
    }
    if (!RustlandCore::dispatch_task(c, d)) tasks_.insert(t);  // no room: keep it for later
  }

  uint64_t slice_ns_, slice_ns_min_;
  bool percpu_local_;
  std::set<Task> tasks_;  // BTreeSet<Task>: an equal entry is not inserted twice
  uint64_t vruntime_now_ = 0;
};

class Rlfifo : public bpf::UserScheduler {
 public:
  static constexpr uint64_t kSliceNs = 5'000'000;

  Policy policy(const ScxOpsInfo& ops) const override { return rustland_policy(ops); }
  void attach(bpf::UserSchedContext& c) override { RustlandCore::attach(c); }

  void schedule(bpf::UserSchedContext& c) override {
    const uint64_t waiting = c.global("nr_queued");
    while (std::optional<QueuedTask> t = RustlandCore::dequeue_task(c)) {
      DispatchedTask d = dispatched_from(*t);
      const int32_t cpu = RustlandCore::select_cpu(c, t->pid, t->cpu, t->flags);
      d.cpu = cpu >= 0 ? cpu : kCpuAny;
      d.slice_ns = kSliceNs / (waiting + 1);
      // The Rust code unwraps the result: a full ring ends the process.
      if (!RustlandCore::dispatch_task(c, d)) return c.fail_process("dispatch_task: the user ring buffer is full");
    }
    RustlandCore::notify_complete(c, 0);
  }
};

}  // namespace

bpf::UserSchedInfo rustland_info() {
  bpf::UserSchedInfo i;
  i.name = "rustland";
  i.description = "scx_rustland's user space: deadline = vruntime + exec_runtime, one dispatch per pass";
  i.comm = "scx_rustland";
  i.ops_names = {"rustland"};
  i.needs = {"queued", "dispatched", "rs_select_cpu", "usersched_pid", "nr_queued", "nr_scheduled"};
  i.params = {{"slice_us", 20000, "scheduling slice in microseconds (-s)"},
              {"slice_us_min", 1000, "minimum slice in microseconds (-S)"},
              {"percpu_local", 0, "dispatch tasks to the CPU they were queued from (-l)"}};
  i.make = [](const bpf::UserSchedArgs& a) {
    return std::make_unique<Rustland>(static_cast<uint64_t>(a.at("slice_us")) * 1000,
                                      static_cast<uint64_t>(a.at("slice_us_min")) * 1000, a.at("percpu_local") != 0);
  };
  return i;
}

bpf::UserSchedInfo rlfifo_info() {
  bpf::UserSchedInfo i;
  i.name = "rlfifo";
  i.description = "scx_rlfifo's user space: FIFO, slice 5 ms / (queued + 1)";
  i.comm = "scx_rlfifo";
  i.needs = {"queued", "dispatched", "rs_select_cpu", "usersched_pid", "nr_queued", "nr_scheduled"};
  i.make = [](const bpf::UserSchedArgs&) { return std::make_unique<Rlfifo>(); };
  return i;
}

std::vector<bpf::UserSchedInfo> builtin_user_schedulers() { return {userland_info(), rustland_info(), rlfifo_info()}; }

}  // namespace scx::usersched
