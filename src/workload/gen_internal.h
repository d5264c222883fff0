// Builders of the generators listed in workload_generators() (generators.cc). Each reads its
// options from GeneratorOptions (which checks types and ranges) and returns a Workload; option
// errors are one line naming the generator and the option.
#pragma once

#include "base/status.h"
#include "kernel/program.h"
#include "workload/generators.h"

namespace scx {

Result<Workload> build_hackbench(GeneratorOptions& o);    // hackbench.cc
Result<Workload> build_schbench(GeneratorOptions& o);     // schbench.cc
Result<Workload> build_hogs(GeneratorOptions& o);         // gen_basic.cc
Result<Workload> build_interactive(GeneratorOptions& o);  // gen_basic.cc
Result<Workload> build_build(GeneratorOptions& o);        // gen_basic.cc
Result<Workload> build_pipeline(GeneratorOptions& o);     // gen_basic.cc
Result<Workload> build_pinned(GeneratorOptions& o);       // gen_basic.cc
Result<Workload> build_containers(GeneratorOptions& o);   // gen_containers.cc

// hackbench over unix stream sockets: bytes one message of `datasize` bytes charges against the
// writer's socket send buffer (an approximation of the skb's truesize; see hackbench.cc).
int64_t hackbench_socket_charge(int64_t datasize);
inline constexpr int64_t kUnixSocketSndbuf = 212992;  // net.core.wmem_default
inline constexpr int64_t kPipeCapacity = 65536;        // 16 pages

// Looks up a report parameter of a workload (Workload::report_params); `def` when absent.
int64_t report_param(const Workload& w, const std::string& name, int64_t def = 0);

}  // namespace scx
