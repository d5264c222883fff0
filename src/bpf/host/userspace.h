// User-space schedulers: the process half of a sched_ext scheduler whose BPF side hands tasks to
// user space and takes its decisions back (scx_userland, scx_rustland, scx_rlfifo, or your own).
//
// The process is a simulated task (a daemon: not part of the workload) forked when the
// scheduler is attached, before ops.init, so that its pid can be written into the globals its
// loader fills (usersched_pid). It runs a loop, like the real main loop:
//
//   loop { pass = UserScheduler::schedule(ctx); use the CPU time the pass cost; sched_yield(); }
//
// It never sleeps: sched_yield() leaves it runnable and its BPF side decides when it runs again
// (scx_userland dispatches it when usersched_needed is set, scx_rustland_core keeps it in its
// SCHED_DSQ until there is pending work) — the object's own logic, unchanged. When the scheduler
// is disabled, the process exits at its next pass (as rustland's loop ends on uei_exited()).
//
// A pass talks to the BPF side only as the real process does through libbpf: the object's maps
// (queue/stack pop and push, ring buffer records, user ring buffer records, lookups and
// updates), its globals (skel->bss / data / rodata) and BPF_PROG_RUN of its SEC("syscall")
// programs. Its effects are immediate, at the start of the pass; the CPU time the pass costs is
// then run before the yield: usersched_cycle per pass, usersched_syscall per bpf() syscall,
// usersched_record per ring buffer record (cost model), plus what the policy charges itself.
//
// Writing your own: derive from UserScheduler, register it, and run the BPF object with
// --usersched NAME (or name it in the object's profile, or list its ops name):
//
//   class MyFifo : public bpf::UserScheduler {
//     void attach(UserSchedContext& c) override { c.set_global("usersched_pid", c.pid()); }
//     void schedule(UserSchedContext& c) override {
//       my_task t;
//       while (c.pop("enqueued", &t) == 0) c.push("dispatched", t.pid);
//     }
//   };
//   bpf::register_user_scheduler({.name = "myfifo", .comm = "myfifo",
//                                 .make = [](const auto&) { return std::make_unique<MyFifo>(); }});
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "kernel/ext/ops.h"
#include "kernel/program.h"
#include "sim/time.h"
#include "topo/topology.h"

namespace scx {
class Cgroup;
struct Task;
}

namespace scx::bpf {

class BpfObject;
class BpfScxOps;
class Btf;
class Map;
class UserSchedHost;

// What the scheduler's process can do in one pass. Names are the object's own: a map, a global
// of .bss/.data/.rodata, a SEC("syscall") program. Using a name the object lacks, or a map of
// the wrong type or value size, is the process failing: the scheduler exits with an error.
class UserSchedContext {
 public:
  // ---- Maps (each call is one bpf() syscall unless said otherwise) ----
  // BPF_MAP_LOOKUP_AND_DELETE_ELEM on a queue/stack: 0 with `out` filled, -ENOENT when empty.
  long pop(std::string_view map, std::span<uint8_t> out);
  // BPF_MAP_UPDATE_ELEM on a queue/stack: 0, or -E2BIG when it is full.
  long push(std::string_view map, std::span<const uint8_t> value);
  // BPF_MAP_LOOKUP_ELEM / BPF_MAP_UPDATE_ELEM on any other map: 0 or -errno.
  long lookup(std::string_view map, std::span<const uint8_t> key, std::span<uint8_t> out);
  long update(std::string_view map, std::span<const uint8_t> key, std::span<const uint8_t> value,
              uint64_t flags = 0);
  // ring_buffer__consume_n on a BPF_MAP_TYPE_RINGBUF (shared memory, no syscall): up to `max`
  // records, oldest first; returns how many.
  size_t consume(std::string_view ringbuf, const std::function<void(std::span<const uint8_t>)>& fn,
                 size_t max = SIZE_MAX);
  // user_ring_buffer__reserve + __submit on a BPF_MAP_TYPE_USER_RINGBUF (shared memory): 0,
  // -E2BIG (can never fit) or -ENOSPC (full until the BPF side drains).
  long produce(std::string_view user_ringbuf, std::span<const uint8_t> record);

  // ---- Globals (the skeleton's mmap of .bss/.data/.rodata: no syscall) ----
  // An integer global of 1, 2, 4 or 8 bytes (zero-extended).
  uint64_t global(std::string_view name);
  void set_global(std::string_view name, uint64_t value);

  // ---- Programs ----
  // BPF_PROG_RUN of a SEC("syscall") program with `ctx` as its (read-write) context; its return
  // value. It runs on the process's CPU, in no sched_ext operation (an unlocked context).
  int64_t run_program(std::string_view program, std::span<uint8_t> ctx);

  // Whether the object has this SEC("syscall") program (the skeleton's progs member).
  bool has_program(std::string_view program) const;

  // ---- Raw access to the skeleton (the mmapped globals and generated types) ----
  // A global of .bss/.data of any type, and its BTF type id (*type_id); an empty span (the
  // process failing) when the object has no such host-writable global.
  std::span<uint8_t> global_bytes(std::string_view name, uint32_t* type_id);
  // The object's BTF: the types its skeleton was generated from.
  const Btf& btf() const;

  // Typed forms of the above for plain structs.
  template <class T> long pop(std::string_view map, T* out) { return pop(map, bytes_of(out)); }
  template <class T> long push(std::string_view map, const T& v) { return push(map, bytes_of(v)); }
  template <class T> long produce(std::string_view map, const T& v) { return produce(map, bytes_of(v)); }
  template <class T> int64_t run_program(std::string_view program, T* ctx) {
    return run_program(program, bytes_of(ctx));
  }

  // ---- cgroupfs (reading /sys/fs/cgroup: the simulated kernel's hierarchy, no bpf() syscall) ----
  // The cgroup at `path` ("/workload"; its children are the directories in it), or nullptr.
  const Cgroup* cgroup(std::string_view path) const;

  // ---- The process ----
  Ns now() const;   // clock_gettime(CLOCK_MONOTONIC): the clock the BPF side sees (ExtClass::now)
  int pid() const;  // getpid()
  int cpu() const;  // sched_getcpu()
  const Topology& topology() const;
  // Extra CPU time this pass costs (the policy's own computation, at capacity 1024).
  void charge(Ns work) { charged_ += work; }
  Ns charged() const { return charged_; }
  // True once the process has failed (a bad name or map): the pass should stop.
  bool failed() const { return failed_; }
  // The process dies (a panic, an exit on error): its scheduler exits with `why`.
  void fail_process(const std::string& why);

 private:
  friend class UserSchedHost;
  UserSchedContext(UserSchedHost& host, const Task& self) : host_(host), self_(self) {}
  template <class T> static std::span<uint8_t> bytes_of(T* p) {
    return {reinterpret_cast<uint8_t*>(p), sizeof(T)};
  }
  template <class T> static std::span<const uint8_t> bytes_of(const T& v) {
    return {reinterpret_cast<const uint8_t*>(&v), sizeof(T)};
  }
  // The map `name` of one of `types` (nullptr after failing the process).
  Map* map_of(std::string_view name, std::initializer_list<uint32_t> types, const char* what);
  uint8_t* global_of(std::string_view name, size_t* size);

  UserSchedHost& host_;
  const Task& self_;       // the process's task
  bool attaching_ = false;  // UserScheduler::attach: the loader may still write .rodata
  Ns charged_ = 0;
  bool failed_ = false;
};

// The decision logic of a user-space scheduler.
class UserScheduler {
 public:
  virtual ~UserScheduler() = default;
  // The policy of its process (SCHED_EXT or SCHED_NORMAL, as the real one sets itself).
  virtual Policy policy(const ScxOpsInfo& ops) const {
    (void)ops;
    return Policy::Normal;
  }
  // What its loader writes from its own process before load (usersched_pid = getpid()); runs
  // when the process has been forked, before ops.init.
  virtual void attach(UserSchedContext& ctx) = 0;
  // One pass of its main loop; afterwards the process uses the CPU time charged and yields.
  virtual void schedule(UserSchedContext& ctx) = 0;
};

struct UserSchedParam {
  std::string name;
  int64_t value = 0;  // the default
  std::string help;
};
using UserSchedArgs = std::map<std::string, int64_t>;

// Another thread of the process that wakes up on its own (scx_userland's stats printer): it
// runs `work` (at capacity 1024), sleeps `period`, and so on, from the process's start.
struct UserSchedThread {
  std::string comm;
  Ns period = 0;
  Ns work = 0;
};

struct UserSchedInfo {
  std::string name;         // --usersched NAME and a profile's "usersched"
  std::string description;
  std::string comm;         // its process's name
  std::vector<std::string> ops_names;  // objects with these ops names get it by default
  // Maps, globals and programs of the object it uses (checked at load).
  std::vector<std::string> needs;
  std::vector<UserSchedParam> params;  // a profile's "usersched_args" set them
  std::vector<UserSchedThread> threads;
  // Non-zero: the main loop sleeps this long after each pass instead of yielding (a process
  // that works on a timer, like scx_layered's refresh every --interval).
  Ns period = 0;
  // Gets every param (defaults filled in).
  std::function<std::unique_ptr<UserScheduler>(const UserSchedArgs& args)> make;
};

// The registry: the built-ins (scx_userland's "userland", scx_rustland's "rustland",
// scx_rlfifo's "rlfifo") plus any registered; a name registered again replaces the old one.
void register_user_scheduler(UserSchedInfo info);
const UserSchedInfo* find_user_scheduler(std::string_view name);
// The first one (by name) listing ops_name.
const UserSchedInfo* user_scheduler_for_ops(std::string_view ops_name);
std::vector<const UserSchedInfo*> user_schedulers();  // by name

struct ResolvedProfile;

// The host side: one per loaded BPF scheduler that has a user-space scheduler.
class UserSchedHost {
 public:
  // Checks that the object has what `info` needs and that `args` are its params.
  static Result<std::unique_ptr<UserSchedHost>> create(BpfScxOps& ops, const UserSchedInfo& info,
                                                       const UserSchedArgs& args);
  // The one for a loaded object: `choice` (--usersched) "" = the profile's "usersched", else the
  // one registered for the ops name, else none; "none" = none; else that name. The profile's
  // usersched_args apply unless --usersched picked another scheduler than the profile names.
  // nullptr: no user-space scheduler.
  static Result<std::unique_ptr<UserSchedHost>> choose(BpfScxOps& ops, const std::string& choice,
                                                       const ResolvedProfile& profile);
  ~UserSchedHost();

  // Before ops.init: forks the process (a daemon task) and runs UserScheduler::attach.
  void start();
  const std::string& name() const { return info_.name; }
  int pid() const { return pid_; }
  uint64_t passes() const { return passes_; }
  Ns charged() const { return charged_; }  // CPU time its passes asked for
  BpfScxOps& ops() { return ops_; }

 private:
  UserSchedHost(BpfScxOps& ops, UserSchedInfo info, std::unique_ptr<UserScheduler> sched);
  // One pass (the daemon's host function): the work it costs, or -1 when the process exits.
  int64_t pass(Task& self);
  bool attached() const;
  scx::Program program(uint32_t host_fn) const;
  void spawn_thread(uint32_t host_fn, size_t index, const Task& main);
  // A thread's run: its work, or -1 when the process has exited.
  int64_t thread_work(size_t index) const;

  BpfScxOps& ops_;
  UserSchedInfo info_;
  std::unique_ptr<UserScheduler> sched_;
  std::shared_ptr<UserSchedHost*> self_;  // the kernel's host function holds a weak_ptr
  int pid_ = 0;
  uint64_t passes_ = 0;
  Ns charged_ = 0;
  bool failed_ = false;
};

}  // namespace scx::bpf
