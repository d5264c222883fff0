// Load weights of the fair class (kernel/sched/core.c sched_prio_to_weight[] /
// sched_prio_to_wmult[]) and the virtual-time conversion calc_delta_fair().
//
// Weights are kept *unscaled* throughout scxsim (1024 for nice 0): the kernel stores
// load.weight << 10 on 64-bit but does all EEVDF averaging and PELT on the scaled-down value,
// and every ratio we compute is invariant under that common factor.
#pragma once

#include <array>
#include <cstdint>

#include "base/int128.h"

namespace scx::fair {

inline constexpr uint32_t kNice0Load = 1024;  // NICE_0_LOAD (scaled down)
inline constexpr int kMinNice = -20;
inline constexpr int kMaxNice = 19;

// Index 0 = nice -20 ... index 39 = nice +19. Adjacent levels differ by ~1.25x.
inline constexpr std::array<uint32_t, 40> kPrioToWeight = {
    88761, 71755, 56483, 46273, 36291,  // -20
    29154, 23254, 18705, 14949, 11916,  // -15
    9548,  7620,  6100,  4904,  3906,   // -10
    3121,  2501,  1991,  1586,  1277,   // -5
    1024,  820,   655,   526,   423,    //  0
    335,   272,   215,   172,   137,    //  5
    110,   87,    70,    56,    45,     // 10
    36,    29,    23,    18,    15,     // 15
};

// 2^32 / weight, precomputed by the kernel. Only needed to reproduce the kernel's
// fixed-point __calc_delta(); scxsim's calc_delta_fair() divides exactly instead.
inline constexpr std::array<uint32_t, 40> kPrioToWmult = {
    48388,     59856,     76040,     92818,     118348,     // -20
    147320,    184698,    229616,    287308,    360437,     // -15
    449829,    563644,    704093,    875809,    1099582,    // -10
    1376151,   1717300,   2157191,   2708050,   3363326,    // -5
    4194304,   5237765,   6557202,   8165337,   10153587,   //  0
    12820798,  15790321,  19976592,  24970740,  31350126,   //  5
    39045157,  49367440,  61356676,  76695844,  95443717,   // 10
    119304647, 148102320, 186737708, 238609294, 286331153,  // 15
};

// SCHED_IDLE tasks (WEIGHT_IDLEPRIO / WMULT_IDLEPRIO).
inline constexpr uint32_t kWeightIdlePrio = 3;
inline constexpr uint32_t kWmultIdlePrio = 1431655765;

// Out-of-range nice values are clamped, as sched_setattr() would reject them anyway.
constexpr int clamp_nice(int nice) {
  return nice < kMinNice ? kMinNice : nice > kMaxNice ? kMaxNice : nice;
}
constexpr uint32_t nice_to_weight(int nice) {
  return kPrioToWeight[clamp_nice(nice) - kMinNice];
}
constexpr uint32_t nice_to_wmult(int nice) {
  return kPrioToWmult[clamp_nice(nice) - kMinNice];
}

// calc_delta_fair(): wall time -> virtual time for an entity of weight w, delta * 1024 / w.
//
// Spec note (eevdf.md §1.2): the kernel computes this with __calc_delta() in 64x32 fixed
// point (fact = 1024 * wmult, renormalised to 32 bits, (delta * fact) >> shift), which can
// differ from the exact quotient by a few ns per call. scxsim uses the exact, truncating
// 128-bit division; like the kernel it returns delta unchanged for w == NICE_0_LOAD.
inline uint64_t calc_delta_fair(uint64_t delta, uint32_t weight) {
  if (weight == kNice0Load) return delta;
  return static_cast<uint64_t>(static_cast<uint128>(delta) * kNice0Load / weight);
}

// sched_ext weight (sched_ext.md §1.11): the kernel weight rescaled to the cgroup range,
// clamp(round(w * 100 / 1024), 1, 10000). nice 0 -> 100, nice -20 -> 8668, nice 19 -> 1.
constexpr uint32_t scx_weight_from_weight(uint32_t weight) {
  uint64_t w = (static_cast<uint64_t>(weight) * 100 + kNice0Load / 2) / kNice0Load;
  return w < 1 ? 1 : w > 10000 ? 10000 : static_cast<uint32_t>(w);
}
constexpr uint32_t scx_weight_from_nice(int nice) {
  return scx_weight_from_weight(nice_to_weight(nice));
}
// SCHED_IDLE tasks: base weight 3 -> 1.
inline constexpr uint32_t kScxWeightIdlePrio = scx_weight_from_weight(kWeightIdlePrio);

}  // namespace scx::fair
