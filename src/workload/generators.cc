#include "workload/generators.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "base/suggest.h"
#include "workload/builder.h"
#include "workload/gen_internal.h"
#include "workload/rtapp.h"

namespace scx {

Result<GeneratorOptions> GeneratorOptions::parse(std::string_view generator, std::string_view text,
                                                  GeneratorContext ctx) {
  GeneratorOptions o;
  o.generator_ = std::string(generator);
  o.ctx_ = ctx;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(pos, comma - pos);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return o.error(fmt::format("expected key=value, got '{}'", std::string(item)));
    std::string key(item.substr(0, eq));
    if (o.values_.count(key)) return o.error(fmt::format("option '{}' is given twice", key));
    o.values_[key] = std::string(item.substr(eq + 1));
    pos = comma + 1;
  }
  return o;
}

Status GeneratorOptions::error(const std::string& what) const {
  return Status::Error(fmt::format("--workload {}", generator_), what);
}

Result<int64_t> GeneratorOptions::get_int(const std::string& key, int64_t def, int64_t min, int64_t max) {
  used_[key] = true;
  auto it = values_.find(key);
  if (it == values_.end()) return def;
  int64_t v = 0;
  const std::string& s = it->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < min || v > max)
    return error(fmt::format("{}={} must be an integer in {}..{}", key, s, min, max));
  return v;
}

Result<Ns> GeneratorOptions::get_duration(const std::string& key, Ns def, Ns min, Ns max) {
  used_[key] = true;
  auto it = values_.find(key);
  if (it == values_.end()) return def;
  auto d = parse_duration(it->second);
  if (!d.ok()) return error(fmt::format("{}={}: {}", key, it->second, d.status().message()));
  if (*d < min || *d > max)
    return error(fmt::format("{}={} must be between {} and {}", key, it->second, format_duration(min),
                             format_duration(max)));
  return *d;
}

Result<std::string> GeneratorOptions::get_string(const std::string& key, const std::string& def,
                                                 const std::vector<std::string>& allowed) {
  used_[key] = true;
  auto it = values_.find(key);
  if (it == values_.end()) return def;
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), it->second) == allowed.end()) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    return error(fmt::format("{}={} is not one of: {}", key, it->second, list));
  }
  return it->second;
}

Result<bool> GeneratorOptions::get_bool(const std::string& key, bool def) {
  used_[key] = true;
  auto it = values_.find(key);
  if (it == values_.end()) return def;
  const std::string& s = it->second;
  if (s == "1" || s == "true" || s == "on" || s == "yes") return true;
  if (s == "0" || s == "false" || s == "off" || s == "no") return false;
  return error(fmt::format("{}={} must be 0 or 1", key, s));
}

Result<std::vector<int64_t>> GeneratorOptions::get_int_list(const std::string& key,
                                                            const std::vector<int64_t>& def,
                                                            int64_t min, int64_t max) {
  used_[key] = true;
  auto it = values_.find(key);
  if (it == values_.end()) return def;
  const std::string& s = it->second;
  std::vector<int64_t> out;
  size_t pos = 0;
  while (true) {
    size_t semi = s.find(';', pos);
    if (semi == std::string::npos) semi = s.size();
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data() + pos, s.data() + semi, v);
    if (ec != std::errc() || p != s.data() + semi || v < min || v > max)
      return error(fmt::format("{}={} must be integers in {}..{} separated by ';'", key, s, min, max));
    out.push_back(v);
    if (semi == s.size()) break;
    pos = semi + 1;
  }
  return out;
}

Status GeneratorOptions::finish() const {
  for (const auto& [k, v] : values_)
    if (!used_.count(k)) {
      std::string known;
      for (const auto& [u, used] : used_) known += (known.empty() ? "" : ", ") + u;
      return error(fmt::format("unknown option '{}' (options: {})", k, known));
    }
  return {};
}

namespace {

// A mixed desktop-like demo: periodic interactive tasks, batch hogs at two nice levels, a
// pipe ping-pong pair and one SCHED_FIFO periodic task.
Result<Workload> build_demo(GeneratorOptions& o) {
  SCX_ASSIGN_OR_RETURN(int64_t hogs, o.get_int("hogs", 4, 0, 1024));
  SCX_ASSIGN_OR_RETURN(int64_t interactive, o.get_int("interactive", 4, 0, 1024));
  SCX_ASSIGN_OR_RETURN(Ns period, o.get_duration("period", 16 * kNsPerMs, kNsPerUs));
  WorkloadBuilder wb("demo");
  for (int64_t i = 0; i < hogs; ++i)
    wb.task(fmt::format("hog{}", i)).nice(i % 2 ? 5 : 0).program().begin_loop(-1).run(10 * kNsPerMs).mark("hog_loops").end_loop();
  for (int64_t i = 0; i < interactive; ++i)
    wb.task(fmt::format("frame{}", i)).program().begin_loop(-1).run(2 * kNsPerMs).timer(fmt::format("unique_frame{}", i), period).mark("frames").end_loop();
  wb.task("ping").program().begin_loop(-1).send("ping", 64).recv("pong", 64).run(20 * kNsPerUs).mark("messages").end_loop();
  wb.task("pong").program().begin_loop(-1).recv("ping", 64).run(30 * kNsPerUs).send("pong", 64).end_loop();
  wb.task("audio").fifo(50).program().begin_loop(-1).run(500 * kNsPerUs).timer("audio", 5 * kNsPerMs).end_loop();
  return std::move(wb).build();
}

// Pairs of tasks bouncing a message through two pipes (the engine benchmark's scenario).
Result<Workload> build_pingpong(GeneratorOptions& o) {
  SCX_ASSIGN_OR_RETURN(int64_t pairs, o.get_int("pairs", 200, 1, 100000));
  SCX_ASSIGN_OR_RETURN(Ns work, o.get_duration("work", 5 * kNsPerUs));
  SCX_ASSIGN_OR_RETURN(std::string policy, o.get_string("policy", "normal", {"normal", "fifo"}));
  WorkloadBuilder wb("pingpong");
  wb.reserve(static_cast<size_t>(2 * pairs), static_cast<size_t>(2 * pairs));
  for (int64_t i = 0; i < pairs; ++i) {
    auto a = wb.task(fmt::format("ping{}", i));
    auto b = wb.task(fmt::format("pong{}", i));
    if (policy == "fifo") a.fifo(10), b.fifo(10);
    std::string p1 = fmt::format("p{}a", i), p2 = fmt::format("p{}b", i);
    a.program().begin_loop(-1).send(p1, 64).recv(p2, 64).run(work).mark("messages").end_loop();
    b.program().begin_loop(-1).recv(p1, 64).run(work).send(p2, 64).end_loop();
  }
  return std::move(wb).build();
}

}  // namespace

const std::vector<GeneratorInfo>& workload_generators() {
  static const std::vector<GeneratorInfo> kGenerators = {
      {"demo", "interactive frame tasks, batch hogs, a pipe ping-pong pair and an RT audio task",
       "hogs=4, interactive=4, period=16ms", build_demo},
      {"pingpong", "pairs of tasks bouncing a 64-byte message through pipes",
       "pairs=200, work=5us, policy=normal|fifo", build_pingpong},
      {"hackbench", "rt-tests hackbench / perf bench sched messaging: groups of senders spraying "
                    "messages to receivers; ends when all exit, prints Time",
       "groups=10, fds=20, loops=100, datasize=100, pipe=1, mode=process|thread, fifo=0, "
       "output=hackbench|perf, write_cost=pipe_write|socket_write (cost model), read_cost=pipe_read|socket_read",
       build_hackbench},
      {"schbench", "schbench v1.0: message threads wake worker threads that serve requests; "
                   "prints wakeup/request latency percentiles and RPS",
       "message_threads=1, worker_threads=ceil(cpus/message_threads), runtime=30s, cputime=17ms, "
       "sleep=100us, rps=0, pipe=0, warmuptime=0s, calibrate=0",
       build_schbench},
      {"hogs", "CPU hogs spread over several nice values (weighted fairness)",
       "count=8, nices=0;5;10 (';'-separated, assigned round-robin), policy=normal|batch|idle, "
       "chunk=10ms",
       build_hogs},
      {"interactive", "periodic frame-like tasks beside background hogs (gaming/desktop)",
       "frames=2, period=16667us, work=4ms, frame_nice=0, hogs=4, hog_nice=0, "
       "hog_policy=batch|normal|idle",
       build_interactive},
      {"build", "fork/exit churn like make -jN: a driver keeps N compile jobs of random length "
                "in flight; ends when all jobs are done",
       "jobs=cpus, tasks=100, min=5ms, max=100ms, spawn=200us", build_build},
      {"pipeline", "a producer/consumer chain of stages passing items over pipes or semaphores",
       "stages=4, items=0 (0 = forever), work=200us, ipc=pipe|sem, bytes=4096, depth=4",
       build_pipeline},
      {"pinned", "a pinned-task mix: tasks pinned to one CPU, to CPU subsets, and free tasks",
       "pinned=cpus, subsets=max(1,cpus/2), subset_size=2, free=max(1,cpus/2), work=5ms, "
       "sleep=5ms",
       build_pinned},
      {"containers", "cgroups side by side like containers, each with its cpu.weight (and cpu.max) and "
                     "its own CPU hogs or a hog/service mix",
       "groups=4, weights=100;200;300;400 (';'-separated, round-robin), tasks=2 (per group), "
       "load=hog|mixed, work=10ms, sleep=10ms (mixed), quota=0 (cpu.max, % of one CPU; 0 = max)",
       build_containers},
  };
  return kGenerators;
}

std::string bundled_workload_dir() {
  if (const char* d = std::getenv("SCXSIM_DATA_DIR")) return std::string(d) + "/workloads";
  return SCXSIM_WORKLOAD_DIR;
}

std::vector<BundledWorkload> bundled_workloads() {
  std::vector<BundledWorkload> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(bundled_workload_dir(), ec)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::stringstream ss;
    ss << in.rdbuf();
    out.push_back({entry.path().stem().string(), rtapp_description(ss.str())});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

Result<Workload> resolve_workload(std::string_view arg, int nr_cpus, uint64_t seed, const CostModel& cost,
                                  int64_t max_tasks) {
  std::string_view name = arg, opts;
  if (size_t colon = arg.find(':'); colon != std::string_view::npos) {
    name = arg.substr(0, colon);
    opts = arg.substr(colon + 1);
  }
  for (const GeneratorInfo& g : workload_generators()) {
    if (g.name != name) continue;
    SCX_ASSIGN_OR_RETURN(GeneratorOptions o,
                         GeneratorOptions::parse(g.name, opts, GeneratorContext{nr_cpus, seed, cost}));
    SCX_ASSIGN_OR_RETURN(Workload w, g.build(o));
    SCX_RETURN_IF_ERROR(o.finish());
    SCX_RETURN_IF_ERROR(check_task_count(workload_task_count(w), max_tasks, "--workload " + std::string(arg)));
    return w;
  }
  RtAppOptions ro;
  ro.nr_cpus = nr_cpus;
  ro.loop_ns = cost.rtapp_loop_ns;
  ro.max_tasks = max_tasks;
  std::string path(arg);
  if (path.find('/') == std::string::npos && !std::filesystem::exists(path)) {
    std::string bundled = bundled_workload_dir() + "/" + path;
    if (bundled.size() < 5 || bundled.substr(bundled.size() - 5) != ".json") bundled += ".json";
    if (std::filesystem::exists(bundled)) path = bundled;
  }
  if (std::filesystem::exists(path)) return parse_rtapp_file(path, ro);
  // Something written as a path is a missing file, not a misspelt name.
  if (path.find('/') != std::string::npos || path.ends_with(".json"))
    return Status::Errorf("--workload", "no such file '{}'", path);
  std::string names;
  std::vector<std::string> known;
  for (const auto& g : workload_generators()) names += (names.empty() ? "" : ", ") + g.name, known.push_back(g.name);
  for (const auto& b : bundled_workloads()) names += ", " + b.name, known.push_back(b.name);
  return Status::Errorf("--workload", "'{}'{} is not a file, a bundled workload or a generator (known: {})",
                        std::string(arg), did_you_mean(name, known), names);
}

}  // namespace scx
