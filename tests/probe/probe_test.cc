// --probe: the syntax a BPF author writes, resolution against a BPF object's globals and maps
// (bpf/tests/probe_counter.bpf.c) and a native policy's counters, sample values worked out by
// hand, and runs that are the same with and without probes.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/compare.h"
#include "cli/runner.h"
#include "metrics/summary.h"
#include "probe/probe_spec.h"
#include "report/html.h"
#include "report/probe_report.h"
#include "temp_file.h"

namespace scx {
namespace {

const std::string kSubject = SCXSIM_PROBE_SUBJECT;

// The values of one series, in sample order.
std::vector<int64_t> values(const ProbeSeries& s) {
  std::vector<int64_t> v;
  for (const ProbeSample& x : s.samples) v.push_back(x.value);
  return v;
}

// Two nice-0 hogs on one CPU under probe_counter (5 ms slices), ticks every 4 ms (hz=250), no
// noise, zero costs: the whole schedule is worked out by hand below.
RunOptions two_hogs_one_cpu() {
  RunOptions o;
  o.topology = "1";
  o.workload = "hogs:count=2,nices=0";
  o.duration = 20 * kNsPerMs;
  o.sched = kSubject;
  o.cost_profile = "none";
  o.costs = {"hz=250"};
  o.noise = {"off"};
  o.series_buckets = 0;
  o.probe_interval = 5 * kNsPerMs;
  return o;
}

TEST(ProbeSpec, ParsesGlobalsAndMapValues) {
  auto g = parse_probe("stats.ran_on[2]");
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g->map);
  EXPECT_EQ(g->path, "stats.ran_on[2]");
  auto m = parse_probe("map:pcpu[0x10].a.b[1]@3");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_TRUE(m->map);
  EXPECT_EQ(m->path, "pcpu");
  EXPECT_EQ(m->key, 16u);
  EXPECT_EQ(m->member, ".a.b[1]");
  EXPECT_EQ(m->cpus, ProbeSpec::Cpus::kOne);
  EXPECT_EQ(m->cpu, 3u);
  auto each = parse_probe("map:pcpu[0]@each");
  ASSERT_TRUE(each.ok());
  EXPECT_EQ(each->cpus, ProbeSpec::Cpus::kEach);
  EXPECT_EQ(parse_probe("map:pcpu[0]")->cpus, ProbeSpec::Cpus::kSum);
}

TEST(ProbeSpec, BadSyntaxIsOneLineNamingTheProbe) {
  EXPECT_EQ(parse_probe("map:pcpu").status().message(),
            "--probe map:pcpu: expected map:MAP[KEY] (e.g. map:stats[0] or map:stats[0].nr_dispatched)");
  EXPECT_EQ(parse_probe("map:pcpu[x]").status().message(), "--probe map:pcpu[x]: map key 'x' is not a number");
  EXPECT_EQ(parse_probe("map:pcpu[0]nr").status().message(),
            "--probe map:pcpu[0]nr: expected .MEMBER or [INDEX] after the key, got 'nr'");
  EXPECT_EQ(parse_probe("map:pcpu[0]@two").status().message(),
            "--probe map:pcpu[0]@two: '@two' is neither a CPU number nor 'each'");
  EXPECT_EQ(parse_probe("nr@1").status().message(),
            "--probe nr@1: '@CPU' applies to per-CPU map values (map:MAP[KEY]@N), not to globals");
  EXPECT_EQ(parse_probe("3x").status().message(), "--probe 3x: expected a global's name (or map:MAP[KEY])");
}

// Worked out by hand (the trace shows it): at t=0 both hogs are enqueued (nr_enqueued 2) and
// hog1 runs (running 1); a 5 ms slice ends at the first tick past it, 8 ms, where hog1 is
// enqueued again and hog0 runs; the same at 16 ms. Ticks come at 4, 8, 12, 16, 20 ms and a
// sample at T sees every event up to and including T. So at 5/10/15/20 ms:
//   nr_ticks 1 2 3 5, nr_enqueued 2 3 3 4, running (ran_on[0], the per-CPU map) 1 2 2 3,
//   balance (running - enqueued, a signed s32) -1 throughout.
TEST(Probe, HandWorkedValuesOfGlobalsAndMapValues) {
  RunOptions o = two_hogs_one_cpu();
  o.probes = {"nr_ticks", "stats.nr_enqueued", "stats.balance", "stats.ran_on[0]", "map:pcpu[0].nr_running",
              "map:pcpu[0].nr_running@0"};
  auto r = run_simulation(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->probes.size(), 6u);
  for (const ProbeSeries& s : r->probes) {
    ASSERT_EQ(s.samples.size(), 4u) << s.name;
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(s.samples[i].time, static_cast<Ns>(i + 1) * 5 * kNsPerMs);
  }
  EXPECT_EQ(r->probes[0].name, "nr_ticks");
  EXPECT_EQ(values(r->probes[0]), (std::vector<int64_t>{1, 2, 3, 5}));
  EXPECT_EQ(values(r->probes[1]), (std::vector<int64_t>{2, 3, 3, 4}));
  EXPECT_EQ(values(r->probes[2]), (std::vector<int64_t>{-1, -1, -1, -1}));
  for (size_t i = 3; i < 6; ++i) EXPECT_EQ(values(r->probes[i]), (std::vector<int64_t>{1, 2, 2, 3})) << i;
}

// Per-CPU map values: the sum is the sum of the per-CPU series, and each CPU's series is what
// the program counted on that CPU (ran_on[cpu], a plain global).
TEST(Probe, PerCpuMapValuesSumAndSplit) {
  RunOptions o = two_hogs_one_cpu();
  o.topology = "2";
  o.workload = "hogs:count=5,nices=0";
  o.duration = 50 * kNsPerMs;
  o.probes = {"map:pcpu[0].nr_running", "map:pcpu[0].nr_running@each", "stats.ran_on[0]", "stats.ran_on[1]"};
  auto r = run_simulation(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->probes.size(), 5u);
  EXPECT_EQ(r->probes[1].name, "map:pcpu[0].nr_running@cpu0");
  EXPECT_EQ(r->probes[2].name, "map:pcpu[0].nr_running@cpu1");
  EXPECT_EQ(values(r->probes[1]), values(r->probes[3]));
  EXPECT_EQ(values(r->probes[2]), values(r->probes[4]));
  for (size_t i = 0; i < r->probes[0].samples.size(); ++i)
    EXPECT_EQ(r->probes[0].samples[i].value, r->probes[1].samples[i].value + r->probes[2].samples[i].value);
  EXPECT_GT(r->probes[0].samples.back().value, 2);  // five hogs on two CPUs take turns
}

// Sampling only reads: the schedule's fingerprint is the same without probes, with probes at
// 1 ms and with probes at an interval that puts stops between the millisecond steps.
TEST(Probe, SamplingDoesNotChangeTheRun) {
  RunOptions o = two_hogs_one_cpu();
  o.topology = "2";
  o.workload = "demo";
  o.cost_profile = "default";
  o.costs.clear();
  o.noise.clear();
  o.duration = 60 * kNsPerMs;
  o.fingerprint = true;
  auto plain = run_simulation(o);
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  o.probes = {"nr_ticks", "map:pcpu[0].nr_running@each"};
  for (Ns interval : {kNsPerMs, 333 * kNsPerUs}) {
    o.probe_interval = interval;
    auto probed = run_simulation(o);
    ASSERT_TRUE(probed.ok()) << probed.status().message();
    EXPECT_EQ(*probed->report.info.fingerprint, *plain->report.info.fingerprint) << interval;
    EXPECT_EQ(probed->probes[0].samples.size(), static_cast<size_t>(60 * kNsPerMs / interval));
  }
  // Same input, same samples.
  auto again = run_simulation(o);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(values(again->probes[0]), values(run_simulation(o)->probes[0]));
}

TEST(Probe, UnknownNamesListCloseOnes) {
  RunOptions o = two_hogs_one_cpu();
  o.probes = {"nr_tick"};
  EXPECT_EQ(run_simulation(o).status().message(),
            "--probe nr_tick: no global 'nr_tick' in " + kSubject + "; close names: nr_ticks, stats, map:pcpu");
  o.probes = {"map:pcpus[0]"};
  EXPECT_EQ(run_simulation(o).status().message(),
            "--probe map:pcpus[0]: no map 'pcpus' in " + kSubject + "; close names: map:pcpu, nr_ticks, slice_ns");
  o.probes = {"stats.nr_enqueue"};
  EXPECT_NE(run_simulation(o).status().message().find("has no member 'nr_enqueue'"), std::string::npos);
  o.probes = {"stats"};
  EXPECT_EQ(run_simulation(o).status().message(),
            "--probe stats: 'stats' is 32 bytes, not a number: name a member or an element");
  o.probes = {"map:pcpu[0].nr_running@2"};
  EXPECT_EQ(run_simulation(o).status().message(),
            "--probe map:pcpu[0].nr_running@2: CPU 2 is past the map's 1 CPUs");
}

// A native policy's counters: scx_central's timer runs every 1 ms from t=0, so nr_timers at
// T is T/1ms. EEVDF has nothing to probe.
TEST(Probe, NativePolicyCounters) {
  RunOptions o = two_hogs_one_cpu();
  o.topology = "2";
  o.sched = "central";
  o.probes = {"nr_timers", "nr_queued"};
  auto r = run_simulation(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(values(r->probes[0]), (std::vector<int64_t>{5, 10, 15, 20}));
  o.probes = {"nr_timer"};
  EXPECT_EQ(run_simulation(o).status().message(),
            "--probe nr_timer: the native policy 'central' has no counter 'nr_timer'; close names: nr_timers, nr_queued");
  o.sched = "eevdf";
  EXPECT_NE(run_simulation(o).status().message().find("'eevdf' is not a sched_ext scheduler"), std::string::npos);
}

// The run's JSON gets a "probes" section after its own keys, which are unchanged; the Perfetto
// trace gets a counter track per probe.
TEST(Probe, JsonSectionAndPerfettoTracks) {
  RunOptions o = two_hogs_one_cpu();
  o.probes = {"nr_ticks"};
  o.perfetto_path = testing::test_temp_path("probe.pftrace");
  auto r = run_simulation(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const std::string plain = format_run_json(r->report);
  const nlohmann::ordered_json j = nlohmann::ordered_json::parse(add_probes_json(plain, r->probes, o.probe_interval));
  EXPECT_EQ(j["probes"]["interval_ns"], 5 * kNsPerMs);
  EXPECT_EQ(j["probes"]["series"][0]["name"], "nr_ticks");
  EXPECT_EQ(j["probes"]["series"][0]["values"], nlohmann::ordered_json({1, 2, 3, 5}));
  EXPECT_EQ(j["probes"]["series"][0]["time_ns"][3], 20 * kNsPerMs);
  nlohmann::ordered_json without = j;
  without.erase("probes");
  EXPECT_EQ(without.dump(2) + "\n", plain);
  EXPECT_EQ(add_probes_json(plain, {}, kNsPerMs), plain);
  EXPECT_NE(testing::read_test_file(o.perfetto_path).find("probe nr_ticks"), std::string::npos);
}

// A run-until-done workload (hackbench) ends when its last task exits, between two sample times:
// the samples stop at the last whole interval before that end (1.81 ms here: one sample, at 1 ms).
TEST(Probe, RunUntilDoneHasNoSamplePastItsEnd) {
  RunOptions o;
  o.workload = "hackbench:groups=2,loops=20";
  o.sched = "fifo";
  o.series_buckets = 0;
  o.probes = {"nr_local"};
  auto r = run_simulation(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_FALSE(r->probes[0].samples.empty());
  EXPECT_LE(r->probes[0].samples.back().time, r->report.info.duration);
  EXPECT_EQ(r->probes[0].samples.size(), static_cast<size_t>(r->report.info.duration / kNsPerMs));
}

// compare --probe: the first seed of every sched_ext variant is probed (EEVDF has nothing to
// probe and is left alone), and its samples are those of the same run alone.
TEST(Probe, CompareProbesFirstSeedOfSchedExtVariants) {
  CompareOptions c;
  c.base = two_hogs_one_cpu();
  c.base.probes = {"nr_ticks"};
  c.base.timeline = true;  // as compare --html sets it
  c.scheds = {"eevdf", kSubject};
  c.seeds = {1, 2};
  c.jobs = 1;
  auto r = run_compare(c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_TRUE(r->runs[0][0].html);
  EXPECT_TRUE(r->runs[0][0].html->probes.empty());
  ASSERT_TRUE(r->runs[1][0].html);
  ASSERT_EQ(r->runs[1][0].html->probes.size(), 1u);
  EXPECT_EQ(values(r->runs[1][0].html->probes[0]), (std::vector<int64_t>{1, 2, 3, 5}));
  EXPECT_FALSE(r->runs[1][1].html);  // later seeds keep no HTML data
}

// The HTML report plots each probe: one polyline per variant through its samples, on a time
// axis over the samples (0..20 ms) and a nice y axis (values 1..5 in at most 5 ticks: raw step
// 1.25 -> 2, so 0..6).
TEST(Probe, HtmlPlotsEachProbe) {
  RunOptions o = two_hogs_one_cpu();
  o.probes = {"nr_ticks"};
  auto r = run_simulation(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const RunSummary summary = summarize(*r->metrics);
  RunDigest d = make_digest("probe", r->report, summary);
  d.html = make_html_data({}, summary, r->probes);
  const std::string html = format_html_report(build_compare({"probe"}, {"x"}, {1}, "w", {{d}}), "t");
  EXPECT_NE(html.find("<section id=\"probes\">"), std::string::npos);
  EXPECT_NE(html.find("data-probe=\"nr_ticks\""), std::string::npos);
  // x: 70 + t/20ms * 1010; y: 20 + (1 - v/6) * 156 (plot 70..1080 wide, 20..176 high).
  EXPECT_NE(html.find("points=\"322.50,150.00 575.00,124.00 827.50,98.00 1080.00,46.00\""), std::string::npos);
}

}  // namespace
}  // namespace scx
