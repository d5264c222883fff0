// Loading an unmodified sched_ext BPF object (.bpf.o) without a kernel.
//
//   KfuncRegistry kfuncs;  ... kfuncs.add("scx_bpf_dsq_insert", fn) ...
//   LoadOptions opts;  opts.kfuncs = &kfuncs;  opts.map_env->nr_cpus = 8;
//   Result<std::unique_ptr<BpfObject>> obj = load_bpf_object("scx_simple.bpf.o", opts);
//   (*obj)->set_global("fifo_sched", "1");          // .rodata/.data/.bss, before running
//   (*obj)->attach(vm);                             // maps' values become VM regions
//   const BpfProgram* p = (*obj)->struct_ops()->callback("enqueue");
//   vm.run_ctx(*p->program, 0, {task_addr, enq_flags});
//
// What load does (libbpf's bpf_object__open + load, minus the kernel):
//  * ELF: programs are the function symbols of every executable section other than .text;
//    .text (and any other section's) functions called from a program are appended to it, as
//    libbpf does, so each BpfProgram is self-contained. Sleepable: "struct_ops.s/" and any
//    section with ".s/" (fentry.s/, lsm.s/, syscall is sleepable too).
//  * Relocations: ld_imm64 of a map (→ the Map's handle), of global data (→ the address of the
//    byte in the data map's value), of a kconfig/ksym extern (→ its address / value), of a
//    kfunc (→ a non-zero tag, 0 for an unresolved weak one), of a function (callback address);
//    calls to subprograms and kfuncs (→ CALL src=2 with an index in the object's kfunc table).
//  * .BTF / .BTF.ext: func and line info (faults print "file:line: source text"), CO-RE
//    relocations resolved against the simulated kernel's BTF (kernel_btf()) or LoadOptions::
//    target_btf. Unsatisfiable relocations poison the instruction as libbpf does (a program that
//    reaches it faults naming the relocation), unless LoadOptions::strict_core makes them load
//    errors.
//  * Maps: BTF-defined (.maps: type, key/value size or type, max_entries, map_flags, map_extra,
//    inner map for map-in-map with initial `values`; pinning is ignored), global data sections
//    (.data, .rodata, .bss, .data.*, .rodata.*) as single-value array maps (.rodata read-only to
//    programs), .kconfig as a read-only map; before they are created, LoadOptions resizes
//    arrays and sets max_entries as user space does between open and load. Values with kptrs or bpf_list_head / bpf_rb_root
//    (with their __contains) get the special-field handling of helpers/graph.h; a bad
//    __contains is a load error.
//  * .kconfig values (simulated kernel): LINUX_KERNEL_VERSION = KERNEL_VERSION(6,12,0),
//    LINUX_HAS_BPF_COOKIE = 1, LINUX_HAS_SYSCALL_WRAPPER = 1, CONFIG_HZ = 250,
//    CONFIG_NR_CPUS = 8192 (SCXSIM_NR_CPUS), CONFIG_SMP = y, CONFIG_SCHED_CLASS_EXT = y,
//    CONFIG_EXT_GROUP_SCHED = y, CONFIG_BPF = y, CONFIG_PREEMPT = n; overridable with
//    LoadOptions::kconfig. An unknown non-weak kconfig extern is a load error; weak → 0.
//  * .struct_ops / .struct_ops.link: the sched_ext_ops variable: its data fields (name, flags,
//    timeout_ms, dispatch_max_batch, exit_dump_len, hotplug_seq) by member name, and which
//    program implements each callback (from the section's relocations). Its type must be
//    struct sched_ext_ops and its members must exist in the simulated kernel's type with the
//    same kind and size; a sleepable program on a callback that may not sleep is an error.
//
// Errors are one-line Statuses naming the file and the place (section, program, instruction,
// relocation). Nothing here crashes on malformed input.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "bpf/helpers/graph.h"
#include "bpf/loader/btf.h"
#include "bpf/loader/kfuncs.h"
#include "bpf/maps/map.h"
#include "bpf/vm/program.h"
#include "bpf/vm/vm.h"

namespace scx::bpf {

class GraphHeap;

inline constexpr uint64_t kDefaultMaxGlobalData = 1ULL << 30;

struct LoadOptions {
  const KfuncRegistry* kfuncs = nullptr;  // nullptr: global_kfunc_registry()
  // Inspection: an unknown non-weak kfunc is bound to a faulting stub and listed in
  // unsupported() instead of failing the load.
  bool allow_missing_kfuncs = false;
  const KsymTable* ksyms = nullptr;       // typed ksyms (variables)
  std::map<std::string, uint64_t> kconfig;  // overrides / additions to the simulated .kconfig
  const Btf* target_btf = nullptr;        // nullptr: the simulated kernel's BTF
  bool strict_core = false;               // unsatisfiable CO-RE relocation → load error
  std::shared_ptr<MapEnv> map_env;        // nullptr: 1 CPU, CPU 0

  // What user space changes between open and load (libbpf's bpf_map__set_max_entries and
  // bpf_map__set_value_size, scx's RESIZE_ARRAY). Every name must exist in the object.
  std::map<std::string, uint32_t> map_max_entries;  // BTF-defined map → max_entries
  // Array global → number of elements; it must be the last variable of its data section.
  std::map<std::string, uint64_t> array_lengths;
  // scx's convention for arrays not named above: a one-element array alone in its own
  // .data.NAME / .bss.NAME / .rodata.NAME section (RESIZABLE_ARRAY) gets this many elements
  // (0 = leave them), except a user_exit_info dump buffer (`NAME_dump` with a `NAME_dump_len`
  // global), which gets ops.exit_dump_len or SCX_EXIT_DUMP_DFL_LEN bytes (UEI_SET_SIZE).
  uint64_t resizable_array_length = 0;
  // Global data may be large (scx_layered's .bss is 165 MB): values are zero pages the host
  // backs on first touch, and all of an object's global data together may not exceed this.
  uint64_t max_global_data = kDefaultMaxGlobalData;  // --bpf-max-global-data
  // All bpf_obj_new / bpf_percpu_obj_new blocks together (GraphHeap): NULL beyond.
  uint64_t max_heap_bytes = GraphHeap::kDefaultMaxHeapBytes;  // --bpf-max-heap
};

struct LineInfo {
  size_t pc = 0;
  const BtfExtLine* line = nullptr;
};

struct BpfProgram {
  std::string name;
  std::string section;
  bool sleepable = false;
  std::shared_ptr<Program> program;  // relocated, validated, kfunc table bound
  std::string struct_ops_member;     // "enqueue" ... ("" if not a struct_ops callback)
  std::string source_file;           // from line info ("" without)
  size_t own_insns = 0;              // instructions of the entry function itself
  std::vector<LineInfo> lines;       // by pc
  // "file:line: source text" for pc (the nearest line-info record at or before pc).
  std::string describe(size_t pc) const;
};

struct BpfMapInfo {
  std::string name;
  std::string section;         // ".maps", ".data", ".rodata.str1.1", ".kconfig", ...
  std::string key_type, value_type;  // BTF type names when known
  uint32_t key_type_id = 0, value_type_id = 0;  // in the object's BTF, 0 when unknown
  std::shared_ptr<Map> map;
  bool global_data = false;
};

struct GlobalVar {
  std::string name;
  std::string section;
  size_t map_index = 0;  // into maps()
  uint64_t offset = 0, size = 0;
  std::string type;      // BTF type name, "" when unknown
  uint32_t btf_type_id = 0;  // in the object's BTF
  bool settable = false;     // .rodata/.data/.bss (host may write before running)
  bool read_only = false;    // .rodata: programs cannot write
};

enum class ExternKind { kKfunc, kKsym, kKconfig };
struct ExternInfo {
  std::string name;
  std::string essential_name;  // without "___flavor"
  ExternKind kind = ExternKind::kKfunc;
  bool weak = false;
  bool resolved = false;
  uint64_t value = 0;          // kconfig value / ksym address
  int kfunc_index = -1;        // into the object's kfunc table
};

struct StructOpsCallback {
  std::string member;
  size_t program = 0;  // into programs()
};

struct StructOpsInfo {
  std::string var_name;     // the SCX_OPS_DEFINE variable
  std::string section;      // .struct_ops or .struct_ops.link
  std::string type_name;    // "sched_ext_ops"
  std::string name;         // ops.name
  uint64_t flags = 0;
  uint32_t timeout_ms = 0;
  uint32_t dispatch_max_batch = 0;
  uint32_t exit_dump_len = 0;
  uint64_t hotplug_seq = 0;
  std::vector<StructOpsCallback> callbacks;  // in sched_ext_ops member order
  std::vector<std::string> ignored_members;  // zero-valued members the kernel type lacks
};

class BpfObject {
 public:
  ~BpfObject();
  BpfObject(const BpfObject&) = delete;
  BpfObject& operator=(const BpfObject&) = delete;

  const std::string& path() const { return path_; }
  const std::string& license() const { return license_; }
  const std::vector<BpfProgram>& programs() const { return programs_; }
  const BpfProgram* program(std::string_view name) const;
  const std::vector<BpfMapInfo>& maps() const { return maps_; }
  Map* map(std::string_view name) const;
  const std::vector<GlobalVar>& globals() const { return globals_; }
  const GlobalVar* global(std::string_view name) const;
  const std::vector<ExternInfo>& externs() const { return externs_; }
  const std::optional<StructOpsInfo>& struct_ops() const { return struct_ops_; }
  // The program implementing sched_ext_ops.<member>, or nullptr.
  const BpfProgram* callback(std::string_view member) const;
  // What scxsim does not support in this object (empty = fully supported).
  const std::vector<std::string>& unsupported() const { return unsupported_; }
  const Btf& btf() const { return btf_; }
  const std::shared_ptr<HostTable>& kfunc_table() const { return kfunc_table_; }
  // Objects from bpf_obj_new and the lists/rbtrees of this object (nullptr without BTF).
  const std::shared_ptr<GraphHeap>& graph() const { return graph_; }

  // Host access to a global's bytes (nullptr if unknown).
  uint8_t* global_data(std::string_view name);
  // Where a global's path leads: NAME, then `.member` and `[INDEX]` steps in any order
  // (`cfg.grid[1]`, `cpdom_ctxs[3].nr_neighbors`), laid out from the object's BTF.
  struct GlobalSlot {
    const GlobalVar* var = nullptr;
    uint64_t offset = 0, size = 0;  // within the variable
    uint32_t type_id = 0;           // modifiers skipped, 0 when unknown
  };
  Result<GlobalSlot> locate_global(std::string_view path) const;
  // Writes a global from text: integers (decimal, 0x hex, negative), true/false, or a string
  // for char arrays. The value must fit the variable's size. `spec` is a path (locate_global);
  // an array is written whole from a comma-separated list (zero-filled past it), or, with a
  // final `[INDEX]`, from element INDEX on. Arrays of arrays, and arrays of structs whose
  // members are integers of one size (Btf::flat_element), count innermost integers row-major:
  // `llc_to_cpus[130]` of `struct { u64 bits[128]; } llc_to_cpus[16]` is llc_to_cpus[1].bits[2].
  Status set_global(std::string_view spec, std::string_view value);
  Status set_global_bytes(std::string_view name, std::span<const uint8_t> bytes);

  // Registers the maps' values in vm.memory() (global data eagerly, other values as programs
  // obtain them). Detach (or destroy the object) before the Vm goes away.
  void attach(Vm& vm);
  void detach();

 private:
  friend class ObjectLoader;
  BpfObject() = default;

  std::string path_;
  std::string license_;
  std::vector<uint8_t> bytes_;
  Btf btf_;
  std::vector<BtfExtSection> ext_;
  std::vector<BpfProgram> programs_;
  std::vector<BpfMapInfo> maps_;
  std::vector<GlobalVar> globals_;
  std::vector<ExternInfo> externs_;
  std::optional<StructOpsInfo> struct_ops_;
  std::vector<std::string> unsupported_;
  std::shared_ptr<HostTable> kfunc_table_;
  std::shared_ptr<MapEnv> map_env_;
  std::shared_ptr<GraphHeap> graph_;
  Vm* attached_ = nullptr;
};

Result<std::unique_ptr<BpfObject>> load_bpf_object(const std::string& path, const LoadOptions& options = {});
// `name` is used in messages in place of a path.
Result<std::unique_ptr<BpfObject>> load_bpf_object(std::span<const uint8_t> bytes, const std::string& name,
                                                   const LoadOptions& options = {});

// sched_ext_ops.name of an object, read without loading it (to choose its profile).
Result<std::string> peek_struct_ops_name(std::span<const uint8_t> bytes, const std::string& name);

// The simulated kernel's BTF (built from bpf/include/scxsim/*.h at build time, embedded).
const Btf& kernel_btf();
std::span<const uint8_t> kernel_btf_bytes();

// The .kconfig values scxsim provides (see above).
const std::map<std::string, uint64_t>& default_kconfig();

}  // namespace scx::bpf
