// A bounds-checked reader for 64-bit little-endian ELF relocatable files (BPF objects). Every
// offset and size is validated against the file; malformed input gives a Status, never a crash.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"

namespace scx::bpf {

// [off, off + size) lies within [0, limit), without overflow for any 64-bit inputs. Every
// offset/size the loader takes from the file goes through this test.
inline bool range_within(uint64_t off, uint64_t size, uint64_t limit) {
  return off <= limit && size <= limit - off;
}

struct ElfSection {
  uint32_t index = 0;
  std::string name;
  uint32_t type = 0;
  uint64_t flags = 0;
  uint64_t size = 0;  // NOBITS sections have size but no data
  uint32_t link = 0, info = 0;
  uint64_t entsize = 0;
  uint64_t addralign = 0;
  std::span<const uint8_t> data;
};

struct ElfSymbol {
  uint32_t index = 0;
  std::string name;
  uint64_t value = 0, size = 0;
  uint8_t type = 0, bind = 0, visibility = 0;
  uint16_t shndx = 0;
  // In a real section (not UNDEF/ABS/COMMON or another reserved index).
  bool in_section() const { return shndx != 0 && shndx < 0xff00; }
};

struct ElfRel {
  uint64_t offset = 0;
  uint32_t type = 0;
  uint32_t sym = 0;
};

class ElfFile {
 public:
  // `bytes` must outlive the ElfFile (sections point into it).
  static Result<ElfFile> parse(std::span<const uint8_t> bytes);

  const std::vector<ElfSection>& sections() const { return sections_; }
  const std::vector<ElfSymbol>& symbols() const { return symbols_; }
  const ElfSection* find(std::string_view name) const;
  const ElfSection* section(uint32_t index) const {
    return index < sections_.size() ? &sections_[index] : nullptr;
  }
  // The section holding `sym` whose bytes contain [sym.value, sym.value + sym.size), or
  // nullptr (reserved index, NOBITS/NULL section, or a range past the section's data).
  const ElfSection* symbol_data(const ElfSymbol& sym) const {
    const ElfSection* s = sym.in_section() ? section(sym.shndx) : nullptr;
    return s && range_within(sym.value, sym.size, s->data.size()) ? s : nullptr;
  }
  // Relocations (SHT_REL) applying to section `index`, in file order.
  Result<std::vector<ElfRel>> relocations_for(uint32_t index) const;

 private:
  std::vector<ElfSection> sections_;
  std::vector<ElfSymbol> symbols_;
};

}  // namespace scx::bpf
