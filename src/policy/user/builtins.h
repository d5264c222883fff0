// The built-in user-space schedulers (bpf/host/userspace.h): native re-implementations of the
// user-space halves of scx_userland ("userland"), scx_rustland ("rustland") and scx_rlfifo
// ("rlfifo"), written from reading their sources; they talk to the unmodified BPF objects only
// through those objects' maps, ring buffers, globals and syscall programs.
#pragma once

#include <vector>

#include "bpf/host/userspace.h"

namespace scx::usersched {

std::vector<bpf::UserSchedInfo> builtin_user_schedulers();
bpf::UserSchedInfo userland_info();
bpf::UserSchedInfo rustland_info();
bpf::UserSchedInfo rlfifo_info();

}  // namespace scx::usersched
