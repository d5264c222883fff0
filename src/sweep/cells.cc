#include "sweep/cells.h"

#include <set>

#include <fmt/format.h>

#include "base/json_parse.h"
#include "cli/compare.h"
#include "cli/usage_checks.h"
#include "sim/fingerprint.h"

namespace scx::sweep {

namespace {

// The columns as `compare` builds them (the named variants' names are taken first), with the
// sweep file's spelling of paths; each scheduler is checked at its resolved path.
Result<std::vector<Variant>> sweep_variants(const SweepSpec& spec) {
  std::vector<Variant> named;
  std::vector<std::string> taken;
  for (size_t i = 0; i < spec.variants.size(); ++i) {
    auto v = parse_variant(spec.variants[i], spec.schedulers[0]);
    if (!v.ok()) return v.status().within(json_path_index("variants", i));
    taken.push_back(v->name);
    named.push_back(*v);
  }
  std::vector<Variant> out;
  std::set<std::string> listed;
  for (size_t i = 0; i < spec.schedulers.size(); ++i) {
    const std::string& s = spec.schedulers[i];
    if (!listed.insert(s).second) return Status::Errorf(json_path_index("schedulers", i), "'{}' is listed twice", s);
    if (auto st = check_scheduler(resolve_against(spec.dir, s)); !st.ok())
      return Status::Error(json_path_index("schedulers", i), st.message());
    Variant v;
    v.sched = v.spec = s;
    v.name = variant_name_for(s, taken);
    taken.push_back(v.name);
    out.push_back(v);
  }
  for (size_t i = 0; i < named.size(); ++i)
    if (auto st = check_scheduler(resolve_against(spec.dir, named[i].sched)); !st.ok())
      return Status::Error(json_path_index("variants", i), st.message());
  out.insert(out.end(), named.begin(), named.end());
  std::set<std::string> names;
  for (const Variant& v : out)
    if (!names.insert(v.name).second) return Status::Errorf("variants", "the column name '{}' is used twice", v.name);
  return out;
}

// The settings every cell shares, as the sweep file writes them.
RunOptions common_options(const SweepSpec& spec) {
  RunOptions o;
  if (auto d = parse_positive_duration(spec.duration, "duration"); !spec.duration.empty() && d.ok()) o.duration = *d;
  o.kernel = spec.kernel;
  o.cost_profile = spec.cost_profile;
  o.fair = spec.fair, o.costs = spec.cost, o.noise = spec.noise;
  o.bpf_globals = spec.set, o.bpf_resize = spec.resize, o.bpf_map_size = spec.map_size, o.sched_opts = spec.sched_opt;
  o.profile = spec.profile, o.usersched = spec.usersched;
  return o;
}

RunOptions resolved(RunOptions o, const std::string& dir) {
  for (std::string* value : {&o.sched, &o.workload, &o.topology, &o.cost_profile, &o.profile})
    if (*value != "none") *value = resolve_against(dir, *value);
  return o;
}

// The workloads and topologies exist and fit the common settings (each checked once).
Status check_scenarios(const SweepSpec& spec, const RunOptions& common) {
  RunOptions o = resolved(common, spec.dir);
  SCX_RETURN_IF_ERROR(check_scenario(o));
  for (size_t i = 0; i < spec.workloads.size(); ++i) {
    o.workload = resolve_against(spec.dir, spec.workloads[i]);
    SCX_RETURN_IF_ERROR(check_scenario(o).within(json_path_index("workloads", i)));
  }
  for (size_t i = 0; i < spec.topologies.size(); ++i) {
    o.topology = resolve_against(spec.dir, spec.topologies[i]);
    SCX_RETURN_IF_ERROR(check_scenario(o).within(json_path_index("topologies", i)));
  }
  return {};
}

std::string cell_id(const Cell& c) {
  Fingerprint h;
  for (const std::string& part : {c.variant, spec_of(c.as_written), c.workload, c.topology})
    h.add(part);
  h.add(c.as_written.duration.value_or(0));
  h.add(c.seed);
  return h.hex();
}

// A shell word: as is when it has only safe characters, else in single quotes.
std::string shell_word(const std::string& w) {
  if (!w.empty() && w.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./=:,@+-%") ==
                        std::string::npos)
    return w;
  std::string q = "'";
  for (char c : w) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

Result<std::vector<Cell>> enumerate_cells(const SweepSpec& spec) {
  auto variants = sweep_variants(spec);
  if (!variants.ok()) return variants.status().within(spec.path);
  const RunOptions common = common_options(spec);
  SCX_RETURN_IF_ERROR(check_scenarios(spec, common).within(spec.path));
  std::vector<Cell> cells;
  for (const std::string& workload : spec.workloads)
    for (const std::string& topology : spec.topologies)
      for (const Variant& v : *variants)
        for (uint64_t seed : spec.seeds) {
          Cell c;
          c.index = cells.size();
          c.workload = workload, c.topology = topology, c.variant = v.name, c.seed = seed;
          c.as_written = options_of(common, v);
          c.as_written.workload = workload, c.as_written.topology = topology, c.as_written.seed = seed;
          c.run = resolved(c.as_written, spec.dir);
          c.run.fingerprint = true;
          c.id = cell_id(c);
          cells.push_back(std::move(c));
        }
  return cells;
}

std::vector<std::string> variant_names(const std::vector<Cell>& cells) {
  std::vector<std::string> names;
  for (const Cell& c : cells) {
    if (c.workload != cells[0].workload || c.topology != cells[0].topology) break;
    if (names.empty() || names.back() != c.variant) names.push_back(c.variant);
  }
  return names;
}

Result<Shard> parse_shard(const std::string& text) {
  const size_t slash = text.find('/');
  auto number = [](const std::string& s) -> size_t {
    if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) return 0;
    return std::stoul(s);
  };
  if (slash == std::string::npos) return Status::Errorf("--shard", "expected I/N (e.g. 3/8), got '{}'", text);
  Shard s{number(text.substr(0, slash)), number(text.substr(slash + 1))};
  if (s.count == 0 || s.index == 0 || s.index > s.count)
    return Status::Errorf("--shard", "expected I/N with 1 <= I <= N, got '{}'", text);
  return s;
}

std::vector<Cell> cells_of_shard(const std::vector<Cell>& cells, Shard shard) {
  std::vector<Cell> out;
  for (size_t i = shard.index - 1; i < cells.size(); i += shard.count) out.push_back(cells[i]);
  return out;
}

std::string run_command(const Cell& cell) {
  const RunOptions& o = cell.run;
  std::vector<std::string> words{"scxsim", "run", "--workload", o.workload, "--topology", o.topology};
  if (o.duration) words.insert(words.end(), {"--duration", format_duration(*o.duration)});
  words.insert(words.end(), {"--seed", std::to_string(o.seed), "--sched", o.sched, "--kernel", o.kernel,
                             "--cost-profile", o.cost_profile});
  auto flags = [&](const char* flag, const std::vector<std::string>& values) {
    for (const std::string& v : values) words.insert(words.end(), {flag, v});
  };
  flags("--fair", o.fair), flags("--cost", o.costs), flags("--noise", o.noise), flags("--set", o.bpf_globals);
  flags("--resize", o.bpf_resize), flags("--map-size", o.bpf_map_size), flags("--sched-opt", o.sched_opts);
  if (!o.profile.empty()) words.insert(words.end(), {"--profile", o.profile});
  if (!o.usersched.empty()) words.insert(words.end(), {"--usersched", o.usersched});
  words.push_back("--fingerprint");
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + shell_word(w);
  return out;
}

std::string describe(const Cell& cell) {
  return fmt::format("{}  workload={} topology={} variant={} seed={}", cell.id, cell.workload, cell.topology,
                     cell.variant, cell.seed);
}

}  // namespace scx::sweep
