// The noise sources of noise.h, applied to the simulated kernel. Every draw comes from a stream
// of its own (one per task, one per CPU's kernel thread, one for the tick), forked from the
// run's seed, so that adding a task does not shift what the others see.
#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "kernel/kernel.h"

namespace scx {
namespace {

constexpr uint64_t kTickStream = 0x7469636bULL;            // "tick"
constexpr uint64_t kKworkerStream = 0x6b776f726b00000ULL;  // "kwork" + cpu
constexpr uint64_t kUnboundStream = 0x6b776f726b75ULL;     // "kworku"
constexpr uint64_t kDaemonStream = 0x6461656d6f6eULL;      // "daemon"
constexpr uint64_t kReschedStream = 0x72657363680000ULL;   // "resch" + cpu
constexpr uint64_t kSpeedStream = 0x7370656564ULL;         // "speed"

}  // namespace

void Kernel::start_noise() {
  const NoiseModel& n = config_.noise;
  if (n.tick_phase) tick_offset_ = Rng(config_.seed).fork(kTickStream).below(config_.cost.tick_ns());
  // Clamped as work_jitter's draws are, far outside what the spread is meant for.
  if (n.speed_spread > 0)
    speed_factor_ = std::clamp(Rng(config_.seed).fork(kSpeedStream).normal(1.0, n.speed_spread), 0.5, 1.5);
  if (!class_for_policy(Policy::Normal)) return;
  // One of each per daemon (a kworker per CPU): sized once.
  const size_t daemons = static_cast<size_t>(noise_thread_count());
  sems_.reserve(sems_.size() + daemons);
  host_fns_.reserve(host_fns_.size() + daemons);
  daemon_programs_.reserve(daemon_programs_.size() + daemons);
  if (n.kthread_run_ns > 0) {
    for (int cpu = 0; n.kthread_rate > 0 && cpu < nr_cpus(); ++cpu)
      spawn_noise_thread({.name = fmt::format("kworker/{}", cpu), .cpu = cpu, .kthread = true,
                          .rate = n.kthread_rate, .run_ns = n.kthread_run_ns, .long_tail = true,
                          .stream = kKworkerStream + static_cast<uint64_t>(cpu)});
    if (n.unbound_rate > 0)
      spawn_noise_thread({.name = "kworker/u", .cpu = kUnboundCpu, .kthread = true, .rate = n.unbound_rate,
                          .run_ns = n.kthread_run_ns, .long_tail = true, .stream = kUnboundStream});
  }
  if (n.daemon_rate > 0 && n.daemon_run_ns > 0)
    spawn_noise_thread({.name = "daemon", .cpu = kUnboundCpu, .kthread = false, .nice = n.daemon_nice,
                        .rate = n.daemon_rate, .run_ns = n.daemon_run_ns, .long_tail = false,
                        .stream = kDaemonStream});
}

int Kernel::noise_thread_count() const {
  const NoiseModel& n = config_.noise;
  if (!class_for_policy(Policy::Normal)) return 0;
  int count = 0;
  if (n.kthread_run_ns > 0) count += (n.kthread_rate > 0 ? nr_cpus() : 0) + (n.unbound_rate > 0 ? 1 : 0);
  if (n.daemon_rate > 0 && n.daemon_run_ns > 0) ++count;
  return count;
}

// A thread of the fair policy that sleeps on a semaphore posted at Poisson times (by an
// interrupt, or by whatever a daemon waits for) and runs an exponential time each. A kernel
// thread per CPU (kworker, ksoftirqd, ...) is a pinned PF_KTHREAD task; cpu kUnboundCpu is
// allowed on every CPU: the machine's unbound kernel threads (rcu_preempt, kworker/u*) or a
// user-space daemon, which schedulers that keep pinned kernel threads to themselves
// (scx_userland) hand to their policy like any task. Both live in the root cgroup.
void Kernel::spawn_noise_thread(const NoiseThread& t) {
  const uint32_t sem = static_cast<uint32_t>(sems_.size());
  sems_.emplace_back();
  const uint32_t work_fn = add_host_function([this, run_ns = t.run_ns, long_tail = t.long_tail](Task& p, int64_t) -> int64_t {
    const NoiseModel& n = config_.noise;
    // The long tail is a second draw only when asked for, so runs without it keep their streams.
    const bool long_run = long_tail && n.kthread_long > 0 && p.noise_rng.chance(n.kthread_long);
    const double mean = static_cast<double>(long_run ? n.kthread_long_run_ns : run_ns);
    return std::max<int64_t>(1, std::llround(p.noise_rng.exponential(mean)));
  });
  Program prog;
  prog.ops = {
      Op{.kind = OpKind::LoopBegin, .a = -1, .b = 3},
      Op{.kind = OpKind::SemWait, .obj = sem},
      Op{.kind = OpKind::Host, .obj = work_fn},
      Op{.kind = OpKind::LoopEnd, .b = 0},
  };
  const bool unbound = t.cpu == kUnboundCpu;
  TaskSpec spec;
  spec.name = t.name;
  spec.policy = Policy::Normal;
  spec.nice = t.nice;
  if (!unbound) spec.affinity = CpuMask::single(t.cpu);
  const int saved_cpu = this_cpu_;
  this_cpu_ = unbound ? 0 : t.cpu;  // created at boot on CPU 0
  Task& k = spawn_daemon(spec, std::move(prog), nullptr, t.kthread, /*background=*/true);
  this_cpu_ = saved_cpu;
  k.noise_rng = Rng(config_.seed).fork(t.stream);
  schedule_kworker_arrival(k, sem, t.rate);
}

// The next interrupt that queues work for kworker k, a Poisson gap after now (rate per second).
void Kernel::schedule_kworker_arrival(Task& k, uint32_t sem, double rate) {
  const Ns gap = static_cast<Ns>(k.noise_rng.exponential(kNsPerSec / rate));
  Task* kp = &k;
  schedule_callback(now() + std::max<Ns>(gap, 1), k.cpu, [this, kp, sem, rate] { kworker_arrival(*kp, sem, rate); });
}

void Kernel::kworker_arrival(Task& k, uint32_t sem, double rate) {
  SemState& s = sems_[sem];
  if (Task* w = s.waiters.pop()) {
    w->sem_granted = true;
    try_to_wake_up(*w, 0);
  } else {
    s.count = 1;  // work queued while it runs is done in the same pass
  }
  schedule_kworker_arrival(k, sem, rate);
}

Ns Kernel::noisy_timer(Task& p, Ns when) {
  if (!config_.noise.timer_jitter_ns) return when;
  return when + static_cast<Ns>(p.noise_rng.exponential(static_cast<double>(config_.noise.timer_jitter_ns)));
}

// The extra time a resched of this CPU takes to reach __schedule() (noise wakeup_jitter), from
// the CPU's own stream: the streams are made at the first resched, which may come before
// start_noise() (the workload's tasks are woken first).
Ns Kernel::noisy_resched(int cpu) {
  const Ns mean = config_.noise.wakeup_jitter_ns;
  if (!mean) return 0;
  if (resched_rngs_.empty())
    for (int c = 0; c < nr_cpus(); ++c) resched_rngs_.push_back(Rng(config_.seed).fork(kReschedStream + static_cast<uint64_t>(c)));
  return static_cast<Ns>(resched_rngs_[static_cast<size_t>(cpu)].exponential(static_cast<double>(mean)));
}

Ns Kernel::noisy_work(Task& p, Ns work) {
  if (speed_factor_ != 1.0) work = std::max<Ns>(1, static_cast<Ns>(std::llround(static_cast<double>(work) * speed_factor_)));
  if (config_.noise.work_jitter <= 0) return work;
  // Clamped so that a run never shrinks below a fifth or grows past twice its nominal length.
  const double f = std::clamp(p.noise_rng.normal(1.0, config_.noise.work_jitter), 0.2, 2.0);
  return std::max<Ns>(1, static_cast<Ns>(std::llround(static_cast<double>(work) * f)));
}

}  // namespace scx
