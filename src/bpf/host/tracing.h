// The tracing programs of a scheduler object (tp_btf/, raw_tp/, fentry/, fexit/;
// loader/tracing_sections.h), attached as the scheduler's user space attaches them with
// libbpf's skeleton (scx_ops_attach!: skel.attach(), then the struct_ops link):
//  * checked at load as the kernel checks them: a target the simulated kernel does not have
//    is a load error (the kernel's attach fails), and so is a call to a kfunc the kernel does
//    not register for tracing programs (the verifier rejects it);
//  * attached when the scheduler registers (BpfScxOps::registering, before ops.init), detached
//    when it is disabled; fentry/fexit on bpf_scx_reg run at the registration's entry and
//    return, the tracepoint programs at the core's tracepoints (kernel/tracepoints.h);
//  * targets that exist in the real kernel but are not simulated attach and never fire
//    (docs/sched_ext.md lists them);
//  * each run is on the event's CPU with `current` as the kernel has it; fentry/fexit runs see
//    the trampoline prolog's migrate_disable() on current (6.12 without PREEMPT_RCU);
//  * a program already running on this path is skipped and counted as a miss, as the
//    kernel's per-program recursion guard does;
//  * a fault ejects the scheduler (see BpfScxOps::run_traced).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "bpf/loader/object.h"
#include "bpf/loader/tracing_sections.h"
#include "kernel/tracepoints.h"

namespace scx {
class Kernel;
}

namespace scx::bpf {

class BpfScxOps;

struct TracingProgram {
  const BpfProgram* prog = nullptr;
  TracingKind kind = TracingKind::kTracepoint;
  std::string target;                    // tracepoint or kernel function
  std::optional<Tracepoint> tracepoint;  // a simulated tracepoint
  bool fires = false;                    // false: the target is not simulated
  bool running = false;                  // recursion guard
  uint64_t runs = 0, misses = 0;         // completed runs; runs skipped by the guard
};

class TracingPrograms final : public TracepointProbes {
 public:
  // The object's auto-attached tracing programs, checked as described above.
  static Result<std::unique_ptr<TracingPrograms>> create(BpfScxOps& host, const BpfObject& obj);
  ~TracingPrograms() override { detach(); }

  void attach(Kernel& k);
  void detach();
  bool attached() const { return kernel_ != nullptr; }
  // fentry/bpf_scx_reg (no `ret`) or fexit/bpf_scx_reg.
  void scx_reg(Task& current, std::optional<int> ret);
  void fire(Tracepoint tp, Task& current, std::span<const uint64_t> args) override;
  const std::vector<TracingProgram>& programs() const { return progs_; }

 private:
  explicit TracingPrograms(BpfScxOps& host) : host_(host) {}
  Status add(const BpfObject& obj, const BpfProgram& p, TracingSection sec);
  void run(TracingProgram& t, Task& current, std::span<const uint64_t> args, unsigned task_args);

  BpfScxOps& host_;
  Kernel* kernel_ = nullptr;
  std::vector<TracingProgram> progs_;
};

}  // namespace scx::bpf
