// Facts about the machine the real runs ran on, stored with every reference run and printed in
// the validate table's header.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace scx {

struct HostFacts {
  std::string kernel;      // uname release
  int cpus = 0;            // online CPUs
  std::optional<int> hz;   // CONFIG_HZ, when the kernel's config is readable
  std::string date;        // of the run, UTC, "2026-01-31T12:00:00Z"
  // Time of one rt-app busy loop measured beside the runs (loop_probe.h), for workloads whose
  // `run` events rt-app sizes with a numeric calibration; the simulation runs with it.
  std::optional<double> rtapp_loop_ns;
};

// This machine, now.
HostFacts gather_host_facts();
// CONFIG_HZ from a kernel config text; nullopt when absent.
std::optional<int> config_hz(std::string_view config);
// "Linux 6.18.4, 2 CPUs, HZ 250".
std::string host_facts_text(const HostFacts& h);

nlohmann::json host_facts_json(const HostFacts& h);
HostFacts host_facts_from_json(const nlohmann::json& j);

}  // namespace scx
