#include "bpf/loader/elf.h"

#include <elf.h>

#include <cstring>

namespace scx::bpf {
namespace {

template <typename T>
bool read_at(std::span<const uint8_t> b, uint64_t off, T* out) {
  if (off > b.size() || sizeof(T) > b.size() - off) return false;
  std::memcpy(out, b.data() + off, sizeof(T));
  return true;
}

bool range_ok(std::span<const uint8_t> b, uint64_t off, uint64_t size) { return range_within(off, size, b.size()); }

std::string str_at(std::span<const uint8_t> strtab, uint64_t off, bool* ok) {
  if (off >= strtab.size()) {
    *ok = false;
    return {};
  }
  const char* s = reinterpret_cast<const char*>(strtab.data() + off);
  size_t n = strnlen(s, strtab.size() - off);
  if (n == strtab.size() - off) {
    *ok = false;
    return {};
  }
  return std::string(s, n);
}

}  // namespace

Result<ElfFile> ElfFile::parse(std::span<const uint8_t> b) {
  Elf64_Ehdr eh;
  if (!read_at(b, 0, &eh)) return Status::Error("ELF header", "file too short for an ELF header");
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) return Status::Error("ELF header", "not an ELF file");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64) return Status::Error("ELF header", "not a 64-bit ELF file");
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return Status::Error("ELF header", "not little-endian (big-endian BPF objects are not supported)");
  if (eh.e_machine != EM_BPF) return Status::Errorf("ELF header", "machine {} is not BPF ({})", eh.e_machine, EM_BPF);
  if (eh.e_type != ET_REL) return Status::Error("ELF header", "not a relocatable object (ET_REL)");
  if (eh.e_shentsize != sizeof(Elf64_Shdr))
    return Status::Errorf("ELF header", "unexpected section header size {}", eh.e_shentsize);
  uint64_t shnum = eh.e_shnum;
  uint32_t shstrndx = eh.e_shstrndx;
  Elf64_Shdr sh0;
  if (shnum == 0 && eh.e_shoff != 0) {  // extended numbering
    if (!read_at(b, eh.e_shoff, &sh0)) return Status::Error("section headers", "out of file bounds");
    shnum = sh0.sh_size;
  }
  if (shstrndx == SHN_XINDEX) {
    if (!read_at(b, eh.e_shoff, &sh0)) return Status::Error("section headers", "out of file bounds");
    shstrndx = sh0.sh_link;
  }
  if (shnum == 0) return Status::Error("section headers", "no sections");
  if (shnum > 65536 || !range_ok(b, eh.e_shoff, shnum * sizeof(Elf64_Shdr)))
    return Status::Errorf("section headers", "{} headers at offset {} exceed the file ({} bytes)", shnum,
                          eh.e_shoff, b.size());
  std::vector<Elf64_Shdr> shdrs(shnum);
  std::memcpy(shdrs.data(), b.data() + eh.e_shoff, shnum * sizeof(Elf64_Shdr));
  if (shstrndx >= shnum) return Status::Error("section headers", "section name table index out of range");
  const Elf64_Shdr& ss = shdrs[shstrndx];
  if (ss.sh_type != SHT_STRTAB || !range_ok(b, ss.sh_offset, ss.sh_size))
    return Status::Error("section headers", "bad section name table");
  std::span<const uint8_t> shstr = b.subspan(ss.sh_offset, ss.sh_size);

  ElfFile f;
  f.sections_.resize(shnum);
  for (uint32_t i = 0; i < shnum; ++i) {
    const Elf64_Shdr& s = shdrs[i];
    ElfSection& sec = f.sections_[i];
    sec.index = i;
    bool ok = true;
    sec.name = i == 0 ? std::string() : str_at(shstr, s.sh_name, &ok);
    if (!ok) return Status::Errorf(fmt::format("section #{}", i), "bad name offset {}", s.sh_name);
    sec.type = s.sh_type;
    sec.flags = s.sh_flags;
    sec.size = s.sh_size;
    sec.link = s.sh_link;
    sec.info = s.sh_info;
    sec.entsize = s.sh_entsize;
    sec.addralign = s.sh_addralign;
    if (s.sh_type != SHT_NOBITS && s.sh_type != SHT_NULL) {
      if (!range_ok(b, s.sh_offset, s.sh_size))
        return Status::Errorf("section " + sec.name, "data [{}, +{}) exceeds the file ({} bytes)", s.sh_offset,
                              s.sh_size, b.size());
      sec.data = b.subspan(s.sh_offset, s.sh_size);
    }
  }

  // Symbol table (one per object).
  const ElfSection* symtab = nullptr;
  for (const ElfSection& s : f.sections_)
    if (s.type == SHT_SYMTAB) {
      if (symtab) return Status::Error("section " + s.name, "more than one symbol table");
      symtab = &s;
    }
  if (!symtab) return Status::Error("symbol table", "missing (.symtab)");
  if (symtab->entsize != sizeof(Elf64_Sym) || symtab->size % sizeof(Elf64_Sym) != 0)
    return Status::Error("section " + symtab->name, "bad symbol entry size");
  const ElfSection* strtab = f.section(symtab->link);
  if (!strtab || strtab->type != SHT_STRTAB)
    return Status::Error("section " + symtab->name, "bad string table link");
  size_t nsym = symtab->size / sizeof(Elf64_Sym);
  f.symbols_.resize(nsym);
  for (size_t i = 0; i < nsym; ++i) {
    Elf64_Sym s;
    std::memcpy(&s, symtab->data.data() + i * sizeof(Elf64_Sym), sizeof s);
    ElfSymbol& sym = f.symbols_[i];
    sym.index = static_cast<uint32_t>(i);
    bool ok = true;
    sym.name = str_at(strtab->data, s.st_name, &ok);
    if (!ok) return Status::Errorf(fmt::format("symbol #{}", i), "bad name offset {}", s.st_name);
    sym.value = s.st_value;
    sym.size = s.st_size;
    sym.type = ELF64_ST_TYPE(s.st_info);
    sym.bind = ELF64_ST_BIND(s.st_info);
    sym.visibility = ELF64_ST_VISIBILITY(s.st_other);
    sym.shndx = s.st_shndx;
    if (sym.shndx != SHN_UNDEF && sym.shndx < SHN_LORESERVE && sym.shndx >= shnum)
      return Status::Errorf("symbol '" + sym.name + "'", "section index {} out of range", sym.shndx);
    // A section symbol is named after its section.
    if (sym.type == STT_SECTION && sym.name.empty() && sym.shndx < shnum) sym.name = f.sections_[sym.shndx].name;
  }
  return f;
}

const ElfSection* ElfFile::find(std::string_view name) const {
  for (const ElfSection& s : sections_)
    if (s.name == name) return &s;
  return nullptr;
}

Result<std::vector<ElfRel>> ElfFile::relocations_for(uint32_t index) const {
  std::vector<ElfRel> out;
  for (const ElfSection& s : sections_) {
    if (s.info != index) continue;
    if (s.type == SHT_RELA)
      return Status::Error("section " + s.name, "RELA relocations are not used by BPF objects");
    if (s.type != SHT_REL) continue;
    if (s.entsize != sizeof(Elf64_Rel) || s.size % sizeof(Elf64_Rel) != 0)
      return Status::Error("section " + s.name, "bad relocation entry size");
    for (size_t i = 0; i < s.size / sizeof(Elf64_Rel); ++i) {
      Elf64_Rel r;
      std::memcpy(&r, s.data.data() + i * sizeof(Elf64_Rel), sizeof r);
      ElfRel e{r.r_offset, static_cast<uint32_t>(ELF64_R_TYPE(r.r_info)),
               static_cast<uint32_t>(ELF64_R_SYM(r.r_info))};
      if (e.sym >= symbols_.size())
        return Status::Errorf(fmt::format("section {} relocation #{}", s.name, i), "symbol index {} out of range",
                              e.sym);
      out.push_back(e);
    }
  }
  return out;
}

}  // namespace scx::bpf
