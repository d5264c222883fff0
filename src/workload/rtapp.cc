#include "workload/rtapp.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/json_parse.h"
#include "workload/json_prep.h"
#include "workload/rtapp_cgroups.h"
#include "workload/task_limit.h"

namespace scx {
namespace {

using Json = nlohmann::ordered_json;  // keeps document order: event order is semantic

// ---------------------------------------------------------------------------------------------
// Event recognition. rt-app treats every key that *starts with* one of these names as an
// event; the order matters because "runtime" extends "run" and "memrun" extends "mem".

// clang-format off
enum class Ev {
  Lock, Unlock, Wait, Signal, Broad, Sync, Sleep, Runtime, Run, Timer, Suspend, Resume,
  Memrun, Mem, Iorun, Yield, Barrier, Fork, SemPost, SemWait,
};
// clang-format on

struct EvPrefix {
  std::string_view prefix;
  Ev ev;
};

constexpr EvPrefix kEvents[] = {
    {"lock", Ev::Lock},        {"unlock", Ev::Unlock},    {"wait", Ev::Wait},
    {"signal", Ev::Signal},    {"broad", Ev::Broad},      {"sync", Ev::Sync},
    {"sleep", Ev::Sleep},      {"runtime", Ev::Runtime},  {"run", Ev::Run},
    {"timer", Ev::Timer},      {"suspend", Ev::Suspend},  {"resume", Ev::Resume},
    {"memrun", Ev::Memrun},    {"mem", Ev::Mem},          {"iorun", Ev::Iorun},
    {"yield", Ev::Yield},      {"barrier", Ev::Barrier},  {"fork", Ev::Fork},
    {"sem_post", Ev::SemPost}, {"sem_wait", Ev::SemWait},
};

std::optional<Ev> classify(std::string_view key) {
  for (const EvPrefix& e : kEvents)
    if (key.substr(0, e.prefix.size()) == e.prefix) return e.ev;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Small value helpers. Every error names its place ("task 'a', phase 'p', key 'run'").

// Where an object sits: a task, optionally one of its phases.
struct Ctx {
  std::string task;
  std::string phase;  // empty in the single-phase form
  std::string scope() const {
    std::string s = "task '" + task + "'";
    if (!phase.empty()) s += ", phase '" + phase + "'";
    return s;
  }
  std::string at(std::string_view key) const {
    return scope() + ", key '" + std::string(key) + "'";
  }
};

std::string key_at(std::string_view scope, std::string_view key) {
  std::string k = "key '" + std::string(key) + "'";
  return scope.empty() ? k : std::string(scope) + ", " + k;
}

// A value as it appears in the file, shortened for messages.
std::string shown(const Json& v) {
  std::string s = v.dump();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

Status expected(const std::string& where, std::string_view what, const Json& v) {
  return Status::Errorf(where, "expected {}, got {}", what, shown(v));
}

// rt-app reads numbers with json-c's 32-bit int getter, so larger values are refused here.
Result<int64_t> get_int(const Json& v, const std::string& where, std::string_view what) {
  if (!v.is_number_integer()) return expected(where, what, v);
  if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t{INT32_MAX})
    return Status::Errorf(where, "{} is too large", shown(v));
  int64_t x = v.get<int64_t>();
  if (x < INT32_MIN) return Status::Errorf(where, "{} is too small", x);
  return x;
}

Result<int64_t> get_int_in(const Json& v, const std::string& where, std::string_view what,
                           int64_t lo, int64_t hi) {
  SCX_ASSIGN_OR_RETURN(int64_t x, get_int(v, where, what));
  if (x < lo || x > hi) return Status::Errorf(where, "{} is out of range ({}..{})", x, lo, hi);
  return x;
}

Result<int64_t> get_us(const Json& v, const std::string& where) {
  SCX_ASSIGN_OR_RETURN(int64_t x, get_int(v, where, "an integer number of microseconds"));
  if (x < 0) return Status::Errorf(where, "a duration cannot be negative, got {}", x);
  return x;
}

Result<std::string> get_name(const Json& v, const std::string& where, std::string_view what) {
  if (!v.is_string() || v.get<std::string>().empty())
    return expected(where, fmt::format("{} (a non-empty string)", what), v);
  return v.get<std::string>();
}

Status check_bool(const Json& v, const std::string& where) {
  if (!v.is_boolean()) return expected(where, "true or false", v);
  return {};
}

Status check_string(const Json& v, const std::string& where) {
  if (!v.is_string()) return expected(where, "a string", v);
  return {};
}

Result<Policy> get_policy(const Json& v, const std::string& where) {
  if (!v.is_string()) return expected(where, "a policy name such as \"SCHED_OTHER\"", v);
  const std::string s = v.get<std::string>();
  if (s == "SCHED_OTHER") return Policy::Normal;
  if (s == "SCHED_BATCH") return Policy::Batch;
  if (s == "SCHED_IDLE") return Policy::Idle;
  if (s == "SCHED_FIFO") return Policy::Fifo;
  if (s == "SCHED_RR") return Policy::RR;
  if (s == "SCHED_DEADLINE") return Status::Error(where, "SCHED_DEADLINE is not supported yet");
  return Status::Errorf(where,
                        "unknown policy \"{}\" (expected SCHED_OTHER, SCHED_BATCH, SCHED_IDLE, "
                        "SCHED_FIFO or SCHED_RR)",
                        s);
}

const char* rtapp_policy_name(Policy p) {
  switch (p) {
    case Policy::Normal:
      return "SCHED_OTHER";
    case Policy::Batch:
      return "SCHED_BATCH";
    case Policy::Idle:
      return "SCHED_IDLE";
    case Policy::Fifo:
      return "SCHED_FIFO";
    case Policy::RR:
      return "SCHED_RR";
    case Policy::Deadline:
      return "SCHED_DEADLINE";
    case Policy::Ext:
      return "SCHED_EXT";
  }
  return "?";
}

// rt-app's default priority when a policy is given without one.
int default_priority(Policy p) {
  return is_rt_policy(p) ? 10 : 0;
}

Status check_priority(Policy p, int64_t prio, const std::string& where) {
  if (is_rt_policy(p)) {
    if (prio < 1 || prio > 99)
      return Status::Errorf(where, "rt priority {} is out of range (1..99)", prio);
  } else if (prio < -20 || prio > 19) {
    return Status::Errorf(where,
                          "priority is the nice value for fair policies; {} is out of "
                          "range (-20..19)",
                          prio);
  }
  return {};
}

Result<CpuMask> get_cpus(const Json& v, const std::string& where, int nr_cpus) {
  if (!v.is_array())
    return expected(where,
                    "an array of CPU numbers such as [0, 2] (rt-app does not accept "
                    "cpulist strings)",
                    v);
  if (v.empty()) return Status::Error(where, "the CPU set is empty");
  CpuMask mask;
  for (const Json& c : v) {
    SCX_ASSIGN_OR_RETURN(int64_t cpu, get_int(c, where, "a CPU number"));
    if (cpu < 0 || cpu >= kMaxCpus)
      return Status::Errorf(where, "CPU {} is out of range (0..{})", cpu, kMaxCpus - 1);
    if (nr_cpus > 0 && cpu >= nr_cpus)
      return Status::Errorf(where, "CPU {} does not exist (the machine has {} CPUs)", cpu, nr_cpus);
    mask.set(static_cast<int>(cpu));
  }
  return mask;
}

Status check_int_array(const Json& v, const std::string& where) {
  if (!v.is_array()) return expected(where, "an array of integers", v);
  for (const Json& x : v)
    SCX_RETURN_IF_ERROR(get_int_in(x, where, "an integer", 0, INT32_MAX).status());
  return {};
}

// ---------------------------------------------------------------------------------------------
// Scheduling and placement keys shared by tasks and phases.

enum class Level {
  TaskWithPhases,  // task object that has "phases": only task properties
  SinglePhase,     // task object without "phases": task properties and events together
  Phase,           // one entry of "phases"
};

struct Props {
  std::optional<int64_t> instance, loop, delay, priority, dl_runtime, legacy_runtime;
  std::optional<Policy> policy;
  std::optional<CpuMask> cpus;
  std::string taskgroup;
  std::vector<std::pair<std::string, const Json*>> events;  // document order
};

// ---------------------------------------------------------------------------------------------

class Compiler {
 public:
  explicit Compiler(const RtAppOptions& opt) : opt_(opt) {}

  Status compile(const Json& root);
  Workload take() { return std::move(wl_); }

 private:
  struct ForkSite {
    size_t op;
    std::string target;
    std::string where;
  };
  // One task description, before instances with unique timers are split.
  struct Draft {
    std::string name;
    TaskSpec spec;
    Program prog;
    std::vector<size_t> unique_ops;        // TimerWait ops whose obj indexes unique_refs
    std::vector<std::string> unique_refs;  // this task's "unique..." timer names
    std::vector<bool> unique_absolute;
    std::vector<ForkSite> forks;
    std::vector<std::string> barriers;
  };
  struct PhaseInfo {
    std::string name;
    Ctx ctx;
    Props props;
    int64_t loop = 1;
  };

  Status parse_global(const Json& g);
  Status read_props(const Json& obj, Level level, const Ctx& ctx, Props* p);
  Status parse_task(const std::string& name, const Json& t);
  Status emit_event(Draft& d, const Ctx& ctx, const std::string& key, const Json& v);
  Status finish();

  void emit(Draft& d, OpKind k, uint32_t obj = kNoObject, int64_t a = 0, int64_t b = 0) {
    d.prog.ops.push_back(Op{k, obj, a, b});
  }
  // LoopBegin/LoopEnd around a body; a count of 1 needs no loop.
  size_t begin_loop(Draft& d, int64_t count) {
    if (count == 1) return SIZE_MAX;
    emit(d, OpKind::LoopBegin, kNoObject, count);
    return d.prog.ops.size() - 1;
  }
  void end_loop(Draft& d, size_t begin) {
    if (begin == SIZE_MAX) return;
    emit(d, OpKind::LoopEnd, kNoObject, 0, static_cast<int64_t>(begin));
    d.prog.ops[begin].b = static_cast<int64_t>(d.prog.ops.size() - 1);
  }

  static uint32_t intern(std::map<std::string, uint32_t>& ids, std::vector<std::string>& table,
                         const std::string& name) {
    auto [it, added] = ids.try_emplace(name, static_cast<uint32_t>(table.size()));
    if (added) table.push_back(name);
    return it->second;
  }
  uint32_t mutex(const std::string& n) { return intern(mutex_ids_, wl_.mutexes, n); }
  uint32_t condvar(const std::string& n) { return intern(cond_ids_, wl_.condvars, n); }
  uint32_t semaphore(const std::string& n) { return intern(sem_ids_, wl_.semaphores, n); }
  uint32_t counter(const std::string& n) { return intern(counter_ids_, wl_.counters, n); }
  uint32_t mask(const CpuMask& m) {
    for (size_t i = 0; i < wl_.masks.size(); ++i)
      if (wl_.masks[i] == m) return static_cast<uint32_t>(i);
    wl_.masks.push_back(m);
    return static_cast<uint32_t>(wl_.masks.size() - 1);
  }

  RtAppOptions opt_;
  double run_scale_ = 1.0;  // opt_.run_scale, or the machine's loop time over the calibration
  Workload wl_;
  Policy default_policy_ = Policy::Normal;
  std::vector<Draft> drafts_;
  std::map<std::string, uint32_t> mutex_ids_, cond_ids_, sem_ids_, counter_ids_, barrier_ids_,
      timer_ids_;
  std::vector<bool> timer_absolute_;  // per shared timer
  std::map<std::string, std::vector<int>> spec_indices_;  // rt-app task name -> its TaskSpecs
};

Status Compiler::compile(const Json& root) {
  if (!root.is_object()) return Status::Error("", "the top level must be a JSON object");
  if (!(opt_.run_scale > 0) || !std::isfinite(opt_.run_scale))
    return Status::Errorf("", "run_scale must be a positive number, got {}", opt_.run_scale);
  run_scale_ = opt_.run_scale;
  wl_.duration = opt_.default_duration;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string& k = it.key();
    if (k == "tasks" || k == "global" || k == "cgroups" || k == "cgroup_events") continue;
    if (k == "resources") {
      // Accepted for old files; resources are created on first reference anyway.
      if (!it.value().is_object()) return expected(key_at("", k), "an object", it.value());
    } else if (k == "description") {
      // rt-app ignores unknown top-level keys, so a description here is portable.
      SCX_RETURN_IF_ERROR(check_string(it.value(), key_at("", k)));
    } else {
      return Status::Error(key_at("", k),
                           "unknown top-level key (expected 'global', 'tasks', "
                           "'resources', 'description', 'cgroups' or 'cgroup_events')");
    }
  }
  if (root.contains("global")) SCX_RETURN_IF_ERROR(parse_global(root["global"]));
  if (root.contains("cgroups")) SCX_RETURN_IF_ERROR(parse_cgroups_section(root["cgroups"], wl_, opt_.nr_cpus));
  if (!root.contains("tasks")) return Status::Error("", "missing 'tasks'");
  const Json& tasks = root["tasks"];
  if (!tasks.is_object()) return expected(key_at("", "tasks"), "an object of tasks", tasks);
  if (tasks.empty()) return Status::Error(key_at("", "tasks"), "there are no tasks");
  for (auto it = tasks.begin(); it != tasks.end(); ++it)
    SCX_RETURN_IF_ERROR(parse_task(it.key(), it.value()));
  SCX_RETURN_IF_ERROR(finish());
  if (!root.contains("cgroup_events")) return {};
  return parse_cgroup_events(root["cgroup_events"], wl_, [this](const std::string& task) {
    auto it = spec_indices_.find(task);
    return it == spec_indices_.end() ? std::vector<int>{} : it->second;
  }, opt_.nr_cpus);
}

Status Compiler::parse_global(const Json& g) {
  if (!g.is_object()) return expected(key_at("", "global"), "an object", g);
  for (auto it = g.begin(); it != g.end(); ++it) {
    const std::string& k = it.key();
    const Json& v = it.value();
    const std::string where = key_at("global", k);
    if (k == "duration") {
      SCX_ASSIGN_OR_RETURN(int64_t s, get_int(v, where, "an integer number of seconds"));
      // -1 (rt-app's default) and 0 both mean: run until every task has finished its loops.
      if (s < -1) return Status::Errorf(where, "{} is not a duration (use -1 for no limit)", s);
      wl_.duration = s > 0 ? static_cast<Ns>(s) * kNsPerSec : 0;
    } else if (k == "calibration") {
      // The CPU demand of `run` is set by RtAppOptions::run_scale, or by the machine's loop time
      // against this calibration ("CPUn": rt-app measures the loop on the machine itself).
      if (v.is_number_integer()) {
        SCX_ASSIGN_OR_RETURN(int64_t calib, get_int_in(v, where, "ns per loop", 1, INT32_MAX));
        if (opt_.loop_ns > 0) run_scale_ = opt_.loop_ns / static_cast<double>(calib);
      } else {
        std::string s = v.is_string() ? v.get<std::string>() : "";
        size_t digits = s.size() > 3 ? s.find_first_not_of("0123456789", 3) : 0;
        if (s.size() <= 3 || s.compare(0, 3, "CPU") != 0 || digits != std::string::npos)
          return expected(where, "ns per loop (an integer) or \"CPU<n>\"", v);
        long cpu = std::strtol(s.c_str() + 3, nullptr, 10);
        if (opt_.nr_cpus > 0 && cpu >= opt_.nr_cpus)
          return Status::Errorf(where, "CPU {} does not exist (the machine has {} CPUs)", cpu,
                                opt_.nr_cpus);
      }
    } else if (k == "default_policy") {
      SCX_ASSIGN_OR_RETURN(default_policy_, get_policy(v, where));
    } else if (k == "pi_enabled") {
      SCX_RETURN_IF_ERROR(check_bool(v, where));
      wl_.pi_mutexes = v.get<bool>();
    } else if (k == "lock_pages" || k == "gnuplot" || k == "cumulative_slack") {
      SCX_RETURN_IF_ERROR(check_bool(v, where));  // no effect on scheduling
    } else if (k == "logdir" || k == "log_basename" || k == "io_device") {
      SCX_RETURN_IF_ERROR(check_string(v, where));  // output only
    } else if (k == "log_size") {
      if (!v.is_number_integer() &&
          !(v.is_string() && (v == "file" || v == "disable" || v == "auto")))
        return expected(where, "a size in MB or \"file\", \"disable\" or \"auto\"", v);
    } else if (k == "ftrace") {
      if (!v.is_boolean() && !v.is_string())
        return expected(where, "true/false or a list of categories", v);
    } else if (k == "frag") {
      // An rt-app 1.0-era key its own examples still carry; it has no effect on scheduling.
      SCX_RETURN_IF_ERROR(get_int_in(v, where, "an integer", 0, INT32_MAX).status());
    } else if (k == "mem_buffer_size") {
      SCX_RETURN_IF_ERROR(get_int_in(v, where, "a size in bytes", 1, INT32_MAX).status());
    } else {
      return Status::Error(where, "unknown key in 'global'");
    }
  }
  return {};
}

Status Compiler::read_props(const Json& obj, Level level, const Ctx& ctx, Props* p) {
  const bool task_level = level != Level::Phase;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string& k = it.key();
    const Json& v = it.value();
    const std::string where = ctx.at(k);
    if (classify(k)) {
      if (level == Level::TaskWithPhases)
        return Status::Error(where,
                             "events must be inside a phase when the task has 'phases' "
                             "(rt-app would ignore this one)");
      p->events.emplace_back(k, &v);
      continue;
    }
    if (k == "phases" && level == Level::TaskWithPhases) {
      if (!v.is_object() || v.empty()) return expected(where, "an object of phases", v);
    } else if (k == "loop") {
      // Task loop with phases: -1 = forever, 0 = do nothing. Phase loop: count >= 1 or -1
      // (rt-app repeats a phase with loop 0 forever, which is never what was meant).
      if (level == Level::TaskWithPhases) {
        SCX_ASSIGN_OR_RETURN(p->loop, get_int_in(v, where, "a loop count", -1, INT32_MAX));
      } else {
        SCX_ASSIGN_OR_RETURN(p->loop, get_int(v, where, "a loop count"));
        if (*p->loop == 0 || *p->loop < -1)
          return Status::Errorf(where, "a phase loop must be at least 1, or -1 for forever; got {}",
                                *p->loop);
      }
    } else if (k == "instance" && task_level) {
      SCX_ASSIGN_OR_RETURN(p->instance, get_int_in(v, where, "an instance count", 0, 65536));
    } else if (k == "delay" && task_level) {
      SCX_ASSIGN_OR_RETURN(p->delay, get_us(v, where));
    } else if (k == "policy") {
      SCX_ASSIGN_OR_RETURN(p->policy, get_policy(v, where));
    } else if (k == "priority") {
      SCX_ASSIGN_OR_RETURN(p->priority, get_int(v, where, "an integer priority"));
    } else if (k == "cpus") {
      SCX_ASSIGN_OR_RETURN(p->cpus, get_cpus(v, where, opt_.nr_cpus));
    } else if (k == "taskgroup") {
      SCX_RETURN_IF_ERROR(check_string(v, where));
      p->taskgroup = v.get<std::string>();
      if (!p->taskgroup.empty() && p->taskgroup[0] != '/')
        return Status::Errorf(where, "a taskgroup must start with '/', got \"{}\"", p->taskgroup);
    } else if (k == "dl-runtime") {
      // A fair task's custom slice is a task property here: SetSched cannot carry a slice,
      // and rt-app ignores a phase's dl-runtime unless the phase also sets a priority.
      if (!task_level)
        return Status::Error(where, "dl-runtime (custom slice) is only supported at task level");
      SCX_ASSIGN_OR_RETURN(p->dl_runtime, get_us(v, where));
    } else if (k == "dl-period" || k == "dl-deadline" ||
               (task_level && (k == "period" || k == "deadline"))) {
      // SCHED_DEADLINE parameters ("period"/"deadline": rt-app's legacy task-level names);
      // meaningless without SCHED_DEADLINE, which is refused anyway.
      SCX_RETURN_IF_ERROR(get_us(v, where).status());
    } else if (k == "util_min" || k == "util_max") {
      // uclamp hints: no effect on a model without frequency or capacity asymmetry.
      SCX_RETURN_IF_ERROR(get_int_in(v, where, "a utilization clamp", -1, 1024).status());
    } else if (k == "nodes_membind") {
      SCX_RETURN_IF_ERROR(check_int_array(v, where));  // NUMA memory binding: no effect
    } else {
      return Status::Errorf(where,
                            "unknown key (not a {} property, and no event name starts "
                            "with it)",
                            task_level ? "task" : "phase");
    }
  }
  // HEAD reads a task-level "runtime" as the legacy name of dl-runtime, and in the
  // single-phase form that key is also the runtime event.
  if (level == Level::SinglePhase && obj.contains("runtime") && obj["runtime"].is_number_integer())
    p->legacy_runtime = obj["runtime"].get<int64_t>();
  return {};
}

Status Compiler::parse_task(const std::string& name, const Json& t) {
  Ctx ctx{name, ""};
  if (!t.is_object()) return expected(ctx.scope(), "a task object", t);
  if (name.empty()) return Status::Error(ctx.scope(), "a task needs a name");
  const bool has_phases = t.contains("phases");
  Props tp;
  SCX_RETURN_IF_ERROR(
      read_props(t, has_phases ? Level::TaskWithPhases : Level::SinglePhase, ctx, &tp));

  Draft d;
  d.name = name;
  TaskSpec& spec = d.spec;
  spec.name = name;  // full name; the kernel truncates comm to 15 characters like Linux
  spec.instances = static_cast<int>(tp.instance.value_or(1));
  spec.policy = tp.policy.value_or(default_policy_);
  const int64_t prio = tp.priority.value_or(default_priority(spec.policy));
  SCX_RETURN_IF_ERROR(
      check_priority(spec.policy, prio, ctx.at(tp.priority ? "priority" : "policy")));
  if (is_rt_policy(spec.policy))
    spec.rt_priority = static_cast<int>(prio);
  else
    spec.nice = static_cast<int>(prio);
  if (tp.cpus) spec.affinity = *tp.cpus;
  spec.start_delay = static_cast<Ns>(tp.delay.value_or(0)) * kNsPerUs;
  // Since Linux 6.12, sched_attr.sched_runtime of a SCHED_OTHER/BATCH task requests a custom
  // EEVDF slice (the kernel clamps it to 0.1..100 ms); rt-app HEAD passes dl-runtime there.
  if (tp.dl_runtime && *tp.dl_runtime > 0 && spec.policy != Policy::Normal &&
      spec.policy != Policy::Batch)
    return Status::Errorf(ctx.at("dl-runtime"),
                          "dl-runtime (custom slice) applies only to "
                          "SCHED_OTHER and SCHED_BATCH, not {}",
                          rtapp_policy_name(spec.policy));
  if (spec.policy == Policy::Normal || spec.policy == Policy::Batch) {
    int64_t slice = tp.dl_runtime.value_or(0);
    if (slice == 0) slice = std::max<int64_t>(tp.legacy_runtime.value_or(0), 0);
    spec.custom_slice = static_cast<Ns>(slice) * kNsPerUs;
  }
  spec.group = tp.taskgroup;
  if (!spec.group.empty() && !is_fair_policy(spec.policy))
    return Status::Error(ctx.at("taskgroup"),
                         "a taskgroup needs a fair policy (SCHED_OTHER, "
                         "SCHED_BATCH or SCHED_IDLE)");
  // rt-app's taskgroup is a path below the cpu controller's mount, which is our hierarchy's
  // root: "/bg" is the cgroup "/bg". The thread attaches itself before its first phase.
  if (!tp.taskgroup.empty()) {
    SCX_RETURN_IF_ERROR(workload_cgroup(wl_, tp.taskgroup, ctx.at("taskgroup")).status());
    spec.cgroup = tp.taskgroup;
  }

  // Phases, in document order. The single-phase form is one unnamed phase.
  std::vector<PhaseInfo> phases;
  int64_t task_loop;
  if (has_phases) {
    const Json& ph = t["phases"];
    for (auto it = ph.begin(); it != ph.end(); ++it) {
      PhaseInfo pi{it.key(), Ctx{name, it.key()}, {}, 1};
      if (pi.name.empty()) pi.ctx.phase = "<empty>";
      if (!it.value().is_object()) return expected(pi.ctx.scope(), "a phase object", it.value());
      SCX_RETURN_IF_ERROR(read_props(it.value(), Level::Phase, pi.ctx, &pi.props));
      pi.loop = pi.props.loop.value_or(1);
      if (pi.props.events.empty()) return Status::Error(pi.ctx.scope(), "the phase has no events");
      phases.push_back(std::move(pi));
    }
    task_loop = tp.loop.value_or(-1);
  } else {
    // Loop semantics of rt-app HEAD: a "loop" in the single-phase form runs the event list
    // that many times and the task exits; without it the list repeats forever. (rt-app 1.0
    // instead repeats the task forever and uses "loop" as the phase count only.)
    PhaseInfo pi{"", ctx, {}, tp.loop.value_or(1)};
    pi.props.events = tp.events;
    if (pi.props.events.empty()) return Status::Error(ctx.scope(), "the task has no events");
    phases.push_back(std::move(pi));
    task_loop = tp.loop ? 1 : -1;
  }

  // A phase without cpus returns to the task-level set, so once any phase sets cpus every
  // phase states its set (the empty mask means "the task-level set").
  bool any_cpus = false;
  for (const PhaseInfo& pi : phases) any_cpus |= has_phases && pi.props.cpus.has_value();

  // A phase that gives a priority but no policy keeps the policy it finds. rt-app resolves
  // that once, at the phase's first execution, and keeps it, so following the phases in
  // document order from the task policy gives the same answer.
  Policy current = spec.policy;
  // Likewise the taskgroup: a phase without one stays in the group it finds (rt-app keeps the
  // thread where the last taskgroup put it; it never returns to the task-level group).
  std::string current_group = tp.taskgroup;
  const uint32_t loops_counter = counter("loops");
  if (task_loop != 0) {
    size_t task_begin = begin_loop(d, task_loop);
    for (size_t k = 0; k < phases.size(); ++k) {
      const PhaseInfo& pi = phases[k];
      if (any_cpus) emit(d, OpKind::SetAffinity, mask(pi.props.cpus.value_or(CpuMask{})));
      if (!pi.props.taskgroup.empty()) current_group = pi.props.taskgroup;
      if (has_phases && (pi.props.policy || pi.props.priority)) {
        Policy pol = pi.props.policy.value_or(current);
        int64_t pr = pi.props.priority.value_or(default_priority(pol));
        SCX_RETURN_IF_ERROR(
            check_priority(pol, pr, pi.ctx.at(pi.props.priority ? "priority" : "policy")));
        if (!current_group.empty() && !is_fair_policy(pol))
          return Status::Error(pi.ctx.at("policy"), "a task in a taskgroup needs a fair policy");
        current = pol;
        emit(d, OpKind::SetSched, kNoObject, static_cast<int64_t>(pol), pr);
      }
      // set_thread_taskgroup() at the start of the phase, after its policy (rt-app's order);
      // moving to the cgroup the task is already in does nothing.
      if (!pi.props.taskgroup.empty()) {
        if (!is_fair_policy(current))
          return Status::Error(pi.ctx.at("taskgroup"),
                               "a taskgroup needs a fair policy (SCHED_OTHER, SCHED_BATCH or SCHED_IDLE)");
        SCX_ASSIGN_OR_RETURN(uint32_t cg, workload_cgroup(wl_, pi.props.taskgroup, pi.ctx.at("taskgroup")));
        emit(d, OpKind::SetCgroup, cg);
      }
      size_t phase_begin = begin_loop(d, pi.loop);
      for (const auto& [key, value] : pi.props.events)
        SCX_RETURN_IF_ERROR(emit_event(d, pi.ctx, key, *value));
      emit(d, OpKind::PhaseEnd, static_cast<uint32_t>(k));
      end_loop(d, phase_begin);
    }
    emit(d, OpKind::Mark, loops_counter, 1);
    end_loop(d, task_begin);
  }
  emit(d, OpKind::Exit);
  drafts_.push_back(std::move(d));
  return {};
}

Status Compiler::emit_event(Draft& d, const Ctx& ctx, const std::string& key, const Json& v) {
  const std::string where = ctx.at(key);
  switch (*classify(key)) {
    case Ev::Run: {
      SCX_ASSIGN_OR_RETURN(int64_t us, get_us(v, where));
      emit(d, OpKind::Run, kNoObject,
           std::llround(static_cast<double>(us) * 1000.0 * run_scale_));
      break;
    }
    case Ev::Runtime: {
      SCX_ASSIGN_OR_RETURN(int64_t us, get_us(v, where));
      emit(d, OpKind::Runtime, kNoObject, us * 1000);
      break;
    }
    case Ev::Sleep: {
      SCX_ASSIGN_OR_RETURN(int64_t us, get_us(v, where));
      emit(d, OpKind::Sleep, kNoObject, us * 1000);
      break;
    }
    case Ev::Mem:
    case Ev::Iorun: {
      SCX_ASSIGN_OR_RETURN(int64_t bytes, get_int_in(v, where, "a number of bytes", 0, INT32_MAX));
      emit(d, OpKind::Run, kNoObject,
           std::llround(static_cast<double>(bytes) * opt_.mem_ns_per_byte));
      break;
    }
    case Ev::Memrun:
      return Status::Error(where, "memrun is not supported (no cost model for memory-bound loops)");
    case Ev::Timer: {
      if (!v.is_object())
        return expected(where, "an object {\"ref\": name, \"period\": us, \"mode\": ...}", v);
      std::optional<std::string> ref;
      std::optional<int64_t> period;
      bool absolute = false;
      for (auto it = v.begin(); it != v.end(); ++it) {
        const std::string sub = ctx.at(key + "." + it.key());
        if (it.key() == "ref") {
          SCX_ASSIGN_OR_RETURN(ref, get_name(it.value(), sub, "a timer name"));
        } else if (it.key() == "period") {
          SCX_ASSIGN_OR_RETURN(period, get_us(it.value(), sub));
        } else if (it.key() == "mode") {
          if (it.value() != "relative" && it.value() != "absolute")
            return expected(sub, "\"relative\" or \"absolute\"", it.value());
          absolute = it.value() == "absolute";
        } else {
          return Status::Error(sub, "unknown timer key (expected 'ref', 'period' or 'mode')");
        }
      }
      if (!ref) return Status::Error(where, "the timer has no 'ref'");
      if (!period) return Status::Error(where, "the timer has no 'period'");
      // The mode belongs to the timer, not to the event: rt-app makes a timer absolute as
      // soon as one of its uses says so. Both are resolved in finish().
      uint32_t obj;
      if (ref->compare(0, 6, "unique") == 0) {
        // One timer per thread; the same name twice in one task is the same timer.
        auto it = std::find(d.unique_refs.begin(), d.unique_refs.end(), *ref);
        obj = static_cast<uint32_t>(it - d.unique_refs.begin());
        if (it == d.unique_refs.end()) {
          d.unique_refs.push_back(*ref);
          d.unique_absolute.push_back(false);
        }
        if (absolute) d.unique_absolute[obj] = true;
        d.unique_ops.push_back(d.prog.ops.size());
      } else {
        auto [it, added] = timer_ids_.try_emplace(*ref, static_cast<uint32_t>(wl_.timers.size()));
        if (added) {
          wl_.timers.push_back(TimerSpec{*ref});
          timer_absolute_.push_back(false);
        }
        obj = it->second;
        if (absolute) timer_absolute_[obj] = true;
      }
      emit(d, OpKind::TimerWait, obj, *period * 1000);
      break;
    }
    case Ev::Suspend:
    case Ev::Resume: {
      // rt-app: suspend = lock m; cond_wait(c, m); unlock m and resume = lock m;
      // cond_broadcast(c); unlock m, with c and m named after the value. Like rt-app, these are
      // the same objects as a condvar or mutex of that name used by wait/signal/lock.
      // rt-app 1.0 names them after the suspend value; HEAD ignores the value and uses the
      // task name. We use the value, and the task name when the value is "" — the two agree
      // for the usual `"suspend": "<own task name>"`.
      std::string name;
      if (v.is_string() && v.get<std::string>().empty() && *classify(key) == Ev::Suspend) {
        name = ctx.task;
      } else {
        SCX_ASSIGN_OR_RETURN(name, get_name(v, where, "a condition name"));
      }
      uint32_t m = mutex(name), c = condvar(name);
      emit(d, OpKind::Lock, m);
      if (*classify(key) == Ev::Suspend)
        emit(d, OpKind::CondWait, c, 0, m);
      else
        emit(d, OpKind::CondBroadcast, c);
      emit(d, OpKind::Unlock, m);
      break;
    }
    case Ev::Lock:
    case Ev::Unlock: {
      SCX_ASSIGN_OR_RETURN(std::string name, get_name(v, where, "a mutex name"));
      emit(d, *classify(key) == Ev::Lock ? OpKind::Lock : OpKind::Unlock, mutex(name));
      break;
    }
    case Ev::Wait:
    case Ev::Sync: {
      if (!v.is_object())
        return expected(where, "an object {\"ref\": condvar, \"mutex\": mutex}", v);
      std::optional<std::string> ref, mtx;
      for (auto it = v.begin(); it != v.end(); ++it) {
        const std::string sub = ctx.at(key + "." + it.key());
        if (it.key() == "ref") {
          SCX_ASSIGN_OR_RETURN(ref, get_name(it.value(), sub, "a condition name"));
        } else if (it.key() == "mutex") {
          SCX_ASSIGN_OR_RETURN(mtx, get_name(it.value(), sub, "a mutex name"));
        } else {
          return Status::Error(sub, "unknown key (expected 'ref' and 'mutex')");
        }
      }
      if (!ref) return Status::Error(where, "missing 'ref' (the condition variable)");
      if (!mtx) return Status::Error(where, "missing 'mutex'");
      uint32_t c = condvar(*ref), m = mutex(*mtx);
      emit(d, *classify(key) == Ev::Wait ? OpKind::CondWait : OpKind::CondSync, c, 0, m);
      break;
    }
    case Ev::Signal:
    case Ev::Broad: {
      SCX_ASSIGN_OR_RETURN(std::string name, get_name(v, where, "a condition name"));
      emit(d, *classify(key) == Ev::Signal ? OpKind::CondSignal : OpKind::CondBroadcast,
           condvar(name));
      break;
    }
    case Ev::Barrier: {
      SCX_ASSIGN_OR_RETURN(std::string name, get_name(v, where, "a barrier name"));
      // rt-app fixes the participant count at parse time: the instance count of the task,
      // once per occurrence. A second occurrence in one task would count its threads twice
      // and the barrier could never open.
      if (std::find(d.barriers.begin(), d.barriers.end(), name) != d.barriers.end())
        return Status::Errorf(where,
                              "barrier '{}' is already used by this task; rt-app counts "
                              "every use as more participants, so it would never open",
                              name);
      d.barriers.push_back(name);
      auto [it, added] = barrier_ids_.try_emplace(name, static_cast<uint32_t>(wl_.barriers.size()));
      if (added) wl_.barriers.push_back(BarrierSpec{name, 0});
      wl_.barriers[it->second].participants += d.spec.instances;
      emit(d, OpKind::Barrier, it->second);
      break;
    }
    case Ev::SemPost:
    case Ev::SemWait: {
      SCX_ASSIGN_OR_RETURN(std::string name, get_name(v, where, "a semaphore name"));
      emit(d, *classify(key) == Ev::SemPost ? OpKind::SemPost : OpKind::SemWait, semaphore(name));
      break;
    }
    case Ev::Fork: {
      SCX_ASSIGN_OR_RETURN(std::string target, get_name(v, where, "a task name"));
      d.forks.push_back(ForkSite{d.prog.ops.size(), target, where});
      emit(d, OpKind::Fork, kNoObject, 1);  // obj resolved in finish(): tasks may come later
      break;
    }
    case Ev::Yield:
      emit(d, OpKind::Yield);  // the value is ignored, as by rt-app
      break;
  }
  return {};
}

Status Compiler::finish() {
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < drafts_.size(); ++i) by_name.emplace(drafts_[i].name, i);
  for (const Draft& d : drafts_) {
    for (const ForkSite& f : d.forks) {
      auto it = by_name.find(f.target);
      if (it == by_name.end())
        return Status::Errorf(f.where, "there is no task '{}' to fork", f.target);
      const Draft& t = drafts_[it->second];
      if (!t.unique_refs.empty())
        return Status::Errorf(f.where,
                              "task '{}' uses unique timers; one timer per forked "
                              "thread is not supported yet",
                              f.target);
      if (!t.barriers.empty())
        return Status::Errorf(f.where,
                              "task '{}' uses barriers, which rt-app cannot combine with "
                              "fork (the participant count is fixed at start)",
                              f.target);
    }
  }
  // Before anything is copied per instance.
  int64_t tasks = 0;
  for (const Draft& d : drafts_) tasks += d.spec.instances;
  SCX_RETURN_IF_ERROR(check_task_count(tasks, opt_.max_tasks, ""));
  // Lay out TaskSpecs. A task whose instances need their own unique timers becomes one
  // TaskSpec (and program) per instance, named "<task>-<i>" as the kernel would name them.
  std::vector<uint32_t> first_spec(drafts_.size());
  uint32_t next = 0;
  for (size_t i = 0; i < drafts_.size(); ++i) {
    first_spec[i] = next;
    const Draft& d = drafts_[i];
    next += (!d.unique_refs.empty() && d.spec.instances > 1) ? d.spec.instances : 1;
  }
  for (size_t i = 0; i < drafts_.size(); ++i) {
    Draft& d = drafts_[i];
    std::vector<bool> unique(d.prog.ops.size(), false);
    for (size_t op : d.unique_ops) unique[op] = true;
    for (Op& op : d.prog.ops) {
      if (op.kind == OpKind::TimerWait && !unique[&op - d.prog.ops.data()])
        op.b = static_cast<int64_t>(timer_absolute_[op.obj] ? TimerMode::Absolute
                                                            : TimerMode::Relative);
    }
    for (const ForkSite& f : d.forks) d.prog.ops[f.op].obj = first_spec[by_name[f.target]];
    const bool split = !d.unique_refs.empty() && d.spec.instances > 1;
    const int copies = split ? d.spec.instances : 1;
    for (int c = 0; c < copies; ++c) {
      TaskSpec spec = d.spec;
      Program prog = d.prog;
      if (split) {
        spec.name = fmt::format("{}-{}", d.name, c);
        spec.instances = 1;
      }
      const uint32_t base = static_cast<uint32_t>(wl_.timers.size());
      for (const std::string& ref : d.unique_refs)
        wl_.timers.push_back(TimerSpec{spec.name + ":" + ref});
      for (size_t op : d.unique_ops) {
        Op& o = prog.ops[op];
        o.b = static_cast<int64_t>(d.unique_absolute[o.obj] ? TimerMode::Absolute
                                                            : TimerMode::Relative);
        o.obj += base;
      }
      spec.program = static_cast<uint32_t>(wl_.programs.size());
      spec_indices_[d.name].push_back(static_cast<int>(wl_.tasks.size()));
      wl_.programs.push_back(std::move(prog));
      wl_.tasks.push_back(std::move(spec));
    }
  }
  return {};
}

// "task 't', phase 'p', key 'run'" for a key at `path` (as json_prep reports paths).
std::string place_of(const std::vector<std::string>& path, const std::string& key) {
  std::vector<std::string> p = path;
  p.push_back(key);
  std::string scope;
  size_t used = 0;
  if (p.size() >= 2 && p[0] == "tasks") {
    scope = "task '" + p[1] + "'";
    used = 2;
    if (p.size() >= 4 && p[2] == "phases") {
      scope += ", phase '" + p[3] + "'";
      used = 4;
    }
  } else if (p.size() >= 2 && p[0] == "global") {
    scope = "global";
    used = 1;
  }
  std::string k;
  for (size_t i = used; i < p.size(); ++i) k += (k.empty() ? "" : ".") + p[i];
  return k.empty() ? scope : key_at(scope, k);
}

std::string base_name(const std::string& origin) {
  std::string s = origin.substr(origin.find_last_of('/') + 1);
  if (s.size() > 5 && s.compare(s.size() - 5, 5, ".json") == 0) s.resize(s.size() - 5);
  return s;
}

}  // namespace

Result<Workload> parse_rtapp_json(std::string_view text, const std::string& origin,
                                  const RtAppOptions& opt) {
  PreparedJson prep = prepare_json(text, opt.rename_duplicates);
  Json root;
  if (auto e = parse_json(prep.text, &root, /*ignore_comments=*/true)) {
    // e->byte counts the characters read, the offending one included.
    // Lines of the prepared text are those of the original (renaming only widens a line).
    LineCol lc = line_col(prep.text, e->byte > 0 ? e->byte - 1 : 0);
    return Status::Errorf(fmt::format("{}: line {}, column {}", origin, lc.line, lc.column), "{}",
                          e->reason);
  }
  if (prep.duplicate && !opt.rename_duplicates) {
    // json-c (rt-app) would silently keep one of the values, so the file cannot mean what
    // it says.
    const DuplicateKey& dup = *prep.duplicate;
    LineCol lc = line_col(text, dup.offset);
    std::string where = fmt::format("{}: line {}, column {}: {}", origin, lc.line, lc.column,
                                    place_of(dup.path, dup.key));
    return Status::Errorf(where,
                          "duplicate key: rt-app would silently keep only one of them; "
                          "give each a distinct name (e.g. '{}1', '{}2')",
                          dup.key, dup.key);
  }
  std::vector<std::string> warnings;
  for (const RenamedKey& r : prep.renamed) {
    LineCol lc = line_col(text, r.offset);
    warnings.push_back(fmt::format("{}: line {}: {}: duplicate key renamed '{}' (as rt-app's workgen "
                                   "does; json-c would keep only one of them)",
                                   origin, lc.line, place_of(r.path, r.key), r.renamed));
  }
  Compiler c(opt);
  Status st = c.compile(root);
  if (!st.ok()) return st.within(origin);
  Workload wl = c.take();
  wl.name = base_name(origin);
  wl.warnings = std::move(warnings);
  return wl;
}

Result<Workload> parse_rtapp_file(const std::string& path, const RtAppOptions& opt) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Errorf(path, "cannot open the file ({})", std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::Errorf(path, "cannot read the file ({})", std::strerror(errno));
  return parse_rtapp_json(ss.str(), path, opt);
}

std::string rtapp_description(std::string_view text) {
  size_t i = text.find_first_not_of(" \t\r\n");
  if (i == std::string_view::npos || text.substr(i, 2) != "/*") return "";
  size_t end = text.find("*/", i + 2);
  if (end == std::string_view::npos) return "";
  std::string out;
  std::string_view body = text.substr(i + 2, end - i - 2);
  // Join the comment's lines, dropping the decoration of C-style block comments.
  while (!body.empty()) {
    size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    size_t a = line.find_first_not_of(" \t\r*");
    size_t b = line.find_last_not_of(" \t\r*");
    if (a != std::string_view::npos) {
      if (!out.empty()) out += ' ';
      out += line.substr(a, b - a + 1);
    }
    if (nl == std::string_view::npos) break;
    body.remove_prefix(nl + 1);
  }
  return out;
}

}  // namespace scx
