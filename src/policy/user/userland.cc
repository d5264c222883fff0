// scx_userland's user space (scheds/c/scx_userland.c, sched-ext/scx 0f379644a): a vruntime
// scheduler over one sorted list. Each pass drains the `enqueued` queue map (one
// lookup-and-delete syscall per task), charges each task its runtime since it was last seen
// divided by weight/100 (in double precision, as the C code), clamps it to the last dispatched
// vruntime, then pushes up to `batch` pids with the lowest vruntime into the `dispatched` queue
// map and publishes its counters in nr_queued / nr_scheduled.
#include <cerrno>
#include <cstdint>
#include <list>
#include <map>

#include "policy/user/builtins.h"

namespace scx::usersched {
namespace {

// struct scx_userland_enqueued_task (scx_userland.h).
struct EnqueuedTask {
  int32_t pid;
  uint64_t sum_exec_runtime;
  uint64_t weight;
};
static_assert(sizeof(EnqueuedTask) == 24);

class Userland : public bpf::UserScheduler {
 public:
  explicit Userland(int64_t batch) : batch_(static_cast<uint32_t>(batch)) {}

  // pre_bootstrap(): sched_setscheduler(getpid(), SCHED_EXT).
  Policy policy(const ScxOpsInfo&) const override { return Policy::Ext; }

  void attach(bpf::UserSchedContext& c) override { c.set_global("usersched_pid", static_cast<uint64_t>(c.pid())); }

  void schedule(bpf::UserSchedContext& c) override {
    drain(c);
    dispatch_batch(c);
  }

 private:
  struct Entry {
    uint64_t sum_exec_runtime = 0;
    double vruntime = 0;
    bool queued = false;
  };

  void drain(bpf::UserSchedContext& c) {
    EnqueuedTask t;
    while (!c.failed() && c.pop("enqueued", &t) == 0) enqueue(t);
    c.set_global("nr_queued", 0);
    c.set_global("nr_scheduled", queued_.size());
  }

  void enqueue(const EnqueuedTask& t) {
    Entry& e = tasks_[t.pid];
    // update_enqueued(): runtime since the last enqueue, scaled by 100 / weight.
    e.vruntime += static_cast<double>(t.sum_exec_runtime - e.sum_exec_runtime) / (static_cast<double>(t.weight) / 100.0);
    if (min_vruntime_ > e.vruntime) e.vruntime = min_vruntime_;
    e.sum_exec_runtime = t.sum_exec_runtime;
    // The C list would be corrupted by a task queued twice; here it moves to its new place.
    if (e.queued) queued_.remove(t.pid);
    e.queued = true;
    // Before the first entry with an equal or higher vruntime.
    auto it = queued_.begin();
    while (it != queued_.end() && e.vruntime > tasks_[*it].vruntime) ++it;
    queued_.insert(it, t.pid);
  }

  void dispatch_batch(bpf::UserSchedContext& c) {
    for (uint32_t i = 0; i < batch_ && !queued_.empty() && !c.failed(); ++i) {
      const int32_t pid = queued_.front();
      Entry& e = tasks_[pid];
      min_vruntime_ = e.vruntime;
      if (c.push("dispatched", pid) != 0) break;  // full: it stays first in the list
      queued_.pop_front();
      e.queued = false;
    }
    c.set_global("nr_scheduled", queued_.size());
  }

  uint32_t batch_;
  std::map<int32_t, Entry> tasks_;  // the C code's pid-indexed array
  std::list<int32_t> queued_;       // by vruntime, lowest first
  double min_vruntime_ = 0;
};

}  // namespace

bpf::UserSchedInfo userland_info() {
  bpf::UserSchedInfo i;
  i.name = "userland";
  i.description = "scx_userland's user space: vruntime order, batches pushed to the 'dispatched' queue map";
  i.comm = "scx_userland";
  i.ops_names = {"userland"};
  i.needs = {"enqueued", "dispatched", "usersched_pid", "nr_queued", "nr_scheduled"};
  i.params = {{"batch", 8, "tasks dispatched per pass (-b)"}};
  // run_stats_printer(): prints its table, then sleep(1); the table's printf costs are a guess.
  i.threads = {{"scx_userland", kNsPerSec, 20 * kNsPerUs}};
  i.make = [](const bpf::UserSchedArgs& a) { return std::make_unique<Userland>(a.at("batch")); };
  return i;
}

}  // namespace scx::usersched
