#include "workload/generators.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "workload/builder.h"
#include "workload/rtapp.h"

namespace scx {

Result<GeneratorOptions> GeneratorOptions::parse(std::string_view generator, std::string_view text) {
  GeneratorOptions o;
  o.generator_ = std::string(generator);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(pos, comma - pos);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return Status::Errorf(fmt::format("--workload {}", generator), "expected key=value, got '{}'",
                            std::string(item));
    o.values_[std::string(item.substr(0, eq))] = std::string(item.substr(eq + 1));
    pos = comma + 1;
  }
  return o;
}

Result<int64_t> GeneratorOptions::get_int(const std::string& key, int64_t def, int64_t min, int64_t max) {
  used_[key] = true;
  auto it = values_.find(key);
  if (it == values_.end()) return def;
  int64_t v = 0;
  const std::string& s = it->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < min || v > max)
    return Status::Errorf(fmt::format("--workload {}", generator_), "{}={} must be an integer in {}..{}",
                          key, s, min, max);
  return v;
}

Result<Ns> GeneratorOptions::get_duration(const std::string& key, Ns def) {
  used_[key] = true;
  auto it = values_.find(key);
  if (it == values_.end()) return def;
  auto d = parse_duration(it->second);
  if (!d.ok()) return d.status().within(fmt::format("--workload {}: {}", generator_, key));
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
    return Status::Errorf(fmt::format("--workload {}", generator_), "{}={} is not one of: {}", key,
                          it->second, list);
  }
  return it->second;
}

Status GeneratorOptions::finish() const {
  for (const auto& [k, v] : values_)
    if (!used_.count(k))
      return Status::Errorf(fmt::format("--workload {}", generator_), "unknown option '{}'", k);
  return {};
}

namespace {

// A mixed desktop-like demo: periodic interactive tasks, batch hogs at two nice levels, a
// pipe ping-pong pair and one SCHED_FIFO periodic task.
Result<Workload> build_demo(GeneratorOptions& o) {
  SCX_ASSIGN_OR_RETURN(int64_t hogs, o.get_int("hogs", 4, 0, 1024));
  SCX_ASSIGN_OR_RETURN(int64_t interactive, o.get_int("interactive", 4, 0, 1024));
  SCX_ASSIGN_OR_RETURN(Ns period, o.get_duration("period", 16 * kNsPerMs));
  WorkloadBuilder wb("demo");
  for (int64_t i = 0; i < hogs; ++i)
    wb.task(fmt::format("hog{}", i)).nice(i % 2 ? 5 : 0).program().begin_loop(-1).run(10 * kNsPerMs).mark("hog_loops").end_loop();
  for (int64_t i = 0; i < interactive; ++i)
    wb.task(fmt::format("frame{}", i)).program().begin_loop(-1).run(2 * kNsPerMs).timer(fmt::format("unique_frame{}", i), period).mark("frames").end_loop();
  wb.task("ping").program().begin_loop(-1).send("ping", 64).recv("pong", 64).run(20 * kNsPerUs).mark("messages").end_loop();
  wb.task("pong").program().begin_loop(-1).recv("ping", 64).run(30 * kNsPerUs).send("pong", 64).end_loop();
  wb.task("audio").fifo(50).program().begin_loop(-1).run(500 * kNsPerUs).timer("audio", 5 * kNsPerMs).end_loop();
  return wb.build();
}

// Pairs of tasks bouncing a message through two pipes (the engine benchmark's scenario).
Result<Workload> build_pingpong(GeneratorOptions& o) {
  SCX_ASSIGN_OR_RETURN(int64_t pairs, o.get_int("pairs", 200, 1, 100000));
  SCX_ASSIGN_OR_RETURN(Ns work, o.get_duration("work", 5 * kNsPerUs));
  SCX_ASSIGN_OR_RETURN(std::string policy, o.get_string("policy", "normal", {"normal", "fifo"}));
  WorkloadBuilder wb("pingpong");
  for (int64_t i = 0; i < pairs; ++i) {
    auto a = wb.task(fmt::format("ping{}", i));
    auto b = wb.task(fmt::format("pong{}", i));
    if (policy == "fifo") a.fifo(10), b.fifo(10);
    std::string p1 = fmt::format("p{}a", i), p2 = fmt::format("p{}b", i);
    a.program().begin_loop(-1).send(p1, 64).recv(p2, 64).run(work).mark("messages").end_loop();
    b.program().begin_loop(-1).recv(p1, 64).run(work).send(p2, 64).end_loop();
  }
  return wb.build();
}

}  // namespace

const std::vector<GeneratorInfo>& workload_generators() {
  static const std::vector<GeneratorInfo> kGenerators = {
      {"demo", "interactive frame tasks, batch hogs, a pipe ping-pong pair and an RT audio task",
       "hogs=4, interactive=4, period=16ms", build_demo},
      {"pingpong", "pairs of tasks bouncing a 64-byte message through pipes",
       "pairs=200, work=5us, policy=normal|fifo", build_pingpong},
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

Result<Workload> resolve_workload(std::string_view arg, int nr_cpus) {
  std::string_view name = arg, opts;
  if (size_t colon = arg.find(':'); colon != std::string_view::npos) {
    name = arg.substr(0, colon);
    opts = arg.substr(colon + 1);
  }
  for (const GeneratorInfo& g : workload_generators()) {
    if (g.name != name) continue;
    SCX_ASSIGN_OR_RETURN(GeneratorOptions o, GeneratorOptions::parse(g.name, opts));
    SCX_ASSIGN_OR_RETURN(Workload w, g.build(o));
    SCX_RETURN_IF_ERROR(o.finish());
    return w;
  }
  RtAppOptions ro;
  ro.nr_cpus = nr_cpus;
  std::string path(arg);
  if (path.find('/') == std::string::npos && !std::filesystem::exists(path)) {
    std::string bundled = bundled_workload_dir() + "/" + path;
    if (bundled.size() < 5 || bundled.substr(bundled.size() - 5) != ".json") bundled += ".json";
    if (std::filesystem::exists(bundled)) path = bundled;
  }
  if (std::filesystem::exists(path)) return parse_rtapp_file(path, ro);
  std::string names;
  for (const auto& g : workload_generators()) names += (names.empty() ? "" : ", ") + g.name;
  for (const auto& b : bundled_workloads()) names += ", " + b.name;
  return Status::Errorf("--workload", "'{}' is not a file, a bundled workload or a generator (known: {})",
                        std::string(arg), names);
}

}  // namespace scx
