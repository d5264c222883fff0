// Golden text and JSON reports of a small run with cgroups, laid out so that nothing in it
// depends on group scheduling in the fair class: each cgroup is confined to a CPU of its own
// (cpuset.cpus) and noise is off, so every CPU only ever has tasks of one cgroup. Regenerate with
// SCXSIM_UPDATE_GOLDEN=1 (then review the diff).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/runner.h"
#include "golden.h"
#include "temp_file.h"

namespace scx {
namespace {

// /a: a hog on CPU 0. /b: a 1 ms run / 1 ms sleep task on CPU 1 whose second phase moves it to
// /b/inner (still CPU 1) and back each loop; /b's weight changes at 100 ms.
constexpr const char* kWorkload = R"({
  "global": {"duration": 1},
  "cgroups": {"/a": {"cpu.weight": 100, "cpuset.cpus": "0"},
              "/b": {"cpu.weight": 300, "cpuset.cpus": "1"}, "/b/inner": {}},
  "tasks": {
    "hog": {"taskgroup": "/a", "run": 10000},
    "blink": {"taskgroup": "/b", "phases": {"out": {"taskgroup": "/b", "run": 1000, "sleep": 1000},
                                            "in": {"taskgroup": "/b/inner", "run": 1000, "sleep": 1000}}}
  },
  "cgroup_events": [{"at": "100ms", "cgroup": "/b", "cpu.weight": 50}]
})";

Result<RunOutput> run_it() {
  RunOptions o;
  o.topology = "2";
  o.workload = testing::write_test_file("cgroups.json", kWorkload);
  o.duration = 200 * kNsPerMs;
  o.noise = {"off"};
  return run_simulation(o);
}

TEST(CgroupRunGolden, TextAndJson) {
  auto r = run_it();
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::string text = format_run_text(r->report);
  // The workload's path is a temp file: keep its name only.
  const std::string path = testing::test_temp_path("cgroups.json");
  for (size_t p; (p = text.find(path)) != std::string::npos;) text.replace(p, path.size(), "cgroups.json");
  testing::check_golden("report/golden/cgroup_run.txt", text);
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(format_run_json(r->report));
  testing::check_golden("report/golden/cgroup_run_cgroups.json", j["summary"]["cgroups"].dump(2) + "\n");
}

TEST(CgroupRunGolden, HandWorkedFigures) {
  auto r = run_it();
  ASSERT_TRUE(r.ok()) << r.status().message();
  const RunSummary s = summarize(*r->metrics);
  ASSERT_EQ(s.cgroups.size(), 3u);
  // The hog is alone on CPU 0 for the whole 200 ms, less the 7.6 us wakeup_local cost before
  // it first runs: 199.9924 ms of 400 ms of capacity. It is runnable from 0, and one task can use
  // one CPU of two, so it is entitled to exactly half the machine.
  EXPECT_EQ(s.cgroups[0].path, "/a");
  EXPECT_EQ(s.cgroups[0].cpu_time, 200 * kNsPerMs - 7600);
  EXPECT_DOUBLE_EQ(s.cgroups[0].cpu_share_pct, 100.0 * 199.9924 / 400);
  EXPECT_DOUBLE_EQ(s.cgroups[0].entitled_pct, 50.0);
  // /b counts /b/inner's time too; blink is its only task.
  EXPECT_EQ(s.cgroups[1].path, "/b");
  EXPECT_EQ(s.cgroups[1].tasks, 1u);
  EXPECT_EQ(s.cgroups[1].weight, 50u);
  EXPECT_EQ(s.cgroups[2].path, "/b/inner");
  EXPECT_LT(s.cgroups[2].cpu_time, s.cgroups[1].cpu_time);
}

// A run without cgroups emits no cgroup event, so its reports have no cgroups section or key
// (and stay byte-identical to before cgroups existed: the other goldens).
TEST(CgroupRunGolden, RunsWithoutCgroupsHaveNoCgroupSection) {
  RunOptions o;
  o.topology = "2";
  o.workload = "demo:hogs=2,interactive=1";
  o.duration = 50 * kNsPerMs;
  auto r = run_simulation(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->metrics->cgroups().present());
  EXPECT_EQ(format_run_text(r->report).find("Cgroups"), std::string::npos);
  EXPECT_FALSE(nlohmann::ordered_json::parse(format_run_json(r->report))["summary"].contains("cgroups"));
}

}  // namespace
}  // namespace scx
