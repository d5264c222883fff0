// `scxsim inspect FILE.bpf.o`: what a sched_ext object contains and what scxsim makes of it,
// before running anything: the ops (name, flags, timeouts, callbacks and their programs),
// programs, maps, globals (settable ones marked), externs (kfuncs, whether scxsim provides
// them) and the list of unsupported features (empty = fully supported).
#pragma once

#include <string>

#include "base/status.h"
#include "bpf/loader/object.h"

namespace scx::bpf {

// Decodes sched_ext_ops.flags: "ENQ_LAST|SWITCH_PARTIAL" ("0" for none; unknown bits in hex).
std::string decode_ops_flags(uint64_t flags);

std::string inspect_text(const BpfObject& obj);
std::string inspect_json(const BpfObject& obj);

// Loads (kfuncs missing from `kfuncs`, default the global registry, are reported, not fatal;
// typed ksyms resolve against `ksyms`) and renders. The CLI's whole implementation.
Result<std::string> inspect_file(const std::string& path, bool json, const KfuncRegistry* kfuncs = nullptr,
                                 const KsymTable* ksyms = nullptr);

}  // namespace scx::bpf
