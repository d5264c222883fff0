// Scheduler profiles: the facts of what a scheduler's user space does to its BPF object before
// attaching it (docs/profiles.md). A Profile is parsed from JSON, then resolved against the
// machine (topology variables), the simulated kernel's enums and the user's --sched-opt values
// into a ResolvedProfile: plain names and numbers the loader and BpfScxOps apply.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "topo/topology.h"

namespace scx::bpf {

class Btf;

// Expressions are kept as text and evaluated when resolved (they depend on the machine).
struct ProfileArray {
  std::string length, value;  // value is an expression in `i`
};

// A map key or value user space writes: an expression (the map's key or value size, little-
// endian, up to 8 bytes), or struct members by path (laid out from the map's BTF key or value
// type, every other byte 0), each an expression or, for an array member, {length, value in j}.
struct ProfileBytes {
  std::string scalar;
  bool is_struct = false;
  std::vector<std::pair<std::string, ProfileArray>> members;  // path → (length "" = one value)
};

// A map user space creates for each entry of a map of maps (bpf_map_create, then its fd stored
// under the entry's key): fields as expressions in `i`, "" = the object's inner map template
// (its __array(values, ...) definition); the type by name ("queue", "hash", ...).
struct ProfileInnerMap {
  std::string type, key_size, value_size, max_entries, map_flags;
};

// Entries user space writes into a map after load: `count` of them, key and value in `i`; a
// map of maps gets a new inner map per entry instead of a value.
struct ProfileMapFill {
  std::string count;
  ProfileBytes key, value;
  std::optional<ProfileInnerMap> inner_map;
};

struct ProfileSettings {  // what a profile and each of its options may set
  std::map<std::string, std::string> resize, map_size, globals, ops;
  std::map<std::string, std::string> usersched_args;  // the user-space scheduler's parameters
  std::map<std::string, ProfileArray> arrays;
  std::map<std::string, ProfileMapFill> maps;
  // scx_layered's layer specs (layered/runtime.h): "example" (--run-example's) or a spec file;
  // in an option, "value" stands for the option's text (--sched-opt spec=FILE).
  std::string layered_spec;
  // scx_mitosis's --cell-parent-cgroup (mitosis/runtime.h): its child cgroups become cells; in an
  // option, "value" stands for the option's text (--sched-opt cell-parent-cgroup=/PATH).
  std::string cell_parent_cgroup;
};

struct ProfileSyscall {
  std::string program;
  std::string for_each = "once";
  std::vector<std::pair<std::string, std::string>> ctx;  // (C type, expression)
  bool after_attach = false;  // "when": "after_attach": once the scheduler is enabled
};

struct ProfileOption {
  std::string help;
  ProfileSettings settings;
};

struct Profile {
  std::string origin;  // file path or "bundled:NAME.json", for messages
  std::string ops_name, scheduler, source, notes;
  std::string loader_cpu;  // expression: the CPU user space attaches from ("" = any)
  std::string usersched;  // the user-space scheduler its process runs ("" = none named)
  // "arena_lib": {"task_ctx_size": EXPR}: user space runs scx_arena's ArenaLib::setup()
  // (arena_lib.h) after load, before the syscall list ("" = it does not).
  std::string arena_lib_task_ctx_size;
  // "native_setup": [NAME, ...]: user-space setup done natively (native_setup.h), e.g.
  // "lavd_cpu_order".
  std::vector<std::string> native_setup;
  ProfileSettings settings;
  std::vector<ProfileSyscall> syscalls;
  std::map<std::string, ProfileOption> options;
};

Result<Profile> parse_profile(std::string_view json_text, const std::string& origin);
Result<Profile> load_profile_file(const std::string& path);
// The bundled profiles (profiles/**/*.json, embedded at build time; `file` is the path under
// profiles/, e.g. "scx_qmap.json", "0f379644a/scx_cake.json", "alt/scx_rlfifo.json").
struct BundledProfile {
  std::string file;
  Profile profile;
};
// Those for an ops name that may be chosen automatically (all but alt/), top level first.
std::vector<BundledProfile> bundled_profiles_for(std::string_view ops_name);
// A bundled profile by file name, with or without ".json" and the "scx_" prefix ("qmap",
// "scx_rlfifo", "0f379644a/scx_cake"), or nullopt.
std::optional<Profile> bundled_profile_named(std::string_view name);
// Every bundled profile's file, sorted.
std::vector<std::string> bundled_profile_files();

// One SEC("syscall") program run: its context bytes (empty = NULL ctx).
struct SyscallRun {
  std::string program;
  std::vector<uint8_t> ctx;
  std::string what;  // "enable_primary_cpu(cpu=3)" for messages
  bool after_attach = false;
};

// A resolved map key or value: a number, or struct members (path → its value, or an array
// member's elements from 0).
struct ResolvedBytes {
  int64_t scalar = 0;
  bool is_struct = false;
  std::vector<std::pair<std::string, std::vector<int64_t>>> members;
};
// An inner map to create: the fields given (nullopt = the template's).
struct ResolvedInnerMap {
  std::optional<uint32_t> type, key_size, value_size, max_entries, map_flags;
};
struct ResolvedMapEntry {
  ResolvedBytes key, value;
  std::optional<ResolvedInnerMap> inner_map;  // set: a new map is the value
};

struct ResolvedProfile {
  std::map<std::string, uint64_t> resize;
  std::map<std::string, uint32_t> map_size;
  std::vector<std::pair<std::string, std::string>> globals;  // as --set NAME=VALUE
  std::map<std::string, uint64_t> ops;                       // sched_ext_ops data fields
  std::map<std::string, std::vector<ResolvedMapEntry>> map_entries;
  std::vector<SyscallRun> syscalls;
  std::optional<uint64_t> arena_lib_task_ctx_size;  // ArenaLib::setup() with this task size
  std::vector<std::string> native_setup;            // Profile::native_setup
  std::optional<int64_t> loader_cpu;
  std::string usersched;                           // Profile::usersched
  std::map<std::string, int64_t> usersched_args;  // its parameters
  std::string layered_spec;  // ProfileSettings::layered_spec resolved ("" = none)
  std::string cell_parent_cgroup;  // ProfileSettings::cell_parent_cgroup resolved ("" = none)
};

// Evaluates every expression of `p` (plus the chosen options, NAME or NAME=VALUE) for `topo`;
// enum names come from `kernel` (absent → 0).
// `object` (the BPF object's BTF, may be null) answers sizeof(struct NAME).
Result<ResolvedProfile> resolve_profile(const Profile& p, const std::vector<std::string>& options,
                                        const Topology& topo, const Btf& kernel, const Btf* object = nullptr);

// The expression evaluator (exposed for tests): C-like integer expressions with comparisons,
// && || ! and ?:, variables,
// the topology functions of docs/profiles.md, sizeof(struct NAME), and upper-case enum names.
struct ExprEnv {
  const Topology* topo = nullptr;
  const Btf* kernel = nullptr;
  const Btf* object = nullptr;  // the BPF object's BTF, for sizeof(struct NAME)
  std::map<std::string, int64_t> vars;
};
Result<int64_t> eval_profile_expr(std::string_view expr, const ExprEnv& env);

}  // namespace scx::bpf
