// scxsim compare: option parsing, the verdict rule, a golden table on fixed seeds, and
// independence of the output from --jobs.
// Regenerate the golden files with SCXSIM_UPDATE_GOLDEN=1 (then review the diff).
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/compare.h"
#include "golden.h"

namespace scx {
namespace {

void check_golden(const std::string& name, const std::string& actual) {
  testing::check_golden("report/golden/" + name, actual);
}

CompareOptions small_scenario(unsigned jobs) {
  CompareOptions o;
  o.base.topology = "2";
  o.base.workload = "demo:hogs=2,interactive=2";
  o.base.duration = 200 * kNsPerMs;
  o.scheds = {"eevdf"};
  o.variants = {"rtp0:--fair=RUN_TO_PARITY=0", "slice1ms:--fair=base_slice_ns=1ms"};
  o.seeds = {1, 2, 3};
  o.jobs = jobs;
  return o;
}

TEST(CompareParse, Seeds) {
  EXPECT_EQ(parse_seeds("3").value(), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(parse_seeds("4-6").value(), (std::vector<uint64_t>{4, 5, 6}));
  EXPECT_EQ(parse_seeds("1,7,9-10").value(), (std::vector<uint64_t>{1, 7, 9, 10}));
  EXPECT_FALSE(parse_seeds("0").ok());
  EXPECT_FALSE(parse_seeds("5-2").ok());
  EXPECT_FALSE(parse_seeds("1,1").ok());
  EXPECT_FALSE(parse_seeds("x").ok());
}

TEST(CompareParse, Variants) {
  Variant v = parse_variant("short:--fair=base_slice_ns=1ms cost=hz=1000 --fair=RUN_TO_PARITY=0", "eevdf").value();
  EXPECT_EQ(v.name, "short");
  EXPECT_EQ(v.sched, "eevdf");
  EXPECT_EQ(v.fair, (std::vector<std::string>{"base_slice_ns=1ms", "RUN_TO_PARITY=0"}));
  EXPECT_EQ(v.costs, (std::vector<std::string>{"hz=1000"}));
  EXPECT_EQ(parse_variant("x:--sched=other", "eevdf").value().sched, "other");
  EXPECT_FALSE(parse_variant("bad name:--fair=A=1", "eevdf").ok());
  EXPECT_FALSE(parse_variant("x:--wat=1", "eevdf").ok());
  EXPECT_FALSE(parse_variant(":--fair=A=1", "eevdf").ok());
  CompareOptions o;
  o.variants = {"a:--fair=RUN_TO_PARITY=0", "a:--fair=RUN_TO_PARITY=1"};
  EXPECT_FALSE(resolve_variants(o).ok());  // duplicate name
  o.variants = {};
  EXPECT_FALSE(resolve_variants(o).ok());  // only one variant
  o.scheds = {"eevdf", "nope"};
  EXPECT_FALSE(resolve_variants(o).ok());
  EXPECT_EQ(variant_path("out/t.pftrace", "eevdf"), "out/t.eevdf.pftrace");
  EXPECT_EQ(variant_path("trace", "rtp0"), "trace.rtp0");
  EXPECT_EQ(variant_path("a.b/trace", "x"), "a.b/trace.x");
}

// --kernel: the variant key, the report header, the JSON field, and an unknown version.
TEST(CompareParse, KernelVersion) {
  Variant v = parse_variant("old:--kernel=6.12 --fair=RUN_TO_PARITY=0", "eevdf").value();
  EXPECT_EQ(v.kernel, "6.12");
  EXPECT_EQ(parse_variant("new:--fair=RUN_TO_PARITY=0", "eevdf").value().kernel, "");
  RunOptions o;
  o.topology = "1";
  o.workload = "demo:hogs=2,interactive=0";
  o.duration = 20 * kNsPerMs;
  EXPECT_EQ(o.kernel, "6.18");  // the CLI default
  auto r = run_simulation(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_NE(format_run_text(r->report).find("scheduler eevdf, kernel 6.18, seed 1"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(format_run_json(r->report))["kernel"], "6.18");
  o.kernel = "6.12";
  auto old = run_simulation(o);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->report.info.kernel, "6.12");
  o.kernel = "6.15";
  EXPECT_FALSE(run_simulation(o).ok());
}

TEST(CompareVerdict, WelchAndRule) {
  // t = -1 with 8 degrees of freedom: p = 0.3466 (two-sided).
  EXPECT_NEAR(*welch_p_value({1, 2, 3, 4, 5}, {2, 3, 4, 5, 6}), 0.346594, 1e-5);
  // Unequal variances: t = -10.8106, Welch df = 5.986 -> p = 3.7654e-5 (numerical integration).
  EXPECT_NEAR(*welch_p_value({10, 11, 12}, {20, 25, 21, 22, 23}), 3.7654e-5, 1e-8);
  EXPECT_FALSE(welch_p_value({1}, {2, 3}).has_value());
  // Closed form: {0, 2} vs {1, 3} gives t = -1/sqrt(2) with df = 2, where the two-sided p of
  // Student's t is 1 - |t| / sqrt(2 + t^2) = 1 - 1/sqrt(5).
  EXPECT_NEAR(*welch_p_value({0, 2}, {1, 3}), 1 - 1 / std::sqrt(5.0), 1e-12);
  EXPECT_NEAR(incomplete_beta(2, 3, 0.4), 0.5248, 1e-4);

  auto cell = [](std::vector<double> v) {
    CompareCell c;
    double s = 0;
    for (double x : v) c.per_seed.push_back(x), s += x;
    c.n = static_cast<int>(v.size());
    c.mean = s / static_cast<double>(v.size());
    return c;
  };
  CompareCell base = cell({100, 101, 99});
  CompareCell lower = cell({80, 81, 79});
  CompareCell same = cell({100, 102, 98});
  CompareCell tiny = cell({99.5, 99.5, 99.5});  // significant but < 1 %
  EXPECT_EQ(decide(-1, base, lower), Verdict::Better);
  EXPECT_EQ(decide(+1, base, lower), Verdict::Worse);
  EXPECT_EQ(decide(-1, base, same), Verdict::Inconclusive);
  EXPECT_EQ(decide(-1, cell({100, 100}), tiny), Verdict::Inconclusive);
  EXPECT_EQ(decide(0, base, lower), Verdict::None);
  CompareCell single = cell({50});
  EXPECT_EQ(decide(-1, base, single), Verdict::Inconclusive);
  CompareCell missing;
  missing.per_seed = {std::nullopt, std::nullopt};
  EXPECT_EQ(decide(-1, base, missing), Verdict::NotMeasured);
  // Zero spread on both sides: exact difference decides.
  CompareCell z1 = cell({10, 10}), z2 = cell({12, 12});
  EXPECT_EQ(decide(-1, z1, z2), Verdict::Worse);
}

// One ejected seed of three: the candidate's means are over the two others (n = 2), and the
// ejection row reads 33.3 % (0, 0, 100 per seed) against the baseline's 0.
TEST(CompareEjection, AnEjectedSeedIsLeftOutOfTheMeans) {
  auto digest = [](uint64_t seed, double latency, std::string ejected) {
    RunDigest d;
    d.seed = seed;
    d.ejected = std::move(ejected);
    d.metrics.push_back({{"wakeup_latency_us.p50", "wake-up latency p50", "us", -1}, latency});
    return d;
  };
  std::vector<std::vector<RunDigest>> runs = {
      {digest(1, 10, ""), digest(2, 12, ""), digest(3, 14, "")},
      {digest(1, 20, ""), digest(2, 22, ""), digest(3, 500, "at 0.5s: runtime error (boom)")}};
  CompareResult r = build_compare({"eevdf", "x"}, {"eevdf", "x"}, {1, 2, 3}, "s", std::move(runs));
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0].def.key, kEjectedKey);
  EXPECT_EQ(r.rows[0].cells[0].per_seed, (std::vector<std::optional<double>>{0.0, 0.0, 0.0}));
  EXPECT_EQ(r.rows[0].cells[1].per_seed, (std::vector<std::optional<double>>{0.0, 0.0, 100.0}));
  EXPECT_NEAR(*r.rows[0].cells[1].mean, 100.0 / 3, 1e-9);
  EXPECT_EQ(r.rows[1].cells[1].n, 2);
  EXPECT_EQ(*r.rows[1].cells[1].mean, 21.0);  // (20 + 22) / 2, not (20 + 22 + 500) / 3
  EXPECT_EQ(r.rows[1].cells[1].per_seed[2], std::nullopt);
  EXPECT_EQ(*r.rows[1].cells[0].mean, 12.0);
  EXPECT_NE(format_compare_text(r).find("warning: x seed 3: the scheduler was ejected at 0.5s: runtime error "
                                        "(boom); that run's values are left out\n"),
            std::string::npos);
  // Without an ejection there is no such row.
  std::vector<std::vector<RunDigest>> fine = {{digest(1, 10, "")}, {digest(1, 20, "")}};
  EXPECT_EQ(build_compare({"a", "b"}, {"a", "b"}, {1}, "s", std::move(fine)).rows.size(), 1u);
}

TEST(Compare, GoldenTableOnFixedSeeds) {
  auto r = run_compare(small_scenario(2));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->variants, (std::vector<std::string>{"eevdf", "rtp0", "slice1ms"}));
  check_golden("compare_demo.txt", format_compare_text(*r));
  // --all: every row of the comparison, the zero ones too.
  const std::string all = format_compare_text(*r, MetricSelection::all());
  check_golden("compare_demo_all.txt", all);
  EXPECT_EQ(all.find(" more metrics"), std::string::npos);
}

TEST(Compare, OutputIndependentOfJobs) {
  auto one = run_compare(small_scenario(1));
  auto four = run_compare(small_scenario(4));
  ASSERT_TRUE(one.ok() && four.ok());
  EXPECT_EQ(format_compare_json(*one), format_compare_json(*four));
  EXPECT_EQ(format_compare_csv(*one), format_compare_csv(*four));
  EXPECT_EQ(format_compare_text(*one), format_compare_text(*four));
  // Not-measured values are null in JSON, never 0.
  nlohmann::json j = nlohmann::json::parse(format_compare_json(*one));
  bool saw_null = false;
  for (const auto& m : j["metrics"])
    if (m["key"] == "group.hog.wakeup_latency_us.p99") {
      EXPECT_TRUE(m["values"]["eevdf"]["mean"].is_null());
      EXPECT_EQ(m["values"]["rtp0"]["verdict"], "n/a");
      saw_null = true;
    }
  EXPECT_TRUE(saw_null);
  const std::string csv = format_compare_csv(*one);
  EXPECT_EQ(csv.rfind("metric,label,unit,better,variant,n,mean,sd,min,max,change_pct,p_value,verdict\n", 0), 0u);
}

}  // namespace
}  // namespace scx
