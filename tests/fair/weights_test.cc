#include "kernel/fair/weights.h"

#include <gtest/gtest.h>

#include "kernel/fair/eevdf.h"

namespace scx::fair {
namespace {

TEST(Weights, TableEndsAndNiceZero) {
  EXPECT_EQ(nice_to_weight(-20), 88761u);
  EXPECT_EQ(nice_to_weight(0), kNice0Load);
  EXPECT_EQ(nice_to_weight(5), 335u);
  EXPECT_EQ(nice_to_weight(-5), 3121u);
  EXPECT_EQ(nice_to_weight(19), 15u);
  EXPECT_EQ(nice_to_wmult(0), 4194304u);  // 2^32 / 1024
  EXPECT_EQ(nice_to_wmult(19), 286331153u);
  EXPECT_EQ(nice_to_weight(25), 15u);  // clamped
}

TEST(Weights, WmultIsTwoToThe32OverWeight) {
  for (int nice = kMinNice; nice <= kMaxNice; ++nice) {
    uint64_t exact = (uint64_t{1} << 32) / nice_to_weight(nice);
    int64_t diff = static_cast<int64_t>(nice_to_wmult(nice)) - static_cast<int64_t>(exact);
    EXPECT_LE(diff < 0 ? -diff : diff, 1) << "nice " << nice;
  }
  EXPECT_EQ(kWmultIdlePrio, (uint64_t{1} << 32) / kWeightIdlePrio);
}

TEST(Weights, CalcDeltaFair) {
  EXPECT_EQ(calc_delta_fair(3'000'000, 1024), 3'000'000u);  // identity at nice 0
  EXPECT_EQ(calc_delta_fair(3'000'000, 2048), 1'500'000u);
  // 3e6 * 1024 / 335 = 9170149.25... -> truncated.
  EXPECT_EQ(calc_delta_fair(3'000'000, 335), 9'170'149u);
  // 1e6 * 1024 / 3121 = 328099.97... -> 328099 (truncation, not rounding).
  EXPECT_EQ(calc_delta_fair(1'000'000, 3121), 328'099u);
  // No 64-bit overflow for long deltas at tiny weights: 1e12 * 1024 / 3.
  EXPECT_EQ(calc_delta_fair(1'000'000'000'000ULL, kWeightIdlePrio), 341'333'333'333'333ULL);
}

TEST(Weights, ScxWeight) {
  EXPECT_EQ(scx_weight_from_nice(0), 100u);
  EXPECT_EQ(scx_weight_from_nice(-20), 8668u);  // 88761*100/1024 = 8668.06
  EXPECT_EQ(scx_weight_from_nice(19), 1u);      // 1.46 rounds to 1
  EXPECT_EQ(scx_weight_from_nice(5), 33u);      // 32.71 rounds up
  EXPECT_EQ(scx_weight_from_nice(-5), 305u);    // 304.79 rounds up
  EXPECT_EQ(kScxWeightIdlePrio, 1u);            // 0.29 clamps to 1
  EXPECT_EQ(scx_weight_from_weight(200000), 10000u);
}

TEST(Tunables, BaseSliceScaling) {
  EXPECT_EQ(scaled_base_slice(1, SliceScaling::Log), 750'000u);
  EXPECT_EQ(scaled_base_slice(2, SliceScaling::Log), 1'500'000u);
  EXPECT_EQ(scaled_base_slice(3, SliceScaling::Log), 1'500'000u);
  EXPECT_EQ(scaled_base_slice(4, SliceScaling::Log), 2'250'000u);
  EXPECT_EQ(scaled_base_slice(7, SliceScaling::Log), 2'250'000u);
  EXPECT_EQ(scaled_base_slice(8, SliceScaling::Log), 3'000'000u);
  EXPECT_EQ(scaled_base_slice(256, SliceScaling::Log), 3'000'000u);
  EXPECT_EQ(scaled_base_slice(64, SliceScaling::None), 750'000u);
  EXPECT_EQ(scaled_base_slice(6, SliceScaling::Linear), 4'500'000u);
  EXPECT_EQ(scaled_base_slice(64, SliceScaling::Linear), 6'000'000u);
  EXPECT_EQ(tick_nsec_for_hz(250), 4'000'000u);
  EXPECT_EQ(tick_nsec_for_hz(1000), 1'000'000u);
  EXPECT_EQ(tick_nsec_for_hz(300), 3'333'333u);
  EXPECT_EQ(clamp_custom_slice(1), 100'000u);
  EXPECT_EQ(clamp_custom_slice(1'000'000'000), 100'000'000u);
  Tunables t = Tunables::for_machine(4, 1000);
  EXPECT_EQ(t.base_slice_ns, 2'250'000u);
  EXPECT_EQ(t.tick_nsec, 1'000'000u);
}

}  // namespace
}  // namespace scx::fair
