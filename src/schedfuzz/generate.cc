#include "schedfuzz/generate.h"

#include <array>
#include <string>
#include <vector>

#include "sim/rng.h"

namespace scx::fuzz {
namespace {

struct Machine {
  const char* topology;
  int nr_cpus;
};
// Small machines, so that tasks contend: flat ones and two with SMT, LLCs and nodes.
constexpr std::array<Machine, 6> kMachines = {{{"1", 1},
                                               {"2", 2},
                                               {"4", 4},
                                               {"8", 8},
                                               {"nodes=1,llcs=2,cores=2,smt=2", 8},
                                               {"nodes=2,llcs=2,cores=2,smt=1", 8}}};
constexpr std::array<Ns, 3> kDurations = {500 * kNsPerMs, kNsPerSec, 2 * kNsPerSec};
// Nice 0 is the common case; the rest covers both directions and the extremes.
constexpr std::array<int, 8> kNices = {-10, -5, 0, 0, 0, 5, 10, 19};

template <class T, size_t N>
const T& pick(Rng& rng, const std::array<T, N>& from) {
  return from[rng.below(N)];
}

// A non-empty set of CPU ids below nr_cpus, ascending.
Json random_cpus(Rng& rng, int nr_cpus) {
  Json cpus = Json::array();
  for (int c = 0; c < nr_cpus; ++c)
    if (rng.chance(0.5)) cpus.push_back(c);
  if (cpus.empty()) cpus.push_back(rng.below(static_cast<uint64_t>(nr_cpus)));
  return cpus;
}

Json all_cpus(int nr_cpus) {
  Json cpus = Json::array();
  for (int c = 0; c < nr_cpus; ++c) cpus.push_back(c);
  return cpus;
}

// How a task's phases vary; decided per task, so that every phase of a task that changes a
// property states it (dropping a phase while shrinking then keeps the others' meaning).
struct TaskShape {
  bool changes_affinity = false;
  bool changes_nice = false;
  bool rt_bursts = false;  // some phases run as SCHED_FIFO/RR
  int nice = 0;
};

// CPU work then a way to wait: a sleep, a periodic timer, or none (a hog phase).
void add_work_and_wait(Rng& rng, Json& phase, bool rt) {
  // RT phases are short bursts with long waits: an RT hog would starve the scheduler under
  // test and make a stall that is not its fault.
  const int64_t run = rt ? rng.range(100, 2000) : rng.range(100, 20000);
  phase["run"] = run;
  const uint64_t wait = rt ? 1 + rng.below(2) : rng.below(3);
  if (wait == 1) phase["sleep"] = rt ? rng.range(10000, 30000) : rng.range(100, 20000);
  if (wait == 2) phase["timer"] = Json{{"ref", "unique"}, {"period", rt ? run * 10 : run + rng.range(100, 20000)}};
}

Json make_phase(Rng& rng, const TaskShape& shape, int nr_cpus) {
  Json phase = Json::object();
  if (shape.rt_bursts || shape.changes_nice) {
    const bool rt = shape.rt_bursts && rng.chance(0.5);
    phase["policy"] = rt ? (rng.chance(0.5) ? "SCHED_FIFO" : "SCHED_RR") : "SCHED_OTHER";
    phase["priority"] = rt ? rng.range(1, 99) : shape.changes_nice ? pick(rng, kNices) : shape.nice;
    add_work_and_wait(rng, phase, rt);
  } else {
    add_work_and_wait(rng, phase, false);
  }
  if (shape.changes_affinity) phase["cpus"] = rng.chance(0.5) ? random_cpus(rng, nr_cpus) : all_cpus(nr_cpus);
  if (rng.chance(0.3)) phase["loop"] = rng.range(1, 20);
  return phase;
}

Json make_task(Rng& rng, int nr_cpus) {
  TaskShape shape;
  shape.nice = pick(rng, kNices);
  shape.changes_affinity = nr_cpus > 1 && rng.chance(0.3);
  shape.changes_nice = rng.chance(0.3);
  shape.rt_bursts = rng.chance(0.15);
  Json task = Json::object();
  if (rng.chance(0.2)) task["instance"] = rng.range(2, 3);
  if (!shape.changes_nice && !shape.rt_bursts) {
    if (rng.chance(0.1)) task["policy"] = rng.chance(0.7) ? "SCHED_BATCH" : "SCHED_IDLE";
    if (shape.nice != 0) task["priority"] = shape.nice;
  }
  if (nr_cpus > 1 && !shape.changes_affinity && rng.chance(0.2)) task["cpus"] = random_cpus(rng, nr_cpus);
  if (rng.chance(0.2)) task["delay"] = rng.range(1000, 200000);
  if (rng.chance(0.2)) task["loop"] = rng.range(1, 50);  // the task exits after these rounds
  Json phases = Json::object();
  const int nr_phases = static_cast<int>(rng.range(1, 3));
  for (int p = 0; p < nr_phases; ++p) phases["p" + std::to_string(p)] = make_phase(rng, shape, nr_cpus);
  task["phases"] = std::move(phases);
  return task;
}

// A spawner that forks a short-lived child (rt-app's "fork" of an "instance": 0 task) every
// few ms: fork and exit churn.
void add_fork_pair(Rng& rng, Json& tasks, const std::string& name) {
  const std::string child = name + "_child";
  tasks[name] = Json{{"phases", Json{{"spawn", Json{{"run", rng.range(50, 500)},
                                                     {"fork", child},
                                                     {"sleep", rng.range(2000, 20000)}}}}}};
  Json work = Json{{"run", rng.range(500, 10000)}};
  if (rng.chance(0.5)) work["sleep"] = rng.range(100, 5000);
  Json c = Json{{"instance", 0}, {"loop", 1}};
  if (int nice = pick(rng, kNices); nice != 0) c["priority"] = nice;
  c["phases"] = Json{{"work", std::move(work)}};
  tasks[child] = std::move(c);
}

}  // namespace

FuzzScenario generate_scenario(uint64_t seed, const GenerateOptions& opts) {
  Rng rng(seed);
  FuzzScenario s;
  s.seed = 1 + rng.below(1000000);
  if (opts.topology) {
    s.topology = *opts.topology;
    s.nr_cpus = opts.topology_cpus;
  } else {
    const Machine& m = pick(rng, kMachines);
    s.topology = m.topology;
    s.nr_cpus = m.nr_cpus;
  }
  s.duration = opts.duration ? *opts.duration : pick(rng, kDurations);
  Json tasks = Json::object();
  const int nr_tasks = static_cast<int>(rng.range(1, opts.max_tasks));
  for (int t = 0; t < nr_tasks; ++t) tasks["t" + std::to_string(t)] = make_task(rng, s.nr_cpus);
  if (rng.chance(0.3)) add_fork_pair(rng, tasks, "spawner");
  s.workload = Json{{"global", Json{{"calibration", "CPU0"}, {"default_policy", "SCHED_OTHER"}}},
                    {"tasks", std::move(tasks)}};
  return s;
}

}  // namespace scx::fuzz
