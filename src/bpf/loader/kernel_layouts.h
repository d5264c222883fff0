// FieldLayouts for the simulated kernel's structs as BPF programs see them, built from the
// simulated kernel's BTF (so they follow kernel_types.h automatically). task_struct: every byte
// readable, only scx.slice, scx.dsq_vtime and scx.disallow writable (what the kernel's
// sched_ext btf_struct_access allows), except the simulator's private back pointer, which is
// not accessible at all. Shared by the loader tests and the sched_ext integration.
#pragma once

#include <memory>
#include <string_view>

#include "bpf/vm/memory.h"

namespace scx::bpf {

// Read-only everywhere except scx.slice, scx.dsq_vtime, scx.disallow.
std::shared_ptr<const FieldLayout> task_struct_layout();
// struct cgroup followed by ancestors[] up to `size` bytes (level + 1 entries): read-only, the
// simulator's back pointer (__scxsim_cgroup) not accessible. One layout per size, cached.
std::shared_ptr<const FieldLayout> cgroup_layout(size_t size);
// Every byte of `struct name` readable (named fields for messages); nullptr if unknown.
std::shared_ptr<const FieldLayout> read_only_layout(std::string_view struct_name);

}  // namespace scx::bpf
