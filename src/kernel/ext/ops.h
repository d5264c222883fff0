// The policy interface of the sched_ext class: one method per struct sched_ext_ops callback,
// with the kernel's C argument types (task_struct from the one definition of the kernel's
// types), so a native C++ policy and a loaded .bpf.o are driven identically. A policy reports
// which callbacks it implements; the ext class applies the kernel's defaults for the others.
// Policies act on the kernel only through the kfuncs (the ExtClass kfunc methods, reached with
// kf()), exactly like BPF code.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>

#include "scxsim/kernel_types.h"

namespace scx {

class ExtClass;

// struct sched_ext_ops members, in the kernel's order (V612's, with 6.17's cgroup_set_bandwidth
// after cgroup_set_weight).
enum class ScxOp : uint8_t {
  SelectCpu, Enqueue, Dequeue, Dispatch, Tick, Runnable, Running, Stopping, Quiescent, Yield,
  CoreSchedBefore, SetWeight, SetCpumask, UpdateIdle, CpuAcquire, CpuRelease, InitTask,
  ExitTask, Enable, Disable, Dump, DumpCpu, DumpTask, CgroupInit, CgroupExit, CgroupPrepMove,
  CgroupMove, CgroupCancelMove, CgroupSetWeight, CgroupSetBandwidth, CpuOnline,
  CpuOffline, Init, Exit,
  kCount
};
inline constexpr int kScxOpCount = static_cast<int>(ScxOp::kCount);
const char* scx_op_name(ScxOp op);  // "select_cpu", "enqueue", ...

// The data members of struct sched_ext_ops.
struct ScxOpsInfo {
  std::string name;
  uint64_t flags = 0;
  uint32_t timeout_ms = 0;          // 0 = 30000
  uint32_t dispatch_max_batch = 0;  // 0 = 32
  uint32_t exit_dump_len = 0;       // 0 = 32768
  uint64_t hotplug_seq = 0;
  int loader_cpu = -1;  // the CPU user space attaches from (ops.init runs there); -1: any
  std::bitset<kScxOpCount> implemented;
  bool has(ScxOp op) const { return implemented.test(static_cast<size_t>(op)); }
};

class ScxOps {
 public:
  virtual ~ScxOps() = default;
  virtual const ScxOpsInfo& info() const = 0;

  // Called by the ext class when the policy is attached; kfuncs are available from then on.
  // on_attach() runs then, before the enable sequence (ops.init) begins.
  void attach(ExtClass* kf) {
    kf_ = kf;
    on_attach();
  }
  ExtClass& kf() const { return *kf_; }

  // Only the callbacks marked in info().implemented are ever called.
  virtual s32 select_cpu(task_struct* p, s32 prev_cpu, u64 wake_flags) { (void)p, (void)wake_flags; return prev_cpu; }
  virtual void enqueue(task_struct* p, u64 enq_flags) { (void)p, (void)enq_flags; }
  virtual void dequeue(task_struct* p, u64 deq_flags) { (void)p, (void)deq_flags; }
  virtual void dispatch(s32 cpu, task_struct* prev) { (void)cpu, (void)prev; }
  virtual void tick(task_struct* p) { (void)p; }
  virtual void runnable(task_struct* p, u64 enq_flags) { (void)p, (void)enq_flags; }
  virtual void running(task_struct* p) { (void)p; }
  virtual void stopping(task_struct* p, bool runnable) { (void)p, (void)runnable; }
  virtual void quiescent(task_struct* p, u64 deq_flags) { (void)p, (void)deq_flags; }
  virtual bool yield(task_struct* from, task_struct* to) { (void)from, (void)to; return false; }
  virtual bool core_sched_before(task_struct* a, task_struct* b) { (void)a, (void)b; return false; }
  virtual void set_weight(task_struct* p, u32 weight) { (void)p, (void)weight; }
  virtual void set_cpumask(task_struct* p, const cpumask* mask) { (void)p, (void)mask; }
  virtual void update_idle(s32 cpu, bool idle) { (void)cpu, (void)idle; }
  virtual void cpu_acquire(s32 cpu, scx_cpu_acquire_args* args) { (void)cpu, (void)args; }
  virtual void cpu_release(s32 cpu, scx_cpu_release_args* args) { (void)cpu, (void)args; }
  virtual s32 init_task(task_struct* p, scx_init_task_args* args) { (void)p, (void)args; return 0; }
  virtual void exit_task(task_struct* p, scx_exit_task_args* args) { (void)p, (void)args; }
  virtual void enable(task_struct* p) { (void)p; }
  virtual void disable(task_struct* p) { (void)p; }
  virtual void dump(scx_dump_ctx* ctx) { (void)ctx; }
  virtual void dump_cpu(scx_dump_ctx* ctx, s32 cpu, bool idle) { (void)ctx, (void)cpu, (void)idle; }
  virtual void dump_task(scx_dump_ctx* ctx, task_struct* p) { (void)ctx, (void)p; }
  virtual s32 cgroup_init(cgroup* cgrp, scx_cgroup_init_args* args) { (void)cgrp, (void)args; return 0; }
  virtual void cgroup_exit(cgroup* cgrp) { (void)cgrp; }
  virtual s32 cgroup_prep_move(task_struct* p, cgroup* from, cgroup* to) { (void)p, (void)from, (void)to; return 0; }
  virtual void cgroup_move(task_struct* p, cgroup* from, cgroup* to) { (void)p, (void)from, (void)to; }
  virtual void cgroup_cancel_move(task_struct* p, cgroup* from, cgroup* to) { (void)p, (void)from, (void)to; }
  virtual void cgroup_set_weight(cgroup* cgrp, u32 weight) { (void)cgrp, (void)weight; }
  virtual void cgroup_set_bandwidth(cgroup* cgrp, u64 period_us, u64 quota_us, u64 burst_us) {
    (void)cgrp, (void)period_us, (void)quota_us, (void)burst_us;
  }
  virtual void cpu_online(s32 cpu) { (void)cpu; }
  virtual void cpu_offline(s32 cpu) { (void)cpu; }
  virtual s32 init() { return 0; }
  virtual void exit(scx_exit_info* info) { (void)info; }

  // Not sched_ext_ops members: the registration around them (the struct_ops link's
  // bpf_scx_reg()), for what the policy's user space attached besides the ops. `registering`
  // comes first, before any op (a policy may fail the load with kf().error()); `registered`
  // when bpf_scx_reg() returns (ret 0: enabled); `disabled` once the policy is disabled,
  // after ops.exit (its user space then detaches the rest).
  virtual void registering() {}
  virtual void registered(int ret) { (void)ret; }
  virtual void disabled() {}
  // Not an op either: the cgroup is being freed (rmdir), loaded or not; after ops.cgroup_exit
  // if it had one. What the policy's kernel side keeps of it goes too (cgroup local storage).
  virtual void cgroup_released(cgroup* cgrp) { (void)cgrp; }
  // Not an op either: p leaves the policy (its exit_task moment, after ops.exit_task if the
  // policy has one, and also when it has none), so the host forgets what it keeps of p.
  virtual void task_released(task_struct* p) { (void)p; }

 protected:
  // What the policy's user space has done before it creates the link: runs at attach(), before
  // the enable sequence and registering() (the BPF host forks a user-space scheduler's process
  // here, while no task can be taken by the policy yet).
  virtual void on_attach() {}

 private:
  ExtClass* kf_ = nullptr;
};

}  // namespace scx
