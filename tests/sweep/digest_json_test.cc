// A run's digest survives the trip through a result file bit for bit, so that merged results
// give the tables a single `compare` gives.
#include <cmath>

#include <gtest/gtest.h>

#include "cli/runner.h"
#include "metrics/summary.h"
#include "sweep/digest_json.h"

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
  const nlohmann::ordered_json j = digest_to_json(d);
  auto back = digest_from_json(nlohmann::ordered_json::parse(j.dump()));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(digest_to_json(*back).dump(), j.dump());
  EXPECT_EQ(back->queued[back->queued.size() - 2], 0.1 + 0.2);
  EXPECT_EQ(back->queued.back(), HUGE_VAL);
  EXPECT_EQ(back->dsq_depth.back(), -HUGE_VAL);
  EXPECT_TRUE(std::isnan(back->latency_quantiles[0]));
  EXPECT_EQ(back->metrics.size(), d.metrics.size());
  EXPECT_EQ(back->busy, d.busy);
}

TEST(SweepDigestJson, ABrokenDigestNamesTheKey) {
  nlohmann::ordered_json j = digest_to_json(digest_of_a_short_run());
  j.erase("bucket_ns");
  EXPECT_EQ(digest_from_json(j).status().message(), "digest.bucket_ns: missing");
  j = digest_to_json(digest_of_a_short_run());
  j["queued"] = "many";
  EXPECT_EQ(digest_from_json(j).status().message(), "digest.queued: missing or of the wrong type");
}

}  // namespace
}  // namespace scx::sweep
