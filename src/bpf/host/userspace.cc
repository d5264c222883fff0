#include "bpf/host/userspace.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "bpf/host/bpf_ops.h"
#include "bpf/host/profile.h"
#include "bpf/maps/map.h"
#include "kernel/ext/ext_class.h"
#include "kernel/kernel.h"
#include "policy/user/builtins.h"

namespace scx::bpf {

namespace {

bool percpu_type(uint32_t t) { return t == kMapPercpuArray || t == kMapPercpuHash || t == kMapLruPercpuHash; }

std::vector<UserSchedInfo>& registry() {
  static std::vector<UserSchedInfo> r = usersched::builtin_user_schedulers();
  return r;
}

}  // namespace

// ---- UserSchedContext ----------------------------------------------------------------------

void UserSchedContext::fail_process(const std::string& why) {
  if (failed_) return;
  failed_ = true;
  // The process dies; its scheduler goes with it (the kernel would see the link dropped).
  host_.ops().kf().error(fmt::format("user-space scheduler '{}' failed: {}", host_.name(), why));
}

Map* UserSchedContext::map_of(std::string_view name, std::initializer_list<uint32_t> types, const char* what) {
  if (failed_) return nullptr;
  Map* m = host_.ops().object().map(name);
  if (!m) {
    fail_process(fmt::format("{}: the object has no map '{}'", what, name));
    return nullptr;
  }
  const bool any = types.size() == 0;
  if (!any && std::find(types.begin(), types.end(), m->type()) == types.end()) {
    fail_process(fmt::format("{}: map '{}' is a {} map", what, name, map_type_name(m->type())));
    return nullptr;
  }
  return m;
}

long UserSchedContext::pop(std::string_view map, std::span<uint8_t> out) {
  Map* m = map_of(map, {kMapQueue, kMapStack}, "pop");
  if (!m) return -EINVAL;
  if (out.size() != m->spec().value_size) {
    fail_process(fmt::format("pop: map '{}' holds {}-byte values, not {}", map, m->spec().value_size, out.size()));
    return -EINVAL;
  }
  charge(host_.ops().kf().kernel().cost().usersched_syscall_ns);
  return m->pop(out.data());
}

long UserSchedContext::push(std::string_view map, std::span<const uint8_t> value) {
  Map* m = map_of(map, {kMapQueue, kMapStack}, "push");
  if (!m) return -EINVAL;
  if (value.size() != m->spec().value_size) {
    fail_process(fmt::format("push: map '{}' holds {}-byte values, not {}", map, m->spec().value_size, value.size()));
    return -EINVAL;
  }
  charge(host_.ops().kf().kernel().cost().usersched_syscall_ns);
  return m->push(value.data(), kBpfAny);
}

long UserSchedContext::lookup(std::string_view map, std::span<const uint8_t> key, std::span<uint8_t> out) {
  Map* m = map_of(map, {}, "lookup");
  if (!m) return -EINVAL;
  const MapSpec& s = m->spec();
  const size_t want = percpu_type(s.type) ? m->env().nr_cpus * ((s.value_size + 7) / 8 * 8) : s.value_size;
  if (key.size() != s.key_size || out.size() != want) {
    fail_process(fmt::format("lookup: map '{}' has {}-byte keys and {}-byte values, not {} and {}", map, s.key_size,
                     want, key.size(), out.size()));
    return -EINVAL;
  }
  charge(host_.ops().kf().kernel().cost().usersched_syscall_ns);
  return m->lookup_copy(key.data(), out.data());
}

long UserSchedContext::update(std::string_view map, std::span<const uint8_t> key, std::span<const uint8_t> value,
                              uint64_t flags) {
  Map* m = map_of(map, {kMapHash, kMapArray, kMapLruHash}, "update");
  if (!m) return -EINVAL;
  if (key.size() != m->spec().key_size || value.size() != m->spec().value_size) {
    fail_process(fmt::format("update: map '{}' has {}-byte keys and {}-byte values", map, m->spec().key_size,
                     m->spec().value_size));
    return -EINVAL;
  }
  charge(host_.ops().kf().kernel().cost().usersched_syscall_ns);
  return m->update(key.data(), value.data(), flags);
}

size_t UserSchedContext::consume(std::string_view ringbuf, const std::function<void(std::span<const uint8_t>)>& fn,
                                 size_t max) {
  auto* rb = static_cast<RingbufMap*>(map_of(ringbuf, {kMapRingbuf}, "consume"));
  if (!rb) return 0;
  const size_t n = rb->consume(fn, max);
  charge(static_cast<Ns>(n) * host_.ops().kf().kernel().cost().usersched_record_ns);
  return n;
}

long UserSchedContext::produce(std::string_view user_ringbuf, std::span<const uint8_t> record) {
  auto* rb = static_cast<UserRingbufMap*>(map_of(user_ringbuf, {kMapUserRingbuf}, "produce"));
  if (!rb) return -EINVAL;
  charge(host_.ops().kf().kernel().cost().usersched_record_ns);
  return rb->produce(record);
}

uint8_t* UserSchedContext::global_of(std::string_view name, size_t* size) {
  if (failed_) return nullptr;
  BpfObject& o = host_.ops().object();
  const GlobalVar* g = o.global(name);
  uint8_t* p = g ? o.global_data(name) : nullptr;
  if (!p || !g->settable || (g->size != 1 && g->size != 2 && g->size != 4 && g->size != 8)) {
    fail_process(fmt::format("the object has no integer global '{}' in .bss, .data or .rodata", name));
    return nullptr;
  }
  *size = g->size;
  return p;
}

uint64_t UserSchedContext::global(std::string_view name) {
  size_t size = 0;
  const uint8_t* p = global_of(name, &size);
  uint64_t v = 0;
  if (p) std::memcpy(&v, p, size);  // little-endian: the low bytes
  return v;
}

void UserSchedContext::set_global(std::string_view name, uint64_t value) {
  size_t size = 0;
  uint8_t* p = global_of(name, &size);
  if (!p) return;
  // .rodata is frozen at load: only the loader (attach) writes it.
  if (!attaching_ && host_.ops().object().global(name)->read_only) {
    fail_process(fmt::format("global '{}' is in .rodata, read-only after load", name));
    return;
  }
  std::memcpy(p, &value, size);
}

int64_t UserSchedContext::run_program(std::string_view program, std::span<uint8_t> ctx) {
  if (failed_) return -EINVAL;
  charge(host_.ops().kf().kernel().cost().usersched_syscall_ns);
  std::optional<int64_t> r = host_.ops().run_syscall_program(program, ctx, &self_);
  if (!r) failed_ = true;  // the host has reported it (a fault ejects the scheduler)
  return r.value_or(-EINVAL);
}

bool UserSchedContext::has_program(std::string_view program) const {
  const BpfProgram* p = host_.ops().object().program(program);
  return p && p->section == "syscall";
}

std::span<uint8_t> UserSchedContext::global_bytes(std::string_view name, uint32_t* type_id) {
  if (failed_) return {};
  BpfObject& o = host_.ops().object();
  const GlobalVar* g = o.global(name);
  uint8_t* p = g ? o.global_data(name) : nullptr;
  if (!p || !g->settable || g->read_only) {
    fail_process(fmt::format("the object has no global '{}' in .bss or .data", name));
    return {};
  }
  *type_id = g->btf_type_id;
  return {p, g->size};
}

const Btf& UserSchedContext::btf() const { return host_.ops().object().btf(); }

Ns UserSchedContext::now() const { return static_cast<Ns>(host_.ops().kf().now()); }
int UserSchedContext::pid() const { return self_.pid; }
int UserSchedContext::cpu() const { return self_.cpu; }
const Topology& UserSchedContext::topology() const { return host_.ops().kf().kernel().topo(); }
const Cgroup* UserSchedContext::cgroup(std::string_view path) const {
  return host_.ops().kf().kernel().cgroups().find(path);
}

// ---- Registry ------------------------------------------------------------------------------

void register_user_scheduler(UserSchedInfo info) {
  auto& r = registry();
  for (UserSchedInfo& old : r)
    if (old.name == info.name) {
      old = std::move(info);
      return;
    }
  r.push_back(std::move(info));
}

const UserSchedInfo* find_user_scheduler(std::string_view name) {
  for (const UserSchedInfo& i : registry())
    if (i.name == name) return &i;
  return nullptr;
}

const UserSchedInfo* user_scheduler_for_ops(std::string_view ops_name) {
  for (const UserSchedInfo* i : user_schedulers())
    if (std::find(i->ops_names.begin(), i->ops_names.end(), ops_name) != i->ops_names.end()) return i;
  return nullptr;
}

std::vector<const UserSchedInfo*> user_schedulers() {
  std::vector<const UserSchedInfo*> out;
  for (const UserSchedInfo& i : registry()) out.push_back(&i);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->name < b->name; });
  return out;
}

// ---- UserSchedHost -------------------------------------------------------------------------

namespace {

// Each name the scheduler needs must be a map, a global or a program of the object.
Status check_needs(const BpfObject& o, const UserSchedInfo& info) {
  for (const std::string& n : info.needs)
    if (!o.map(n) && !o.global(n) && !o.program(n))
      return Status::Errorf(o.path(), "user-space scheduler '{}' uses '{}', which the object lacks", info.name, n);
  return Status();
}

Result<UserSchedArgs> full_args(const UserSchedInfo& info, const UserSchedArgs& given) {
  UserSchedArgs args;
  for (const UserSchedParam& p : info.params) args[p.name] = p.value;
  for (const auto& [k, v] : given) {
    if (!args.count(k)) {
      std::string known;
      for (const UserSchedParam& p : info.params) known += (known.empty() ? "" : ", ") + p.name;
      return Status::Errorf("usersched_args", "'{}' is not a parameter of user-space scheduler '{}' (known: {})", k,
                            info.name, known.empty() ? "none" : known);
    }
    args[k] = v;
  }
  return args;
}

}  // namespace

Result<std::unique_ptr<UserSchedHost>> UserSchedHost::create(BpfScxOps& ops, const UserSchedInfo& info,
                                                             const UserSchedArgs& args) {
  SCX_RETURN_IF_ERROR(check_needs(ops.object(), info));
  SCX_ASSIGN_OR_RETURN(UserSchedArgs all, full_args(info, args));
  std::unique_ptr<UserScheduler> s = info.make(all);
  if (!s) return Status::Errorf("usersched", "user-space scheduler '{}' could not be made", info.name);
  return std::unique_ptr<UserSchedHost>(new UserSchedHost(ops, info, std::move(s)));
}

Result<std::unique_ptr<UserSchedHost>> UserSchedHost::choose(BpfScxOps& ops, const std::string& choice,
                                                             const ResolvedProfile& profile) {
  std::string name = !choice.empty() ? choice : profile.usersched;
  if (name.empty()) {
    const UserSchedInfo* by_ops = user_scheduler_for_ops(ops.info().name);
    name = by_ops ? by_ops->name : "none";
  }
  if (name == "none") return std::unique_ptr<UserSchedHost>();
  const UserSchedInfo* info = find_user_scheduler(name);
  if (!info) {
    std::string known;
    for (const UserSchedInfo* i : user_schedulers()) known += (known.empty() ? "" : ", ") + i->name;
    return Status::Errorf("--usersched", "unknown user-space scheduler '{}' (known: {}, none)", name, known);
  }
  const bool profile_args = profile.usersched.empty() || profile.usersched == name;
  return create(ops, *info, profile_args ? profile.usersched_args : UserSchedArgs{});
}

UserSchedHost::UserSchedHost(BpfScxOps& ops, UserSchedInfo info, std::unique_ptr<UserScheduler> sched)
    : ops_(ops), info_(std::move(info)), sched_(std::move(sched)), self_(std::make_shared<UserSchedHost*>(this)) {}

UserSchedHost::~UserSchedHost() = default;

// while (!exited) { pass; sched_yield(); } — the pass's CPU time is the Host op's work; with a
// period, the process sleeps that long instead of yielding.
scx::Program UserSchedHost::program(uint32_t host_fn) const {
  scx::Program p;
  const Op wait = info_.period > 0 ? Op{OpKind::Sleep, kNoObject, static_cast<int64_t>(info_.period), 0} : Op{OpKind::Yield};
  p.ops = {Op{OpKind::LoopBegin, kNoObject, -1, 3}, Op{OpKind::Host, host_fn, 0, 0}, wait,
           Op{OpKind::LoopEnd, kNoObject, 0, 0}};
  return p;
}

void UserSchedHost::start() {
  Kernel& k = ops_.kf().kernel();
  // The kernel may outlive this host (a later scheduler replaces it): it holds a weak handle.
  std::weak_ptr<UserSchedHost*> self = self_;
  // arg 0: the main thread's pass; i > 0: threads[i - 1]'s work.
  const uint32_t fn = k.add_host_function([self](Task& t, int64_t arg) -> int64_t {
    std::shared_ptr<UserSchedHost*> h = self.lock();
    if (!h) return -1;
    return arg == 0 ? (*h)->pass(t) : (*h)->thread_work(static_cast<size_t>(arg - 1));
  });
  TaskSpec spec;
  spec.name = info_.comm.empty() ? info_.name : info_.comm;
  spec.policy = sched_->policy(ops_.info());
  Task& t = k.spawn_daemon(spec, program(fn));
  pid_ = t.pid;
  for (size_t i = 0; i < info_.threads.size(); ++i) spawn_thread(fn, i, t);
  UserSchedContext ctx(*this, t);
  ctx.attaching_ = true;
  sched_->attach(ctx);
  failed_ = ctx.failed();
}

// loop { its work; sleep(period) } until the process exits.
void UserSchedHost::spawn_thread(uint32_t host_fn, size_t index, const Task& main) {
  const UserSchedThread& th = info_.threads[index];
  TaskSpec spec;
  spec.name = th.comm;
  spec.policy = main.policy;  // created after the main thread set its policy: inherited
  scx::Program p;
  p.ops = {Op{OpKind::LoopBegin, kNoObject, -1, 3}, Op{OpKind::Host, host_fn, static_cast<int64_t>(index + 1), 0},
           Op{OpKind::Sleep, kNoObject, static_cast<int64_t>(th.period), 0}, Op{OpKind::LoopEnd, kNoObject, 0, 0}};
  ops_.kf().kernel().spawn_daemon(spec, std::move(p), &main);
}

bool UserSchedHost::attached() const {
  const ExtClass& ext = ops_.kf();
  return ext.enabled() && ext.ops() == &ops_;
}

int64_t UserSchedHost::thread_work(size_t index) const {
  if (failed_ || !attached()) return -1;
  return static_cast<int64_t>(info_.threads[index].work);
}

int64_t UserSchedHost::pass(Task& self) {
  // The scheduler is gone (or the process failed): the process ends, as its loop does.
  if (failed_ || !attached()) return -1;
  UserSchedContext ctx(*this, self);
  sched_->schedule(ctx);
  ++passes_;
  if (ctx.failed()) {
    failed_ = true;
    return -1;
  }
  const Ns work = ops_.kf().kernel().cost().usersched_cycle_ns + ctx.charged();
  charged_ += work;
  return static_cast<int64_t>(work);
}

}  // namespace scx::bpf
