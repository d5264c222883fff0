// The rt-app loop time: measured beside each real run (validate/loop_probe.h), saved with the
// reference, and run by the simulation as --cost rtapp_loop (CostModel::rtapp_loop_ns), which
// stretches rt-app `run` events by loop time / the file's calibration.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "kernel/cost_model.h"
#include "validate/host_facts.h"
#include "validate/loop_probe.h"
#include "workload/rtapp.h"

namespace scx {
namespace {

TEST(LoopProbe, NumericCalibrationOnly) {
  EXPECT_EQ(numeric_calibration(nlohmann::json::parse(R"({"global": {"calibration": 17}})")), 17);
  EXPECT_EQ(numeric_calibration(nlohmann::json::parse(R"({"global": {"calibration": "CPU0"}})")), std::nullopt);
  EXPECT_EQ(numeric_calibration(nlohmann::json::parse(R"({"global": {"calibration": 0}})")), std::nullopt);
  EXPECT_EQ(numeric_calibration(nlohmann::json::parse(R"({"tasks": {}})")), std::nullopt);
}

// The probe file is an rt-app file scxsim reads too: one thread per CPU, pinned, one run of
// 300 ms at the calibration given.
TEST(LoopProbe, ProbeFileIsOnePinnedRunPerCpu) {
  const std::string text = loop_probe_json(17, 2);
  auto w = parse_rtapp_json(text, "probe.json");
  ASSERT_TRUE(w.ok()) << w.status().message();
  ASSERT_EQ(w->tasks.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(w->tasks[i].affinity.weight(), 1);
    EXPECT_TRUE(w->tasks[i].affinity.test(static_cast<int>(i)));
    const auto& ops = w->programs[w->tasks[i].program].ops;
    ASSERT_FALSE(ops.empty());
    EXPECT_EQ(ops[0].kind, OpKind::Run);
    EXPECT_EQ(ops[0].a, 300 * kNsPerMs);
  }
}

// 2 threads x 300 ms nominal at 17 ns per loop took 652 ms of CPU: 17 x 652 / 600 = 18.473 ns.
TEST(LoopProbe, LoopTimeFromTheProbesCpuTime) {
  EXPECT_DOUBLE_EQ(loop_ns_from_probe(17, 2, 652 * kNsPerMs), 17.0 * 652 / 600);
  EXPECT_DOUBLE_EQ(loop_ns_from_probe(17, 2, 600 * kNsPerMs), 17.0);
  EXPECT_EQ(loop_ns_from_probe(17, 0, 600 * kNsPerMs), 0);
}

TEST(LoopProbe, HostFactsKeepTheLoopTime) {
  HostFacts h{"6.18.0-test", 2, 250, "2026-01-02T03:04:05Z", 18.47};
  const HostFacts back = host_facts_from_json(host_facts_json(h));
  ASSERT_TRUE(back.rtapp_loop_ns);
  EXPECT_DOUBLE_EQ(*back.rtapp_loop_ns, 18.47);
  EXPECT_EQ(host_facts_text(back), "Linux 6.18.0-test, 2 CPUs, HZ 250, rt-app loop 18.47 ns");
  h.rtapp_loop_ns.reset();
  EXPECT_FALSE(host_facts_json(h).contains("rtapp_loop_ns"));  // older references read as before
  EXPECT_FALSE(host_facts_from_json(host_facts_json(h)).rtapp_loop_ns);
}

TEST(RtAppLoopCost, ParsesAndListsOnlyWhenSet) {
  CostModel c;
  const size_t nominal = c.describe().size();
  ASSERT_TRUE(c.set("rtapp_loop=18.7ns").ok());
  EXPECT_DOUBLE_EQ(c.rtapp_loop_ns, 18.7);
  ASSERT_EQ(c.describe().size(), nominal + 1);
  EXPECT_EQ(c.describe().back().name, "rtapp_loop");
  EXPECT_EQ(c.describe().back().value, "18.7ns");
  ASSERT_TRUE(c.set("rtapp_loop=0ns").ok());
  EXPECT_EQ(c.describe().size(), nominal);
  EXPECT_EQ(c.set("rtapp_loop=fastns").message(),
            "--cost rtapp_loop: expected a time per loop in ns (e.g. 18.5ns; 0ns = as the workload's calibration), "
            "got 'fastns'");
  // A bare number is refused like every other duration's.
  EXPECT_EQ(c.set("rtapp_loop=18.7").message(),
            "--cost rtapp_loop: '18.7' needs the unit ns (e.g. 18.5ns; 0ns = as the workload's calibration)");
}

// run 1000 us at calibration 17 on a machine whose loop takes 18.7 ns: 1000 x 18.7 / 17 = 1100 us;
// `runtime` is wall-clock and unchanged; "CPU0" calibration is measured on the machine itself.
TEST(RtAppLoopCost, StretchesRunEventsByLoopTimeOverCalibration) {
  RtAppOptions o;
  o.loop_ns = 18.7;
  auto w = parse_rtapp_json(R"({"global": {"calibration": 17}, "tasks": {"t": {"loop": 1, "run": 1000, "runtime": 10}}})", "t.json", o);
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_EQ(w->programs[0].ops[0].a, 1100 * kNsPerUs);
  EXPECT_EQ(w->programs[0].ops[1].a, 10 * kNsPerUs);
  auto self = parse_rtapp_json(R"({"global": {"calibration": "CPU0"}, "tasks": {"t": {"loop": 1, "run": 1000}}})", "t.json", o);
  ASSERT_TRUE(self.ok()) << self.status().message();
  EXPECT_EQ(self->programs[0].ops[0].a, 1000 * kNsPerUs);
}

}  // namespace
}  // namespace scx
