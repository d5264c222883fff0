// scxsim compare with sched_ext BPF objects: column names, per-variant scheduler settings, the
// BPF twins against their native policies, seeds and jobs, and an ejected scheduler.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/compare.h"

namespace scx {
namespace {

const std::string kSched = SCXSIM_BPF_SCHEDULERS;
const std::string kSubjects = SCXSIM_BPF_HOST_SUBJECTS;

std::vector<std::string> names_of(const std::vector<Variant>& vs) {
  std::vector<std::string> out;
  for (const Variant& v : vs) out.push_back(v.name);
  return out;
}

TEST(CompareBpf, ColumnsAreNamedAfterTheFile) {
  CompareOptions o;
  o.scheds = {"eevdf", kSched + "/simple.bpf.o", kSched + "/prio.bpf.o"};
  EXPECT_EQ(names_of(resolve_variants(o).value()), (std::vector<std::string>{"eevdf", "simple", "prio"}));
  // The native policy "prio" keeps its name; the object takes its directory's ("schedulers").
  o.scheds = {"prio", kSched + "/prio.bpf.o"};
  EXPECT_EQ(names_of(resolve_variants(o).value()), (std::vector<std::string>{"prio", "schedulers-prio"}));
  // A --variant's name is taken first.
  o.scheds = {kSched + "/simple.bpf.o"};
  o.variants = {"simple:--set fifo_sched=1"};
  EXPECT_EQ(names_of(resolve_variants(o).value()), (std::vector<std::string>{"schedulers-simple", "simple"}));
  o.variants.clear();
  o.scheds = {kSched + "/simple.bpf.o", kSched + "/simple.bpf.o"};
  EXPECT_NE(resolve_variants(o).status().message().find("listed twice"), std::string::npos);
  o.scheds = {"eevdf", "/nonexistent/x.bpf.o"};
  EXPECT_EQ(resolve_variants(o).status().message(), "--sched: no such file '/nonexistent/x.bpf.o'");
  o.scheds = {"eevdf", "vtime"};
  o.base.bpf_globals = {"fifo_sched=1"};  // no BPF object to take it
  EXPECT_FALSE(resolve_variants(o).ok());
  EXPECT_EQ(variant_name_for("/a/b/my sched.bpf.o", {}), "my_sched");
  EXPECT_EQ(variant_name_for("/a/b/x.bpf.o", {"x", "b-x"}), "b-x-2");
}

TEST(CompareBpf, VariantTakesTheSchedulersSettings) {
  const std::string obj = kSched + "/simple.bpf.o";
  Variant v = parse_variant("f:--sched=" + obj + " --set fifo_sched=1 --profile=none --sched-opt slice-us=5000 "
                            "--usersched=none --resize a=4 --map-size=m=8 --fair=RUN_TO_PARITY=0", "eevdf").value();
  EXPECT_EQ(v.sched, obj);
  EXPECT_EQ(v.bpf_globals, (std::vector<std::string>{"fifo_sched=1"}));
  EXPECT_EQ(v.profile, "none");
  EXPECT_EQ(v.sched_opts, (std::vector<std::string>{"slice-us=5000"}));
  EXPECT_EQ(v.usersched, "none");
  EXPECT_EQ(v.bpf_resize, (std::vector<std::string>{"a=4"}));
  EXPECT_EQ(v.bpf_map_size, (std::vector<std::string>{"m=8"}));
  EXPECT_EQ(v.fair, (std::vector<std::string>{"RUN_TO_PARITY=0"}));
  // The scheduler defaults to the first of --sched, here the object.
  EXPECT_EQ(parse_variant("g:--set=fifo_sched=1", obj).value().sched, obj);
  EXPECT_FALSE(parse_variant("h:--set fifo_sched=1", "eevdf").ok());  // eevdf has no globals
  EXPECT_FALSE(parse_variant("i:--set", obj).ok());                   // no value
}

CompareOptions twins(unsigned jobs) {
  CompareOptions o;
  o.base.topology = "2";
  o.base.workload = "demo:hogs=2,interactive=2";
  o.base.duration = 100 * kNsPerMs;
  o.scheds = {"vtime", kSched + "/simple.bpf.o", "fifo"};
  o.variants = {"simple-fifo:--sched=" + kSched + "/simple.bpf.o --set fifo_sched=1"};
  o.seeds = {1, 2};
  o.jobs = jobs;
  return o;
}

// simple.bpf.o is the BPF twin of the native vtime policy (and, with fifo_sched=1, of fifo):
// the same schedule event for event (BpfTwin tests), so every metric of every seed is equal;
// only the callback counts (which ops each implements) may differ. Each run loads its own
// object, so --jobs does not change a byte.
TEST(CompareBpf, TwinsMatchTheirNativePoliciesAtAnyJobs) {
  auto one = run_compare(twins(1));
  ASSERT_TRUE(one.ok()) << one.status().message();
  EXPECT_EQ(one->variants, (std::vector<std::string>{"vtime", "simple", "fifo", "simple-fifo"}));
  size_t compared = 0, seeds_differ = 0;
  for (const CompareRow& row : one->rows) {
    if (row.def.key.starts_with("scx.callbacks.")) continue;
    for (size_t s = 0; s < 2; ++s) {
      EXPECT_EQ(row.cells[1].per_seed[s], row.cells[0].per_seed[s]) << row.def.key << " seed " << s + 1;
      EXPECT_EQ(row.cells[3].per_seed[s], row.cells[2].per_seed[s]) << row.def.key << " seed " << s + 1;
    }
    ++compared;
    seeds_differ += row.cells[0].per_seed[0] != row.cells[0].per_seed[1];
  }
  EXPECT_GT(compared, 20u);
  // The seeds differ (noise), so equal columns are not an accident of identical seeds.
  EXPECT_GT(seeds_differ, 5u);
  auto two = run_compare(twins(2));
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(format_compare_json(*one), format_compare_json(*two));
  EXPECT_EQ(format_compare_text(*one), format_compare_text(*two));
  EXPECT_NE(format_compare_text(*one).find("  simple-fifo = --sched=" + kSched + "/simple.bpf.o --kernel=6.18 "
                                           "--cost-profile=default --set=fifo_sched=1\n"),
            std::string::npos)
      << format_compare_text(*one);
}

// kfuncs_sched with fail_after=10 calls scx_bpf_error at its tenth enqueue, in every seed: the
// table says so (warning lines, the ejection row at 100 % against eevdf's 0 %) and leaves the
// ejected runs' values out instead of mixing in the time its tasks ran under the fair class.
TEST(CompareBpf, EjectedRunsAreNamedAndLeftOut) {
  CompareOptions o;
  o.base.topology = "2";
  o.base.workload = "hogs:count=4";
  o.base.duration = 100 * kNsPerMs;
  o.scheds = {"eevdf", kSubjects + "/kfuncs_sched.bpf.o"};
  o.base.bpf_globals = {"fail_after=10"};  // common --set: goes to the BPF object only
  o.seeds = {1, 2};
  auto r = run_compare(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->rows[0].def.key, kEjectedKey);
  EXPECT_EQ(r->rows[0].cells[0].mean, 0.0);
  EXPECT_EQ(r->rows[0].cells[1].mean, 100.0);
  for (size_t i = 1; i < r->rows.size(); ++i) {
    EXPECT_EQ(r->rows[i].cells[1].n, 0) << r->rows[i].def.key;
  }
  const std::string text = format_compare_text(*r);
  for (int seed : {1, 2})
    EXPECT_NE(text.find(fmt::format("warning: kfuncs_sched seed {}: the scheduler was ejected at ", seed)),
              std::string::npos)
        << text;
  EXPECT_NE(text.find("scx_bpf_error (forced failure 10); that run's values are left out"), std::string::npos);
  const nlohmann::json j = nlohmann::json::parse(format_compare_json(*r));
  ASSERT_EQ(j["ejected"].size(), 2u);
  EXPECT_EQ(j["ejected"][1]["variant"], "kfuncs_sched");
  EXPECT_EQ(j["ejected"][1]["seed"], 2);
}

}  // namespace
}  // namespace scx
