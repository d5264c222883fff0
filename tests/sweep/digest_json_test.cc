// A run's digest survives the trip through a result file bit for bit, so that merged results
// give the tables a single `compare` gives.
#include <cmath>

#include <gtest/gtest.h>

#include "cli/runner.h"
#include "metrics/summary.h"
#include "sweep/digest_json.h"
#include "sweep/result_file.h"
#include "temp_file.h"

namespace scx::sweep {
namespace {

RunDigest digest_of_a_short_run() {
  RunOptions o;
  o.workload = "pingpong:pairs=2";
  o.duration = 20 * kNsPerMs;
  auto out = run_simulation(o);
  EXPECT_TRUE(out.ok()) << out.status().message();
  return make_digest("eevdf", out->report, summarize(*out->metrics), out->figures);
}

// The shortest form that reads back as the same double is unique: equal text = equal bits.
TEST(SweepDigestJson, RoundTripIsExact) {
  RunDigest d = digest_of_a_short_run();
  ASSERT_FALSE(d.metrics.empty());
  ASSERT_EQ(d.latency_quantiles.size(), 1001u);
  d.queued.push_back(0.1 + 0.2);  // 0.30000000000000004: needs all 17 digits
  d.queued.push_back(HUGE_VAL);
  d.dsq_depth.push_back(-HUGE_VAL);
  d.latency_quantiles[0] = std::nan("");
  const nlohmann::json j = d;
  const auto back = nlohmann::json::parse(j.dump()).get<RunDigest>();
  EXPECT_EQ(nlohmann::json(back).dump(), j.dump());
  EXPECT_EQ(back.queued[back.queued.size() - 2], 0.1 + 0.2);
  EXPECT_EQ(back.queued.back(), HUGE_VAL);
  EXPECT_EQ(back.dsq_depth.back(), -HUGE_VAL);
  EXPECT_TRUE(std::isnan(back.latency_quantiles[0]));
  EXPECT_EQ(back.metrics.size(), d.metrics.size());
  EXPECT_EQ(back.busy, d.busy);
}

// A result file with a key missing or of the wrong type is refused, naming the file and the key.
TEST(SweepDigestJson, ABrokenResultNamesTheKey) {
  CellResult r;
  r.digest = digest_of_a_short_run();
  nlohmann::json j = nlohmann::json::parse(format_result(r));
  j["digest"].erase("bucket_ns");
  std::string path = testing::write_test_file("cell.json", j.dump());
  EXPECT_EQ(read_result(path).status().message(), path + ": not a sweep cell result: key 'bucket_ns' not found");
  j = nlohmann::json::parse(format_result(r));
  j["digest"]["queued"] = "many";
  path = testing::write_test_file("cell.json", j.dump());
  EXPECT_EQ(read_result(path).status().message(), path + ": not a sweep cell result: expected an array of numbers");
  path = testing::write_test_file("cell.json", "{\"id\": 3}");
  EXPECT_EQ(read_result(path).status().message(), path + ": not a sweep cell result: key 'sweep_hash' not found");
}

}  // namespace
}  // namespace scx::sweep
