// BTF access for the loader: a thin wrapper over libbpf's BTF parser (btf__new; no syscalls)
// with bounds-checked helpers, and our own parser of .BTF.ext (func info, line info, CO-RE
// relocation records; Documentation/bpf/btf.rst and llvm_reloc.rst).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

struct btf;
struct btf_type;

namespace scx::bpf {

class Btf {
 public:
  // Parses raw BTF (a .BTF section or a vmlinux-style blob). `where` prefixes errors.
  static Result<Btf> parse(std::span<const uint8_t> data, const std::string& where);

  struct btf* raw() const { return btf_.get(); }
  uint32_t count() const;                    // number of type ids (including void 0)
  const btf_type* type(uint32_t id) const;   // nullptr when out of range
  int kind(uint32_t id) const;               // BTF_KIND_*, -1 when out of range
  std::string_view name(uint32_t id) const;  // "" for anonymous / bad
  std::string_view str(uint32_t off) const;  // "" for a bad offset
  // Follows typedef (when `typedefs`), const, volatile, restrict and type tags; 0 on failure.
  uint32_t skip_mods(uint32_t id, bool typedefs = true) const;
  int64_t size_of(uint32_t id) const;  // negative on failure
  // C-like spelling: "struct task_struct", "u64", "char[16]", "struct rq *".
  std::string type_name(uint32_t id) const;
  // First type of `kind` named `name`, or 0.
  uint32_t find(std::string_view name, int kind) const;
  // The value of `enumerator` in enum `enum_type` ("" = any enum), as user space reads it.
  std::optional<uint64_t> enum_value(std::string_view enum_type, std::string_view enumerator) const;
  // Byte offset and size of a (possibly nested, dot-separated) member path of a struct;
  // anonymous members are searched through. Bitfields are not returned.
  struct Field {
    uint32_t offset = 0, size = 0, type_id = 0;
  };
  std::optional<Field> field(uint32_t struct_id, std::string_view path) const;
  // The innermost element type of a (multi-dimensional) array, modifiers skipped; the type
  // itself (modifiers skipped) when it is not an array.
  uint32_t array_element(uint32_t type_id) const;
  // The integer type a value of `type_id` is a flat list of, for writing it element by
  // element: array_element() when that is an integer (or enum, or pointer); for an array of
  // structs, the members' integer type when every member is an integer or an array of
  // integers of one size and together they fill the struct without a gap or bitfield
  // (`struct llc_cpumask { u64 bits[128]; }[16]` is 2048 u64s, row = struct). 0 otherwise.
  uint32_t flat_element(uint32_t type_id) const;
  // A path of .MEMBER and [INDEX] steps below an object of type `type_id` and `size` bytes
  // ("a.b[3][1].c", "[2].name"; the first member needs no dot): where the member it names
  // lies. A member the type lacks is nullopt, or with `missing_is_error` the error "'a.b' has
  // no member 'c'"; an index past an array, a step into a non-array or a malformed path is an
  // error (`where` prefixes the messages, `object` names in them what the path starts from).
  Result<std::optional<Field>> locate_path(uint32_t type_id, uint64_t size, std::string_view path,
                                           const std::string& where, bool missing_is_error,
                                           std::string_view object = "") const;

 private:
  struct Deleter {
    void operator()(struct btf* b) const;
  };
  std::shared_ptr<struct btf> btf_;
};

// One record of .BTF.ext, in section coordinates (insn index within its ELF section).
struct BtfExtFunc {
  uint32_t insn = 0;
  uint32_t type_id = 0;
};
struct BtfExtLine {
  uint32_t insn = 0;
  std::string file;
  std::string line_text;
  uint32_t line = 0, col = 0;
};
struct BtfExtCoreRelo {
  uint32_t insn = 0;
  uint32_t type_id = 0;
  std::string access;
  uint32_t kind = 0;
  uint32_t index = 0;  // position in .BTF.ext (for messages)
};
struct BtfExtSection {
  std::string name;
  std::vector<BtfExtFunc> funcs;
  std::vector<BtfExtLine> lines;
  std::vector<BtfExtCoreRelo> relos;
};

Result<std::vector<BtfExtSection>> parse_btf_ext(std::span<const uint8_t> data, const Btf& btf);

}  // namespace scx::bpf
