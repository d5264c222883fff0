// schbench (Chris Mason's, v1.0 of April 2023 plus the later -s option) as behaviour programs.
//
// What the real tool does (masoncl/schbench schbench.c, read for this model):
//  * main starts -m message threads; each starts its -t workers (pthreads), then loops: wake
//    every worker queued on its list (stamping their wake_time with one gettimeofday per list
//    run, then FUTEX_WAKE each), and wait on its own futex.
//  * a worker loop: queue itself on its message thread's list, post the message thread's futex,
//    wait on its own futex; when it runs, record wakeup latency = now - wake_time. Then one
//    request: work_start; usleep(sleep_usec) (default 100); do_work() (matrix multiplications
//    under a per-CPU lock, -F/-n); request latency = now - work_start; loop_count++.
//    Latencies are whole microseconds and only recorded when > 0.
//  * -R rps: message threads instead queue rps/m requests per second, round-robin over their
//    workers (each request: FUTEX_WAKE of the worker), then sleep to the next second. A worker
//    serves queued requests without sleeping and waits only when it has none.
//  * -p bytes: pipe mode, no request work; message thread and worker memset the transfer buffer
//    on each exchange. -C: calibration, the usleep is left out of the request latency.
//  * main samples RPS (requests completed since its last sample / elapsed) once per second and
//    prints, at the end, the wakeup / request latency percentiles, the RPS percentiles and the
//    average RPS (loop_count / runtime).
//
// How it is simulated (all threads of one process: Forks with kForkThread):
//  * the futex list: worker i of message thread j holds its own mutex "sb-l{j}.{i}" from before
//    posting the message thread's semaphore until it is queued on the condition variable
//    "sb-cv{j}" (CondWait releases the mutex); the message thread, woken through its semaphore,
//    locks and unlocks every worker's mutex (so each worker that posted is queued) and
//    broadcasts. A worker is only ever woken by that broadcast, so the figures sink measures
//    wakeup latency from the worker's SchedWaking to its next Mark.
//  * do_work = Run(cputime): CPU work at capacity 1024 instead of -F/-n matrix math (17 ms is
//    about the default -F 256 -n 5 on the machine of schbench's README). The per-CPU lock is not
//    modelled: this is schbench -L.
//  * RPS mode: one semaphore per worker counts its queued requests; the per-second burst of
//    posts is unrolled over the period after which the round-robin start repeats; the pause
//    until the next second is an rt-app style relative timer. The 128-pending cap is not
//    modelled.
//  * pipe mode: memset = Run(bytes * 0.1 ns) on both sides per exchange.
#include <numeric>

#include <fmt/format.h>

#include "workload/builder.h"
#include "workload/gen_internal.h"

namespace scx {

namespace {
constexpr double kMemsetNsPerByte = 0.1;  // as rt-app's mem event (src/workload/rtapp.h)
}

Result<Workload> build_schbench(GeneratorOptions& o) {
  SCX_ASSIGN_OR_RETURN(int64_t m, o.get_int("message_threads", 1, 1, 64));
  const int64_t def_workers = (o.nr_cpus() + m - 1) / m;
  SCX_ASSIGN_OR_RETURN(int64_t t, o.get_int("worker_threads", std::min<int64_t>(def_workers, 200), 1, 200));
  SCX_ASSIGN_OR_RETURN(Ns runtime, o.get_duration("runtime", 30 * kNsPerSec, kNsPerSec, 3600 * kNsPerSec));
  SCX_ASSIGN_OR_RETURN(Ns cputime, o.get_duration("cputime", 17 * kNsPerMs, 0, 10 * kNsPerSec));
  SCX_ASSIGN_OR_RETURN(Ns sleep, o.get_duration("sleep", 100 * kNsPerUs, 0, 10 * kNsPerSec));
  SCX_ASSIGN_OR_RETURN(int64_t rps, o.get_int("rps", 0, 0, 1000000));
  SCX_ASSIGN_OR_RETURN(int64_t pipe, o.get_int("pipe", 0, 0, 1 << 20));
  SCX_ASSIGN_OR_RETURN(Ns warmup, o.get_duration("warmuptime", 0, 0, 3600 * kNsPerSec));
  SCX_ASSIGN_OR_RETURN(bool calibrate, o.get_bool("calibrate", false));
  if (rps > 0 && pipe > 0) return o.error("rps and pipe cannot be combined");
  const int64_t rps_per_thread = rps / m;  // schbench: requests_per_sec /= message_threads
  if (rps > 0 && rps_per_thread == 0)
    return o.error(fmt::format("rps={} is less than message_threads={}", rps, m));
  if (rps_per_thread > 50000)
    return o.error(fmt::format("rps={} is more than 50000 per message thread", rps));
  if (rps_per_thread > 0 && rps_per_thread % t != 0 && t / std::gcd(rps_per_thread, t) * (t + rps_per_thread % t) > 100000)
    return o.error("rps and worker_threads give a round-robin pattern too long to unroll");
  // schbench ignores warm-up in RPS and pipe modes and for runs shorter than 30 s.
  if (rps > 0 || pipe > 0 || runtime < 30 * kNsPerSec) warmup = 0;
  if (warmup >= runtime) return o.error("warmuptime must be shorter than runtime");

  const Ns memset_cost = static_cast<Ns>(static_cast<double>(pipe) * kMemsetNsPerByte);
  WorkloadBuilder wb("schbench");
  auto main_task = wb.task("schbench");
  for (int64_t j = 0; j < m; ++j) {
    const std::string msg = fmt::format("schbench-msg{}", j);
    wb.task(msg).instances(0);
    const std::string cv = fmt::format("sb-cv{}", j), post = fmt::format("sb-post{}", j);
    std::vector<std::string> workers, locks, queues;
    for (int64_t i = 0; i < t; ++i) {
      workers.push_back(fmt::format("schbench-w{}.{}", j, i));
      locks.push_back(fmt::format("sb-l{}.{}", j, i));
      queues.push_back(fmt::format("sb-q{}.{}", j, i));
    }
    // Workers.
    for (int64_t i = 0; i < t; ++i) {
      wb.task(workers[i]).instances(0);
      ProgramBuilder p = wb.task(workers[i]).program();
      p.begin_loop(-1);
      // The Marks right after the wait are the worker's gettimeofday() calls: wakeup latency
      // ends at "worker_wakeups", request latency runs from "request_starts" to "requests".
      // The 1 ns of work after the wait is the return to user space: the kernel model runs a
      // task's instantaneous operations at the moment it is switched in and charges the
      // context switch to its next CPU work, so without it the mark would come before the
      // context switch that gettimeofday() in schbench comes after.
      if (rps > 0) {
        p.sem_wait(queues[i]).run(1).mark("worker_wakeups");
      } else {
        if (pipe > 0) p.run(memset_cost);
        p.lock(locks[i]).sem_post(post).wait(cv, locks[i]).run(1).mark("worker_wakeups");
      }
      if (!calibrate || pipe > 0) p.mark("request_starts");
      if (rps == 0) p.unlock(locks[i]);
      if (pipe == 0) {
        if (sleep > 0) p.sleep(sleep);
        if (calibrate) p.mark("request_starts");
        p.run(cputime);
      }
      p.mark("requests").end_loop();
    }
    // The message thread.
    ProgramBuilder p = wb.task(msg).program();
    for (int64_t i = 0; i < t; ++i) p.op(OpKind::Fork, wb.task_index(workers[i]), 1, kForkThread);
    if (rps > 0) {
      // Second s posts requests (s*rps + k) mod t for k < rps; the pattern repeats after
      // t / gcd(rps, t) seconds.
      const int64_t period = t / std::gcd(rps_per_thread, t);
      p.begin_loop(-1);
      for (int64_t s = 0; s < period; ++s) {
        const int64_t start = (s * rps_per_thread) % t;
        if (rps_per_thread / t > 0) {
          p.begin_loop(rps_per_thread / t);
          for (int64_t k = 0; k < t; ++k) p.sem_post(queues[(start + k) % t]);
          p.end_loop();
        }
        for (int64_t k = 0; k < rps_per_thread % t; ++k) p.sem_post(queues[(start + k) % t]);
        p.timer(fmt::format("sb-second{}", j), kNsPerSec, TimerMode::Relative);
      }
      p.end_loop();
    } else {
      p.begin_loop(-1).sem_wait(post);
      for (int64_t i = 0; i < t; ++i) p.lock(locks[i]).unlock(locks[i]);
      if (pipe > 0) p.run(memset_cost);
      p.broadcast(cv).end_loop();
    }
  }
  ProgramBuilder mp = main_task.program();
  for (int64_t j = 0; j < m; ++j)
    mp.op(OpKind::Fork, wb.task_index(fmt::format("schbench-msg{}", j)), 1, kForkThread);
  mp.begin_loop(-1).sleep(kNsPerSec).end_loop();  // sleep_for_runtime(): sleep(1), sample RPS

  Workload w = std::move(wb).build();
  w.duration = runtime;
  w.report_kind = "schbench";
  w.report_params = {{"message_threads", m},
                     {"worker_threads", t},
                     {"runtime_ns", static_cast<int64_t>(runtime)},
                     {"warmup_ns", static_cast<int64_t>(warmup)},
                     {"rps", rps},
                     {"pipe", pipe},
                     {"calibrate", calibrate}};
  return w;
}

}  // namespace scx
