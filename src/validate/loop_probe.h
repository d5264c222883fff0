// How long one rt-app busy loop takes on this machine, measured beside each real run.
//
// rt-app sizes a `run` event in loops: value * 1000 / calibration of them, `calibration` being
// the ns per loop the workload's author measured on their machine. On another machine (or the
// same one on another day: a VM's loops vary with its host's load) a run lasts longer or
// shorter, and a periodic task that runs 9 % longer than nominal is preempted more often. So
// before each real run the host side runs a probe — one rt-app thread per CPU, each pinned,
// `run` for kProbeRun at the workload's calibration, all CPUs busy as in the workload — and
// takes the loop time from the probe's CPU time; the simulation then runs with
// `--cost rtapp_loop=` that time (docs/validate.md).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "sim/time.h"

namespace scx {

inline constexpr Ns kProbeRun = 300 * kNsPerMs;  // per thread

// The workload file's numeric global.calibration (ns per loop); nullopt for "CPUn" or none.
std::optional<int64_t> numeric_calibration(const nlohmann::json& workload);

// The probe's rt-app file: `cpus` threads, thread i pinned to CPU i, each one `run` of kProbeRun.
std::string loop_probe_json(int64_t calibration, int cpus);

// ns per loop from the probe's CPU time (all threads): calibration × cpu_time / (cpus × kProbeRun).
double loop_ns_from_probe(int64_t calibration, int cpus, Ns cpu_time);

}  // namespace scx
