// Test harness for the sched_ext class: a kernel with the fair and ext classes, and a
// recording policy whose callbacks log themselves and run optional lambdas.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../kernel/harness.h"
#include "kernel/ext/ext_class.h"
#include "kernel/fair/fair_class.h"

namespace scx::testing {

inline std::string tname(const task_struct* p) { return p ? std::string(p->comm) : "NULL"; }

// Callbacks are recorded as "t_us:op(args)". Behaviour is plugged in with the std::function
// members; unset ones use the simplest legal behaviour (global FIFO through a user DSQ).
class RecordingPolicy : public ScxOps {
 public:
  explicit RecordingPolicy(std::vector<ScxOp> ops, uint64_t flags = 0) {
    info_.name = "recorder";
    info_.flags = flags;
    for (ScxOp op : ops) info_.implemented.set(static_cast<size_t>(op));
  }
  const ScxOpsInfo& info() const override { return info_; }
  ScxOpsInfo& mutable_info() { return info_; }

  std::vector<std::string> log;
  bool record_ticks = false;
  std::function<s32(task_struct*, s32, u64)> on_select_cpu;
  std::function<void(task_struct*, u64)> on_enqueue;
  std::function<void(task_struct*, u64)> on_dequeue;
  std::function<void(s32, task_struct*)> on_dispatch;
  std::function<void(task_struct*)> on_tick;
  std::function<void(s32, scx_cpu_release_args*)> on_cpu_release;
  std::function<s32()> on_init;

  static constexpr u64 kDsq = 7;

  s32 select_cpu(task_struct* p, s32 prev_cpu, u64 wake_flags) override {
    rec(fmt::format("select_cpu({},{},0x{:x})", tname(p), prev_cpu, wake_flags));
    return on_select_cpu ? on_select_cpu(p, prev_cpu, wake_flags) : prev_cpu;
  }
  void enqueue(task_struct* p, u64 f) override {
    rec(fmt::format("enqueue({},0x{:x})", tname(p), f));
    if (on_enqueue) on_enqueue(p, f);
    else kf().dsq_insert(p, kDsq, SCX_SLICE_DFL, f);
  }
  void dequeue(task_struct* p, u64 f) override {
    rec(fmt::format("dequeue({},0x{:x})", tname(p), f));
    if (on_dequeue) on_dequeue(p, f);
  }
  void dispatch(s32 cpu, task_struct* prev) override {
    rec(fmt::format("dispatch({},{})", cpu, tname(prev)));
    if (on_dispatch) on_dispatch(cpu, prev);
    else kf().dsq_move_to_local(kDsq);
  }
  void tick(task_struct* p) override {
    if (record_ticks) rec(fmt::format("tick({})", tname(p)));
    if (on_tick) on_tick(p);
  }
  void runnable(task_struct* p, u64 f) override { rec(fmt::format("runnable({},0x{:x})", tname(p), f)); }
  void running(task_struct* p) override { rec(fmt::format("running({})", tname(p))); }
  void stopping(task_struct* p, bool r) override { rec(fmt::format("stopping({},{})", tname(p), r)); }
  void quiescent(task_struct* p, u64 f) override { rec(fmt::format("quiescent({},0x{:x})", tname(p), f)); }
  bool yield(task_struct* from, task_struct* to) override {
    rec(fmt::format("yield({},{})", tname(from), tname(to)));
    return false;
  }
  void set_weight(task_struct* p, u32 w) override { rec(fmt::format("set_weight({},{})", tname(p), w)); }
  void set_cpumask(task_struct* p, const cpumask*) override { rec(fmt::format("set_cpumask({})", tname(p))); }
  void cpu_acquire(s32 cpu, scx_cpu_acquire_args*) override { rec(fmt::format("cpu_acquire({})", cpu)); }
  void cpu_release(s32 cpu, scx_cpu_release_args* a) override {
    rec(fmt::format("cpu_release({},{},{})", cpu, static_cast<int>(a->reason), tname(a->task)));
    if (on_cpu_release) on_cpu_release(cpu, a);
  }
  s32 init_task(task_struct* p, scx_init_task_args* a) override {
    rec(fmt::format("init_task({},fork={})", tname(p), a->fork));
    return 0;
  }
  void exit_task(task_struct* p, scx_exit_task_args*) override { rec(fmt::format("exit_task({})", tname(p))); }
  void enable(task_struct* p) override { rec(fmt::format("enable({})", tname(p))); }
  void disable(task_struct* p) override { rec(fmt::format("disable({})", tname(p))); }
  s32 init() override {
    rec("init");
    s32 r = kf().create_dsq(kDsq, -1);
    return on_init ? on_init() : r;
  }
  void exit(scx_exit_info* ei) override { rec(fmt::format("exit(kind={})", static_cast<int>(ei->kind))); }

  // Lines recorded at or after t_us (to skip the load sequence), optionally only for one task.
  std::vector<std::string> since(uint64_t t_us, const std::string& task = "") const {
    std::vector<std::string> out;
    for (const auto& l : log) {
      uint64_t t = std::stoull(l.substr(0, l.find(':')));
      if (t < t_us) continue;
      if (!task.empty() && l.find("(" + task + ",") == std::string::npos &&
          l.find("(" + task + ")") == std::string::npos && l.find("," + task + ")") == std::string::npos)
        continue;
      out.push_back(l);
    }
    return out;
  }

 private:
  void rec(const std::string& s) { log.push_back(fmt::format("{}:{}", kf().now() / 1000, s)); }
  ScxOpsInfo info_;
};

inline std::vector<ScxOp> all_task_ops() {
  return {ScxOp::SelectCpu, ScxOp::Enqueue, ScxOp::Dequeue, ScxOp::Dispatch, ScxOp::Tick, ScxOp::Runnable,
          ScxOp::Running, ScxOp::Stopping, ScxOp::Quiescent, ScxOp::SetWeight, ScxOp::SetCpumask,
          ScxOp::InitTask, ScxOp::ExitTask, ScxOp::Enable, ScxOp::Disable, ScxOp::Init, ScxOp::Exit};
}

struct ExtSim : Sim {
  explicit ExtSim(const std::string& topo_spec, CostModel cost = zero_costs(),
                  KernelVersion version = KernelVersion::V6_12, Ns uptime = 0)
      : Sim(topo_spec, cost, 1, version, NoiseModel::off(), uptime) {
    FairConfig fcfg = FairConfig::for_kernel(version, static_cast<int>(topo.nr_cpus()), static_cast<unsigned>(cost.hz));
    kernel->set_fair_class(std::make_unique<FairClass>(*kernel, fcfg));
    auto e = std::make_unique<ExtClass>(*kernel);
    ext = e.get();
    kernel->set_ext_class(std::move(e));
  }
  // Attaches at t=0 before the workload exists, so tasks are forked into ext.
  RecordingPolicy& attach(std::unique_ptr<RecordingPolicy> p, Ns at = 0) {
    RecordingPolicy& ref = *p;
    ext->load_at(std::move(p), at);
    if (at == 0) {
      EXPECT_TRUE(kernel->run_until(0).ok());
    }
    return ref;
  }
  ExtClass* ext = nullptr;
};

}  // namespace scx::testing
