// Setup steps of a scheduler's user space that a profile cannot express as expressions, done
// natively and named by a profile's "native_setup" list (docs/profiles.md). Each writes the
// object's globals from the machine's topology after load, with the profile's globals and
// before --set (which wins), where the scheduler's user space writes them before load.
//
//   lavd_cpu_order   scx_lavd's init_cpus() and init_cpdoms() (scheds/rust/scx_lavd/src/
//                    main.rs): the CpuOrder of lavd_cpu_order.h into cpu_capacity[],
//                    cpu_big[], cpu_turbo[], cpu_sibling[], nr_pco_states, pco_bounds[],
//                    pco_nr_primary[], pco_table[][] (.rodata) and cpdom_ctxs[] (.bss).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "bpf/host/lavd_cpu_order.h"
#include "bpf/loader/object.h"
#include "topo/topology.h"

namespace scx::bpf {

// The names a profile may list.
const std::vector<std::string>& native_setup_names();
bool is_native_setup(std::string_view name);

// Runs the named steps in order. An unknown name or a failed step is an error.
Status run_native_setup(const std::vector<std::string>& names, BpfObject& obj, const Topology& topo);

// The lavd_cpu_order step's writer, by the BTF layout of the object's globals: every global or
// struct member the object lacks is skipped (the layout differs between lavd's commits). A
// table larger than the object's arrays is an error, as lavd's user space panics on it.
Status write_lavd_cpu_order(BpfObject& obj, const LavdCpuOrder& order);

}  // namespace scx::bpf
