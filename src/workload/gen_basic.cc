// The everyday generators: hogs, interactive, build, pipeline, pinned. docs/workloads.md lists
// their options; the registry in generators.cc gives the one-line summaries.
#include <fmt/format.h>

#include "base/cpulist.h"
#include "sim/rng.h"
#include "workload/builder.h"
#include "workload/gen_internal.h"

namespace scx {
namespace {

Result<Policy> fair_policy(GeneratorOptions& o, const std::string& key, const std::string& def) {
  SCX_ASSIGN_OR_RETURN(std::string p, o.get_string(key, def, {"normal", "batch", "idle"}));
  return p == "batch" ? Policy::Batch : p == "idle" ? Policy::Idle : Policy::Normal;
}

}  // namespace

// CPU hogs: `count` endless CPU loops, hog i at nice nices[i % len]. Each chunk of work adds one
// to the counter "hog_loops".
Result<Workload> build_hogs(GeneratorOptions& o) {
  SCX_ASSIGN_OR_RETURN(int64_t count, o.get_int("count", 8, 1, 10000));
  SCX_ASSIGN_OR_RETURN(std::vector<int64_t> nices, o.get_int_list("nices", {0, 5, 10}, -20, 19));
  SCX_ASSIGN_OR_RETURN(Policy policy, fair_policy(o, "policy", "normal"));
  SCX_ASSIGN_OR_RETURN(Ns chunk, o.get_duration("chunk", 10 * kNsPerMs, kNsPerUs, 10 * kNsPerSec));
  WorkloadBuilder wb("hogs");
  for (int64_t i = 0; i < count; ++i) {
    const int nice = static_cast<int>(nices[static_cast<size_t>(i) % nices.size()]);
    wb.task(fmt::format("hog{}-n{}", i, nice))
        .policy(policy)
        .nice(nice)
        .program()
        .begin_loop(-1)
        .run(chunk)
        .mark("hog_loops")
        .end_loop();
  }
  return std::move(wb).build();
}

// Frame tasks released every `period` on their own absolute timeline (rt-app timer semantics:
// a late frame is a miss and the timeline slips), each doing `work`, beside `hogs` background
// CPU hogs (SCHED_BATCH by default, like a build running next to a game).
Result<Workload> build_interactive(GeneratorOptions& o) {
  SCX_ASSIGN_OR_RETURN(int64_t frames, o.get_int("frames", 2, 1, 1000));
  SCX_ASSIGN_OR_RETURN(Ns period, o.get_duration("period", 16667 * kNsPerUs, 100 * kNsPerUs, 10 * kNsPerSec));
  SCX_ASSIGN_OR_RETURN(Ns work, o.get_duration("work", 4 * kNsPerMs, kNsPerUs, 10 * kNsPerSec));
  SCX_ASSIGN_OR_RETURN(int64_t frame_nice, o.get_int("frame_nice", 0, -20, 19));
  SCX_ASSIGN_OR_RETURN(int64_t hogs, o.get_int("hogs", 4, 0, 10000));
  SCX_ASSIGN_OR_RETURN(int64_t hog_nice, o.get_int("hog_nice", 0, -20, 19));
  SCX_ASSIGN_OR_RETURN(Policy hog_policy, fair_policy(o, "hog_policy", "batch"));
  if (work >= period) return o.error("work must be shorter than period");
  WorkloadBuilder wb("interactive");
  for (int64_t i = 0; i < frames; ++i)
    wb.task(fmt::format("frame{}", i))
        .nice(static_cast<int>(frame_nice))
        .program()
        .begin_loop(-1)
        .run(work)
        .mark("frames")
        .timer(fmt::format("frame{}", i), period)
        .end_loop();
  for (int64_t i = 0; i < hogs; ++i)
    wb.task(fmt::format("hog{}", i))
        .policy(hog_policy)
        .nice(static_cast<int>(hog_nice))
        .program()
        .begin_loop(-1)
        .run(10 * kNsPerMs)
        .mark("hog_loops")
        .end_loop();
  return std::move(wb).build();
}

// make -jN: the driver "make" starts `jobs` compile jobs, then, each time one exits, spends
// `spawn` of CPU (fork/exec work) and starts the next, until `tasks` jobs have run; it exits
// after the last one. Job k ("cc<k>") runs a uniformly random amount of CPU work in [min, max],
// drawn at build time from an Rng seeded with the run's seed: one seed, one set of jobs.
Result<Workload> build_build(GeneratorOptions& o) {
  SCX_ASSIGN_OR_RETURN(int64_t jobs, o.get_int("jobs", o.nr_cpus(), 1, 4096));
  SCX_ASSIGN_OR_RETURN(int64_t tasks, o.get_int("tasks", 100, 1, 100000));
  SCX_ASSIGN_OR_RETURN(Ns min, o.get_duration("min", 5 * kNsPerMs, kNsPerUs, 3600 * kNsPerSec));
  SCX_ASSIGN_OR_RETURN(Ns max, o.get_duration("max", 100 * kNsPerMs, kNsPerUs, 3600 * kNsPerSec));
  SCX_ASSIGN_OR_RETURN(Ns spawn, o.get_duration("spawn", 200 * kNsPerUs, 0, kNsPerSec));
  if (min > max) return o.error("min must not exceed max");
  Rng rng = Rng(o.seed()).fork(0x6275696c64);  // "build"
  WorkloadBuilder wb("build");
  auto make = wb.task("make");
  for (int64_t k = 0; k < tasks; ++k) {
    const Ns work = static_cast<Ns>(rng.range(static_cast<int64_t>(min), static_cast<int64_t>(max)));
    const std::string name = fmt::format("cc{}", k);
    wb.task(name).instances(0);
    wb.task(name).program().run(work).mark("jobs_done").sem_post("job_exited").exit();
  }
  ProgramBuilder p = make.program();
  const int64_t first = std::min(jobs, tasks);
  for (int64_t k = 0; k < tasks; ++k) {
    if (k >= first) p.sem_wait("job_exited");
    if (spawn > 0) p.run(spawn);
    p.fork(fmt::format("cc{}", k));
  }
  p.begin_loop(first).sem_wait("job_exited").end_loop().exit();
  Workload w = std::move(wb).build();
  w.run_until_done = true;
  return w;
}

// A chain of `stages` tasks: stage 0 produces an item (work), each later stage takes an item from
// the previous one, works on it and passes it on; the last stage counts "items". Over pipes each
// hand-off is a `bytes` message (a full pipe blocks the sender); over semaphores a bounded queue
// of `depth` slots per link (a "slots" semaphore the consumer primes with `depth` posts, an
// "items" semaphore the producer posts).
Result<Workload> build_pipeline(GeneratorOptions& o) {
  SCX_ASSIGN_OR_RETURN(int64_t stages, o.get_int("stages", 4, 2, 1000));
  SCX_ASSIGN_OR_RETURN(int64_t items, o.get_int("items", 0, 0, 100000000));
  SCX_ASSIGN_OR_RETURN(Ns work, o.get_duration("work", 200 * kNsPerUs, kNsPerUs, 10 * kNsPerSec));
  SCX_ASSIGN_OR_RETURN(std::string ipc, o.get_string("ipc", "pipe", {"pipe", "sem"}));
  SCX_ASSIGN_OR_RETURN(int64_t bytes, o.get_int("bytes", 4096, 1, kPipeCapacity));
  SCX_ASSIGN_OR_RETURN(int64_t depth, o.get_int("depth", 4, 1, 1000000));
  const bool pipes = ipc == "pipe";
  WorkloadBuilder wb("pipeline");
  for (int64_t s = 0; s < stages; ++s) {
    ProgramBuilder p = wb.task(fmt::format("stage{}", s)).program();
    const std::string in = fmt::format("link{}", s - 1), out = fmt::format("link{}", s);
    if (!pipes && s > 0) p.begin_loop(depth).sem_post(in + ":slots").end_loop();
    p.begin_loop(items > 0 ? items : -1);
    if (s > 0) {
      if (pipes)
        p.recv(in, bytes);
      else
        p.sem_wait(in + ":items").sem_post(in + ":slots");
    }
    p.run(work);
    if (s + 1 < stages) {
      if (pipes)
        p.send(out, bytes);
      else
        p.sem_wait(out + ":slots").sem_post(out + ":items");
    } else {
      p.mark("items");
    }
    p.end_loop();
  }
  Workload w = std::move(wb).build();
  w.run_until_done = items > 0;
  return w;
}

// A pinned-task mix on an N-CPU machine: `pinned` tasks pinned to one CPU each (task i on CPU
// i mod N), `subsets` tasks each allowed a window of `subset_size` consecutive CPUs (task i on
// CPUs starting at (i * subset_size) mod N, wrapping), and `free` tasks with no affinity. Every
// task runs `work` then sleeps `sleep`, forever.
Result<Workload> build_pinned(GeneratorOptions& o) {
  const int n = o.nr_cpus();
  SCX_ASSIGN_OR_RETURN(int64_t pinned, o.get_int("pinned", n, 0, 100000));
  SCX_ASSIGN_OR_RETURN(int64_t subsets, o.get_int("subsets", std::max(1, n / 2), 0, 100000));
  SCX_ASSIGN_OR_RETURN(int64_t subset_size, o.get_int("subset_size", std::min(2, n), 1, kMaxCpus));
  SCX_ASSIGN_OR_RETURN(int64_t free, o.get_int("free", std::max(1, n / 2), 0, 100000));
  SCX_ASSIGN_OR_RETURN(Ns work, o.get_duration("work", 5 * kNsPerMs, kNsPerUs, 10 * kNsPerSec));
  SCX_ASSIGN_OR_RETURN(Ns sleep, o.get_duration("sleep", 5 * kNsPerMs, 0, 10 * kNsPerSec));
  if (subsets > 0 && subset_size > n)
    return o.error(fmt::format("subset_size={} is larger than the machine's {} CPUs", subset_size, n));
  if (pinned + subsets + free == 0) return o.error("pinned, subsets and free are all 0");
  WorkloadBuilder wb("pinned");
  auto body = [&](TaskBuilder tb) {
    ProgramBuilder p = tb.program();
    p.begin_loop(-1).run(work);
    if (sleep > 0) p.sleep(sleep);
    p.mark("loops").end_loop();
  };
  for (int64_t i = 0; i < pinned; ++i)
    body(wb.task(fmt::format("pin{}-cpu{}", i, i % n)).cpus(CpuMask::single(static_cast<int>(i % n))));
  for (int64_t i = 0; i < subsets; ++i) {
    CpuMask m;
    for (int64_t c = 0; c < subset_size; ++c) m.set(static_cast<int>((i * subset_size + c) % n));
    body(wb.task(fmt::format("sub{}", i)).cpus(m));
  }
  for (int64_t i = 0; i < free; ++i) body(wb.task(fmt::format("free{}", i)));
  return std::move(wb).build();
}

}  // namespace scx
