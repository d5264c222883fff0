#include "policy/user/rustland_core.h"

#include <cstring>

namespace scx::usersched {

namespace {

// struct task_cpu_arg (intf.h): rs_select_cpu's context.
struct TaskCpuArg {
  int32_t pid;
  int32_t cpu;
  uint64_t flags;
};
static_assert(sizeof(TaskCpuArg) == 16);

}  // namespace

DispatchedTask dispatched_from(const QueuedTask& t) {
  return DispatchedTask{t.pid, t.cpu, t.flags, 0, 0, t.enq_cnt};
}

void RustlandCore::attach(bpf::UserSchedContext& c) {
  c.set_global("usersched_pid", static_cast<uint64_t>(c.pid()));
}

std::optional<QueuedTask> RustlandCore::dequeue_task(bpf::UserSchedContext& c) {
  std::optional<QueuedTask> t;
  c.consume(
      "queued",
      [&](std::span<const uint8_t> rec) {
        QueuedTask q{};
        std::memcpy(&q, rec.data(), std::min(rec.size(), sizeof(q)));
        t = q;
      },
      1);
  const uint64_t n = c.global("nr_queued");
  c.set_global("nr_queued", !t ? 0 : n ? n - 1 : 0);
  return t;
}

bool RustlandCore::dispatch_task(bpf::UserSchedContext& c, const DispatchedTask& t) {
  return c.produce("dispatched", t) == 0;
}

int32_t RustlandCore::select_cpu(bpf::UserSchedContext& c, int32_t pid, int32_t cpu, uint64_t flags) {
  TaskCpuArg arg{pid, cpu, flags};
  return static_cast<int32_t>(c.run_program("rs_select_cpu", &arg));
}

void RustlandCore::notify_complete(bpf::UserSchedContext& c, uint64_t pending) {
  c.set_global("nr_scheduled", pending);
}

}  // namespace scx::usersched
