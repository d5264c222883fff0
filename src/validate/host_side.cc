#include "validate/host_side.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "validate/cpu_cgroup.h"
#include "validate/loop_probe.h"
#include "validate/real_trace.h"
#include "validate/rtapp_process.h"
#include "validate/sysfile.h"
#include "validate/trace_instance.h"

namespace scx {
namespace fs = std::filesystem;

std::string discard_reason(double foreign_cpu_pct, uint64_t lost_events, double limit_pct) {
  if (lost_events) return fmt::format("the trace lost {} events (buffer full)", lost_events);
  if (foreign_cpu_pct > limit_pct)
    return fmt::format("foreign tasks took {:.1f}% of a CPU (limit {:g}%)", foreign_cpu_pct, limit_pct);
  return {};
}

namespace {

// Cgroups and trace instances are named <prefix><pid of the scxsim that made them>.
constexpr const char* kPrefix = "scxsim-validate-";

struct Setup {
  std::string rt_app, workload, workdir;
  CpuCgroup cgroup;
  TraceInstance trace;
};

std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  const size_t nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

// The trace buffer per CPU: 4 MB per second of run plus 8 MB, at most 256 MB.
size_t buffer_kb(Ns duration) {
  return std::min<size_t>(8192 + 4096 * static_cast<size_t>(duration / kNsPerSec + 1), 262144);
}

Result<Setup> set_up(const HostSideOptions& o) {
  SCX_ASSIGN_OR_RETURN(std::string rt_app, check_host(o.env));
  SCX_ASSIGN_OR_RETURN(std::string mounts, read_control(o.env.mounts));
  SCX_ASSIGN_OR_RETURN(CpuCgroupLayout layout, find_cpu_cgroup(mounts));
  remove_stale_dirs(layout.mount, kPrefix);
  remove_stale_dirs(o.env.tracefs + "/instances", kPrefix);
  const std::string name = fmt::format("{}{}", kPrefix, ::getpid());
  SCX_ASSIGN_OR_RETURN(CpuCgroup cgroup, CpuCgroup::create(layout, name));
  SCX_ASSIGN_OR_RETURN(TraceInstance trace, TraceInstance::create(o.env.tracefs, name, buffer_kb(o.duration)));
  std::string tmpl = (fs::temp_directory_path() / "scxsim-validate-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) return Status::Error("validate", "cannot create a temporary directory");
  return Setup{rt_app, fs::absolute(o.workload).string(), tmpl, std::move(cgroup), std::move(trace)};
}

struct Attempt {
  std::string trace_text;
  int rtapp_pid = 0;
  uint64_t lost = 0;
  bool hung = false;  // killed at the time limit
};

// rt-app gets this long beyond the workload's duration (start-up and shutdown take well under 1 s).
constexpr Ns kGrace = 30 * kNsPerSec;

Result<Attempt> run_once(const Setup& s, Ns duration) {
  auto prepare = [&](int pid) -> Status {
    SCX_RETURN_IF_ERROR(s.cgroup.attach(pid));
    return s.trace.start();
  };
  auto exit = run_rtapp(s.rt_app, s.workload, s.workdir, duration + kGrace, prepare);
  const Status stopped = s.trace.stop();
  if (!exit.ok()) return exit.status();
  SCX_RETURN_IF_ERROR(stopped);
  Attempt a;
  a.rtapp_pid = exit->pid;
  a.hung = exit->timed_out;
  if (a.hung) {
    if (auto text = s.trace.read(); text.ok()) a.trace_text = std::move(*text);
    return a;
  }
  if (exit->status != 0)
    return Status::Errorf("validate", "rt-app exited with status {}: {}", exit->status, last_line(exit->output));
  a.lost = s.trace.lost();
  SCX_ASSIGN_OR_RETURN(a.trace_text, s.trace.read());
  return a;
}

// The loop probe (loop_probe.h) in the run's cgroup; nullopt when rt-app failed.
std::optional<double> probe_loop(const Setup& s, int64_t calibration, int cpus) {
  const std::string path = s.workdir + "/loop-probe.json";
  std::ofstream(path) << loop_probe_json(calibration, cpus);
  auto exit = run_rtapp(s.rt_app, path, s.workdir, kGrace, [&](int pid) { return s.cgroup.attach(pid); });
  if (!exit.ok() || exit->timed_out || exit->status != 0) return std::nullopt;
  return loop_ns_from_probe(calibration, cpus, exit->cpu_time);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

Status keep_trace(const std::string& dir, int attempt, const std::string& text) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path path = fs::path(dir) / fmt::format("real-run-{}.txt", attempt);
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) return Status::Errorf("--keep-traces", "cannot write '{}'", path.string());
  return {};
}

}  // namespace

Result<HostSide> run_host_side(const HostSideOptions& o) {
  SCX_ASSIGN_OR_RETURN(Setup s, set_up(o));
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{s.workdir};
  HostSide out;
  out.host = gather_host_facts();
  const int max_attempts = o.max_attempts > 0 ? o.max_attempts : 3 * o.runs;
  std::vector<double> loops;  // the probes of the kept runs
  while (static_cast<int>(out.kept.size()) < o.runs && out.attempts < max_attempts) {
    const int n = ++out.attempts;
    if (o.note) o.note(fmt::format("host run {} ({} of {} kept so far)", n, out.kept.size(), o.runs));
    std::optional<double> loop;
    if (o.calibration) {
      loop = probe_loop(s, *o.calibration, o.topology->nr_cpus());
      if (!loop) return Status::Errorf("validate", "host run {}: the rt-app loop probe failed", n);
    }
    SCX_ASSIGN_OR_RETURN(Attempt a, run_once(s, o.duration));
    if (!o.keep_traces.empty()) SCX_RETURN_IF_ERROR(keep_trace(o.keep_traces, n, a.trace_text));
    if (a.hung) {
      out.discarded.push_back(fmt::format("rt-app did not finish within {} s (killed)", (o.duration + kGrace) / kNsPerSec));
      if (o.note) o.note(fmt::format("host run {} discarded: {}", n, out.discarded.back()));
      continue;
    }
    auto run = replay_host_trace(parse_ftrace_text(a.trace_text), a.rtapp_pid, o.duration, *o.topology);
    if (!run.ok()) return run.status().within(fmt::format("validate: host run {}", n));
    std::string why = discard_reason(run->foreign_cpu_pct, a.lost, o.foreign_limit_pct);
    if (!why.empty() && !a.lost && !run->top_foreign.empty())
      why += fmt::format("; most: {} {:.1f}%", run->top_foreign, run->top_foreign_cpu_pct);
    if (!why.empty()) {
      out.discarded.push_back(why);
      if (o.note) o.note(fmt::format("host run {} discarded: {}", n, why));
      continue;
    }
    RunFigures f = run_figures(*run->metrics);
    f.foreign_cpu_pct = run->foreign_cpu_pct;
    out.kept.push_back(std::move(f));
    if (loop) loops.push_back(*loop);
  }
  if (!loops.empty()) out.host.rtapp_loop_ns = median(loops);
  return out;
}

}  // namespace scx
