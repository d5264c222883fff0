#include "cli/validate.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "validate/cpu_cgroup.h"
#include "validate/host_side.h"
#include "validate/loop_probe.h"
#include "validate/reference.h"
#include "workload/generators.h"
#include "workload/rtapp.h"

namespace scx {
namespace fs = std::filesystem;

namespace {

// The real side, from the host or from a reference directory.
struct RealSide {
  HostFacts host;
  std::vector<RunFigures> runs;
  int attempts = 0;
  std::vector<std::string> discarded;
  std::string topology;  // what the simulator runs on
};

// A path, or the name of a bundled workload ("validation/periodic-run").
std::string workload_path(const std::string& arg) {
  if (fs::exists(arg)) return arg;
  std::string bundled = bundled_workload_dir() + "/" + arg;
  if (bundled.size() < 5 || bundled.substr(bundled.size() - 5) != ".json") bundled += ".json";
  return fs::exists(bundled) ? bundled : arg;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<Workload> check_workload(const std::string& path) {
  if (!fs::is_regular_file(path)) return Status::Errorf("validate", "'{}' is not a file", path);
  auto w = parse_rtapp_file(path);
  if (!w.ok()) return w.status().within("validate");
  if (w->duration == 0)
    return Status::Errorf("validate", "{}: the workload needs a global.duration (rt-app runs it for that long)", path);
  return w;
}

Result<RealSide> from_reference(const ValidateOptions& o, const std::string& path) {
  SCX_ASSIGN_OR_RETURN(Reference ref, load_reference(o.reference));
  RealSide r;
  r.host = ref.runs.front().host;
  for (const ReferenceRun& run : ref.runs) r.runs.push_back(run.figures);
  r.attempts = static_cast<int>(r.runs.size());
  if (ref.runs.front().workload_hash != workload_hash(read_file(path)) && o.note)
    o.note(fmt::format("warning: {} was recorded with different contents of {}", o.reference, ref.runs.front().workload));
  r.topology = ref.topology_json.empty() ? "host" : (fs::path(o.reference) / "topology.json").string();
  return r;
}

Status save(const ValidateOptions& o, const std::string& path, const RealSide& r, const Topology& topo) {
  std::vector<ReferenceRun> runs;
  for (const RunFigures& f : r.runs)
    runs.push_back({r.host, fs::path(path).filename().string(), workload_hash(read_file(path)), f});
  return save_reference(o.save_reference, runs, topo.to_json());
}

Result<RealSide> from_host(const ValidateOptions& o, const std::string& path, Ns duration) {
  SCX_ASSIGN_OR_RETURN(Topology topo, resolve_topology("host"));
  HostSideOptions h;
  h.env = o.env;
  h.workload = path;
  h.calibration = numeric_calibration(nlohmann::json::parse(read_file(path), nullptr, false, true));
  h.duration = duration;
  h.runs = o.runs;
  h.keep_traces = o.keep_traces;
  h.topology = &topo;
  h.note = o.note;
  SCX_ASSIGN_OR_RETURN(HostSide host, run_host_side(h));
  if (host.kept.empty())
    return Status::Errorf("validate", "all {} host runs were discarded (last: {}); the machine is busy", host.attempts,
                          host.discarded.back());
  RealSide r{host.host, std::move(host.kept), host.attempts, host.discarded, "host"};
  if (!o.save_reference.empty()) SCX_RETURN_IF_ERROR(save(o, path, r, topo));
  return r;
}

// The simulation options: the real host's HZ unless --cost hz= was given.
RunOptions sim_options(const ValidateOptions& o, const RealSide& real, const std::string& path) {
  RunOptions s = o.sim;
  s.workload = path;
  s.topology = o.topology.empty() ? real.topology : o.topology;
  // The real run is in a cpu cgroup of its own; "none" puts the simulated one at the root.
  if (s.cgroup.empty()) s.cgroup = kSimulatedValidateCgroup;
  else if (s.cgroup == "none") s.cgroup.clear();
  const bool hz_given = std::any_of(s.costs.begin(), s.costs.end(), [](const std::string& c) { return c.rfind("hz=", 0) == 0; });
  if (real.host.hz && !hz_given) s.costs.push_back(fmt::format("hz={}", *real.host.hz));
  // rt-app's loops as long as on the real host (validate/loop_probe.h), unless --cost says.
  const bool loop_given =
      std::any_of(s.costs.begin(), s.costs.end(), [](const std::string& c) { return c.rfind("rtapp_loop=", 0) == 0; });
  if (real.host.rtapp_loop_ns && !loop_given) s.costs.push_back(fmt::format("rtapp_loop={:.2f}ns", *real.host.rtapp_loop_ns));
  return s;
}

struct SimSide {
  std::vector<RunFigures> runs;
  std::vector<uint64_t> seeds;  // of `runs`: every seed unless interrupted
  std::string topology_summary;
  std::string partial;          // ValidationReport::partial
};

Result<SimSide> simulate(const ValidateOptions& o, const RunOptions& base) {
  const size_t n = o.seeds.size();
  std::vector<std::optional<RunFigures>> figures(n);
  std::vector<Ns> stopped_at(n, 0);  // > 0: interrupted after that much simulated time
  std::vector<Status> errors(n);
  std::string summary;
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
      if (o.interrupt && o.interrupt->load(std::memory_order_relaxed)) continue;  // not started
      RunOptions r = base;
      r.seed = o.seeds[i];
      r.interrupt = o.interrupt;
      if (!o.keep_traces.empty()) r.trace_path = (fs::path(o.keep_traces) / fmt::format("scxsim-seed-{}.txt", r.seed)).string();
      auto out = run_simulation(r);
      if (!out.ok()) {
        errors[i] = out.status().within(fmt::format("validate: seed {}", r.seed));
        continue;
      }
      figures[i] = run_figures(*out->metrics);
      if (out->interrupted) stopped_at[i] = out->report.info.duration;
      if (i == 0) summary = out->report.info.topology_summary;
    }
  };
  if (!o.keep_traces.empty()) fs::create_directories(o.keep_traces);
  const unsigned threads = static_cast<unsigned>(
      std::min<size_t>(n, o.jobs ? o.jobs : std::max(1u, std::thread::hardware_concurrency())));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  SimSide s;
  std::string early;
  for (size_t i = 0; i < n; ++i) {
    if (!errors[i].ok()) return errors[i];
    if (!figures[i]) continue;
    s.runs.push_back(std::move(*figures[i]));
    s.seeds.push_back(o.seeds[i]);
    if (stopped_at[i]) early += fmt::format("{}seed {} after {}", early.empty() ? "" : ", ", o.seeds[i],
                                            format_duration(stopped_at[i]));
  }
  if (s.runs.empty()) return Status::Error("validate", "interrupted before the first simulated run");
  if (s.runs.size() < n || !early.empty())
    s.partial = fmt::format("the scxsim side has {} of {} seeds{}", s.runs.size(), n,
                            early.empty() ? "" : " (stopped early: " + early + ")");
  s.topology_summary = summary;
  return s;
}

}  // namespace

Result<ValidationReport> run_validate(const ValidateOptions& o) {
  if (!o.reference.empty() && !o.save_reference.empty())
    return Status::Error("validate", "--reference and --save-reference exclude each other");
  const std::string path = workload_path(o.workload);
  SCX_ASSIGN_OR_RETURN(Workload w, check_workload(path));
  SCX_ASSIGN_OR_RETURN(RealSide real, o.reference.empty() ? from_host(o, path, w.duration) : from_reference(o, path));
  const RunOptions sim = sim_options(o, real, path);
  if (o.note && o.reference.empty()) o.note(fmt::format("simulating {} seed(s)", o.seeds.size()));
  SCX_ASSIGN_OR_RETURN(SimSide s, simulate(o, sim));
  ValidationReport r;
  r.workload = o.workload;
  r.reference = o.reference;
  r.host = real.host;
  r.runs_kept = static_cast<int>(real.runs.size());
  r.runs_attempted = real.attempts;
  r.discarded = real.discarded;
  r.sched = sim.sched;
  r.topology = sim.topology;
  r.topology_summary = s.topology_summary;
  r.costs = sim.costs;
  r.fair = sim.fair;
  r.seeds = s.seeds;
  r.cells = build_cells(real.runs, s.runs);
  r.partial = s.partial;
  return r;
}

}  // namespace scx
