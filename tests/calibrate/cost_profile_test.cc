// Cost profiles: parsing, the one-line errors for bad input, the bundled default profile, and
// --cost-profile's place in the cost model (defaults < profile < --cost).
#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "calibrate/cost_profile.h"
#include "cli/runner.h"

namespace scx {
namespace {

constexpr const char* kGood = R"({
  "format": "scxsim-cost-profile-1",
  "machine": {"cpu": "Test CPU", "cpus": "2", "kernel": "6.18", "virtualized": "no", "date": "2026-01-01"},
  "costs": {"context_switch": "1.5us", "wakeup_ipi": "700ns", "pipe_write": "250ns", "hz": "1000"},
  "measurements": {"note": "free-form", "syscall": {"median_ns": 88.5}}
})";

std::string error_of(const std::string& text) {
  auto r = parse_cost_profile(text, "p.json");
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "ok";
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
  return r.status().message();
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = std::string(SCXSIM_BINARY_DIR) + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(CostProfile, ParsesAndApplies) {
  auto p = parse_cost_profile(kGood, "p.json");
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_EQ(p->machine.size(), 5u);
  EXPECT_EQ(p->machine[0], (std::pair<std::string, std::string>{"cpu", "Test CPU"}));
  CostModel c;
  ASSERT_TRUE(apply_cost_profile(*p, c, "p.json").ok());
  EXPECT_EQ(c.context_switch_ns, 1500u);
  EXPECT_EQ(c.wakeup_ipi_ns, 700u);
  EXPECT_EQ(c.pipe_write_ns, 250u);
  EXPECT_EQ(c.hz, 1000);
  EXPECT_EQ(c.idle_exit_ns, CostModel{}.idle_exit_ns);  // not in the profile: the default
}

TEST(CostProfile, FormatRoundTrips) {
  CostProfile p;
  p.machine = {{"cpu", "X"}, {"date", "2026-01-01"}};
  p.costs = {{"context_switch", "1.25us"}, {"socket_read", "470ns"}};
  p.measurements = {{"syscall", 88.54, 88.2, 89.0}};
  p.measurements_note = "how";
  const std::string text = format_cost_profile(p);
  auto back = parse_cost_profile(text, "x");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->machine, p.machine);
  EXPECT_EQ(back->costs, p.costs);
  EXPECT_NE(text.find("\"median_ns\": 88.5"), std::string::npos) << text;
}

TEST(CostProfile, BadInputIsOneLineNamingFileAndPlace) {
  EXPECT_EQ(error_of("{\n  \"format\": \"scxsim-cost-profile-1\",\n  \"costs\": {,}\n}"),
            "p.json: line 3, column 13: syntax error while parsing object key - unexpected ','; expected string literal");
  EXPECT_EQ(error_of("[]"), "p.json: expected a JSON object");
  EXPECT_EQ(error_of(R"({"costs": {}})"), "p.json: format: missing (\"scxsim-cost-profile-1\")");
  EXPECT_EQ(error_of(R"({"format": "v0", "costs": {}})"),
            "p.json: format: expected \"scxsim-cost-profile-1\", got \"v0\"");
  EXPECT_EQ(error_of(R"({"format": "scxsim-cost-profile-1"})"), "p.json: costs: missing");
  EXPECT_EQ(error_of(R"({"format": "scxsim-cost-profile-1", "costs": {}, "colour": 1})"),
            "p.json: colour: unknown key (known: format, machine, costs, measurements)");
  EXPECT_EQ(error_of(R"({"format": "scxsim-cost-profile-1", "costs": []})"), "p.json: costs: expected an object");
  EXPECT_EQ(error_of(R"({"format": "scxsim-cost-profile-1", "machine": "x", "costs": {}})"),
            "p.json: machine: expected an object");
  EXPECT_EQ(error_of(R"({"format": "scxsim-cost-profile-1", "costs": {"context_switch": 1500}})"),
            "p.json: costs.context_switch: expected a string (e.g. \"1.5us\"), got 1500");
  EXPECT_EQ(error_of(R"({"format": "scxsim-cost-profile-1", "costs": {"context_switch": "fast"}})"),
            "p.json: costs.context_switch: duration 'fast' must start with a number (e.g. 500ms, 2s)");
  const std::string unknown = error_of(R"({"format": "scxsim-cost-profile-1", "costs": {"teleport": "1us"}})");
  EXPECT_EQ(unknown.substr(0, 67), "p.json: costs.teleport: unknown cost 'teleport' (known: hz, context") << unknown;
}

TEST(CostProfile, UnreadableFile) {
  auto r = load_cost_profile("/nonexistent/p.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "--cost-profile /nonexistent/p.json: cannot open: No such file or directory");
  const std::string path = write_temp("bad_cost_profile.json", "{\"format\": ");
  auto bad = load_cost_profile(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().substr(0, 16 + path.size()), "--cost-profile " + path + ":");
  EXPECT_NE(bad.status().message().find("line 1, column 12"), std::string::npos) << bad.status().message();
}

TEST(CostProfile, BundledDefaultLoadsByName) {
  auto p = load_cost_profile("default");
  ASSERT_TRUE(p.ok()) << p.status().message();
  CostModel c;
  ASSERT_TRUE(apply_cost_profile(*p, c, "default").ok());
  bool has_machine_cpu = false;
  for (const auto& [k, v] : p->machine) has_machine_cpu |= k == "cpu" && !v.empty();
  EXPECT_TRUE(has_machine_cpu);
  for (const char* name : {"context_switch", "wakeup_ipi", "idle_exit", "pipe_write", "pipe_read",
                           "socket_write", "socket_read"}) {
    bool found = false;
    for (const auto& [k, v] : p->costs) found |= k == name;
    EXPECT_TRUE(found) << name;
  }
}

// Defaults, then the profile, then each --cost: an explicit --cost wins.
TEST(CostProfile, ExplicitCostWinsOverProfile) {
  RunOptions o;
  o.cost_profile = write_temp("cost_profile_precedence.json", kGood);
  o.costs = {"context_switch=9us"};
  CostModel c;
  ASSERT_TRUE(apply_costs(o, c).ok());
  EXPECT_EQ(c.context_switch_ns, 9000u);  // --cost
  EXPECT_EQ(c.wakeup_ipi_ns, 700u);       // the profile
  EXPECT_EQ(c.timer_slack_ns, CostModel{}.timer_slack_ns);

  o.costs = {"teleport=1us"};
  Status st = apply_costs(o, c);
  EXPECT_EQ(st.message().substr(0, 33), "--cost: unknown cost 'teleport' (");
  o.cost_profile = "/nonexistent/p.json";
  EXPECT_EQ(apply_costs(o, c).message().substr(0, 35), "--cost-profile /nonexistent/p.json:");
}

// The cost profile reaches the workload: hackbench's per-message defaults come from it.
TEST(CostProfile, RunUsesProfileForHackbench) {
  RunOptions o;
  o.topology = "2";
  o.workload = "hackbench:groups=1,fds=2,loops=10";
  o.cost_profile = write_temp("cost_profile_run.json", kGood);
  auto a = run_simulation(o);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->report.info.cost.pipe_write_ns, 250u);
  o.costs = {"pipe_write=2us"};
  auto b = run_simulation(o);
  ASSERT_TRUE(b.ok());
  EXPECT_GT(b->report.info.duration, a->report.info.duration);  // 2 us writes take longer
}

}  // namespace
}  // namespace scx
