#include "report/compare.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <boost/math/distributions/students_t.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "report/param_json.h"

namespace scx {

const char* const kVerdictRule =
    "verdict: Welch's two-sided t-test over the per-seed values, baseline vs candidate; "
    "'better'/'worse' when p < 0.05 and the means differ by at least 1% of the baseline mean, "
    "else '~' (inconclusive, also when a side has fewer than 2 seeds); no verdict for context "
    "metrics; 'n/a' when a side was not measured";

std::string format_value(std::optional<double> v) {
  if (!v) return "-";
  const double a = std::fabs(*v);
  if (a == 0) return "0";
  if (a >= 1000) return fmt::format("{:.0f}", *v);
  if (a >= 100) return fmt::format("{:.1f}", *v);
  if (a >= 1) return fmt::format("{:.2f}", *v);
  return fmt::format("{:.3f}", *v);
}

const char* const kEjectedKey = "scx.ejected_pct";

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::None: return "";
    case Verdict::Better: return "better";
    case Verdict::Worse: return "worse";
    case Verdict::Inconclusive: return "~";
    case Verdict::NotMeasured: return "n/a";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// Digest of one run.

namespace {

std::optional<double> us(const std::optional<double>& ns) {
  return ns ? std::optional<double>(*ns / 1e3) : std::nullopt;
}
std::optional<double> ms(Ns ns) { return static_cast<double>(ns) / 1e6; }
std::optional<double> count(uint64_t n) { return static_cast<double>(n); }

struct Catalogue {
  std::vector<MetricValue> out;
  void add(std::string key, std::string label, std::string unit, int dir, std::optional<double> v) {
    out.push_back({{std::move(key), std::move(label), std::move(unit), dir}, v});
  }
  void dist(const std::string& key, const std::string& label, const Dist& d, bool with_tail) {
    add(key + "_us.p50", label + " p50", "us", -1, us(d.p50));
    if (with_tail) add(key + "_us.p90", label + " p90", "us", -1, us(d.p90));
    add(key + "_us.p99", label + " p99", "us", -1, us(d.p99));
    if (with_tail) add(key + "_us.p99.9", label + " p99.9", "us", -1, us(d.p999));
    add(key + "_us.max", label + " max", "us", -1, us(d.max));
  }
};

}  // namespace

RunDigest make_metrics_digest(const std::string& variant, const RunReport& report, const RunSummary& s,
                              const std::vector<ExtraFigure>& figures) {
  RunDigest d;
  d.variant = variant;
  d.seed = report.info.seed;
  d.duration = s.duration;
  d.events = report.stats.events;
  d.ejected = report.info.scheduler_ejected;
  Catalogue c;
  const EntitySummary& all = s.overall;
  c.dist("wakeup_latency", "wake-up latency", all.wakeup_latency, true);
  c.add("wakeup_latency.samples", "wake-up latency samples", "count", 0, count(all.wakeup_latency.n));
  c.dist("run_delay", "run delay", all.run_delay, false);
  c.add("run_delay_ms.total", "run delay total", "ms", -1, ms(all.wait_time));
  c.add("cpu.busy_pct", "CPU busy", "%", 0, s.busy_pct);
  c.add("cpu.idle_while_waiting_ms", "idle while tasks waited", "ms", -1, ms(s.idle_while_waiting));
  const double secs = static_cast<double>(s.duration) / 1e9;
  c.add("switches.voluntary_per_s", "voluntary switches", "1/s", 0,
        secs > 0 ? std::optional<double>(static_cast<double>(all.nvcsw) / secs) : std::nullopt);
  c.add("switches.involuntary_per_s", "involuntary switches", "1/s", 0,
        secs > 0 ? std::optional<double>(static_cast<double>(all.nivcsw) / secs) : std::nullopt);
  c.add("migrations.total", "migrations", "count", 0, count(all.total_migrations()));
  c.add("migrations.smt", "migrations SMT", "count", 0, count(all.migrations[0]));
  c.add("migrations.llc", "migrations same LLC", "count", 0, count(all.migrations[1]));
  c.add("migrations.cross_llc", "migrations cross-LLC", "count", -1, count(all.migrations[2]));
  c.add("migrations.cross_node", "migrations cross-NUMA", "count", -1, count(all.migrations[3]));
  std::optional<double> jain, ratio;
  bool ratio_unbounded = false;
  for (const FairnessClass& f : s.fairness) {
    if (f.jain) jain = jain ? std::min(*jain, *f.jain) : *f.jain;
    if (f.max_min_ratio) ratio = ratio ? std::max(*ratio, *f.max_min_ratio) : *f.max_min_ratio;
    else ratio_unbounded = true;
  }
  if (ratio_unbounded) ratio.reset();
  c.add("fairness.jain_min", "fairness Jain index (worst class)", "", +1, jain);
  c.add("fairness.max_min_ratio", "fairness max/min share (worst class)", "x", -1, ratio);
  c.add("deadline.timer_misses", "timer deadline misses", "count", -1, count(s.timer_misses));
  for (size_t i = 0; i < s.counter_rates.size(); ++i) {
    const std::string name = i < report.info.counters.size() ? report.info.counters[i] : std::to_string(i);
    c.add("throughput." + name + "_per_s", name, "1/s", +1, s.counter_rates[i]);
  }
  for (const ExtraFigure& f : figures)
    c.add("workload." + f.name, "workload " + f.name, f.unit, f.higher_is_better ? +1 : -1, f.value);
  if (s.groups.size() > 1 && s.groups.size() <= 12) {
    for (const EntitySummary& g : s.groups) {
      c.add("group." + g.name + ".wakeup_latency_us.p99", g.name + ": wake-up p99", "us", -1,
            us(g.wakeup_latency.p99));
      c.add("group." + g.name + ".run_delay_us.p99", g.name + ": run delay p99", "us", -1, us(g.run_delay.p99));
      c.add("group." + g.name + ".cpu_share_pct", g.name + ": CPU share", "%", 0, g.share_pct);
    }
  }
  // Per-cgroup figures (docs/reports.md, "Cgroups"); runs without cgroups have none.
  if (s.cgroups.size() <= 32) {
    for (const CgroupSummary& g : s.cgroups) {
      const std::string key = "cgroup." + g.path, label = "cgroup " + g.path;
      c.add(key + ".cpu_share_pct", label + ": CPU share", "%", 0, g.cpu_share_pct);
      c.add(key + ".entitled_pct", label + ": entitled share", "%", 0, g.entitled_pct);
      c.add(key + ".throttled_ms", label + ": throttled", "ms", -1, ms(g.throttled_time));
      c.add(key + ".wakeup_latency_us.p99", label + ": wake-up p99", "us", -1, us(g.wakeup_latency.p99));
      c.add(key + ".run_delay_us.p99", label + ": run delay p99", "us", -1, us(g.run_delay.p99));
    }
  }
  if (report.metrics && report.metrics->scx().present()) {
    const ScxMetrics& x = report.metrics->scx();
    for (const auto& [id, q] : x.dsqs()) {
      const std::string n = scx_dsq_name(id);
      Dist l = Dist::of(q.latency);
      c.add("scx.dsq." + n + ".latency_us.p99", "DSQ " + n + " latency p99", "us", -1, us(l.p99));
      c.add("scx.dsq." + n + ".max_depth", "DSQ " + n + " max depth", "tasks", 0, count(static_cast<uint64_t>(q.max_depth)));
    }
    for (const auto& [op, n] : x.callbacks()) c.add("scx.callbacks." + op, "ops." + op, "count", 0, count(n));
    for (const auto& [name, n] : x.events()) {
      const bool duration = name.size() > 9 && name.compare(name.size() - 9, 9, "_DURATION") == 0;
      c.add("scx.events." + name, name, duration ? "ns" : "count", -1, static_cast<double>(n));
    }
  }
  d.metrics = std::move(c.out);
  return d;
}

namespace {

// The digest's plot data: the wake-up latency CDF (1001 quantiles of every user task's samples)
// and the per-bucket series. Only the HTML report, comparisons and sweeps draw them.
void add_plot_data(RunDigest& d, const RunReport& report, const RunSummary& s) {
  if (const MetricsCollector* m = report.metrics) {
    std::vector<Ns> lat;
    for (const TaskMetrics& t : m->tasks())
      if (!t.kthread) lat.insert(lat.end(), t.wakeup_latency.begin(), t.wakeup_latency.end());
    if (!lat.empty()) {
      std::vector<double> pcts;
      for (int q = 0; q <= 1000; ++q) pcts.push_back(q / 10.0);
      for (int64_t v : select_percentiles(lat, pcts)) d.latency_quantiles.push_back(static_cast<double>(v) / 1e3);
    }
    const MetricsSeries& se = m->series();
    d.bucket = se.width;
    if (se.width) {
      size_t nb = static_cast<size_t>((s.duration + se.width - 1) / se.width);
      d.busy.assign(se.busy.size(), std::vector<double>(nb, 0.0));
      d.queued.assign(nb, 0.0);
      for (size_t cpu = 0; cpu < se.busy.size(); ++cpu)
        for (size_t b = 0; b < nb; ++b) {
          const Ns lo = b * se.width, hi = std::min<Ns>(s.duration, (b + 1) * se.width);
          const double w = hi > lo ? static_cast<double>(hi - lo) : 1.0;
          if (b < se.busy[cpu].size()) d.busy[cpu][b] = static_cast<double>(se.busy[cpu][b]) / w;
          if (b < se.queued[cpu].size()) d.queued[b] += static_cast<double>(se.queued[cpu][b]) / w;
        }
      if (m->scx().present()) {
        d.dsq_depth.assign(nb, 0.0);
        for (const auto& [id, q] : m->scx().dsqs())
          for (size_t b = 0; b < nb && b < q.depth_series.size(); ++b) {
            const Ns lo = b * se.width, hi = std::min<Ns>(s.duration, (b + 1) * se.width);
            d.dsq_depth[b] += static_cast<double>(q.depth_series[b]) / static_cast<double>(std::max<Ns>(hi - lo, 1));
          }
      }
    }
  }
}

}  // namespace

RunDigest make_digest(const std::string& variant, const RunReport& report, const RunSummary& s,
                      const std::vector<ExtraFigure>& figures) {
  RunDigest d = make_metrics_digest(variant, report, s, figures);
  add_plot_data(d, report, s);
  return d;
}

// ---------------------------------------------------------------------------------------------
// Statistics.

double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  return boost::math::ibeta(a, b, x);
}

namespace {
void mean_var(const std::vector<double>& v, double& mean, double& var) {
  double s = 0;
  for (double x : v) s += x;
  mean = s / static_cast<double>(v.size());
  double q = 0;
  for (double x : v) q += (x - mean) * (x - mean);
  var = v.size() > 1 ? q / static_cast<double>(v.size() - 1) : 0.0;
}
}  // namespace

std::optional<double> welch_p_value(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() < 2 || b.size() < 2) return std::nullopt;
  double ma, va, mb, vb;
  mean_var(a, ma, va);
  mean_var(b, mb, vb);
  const double sa = va / static_cast<double>(a.size()), sb = vb / static_cast<double>(b.size());
  if (sa + sb == 0) return ma == mb ? 1.0 : 0.0;
  const double t = (ma - mb) / std::sqrt(sa + sb);
  const double df = (sa + sb) * (sa + sb) /
                    (sa * sa / static_cast<double>(a.size() - 1) + sb * sb / static_cast<double>(b.size() - 1));
  // Two-sided: both tails of Student's t with Welch's degrees of freedom.
  return 2 * boost::math::cdf(boost::math::complement(boost::math::students_t(df), std::fabs(t)));
}

Verdict decide(int direction, const CompareCell& base, CompareCell& cand) {
  if (direction == 0) return Verdict::None;
  if (!base.mean || !cand.mean) return Verdict::NotMeasured;
  auto values = [](const CompareCell& c) {
    std::vector<double> v;
    for (const auto& x : c.per_seed)
      if (x) v.push_back(*x);
    return v;
  };
  cand.p_value = welch_p_value(values(base), values(cand));
  if (!cand.p_value || *cand.p_value >= 0.05) return Verdict::Inconclusive;
  const double diff = *cand.mean - *base.mean;
  const double scale = std::fabs(*base.mean);
  if (scale > 0 ? std::fabs(diff) < 0.01 * scale : diff == 0) return Verdict::Inconclusive;
  return (diff < 0) == (direction < 0) ? Verdict::Better : Verdict::Worse;
}

CompareResult build_compare(std::vector<std::string> variants, std::vector<std::string> variant_args,
                            std::vector<uint64_t> seeds, std::string scenario,
                            std::vector<std::vector<RunDigest>> runs) {
  CompareResult r;
  r.variants = std::move(variants);
  r.variant_args = std::move(variant_args);
  r.seeds = std::move(seeds);
  r.scenario = std::move(scenario);
  r.runs = std::move(runs);
  std::map<std::string, size_t> index;
  for (const auto& vr : r.runs)
    for (const RunDigest& d : vr)
      for (const MetricValue& mv : d.metrics)
        if (index.emplace(mv.def.key, r.rows.size()).second) r.rows.push_back({mv.def, {}});
  bool any_ejected = false;
  for (const auto& vr : r.runs)
    for (const RunDigest& d : vr) any_ejected |= !d.ejected.empty();
  if (any_ejected) {
    CompareRow ejected_row;
    ejected_row.def = {kEjectedKey, "sched_ext ejected (seeds)", "%", -1};
    r.rows.insert(r.rows.begin(), ejected_row);
  }
  for (CompareRow& row : r.rows) row.cells.resize(r.variants.size());
  for (size_t v = 0; v < r.runs.size(); ++v) {
    for (CompareRow& row : r.rows) row.cells[v].per_seed.assign(r.runs[v].size(), std::nullopt);
    const size_t first = any_ejected ? 1 : 0;  // rows shifted by the ejection row
    for (size_t s = 0; s < r.runs[v].size(); ++s) {
      const RunDigest& d = r.runs[v][s];
      if (any_ejected) r.rows[0].cells[v].per_seed[s] = d.ejected.empty() ? 0.0 : 100.0;
      if (!d.ejected.empty()) continue;  // its values are not the scheduler's: left out
      for (const MetricValue& mv : d.metrics) r.rows[first + index.at(mv.def.key)].cells[v].per_seed[s] = mv.value;
    }
  }
  for (CompareRow& row : r.rows) {
    for (CompareCell& c : row.cells) {
      std::vector<double> v;
      for (const auto& x : c.per_seed)
        if (x) v.push_back(*x);
      c.n = static_cast<int>(v.size());
      if (v.empty()) continue;
      double mean, var;
      mean_var(v, mean, var);
      c.mean = mean;
      c.sd = v.size() > 1 ? std::optional<double>(std::sqrt(var)) : std::nullopt;
      c.min = *std::min_element(v.begin(), v.end());
      c.max = *std::max_element(v.begin(), v.end());
    }
    const CompareCell& base = row.cells[0];
    for (size_t v = 1; v < row.cells.size(); ++v) {
      CompareCell& c = row.cells[v];
      if (base.mean && c.mean && *base.mean != 0) c.delta_pct = 100.0 * (*c.mean - *base.mean) / std::fabs(*base.mean);
      c.verdict = decide(row.def.direction, base, c);
    }
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Output.

namespace {

std::string pct(std::optional<double> p) { return p ? fmt::format("{:+.1f}%", *p) : "-"; }

std::string seeds_text(const std::vector<uint64_t>& seeds) {
  std::string s;
  for (uint64_t x : seeds) s += (s.empty() ? "" : ",") + std::to_string(x);
  return s;
}

// "cost model: hz=250 context_switch=2us ..." ("noise: off" when `any` is false).
template <typename Param>
std::string params_line(const char* what, const std::vector<Param>& params, bool any = true) {
  std::string line = fmt::format("{}:", what);
  if (!any) return line + " off\n";
  for (const Param& p : params) line += fmt::format(" {}={}", p.name, p.value);
  return line + "\n";
}

nlohmann::ordered_json scenario_json(const CompareResult& r) {
  nlohmann::ordered_json j;
  j["text"] = r.scenario;
  if (!r.detail) return j;
  const CompareScenario& d = *r.detail;
  j["workload"] = d.workload;
  j["topology"] = {{"spec", d.topology}, {"summary", d.topology_summary}};
  j["duration_ns"] = d.duration;
  j["kernels"] = d.kernels;
  j["cost_model"] = cost_model_json(d.cost);
  j["noise"] = noise_json(d.noise);
  return j;
}

nlohmann::ordered_json opt(std::optional<double> v) { return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(); }

}  // namespace

bool row_is_all_zero(const CompareRow& row) {
  for (const CompareCell& c : row.cells)
    if (c.mean && *c.mean != 0) return false;
  return true;
}

std::string format_compare_text(const CompareResult& r) { return format_compare_text(r, MetricSelection{}); }

std::string format_compare_text(const CompareResult& r, const MetricSelection& selection) {
  std::string out;
  out += fmt::format("scxsim compare: {}\n", r.scenario);
  out += fmt::format("baseline {}; seeds {} ({} per variant); values are means over seeds\n", r.variants[0],
                     seeds_text(r.seeds), r.seeds.size());
  if (r.detail) out += params_line("cost model", r.detail->cost.describe()) + params_line("noise", r.detail->noise.describe(), r.detail->noise.any());
  for (size_t v = 0; v < r.variants.size(); ++v)
    if (v < r.variant_args.size() && r.variant_args[v] != r.variants[v])
      out += fmt::format("  {} = {}\n", r.variants[v], r.variant_args[v]);
  for (size_t v = 0; v < r.runs.size(); ++v)
    for (const RunDigest& d : r.runs[v])
      if (!d.ejected.empty())
        out += fmt::format("warning: {} seed {}: the scheduler was ejected {}; that run's values are left out\n",
                           r.variants[v], d.seed, d.ejected);
  std::vector<const CompareRow*> shown;
  for (const CompareRow& row : r.rows)
    if (selection.shows(row.def.key, row_is_all_zero(row))) shown.push_back(&row);
  size_t wm = 6;
  for (const CompareRow* row : shown) wm = std::max(wm, row->def.label.size());
  std::vector<size_t> wv;
  for (const std::string& v : r.variants) wv.push_back(std::max<size_t>(10, v.size()));
  out += "\n" + fmt::format("{:<{}} {:<5}", "metric", wm, "unit");
  for (size_t v = 0; v < r.variants.size(); ++v) {
    out += fmt::format(" {:>{}}", r.variants[v], wv[v]);
    if (v > 0) out += fmt::format(" {:>8} {:<7}", "change", "verdict");
  }
  out += "\n";
  for (const CompareRow* row : shown) {
    std::string line = fmt::format("{:<{}} {:<5}", row->def.label, wm, row->def.unit);
    for (size_t v = 0; v < row->cells.size(); ++v) {
      const CompareCell& c = row->cells[v];
      line += fmt::format(" {:>{}}", format_metric_value(row->def, c.mean), wv[v]);
      if (v > 0) line += fmt::format(" {:>8} {:<7}", pct(c.delta_pct), verdict_name(c.verdict));
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  out += hidden_metrics_note(r.rows.size() - shown.size());
  out += fmt::format("\n{}\n", kVerdictRule);
  return out;
}

std::string format_compare_json(const CompareResult& r) {
  nlohmann::ordered_json j;
  j["scenario"] = scenario_json(r);
  j["baseline"] = r.variants[0];
  nlohmann::ordered_json vars = nlohmann::ordered_json::array();
  for (size_t v = 0; v < r.variants.size(); ++v)
    vars.push_back({{"name", r.variants[v]}, {"spec", v < r.variant_args.size() ? r.variant_args[v] : r.variants[v]}});
  j["variants"] = vars;
  j["seeds"] = r.seeds;
  nlohmann::ordered_json ejected = nlohmann::ordered_json::array();
  for (size_t v = 0; v < r.runs.size(); ++v)
    for (const RunDigest& d : r.runs[v])
      if (!d.ejected.empty()) ejected.push_back({{"variant", r.variants[v]}, {"seed", d.seed}, {"what", d.ejected}});
  if (!ejected.empty()) j["ejected"] = ejected;
  j["verdict_rule"] = kVerdictRule;
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const CompareRow& row : r.rows) {
    nlohmann::ordered_json rj;
    rj["key"] = row.def.key;
    rj["label"] = row.def.label;
    rj["unit"] = row.def.unit;
    rj["better"] = row.def.direction < 0   ? nlohmann::ordered_json("lower")
                   : row.def.direction > 0 ? nlohmann::ordered_json("higher")
                                           : nlohmann::ordered_json();
    nlohmann::ordered_json vals;
    for (size_t v = 0; v < row.cells.size(); ++v) {
      const CompareCell& c = row.cells[v];
      nlohmann::ordered_json cj;
      cj["n"] = c.n;
      cj["mean"] = opt(c.mean);
      cj["sd"] = opt(c.sd);
      cj["min"] = opt(c.min);
      cj["max"] = opt(c.max);
      nlohmann::ordered_json ps = nlohmann::ordered_json::array();
      for (const auto& x : c.per_seed) ps.push_back(opt(x));
      cj["per_seed"] = ps;
      if (v > 0) {
        cj["change_pct"] = opt(c.delta_pct);
        cj["p_value"] = opt(c.p_value);
        cj["verdict"] = c.verdict == Verdict::None ? nlohmann::ordered_json() : nlohmann::ordered_json(verdict_name(c.verdict));
      }
      vals[r.variants[v]] = cj;
    }
    rj["values"] = vals;
    rows.push_back(rj);
  }
  j["metrics"] = rows;
  return j.dump(2) + "\n";
}

std::string format_compare_csv(const CompareResult& r) {
  std::string out = "metric,label,unit,better,variant,n,mean,sd,min,max,change_pct,p_value,verdict\n";
  auto num = [](std::optional<double> v) { return v ? fmt::format("{:.6g}", *v) : std::string(); };
  auto quote = [](const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return q + "\"";
  };
  for (const CompareRow& row : r.rows)
    for (size_t v = 0; v < row.cells.size(); ++v) {
      const CompareCell& c = row.cells[v];
      out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{}\n", quote(row.def.key), quote(row.def.label),
                         quote(row.def.unit), row.def.direction < 0 ? "lower" : row.def.direction > 0 ? "higher" : "",
                         quote(r.variants[v]), c.n, num(c.mean), num(c.sd), num(c.min), num(c.max),
                         v > 0 ? num(c.delta_pct) : "", v > 0 ? num(c.p_value) : "", verdict_name(c.verdict));
    }
  return out;
}

std::string format_scenario_line(const CompareScenario& s) {
  std::string kernels;
  for (const std::string& k : s.kernels) kernels += (kernels.empty() ? "" : ", ") + k;
  return fmt::format("workload {} on {} [{}], {} simulated, {} {}", s.workload, s.topology, s.topology_summary,
                     format_duration(s.duration), s.kernels.size() > 1 ? "kernels" : "kernel", kernels);
}

}  // namespace scx
