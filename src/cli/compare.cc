#include "cli/compare.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <iterator>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "cli/parallel_runs.h"
#include "cli/progress.h"
#include "policy/policy.h"

namespace scx {

namespace {

// Where a variant option goes: a single value (the last one given wins) or a list.
struct VariantKey {
  const char* key;
  std::string Variant::*single;
  std::vector<std::string> Variant::*list;
  bool bpf_only;  // a BPF object's setting, as `run` takes it
};
constexpr VariantKey kVariantKeys[] = {
    {"sched", &Variant::sched, nullptr, false},        {"kernel", &Variant::kernel, nullptr, false},
    {"fair", nullptr, &Variant::fair, false},          {"cost", nullptr, &Variant::costs, false},
    {"noise", nullptr, &Variant::noise, false},        {"set", nullptr, &Variant::bpf_globals, true},
    {"resize", nullptr, &Variant::bpf_resize, true},   {"map-size", nullptr, &Variant::bpf_map_size, true},
    {"sched-opt", nullptr, &Variant::sched_opts, true}, {"profile", &Variant::profile, nullptr, true},
    {"usersched", &Variant::usersched, nullptr, true},
};

bool valid_variant_name(const std::string& name) {
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '+')) return false;
  return !name.empty();
}

}  // namespace

Result<Variant> parse_variant(const std::string& text, const std::string& default_sched) {
  const size_t colon = text.find(':');
  Variant v;
  v.spec = text;
  v.sched = default_sched;
  v.name = text.substr(0, colon);
  if (v.name.empty()) return Status::Errorf("--variant", "expected NAME:OPTIONS, got '{}'", text);
  if (!valid_variant_name(v.name))
    return Status::Errorf("--variant", "name '{}' may only use letters, digits and - _ . +", v.name);
  // Without options the variant would silently repeat the baseline's run.
  if (colon == std::string::npos || text.find_first_not_of(' ', colon + 1) == std::string::npos)
    return Status::Errorf("--variant", "'{}' has no options (expected NAME:OPTIONS, e.g. rtp0:--fair=RUN_TO_PARITY=0)",
                          text);
  std::istringstream in(text.substr(colon + 1));
  std::vector<std::string> words{std::istream_iterator<std::string>(in), std::istream_iterator<std::string>()};
  bool bpf_settings = false;
  for (size_t i = 0; i < words.size(); ++i) {
    std::string w = words[i];
    while (!w.empty() && w[0] == '-') w.erase(0, 1);
    const size_t eq = w.find('=');
    const std::string key = w.substr(0, eq);
    std::string value = eq == std::string::npos ? std::string() : w.substr(eq + 1);
    if (eq == std::string::npos && i + 1 < words.size()) value = words[++i];  // "--set A=1"
    const VariantKey* k = nullptr;
    for (const VariantKey& c : kVariantKeys) k = key == c.key ? &c : k;
    if (!k)
      return Status::Errorf("--variant " + v.name, "unknown option '{}' (use sched, fair, cost, noise, kernel, set, "
                            "resize, map-size, profile, sched-opt or usersched)", key);
    if (value.empty()) return Status::Errorf("--variant " + v.name, "--{} needs a value, got '{}'", key, words[i]);
    if (k->single) v.*(k->single) = value;
    else (v.*(k->list)).push_back(value);
    bpf_settings |= k->bpf_only;
  }
  if (bpf_settings && !is_bpf_object(v.sched))
    return Status::Errorf("--variant " + v.name, "--set, --resize, --map-size, --profile, --sched-opt and "
                          "--usersched apply only to a --sched FILE.bpf.o, not to '{}'", v.sched);
  return v;
}

std::string variant_name_for(const std::string& sched, const std::vector<std::string>& taken) {
  auto is_free = [&](const std::string& n) { return std::find(taken.begin(), taken.end(), n) == taken.end(); };
  if (!is_bpf_object(sched)) return sched;
  // Letters, digits and - _ . + only (names go into file names: --perfetto FILE.<name>.ext).
  auto clean = [](std::string n) {
    for (char& c : n)
      if (!valid_variant_name(std::string(1, c))) c = '_';
    return n;
  };
  const std::filesystem::path path(sched);
  std::string stem = path.filename().string();
  stem = stem.ends_with(".bpf.o") ? stem.substr(0, stem.size() - 6) : path.stem().string();
  const std::string name = clean(stem);
  if (is_free(name)) return name;
  const std::string dir = path.parent_path().filename().string();
  const std::string with_dir = dir.empty() ? name : clean(dir + "-" + stem);
  if (is_free(with_dir)) return with_dir;
  for (int n = 2;; ++n)
    if (is_free(with_dir + "-" + std::to_string(n))) return with_dir + "-" + std::to_string(n);
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
  std::vector<std::string> scheds = opts.scheds;
  if (scheds.empty()) scheds.push_back("eevdf");
  std::vector<Variant> variants;  // the --variant ones; their names are taken first
  std::vector<std::string> taken;
  for (const std::string& text : opts.variants) {
    SCX_ASSIGN_OR_RETURN(Variant v, parse_variant(text, scheds[0]));
    taken.push_back(v.name);
    variants.push_back(v);
  }
  std::vector<Variant> out;
  std::set<std::string> listed;
  for (const std::string& s : scheds) {
    if (s.empty()) return Status::Error("--sched", "empty scheduler name in the list");
    if (!listed.insert(s).second) return Status::Errorf("--sched", "'{}' is listed twice", s);
    Variant v;
    v.sched = v.spec = s;
    v.name = variant_name_for(s, taken);
    taken.push_back(v.name);
    out.push_back(v);
  }
  out.insert(out.end(), variants.begin(), variants.end());
  std::set<std::string> names;
  for (const Variant& v : out)
    if (!names.insert(v.name).second)
      return Status::Errorf("compare", "variant name '{}' is used twice", v.name);
  if (out.size() < 2) return Status::Error("compare", "needs at least two variants (--sched a,b or --variant)");
  bool any_bpf = false;
  for (const Variant& v : out) {
    SCX_RETURN_IF_ERROR(check_scheduler(v.sched));
    any_bpf |= is_bpf_object(v.sched);
  }
  const RunOptions& b = opts.base;
  if (!any_bpf && (!b.bpf_globals.empty() || !b.bpf_resize.empty() || !b.bpf_map_size.empty() ||
                   !b.sched_opts.empty() || !b.profile.empty() || !b.usersched.empty()))
    return Status::Error("compare", "--set, --resize, --map-size, --profile, --sched-opt and --usersched apply "
                                    "only to FILE.bpf.o schedulers, and no variant has one");
  return out;
}

namespace {

template <typename T>
void append(std::vector<T>& to, const std::vector<T>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

}  // namespace

RunOptions options_of(const RunOptions& base, const Variant& v) {
  RunOptions o = base;
  o.sched = v.sched;
  append(o.fair, v.fair);
  append(o.costs, v.costs);
  append(o.noise, v.noise);
  if (!v.kernel.empty()) o.kernel = v.kernel;
  if (!is_bpf_object(v.sched)) {
    o.bpf_globals.clear(), o.bpf_resize.clear(), o.bpf_map_size.clear(), o.sched_opts.clear();
    o.profile.clear(), o.usersched.clear();
    return o;
  }
  append(o.bpf_globals, v.bpf_globals);
  append(o.bpf_resize, v.bpf_resize);
  append(o.bpf_map_size, v.bpf_map_size);
  append(o.sched_opts, v.sched_opts);
  if (!v.profile.empty()) o.profile = v.profile;
  if (!v.usersched.empty()) o.usersched = v.usersched;
  return o;
}

std::string spec_of(const RunOptions& o) {
  std::string spec = "--sched=" + o.sched + " --kernel=" + o.kernel;
  if (!o.cost_profile.empty()) spec += " --cost-profile=" + o.cost_profile;
  auto flags = [&](const char* flag, const std::vector<std::string>& values) {
    for (const auto& x : values) spec += fmt::format(" --{}={}", flag, x);
  };
  flags("fair", o.fair);
  flags("cost", o.costs);
  flags("noise", o.noise);
  flags("set", o.bpf_globals);
  flags("resize", o.bpf_resize);
  flags("map-size", o.bpf_map_size);
  flags("sched-opt", o.sched_opts);
  if (!o.profile.empty()) spec += " --profile=" + o.profile;
  if (!o.usersched.empty()) spec += " --usersched=" + o.usersched;
  return spec;
}

namespace {

// The kernel versions the variants simulate, sorted.
std::vector<std::string> kernel_names(const std::vector<RunOptions>& runs) {
  std::set<std::string> names;
  for (const RunOptions& o : runs) names.insert(kernel_version_name(parse_kernel_version(o.kernel).value_or(KernelVersion::V6_12)));
  return {names.begin(), names.end()};
}

}  // namespace

std::string describe_interruption(const CompareResult& r, Ns asked) {
  size_t total = 0, early = 0, skipped = 0;
  Ns lo = 0, hi = 0;
  for (const auto& runs : r.runs)
    for (const RunDigest& d : runs) {
      ++total;
      skipped += d.not_started ? 1 : 0;
      if (!d.stopped_early) continue;
      lo = early == 0 ? d.duration : std::min(lo, d.duration);
      hi = std::max(hi, d.duration);
      ++early;
    }
  if (early == 0 && skipped == 0) return "";
  std::string out = fmt::format("{} of {} runs complete, {} stopped early", total - early - skipped, total, early);
  if (early) out += fmt::format(" (after {} to {} of {})", format_duration(lo), format_duration(hi), format_duration(asked));
  return out + fmt::format(", {} not started", skipped);
}

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

  // Every run's options are fixed before any thread starts.
  std::vector<RunOptions> run_opts(njobs);
  for (size_t v = 0; v < nv; ++v)
    for (size_t s = 0; s < ns; ++s) {
      RunOptions o = options_of(opts.base, variants[v]);
      o.seed = opts.seeds[s];
      o.trace_path.clear();
      o.fingerprint = false;
      o.perfetto_path = s == 0 && !opts.base.perfetto_path.empty()
                            ? variant_path(opts.base.perfetto_path, variants[v].name)
                            : std::string();
      o.sinks.clear();
      o.timeline = s == 0 && opts.base.timeline;
      // Probes read a sched_ext scheduler's state; the first seed's are shown (HTML, Perfetto).
      if (s != 0 || !(is_bpf_object(o.sched) || find_native_policy(o.sched))) o.probes.clear();
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
  CompareScenario detail;
  meter.start();
  for_each_parallel(njobs, opts.jobs, [&](size_t j) {
    if (opts.interrupt && opts.interrupt->load(std::memory_order_relaxed)) {
      digests[j] = RunDigest{};
      digests[j]->variant = variants[j / ns].name;
      digests[j]->seed = opts.seeds[j % ns];
      digests[j]->not_started = true;
      meter.slot(j).done.store(true, std::memory_order_relaxed);
      return;
    }
    run_opts[j].interrupt = opts.interrupt;
    auto out = run_simulation(run_opts[j]);
    if (!out.ok()) {
      errors[j] = out.status();
    } else {
      RunSummary summary = summarize(*out->metrics);
      digests[j] = make_digest(variants[j / ns].name, out->report, summary, out->figures);
      if (run_opts[j].timeline) digests[j]->html = make_html_data(std::move(out->timeline), summary, out->probes);
      digests[j]->stopped_early = out->interrupted;
      if (j == 0) {
        const RunInfo& i = out->report.info;
        detail = {i.workload, i.topology, i.topology_summary, i.duration, kernel_names(run_opts), i.cost, i.noise};
        scenario = format_scenario_line(detail);
      }
    }
    meter.slot(j).done.store(true, std::memory_order_relaxed);
  });
  meter.stop();

  for (size_t j = 0; j < njobs; ++j)
    if (!errors[j].ok())
      return errors[j].within(fmt::format("variant {} seed {}", variants[j / ns].name, opts.seeds[j % ns]));

  std::vector<std::string> names, specs;
  for (size_t v = 0; v < nv; ++v) {
    names.push_back(variants[v].name);
    specs.push_back(spec_of(run_opts[v * ns]));
  }
  std::vector<std::vector<RunDigest>> runs(nv);
  for (size_t j = 0; j < njobs; ++j) runs[j / ns].push_back(std::move(*digests[j]));
  CompareResult result = build_compare(names, specs, opts.seeds, scenario, std::move(runs));
  if (!scenario.empty()) result.detail = detail;
  return result;
}

}  // namespace scx
