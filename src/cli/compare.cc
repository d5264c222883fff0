#include "cli/compare.h"

#include <algorithm>
#include <atomic>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "cli/progress.h"

namespace scx {

Result<Variant> parse_variant(const std::string& text, const std::string& default_sched) {
  const size_t colon = text.find(':');
  Variant v;
  v.spec = text;
  v.sched = default_sched;
  v.name = text.substr(0, colon);
  if (v.name.empty()) return Status::Errorf("--variant", "expected NAME:OPTIONS, got '{}'", text);
  for (char c : v.name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '+'))
      return Status::Errorf("--variant", "name '{}' may only use letters, digits and - _ . +", v.name);
  if (colon == std::string::npos) return v;
  std::istringstream in(text.substr(colon + 1));
  std::string word;
  while (in >> word) {
    std::string w = word;
    while (!w.empty() && w[0] == '-') w.erase(0, 1);
    const size_t eq = w.find('=');
    const std::string key = w.substr(0, eq);
    if (eq == std::string::npos || eq + 1 >= w.size())
      return Status::Errorf("--variant " + v.name,
                            "expected --sched=X, --fair=NAME=VALUE, --cost=NAME=VALUE or --kernel=VERSION, got '{}'", word);
    const std::string value = w.substr(eq + 1);
    if (key == "sched") v.sched = value;
    else if (key == "fair") v.fair.push_back(value);
    else if (key == "cost") v.costs.push_back(value);
    else if (key == "noise") v.noise.push_back(value);
    else if (key == "kernel") v.kernel = value;
    else return Status::Errorf("--variant " + v.name, "unknown option '{}' (use sched, fair, cost, noise or kernel)", key);
  }
  return v;
}

Result<std::vector<uint64_t>> parse_seeds(const std::string& text) {
  auto number = [&](const std::string& s) -> Result<uint64_t> {
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 18)
      return Status::Errorf("--seeds", "expected N, A-B or a list A,B,...; got '{}'", text);
    return std::stoull(s);
  };
  std::vector<uint64_t> out;
  if (text.find_first_of("-,") == std::string::npos) {
    SCX_ASSIGN_OR_RETURN(uint64_t n, number(text));
    if (n == 0 || n > 10000) return Status::Errorf("--seeds", "a seed count must be 1..10000, got {}", n);
    for (uint64_t s = 1; s <= n; ++s) out.push_back(s);
    return out;
  }
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const size_t dash = item.find('-');
    if (dash == std::string::npos) {
      SCX_ASSIGN_OR_RETURN(uint64_t s, number(item));
      out.push_back(s);
      continue;
    }
    SCX_ASSIGN_OR_RETURN(uint64_t a, number(item.substr(0, dash)));
    SCX_ASSIGN_OR_RETURN(uint64_t b, number(item.substr(dash + 1)));
    if (b < a || b - a >= 10000) return Status::Errorf("--seeds", "bad range '{}'", item);
    for (uint64_t s = a; s <= b; ++s) out.push_back(s);
  }
  std::set<uint64_t> seen;
  for (uint64_t s : out)
    if (!seen.insert(s).second) return Status::Errorf("--seeds", "seed {} is listed twice", s);
  if (out.empty()) return Status::Errorf("--seeds", "no seeds in '{}'", text);
  return out;
}

Result<std::vector<Variant>> resolve_variants(const CompareOptions& opts) {
  std::vector<Variant> out;
  std::vector<std::string> scheds = opts.scheds;
  if (scheds.empty()) scheds.push_back("eevdf");
  for (const std::string& s : scheds) {
    if (s.empty()) return Status::Error("--sched", "empty scheduler name in the list");
    Variant v;
    v.name = v.sched = v.spec = s;
    out.push_back(v);
  }
  for (const std::string& text : opts.variants) {
    SCX_ASSIGN_OR_RETURN(Variant v, parse_variant(text, scheds[0]));
    out.push_back(v);
  }
  std::set<std::string> names;
  for (const Variant& v : out)
    if (!names.insert(v.name).second)
      return Status::Errorf("compare", "variant name '{}' is used twice", v.name);
  if (out.size() < 2) return Status::Error("compare", "needs at least two variants (--sched a,b or --variant)");
  for (const Variant& v : out) {
    bool known = false;
    for (const auto& s : available_schedulers()) known |= s.name == v.sched;
    if (!known) {
      std::string names_list;
      for (const auto& s : available_schedulers()) names_list += (names_list.empty() ? "" : ", ") + s.name;
      return Status::Errorf("--sched", "unknown scheduler '{}' (available: {})", v.sched, names_list);
    }
  }
  return out;
}

namespace {

// "kernel 6.18", or "kernels 6.12, 6.18" when variants differ (each spec names its own).
std::string kernels_of(const std::vector<RunOptions>& runs) {
  std::set<std::string> names;
  for (const RunOptions& o : runs) names.insert(kernel_version_name(parse_kernel_version(o.kernel).value_or(KernelVersion::V6_12)));
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return (names.size() > 1 ? "kernels " : "kernel ") + out;
}

}  // namespace

std::string variant_path(const std::string& path, const std::string& variant) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash) || dot == slash + 1)
    return path + "." + variant;
  return path.substr(0, dot) + "." + variant + path.substr(dot);
}

Result<CompareResult> run_compare(const CompareOptions& opts) {
  SCX_ASSIGN_OR_RETURN(std::vector<Variant> variants, resolve_variants(opts));
  CostModel cost;  // a bad cost profile or --cost is reported once, before any run
  SCX_RETURN_IF_ERROR(apply_costs(opts.base, cost));
  const size_t nv = variants.size(), ns = opts.seeds.size();
  const size_t njobs = nv * ns;
  unsigned threads = opts.jobs ? opts.jobs : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, njobs));

  // Every run's options are fixed before any thread starts.
  std::vector<RunOptions> run_opts(njobs);
  for (size_t v = 0; v < nv; ++v)
    for (size_t s = 0; s < ns; ++s) {
      RunOptions o = opts.base;
      o.sched = variants[v].sched;
      o.seed = opts.seeds[s];
      o.fair.insert(o.fair.end(), variants[v].fair.begin(), variants[v].fair.end());
      o.costs.insert(o.costs.end(), variants[v].costs.begin(), variants[v].costs.end());
      o.noise.insert(o.noise.end(), variants[v].noise.begin(), variants[v].noise.end());
      if (!variants[v].kernel.empty()) o.kernel = variants[v].kernel;
      o.trace_path.clear();
      o.fingerprint = false;
      o.perfetto_path = s == 0 && !opts.base.perfetto_path.empty()
                            ? variant_path(opts.base.perfetto_path, variants[v].name)
                            : std::string();
      o.sinks.clear();
      run_opts[v * ns + s] = std::move(o);
    }

  // Duration for the progress bar (the runner decides the real one; this is only a display).
  Ns shown = opts.base.duration.value_or(kNsPerSec);
  ProgressMeter meter(njobs, shown, opts.progress);
  std::vector<std::unique_ptr<ProgressSink>> progress;
  for (size_t j = 0; j < njobs; ++j) {
    progress.push_back(std::make_unique<ProgressSink>(&meter.slot(j)));
    if (opts.progress) run_opts[j].sinks.push_back(progress.back().get());
  }

  std::vector<std::optional<RunDigest>> digests(njobs);
  std::vector<Status> errors(njobs);
  std::string scenario;
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t j = next.fetch_add(1); j < njobs; j = next.fetch_add(1)) {
      auto out = run_simulation(run_opts[j]);
      if (!out.ok()) {
        errors[j] = out.status();
      } else {
        RunSummary summary = summarize(*out->metrics);
        digests[j] = make_digest(variants[j / ns].name, out->report, summary, out->figures);
        if (j == 0) {
          const RunInfo& i = out->report.info;
          scenario = fmt::format("workload {} on {} [{}], {} simulated, {}", i.workload, i.topology,
                                 i.topology_summary, format_duration(i.duration), kernels_of(run_opts));
        }
      }
      meter.slot(j).done.store(true, std::memory_order_relaxed);
    }
  };
  meter.start();
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  meter.stop();

  for (size_t j = 0; j < njobs; ++j)
    if (!errors[j].ok())
      return errors[j].within(fmt::format("variant {} seed {}", variants[j / ns].name, opts.seeds[j % ns]));

  std::vector<std::string> names, specs;
  for (const Variant& v : variants) {
    names.push_back(v.name);
    std::string spec = "--sched=" + v.sched + " --kernel=" + (v.kernel.empty() ? opts.base.kernel : v.kernel);
    if (!opts.base.cost_profile.empty()) spec += " --cost-profile=" + opts.base.cost_profile;
    for (const auto& f : opts.base.fair) spec += " --fair=" + f;
    for (const auto& f : v.fair) spec += " --fair=" + f;
    for (const auto& c : opts.base.costs) spec += " --cost=" + c;
    for (const auto& c : v.costs) spec += " --cost=" + c;
    for (const auto& n : opts.base.noise) spec += " --noise=" + n;
    for (const auto& n : v.noise) spec += " --noise=" + n;
    specs.push_back(spec);
  }
  std::vector<std::vector<RunDigest>> runs(nv);
  for (size_t j = 0; j < njobs; ++j) runs[j / ns].push_back(std::move(*digests[j]));
  return build_compare(names, specs, opts.seeds, scenario, std::move(runs));
}

}  // namespace scx
