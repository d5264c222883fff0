// End-to-end: compiles C with clang-19 -target bpf, runs the .text in the VM and compares the
// results with the same C compiled natively into this test. Also checks the disassembler
// against llvm-objdump-19. Skipped when clang-19 is not installed.
#include <elf.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "bpf/vm/disasm.h"
#include "vm_test_util.h"

namespace scx::bpf::test {
namespace {

// The same source is compiled natively (below) and for BPF (from the string).
#define SCX_BOTH(...)                          \
  __VA_ARGS__                                  \
  constexpr const char* kBpfSource = #__VA_ARGS__;

SCX_BOTH(
    static __attribute__((noinline)) unsigned long sq(unsigned long x) { return x * x + 1; }

    unsigned long calls(unsigned long a, unsigned long b) {
      unsigned long s = 0;
      for (unsigned long i = 0; i < a && i < 100; i++) s += sq(i) ^ b;
      return s;
    }

    unsigned long hash_buf(unsigned long seed, unsigned long n) {
      unsigned char buf[64];
      for (unsigned long i = 0; i < 64; i++) buf[i] = (unsigned char)((seed >> (i & 7)) + i);
      unsigned long h = 1469598103934665603UL;
      for (unsigned long i = 0; i < n && i < 64; i++) {
        h ^= buf[i];
        h *= 1099511628211UL;
      }
      return h;
    }

    long sarith(long a, long b) {
      /* The sum wraps (as BPF's 64-bit adds do): unsigned, so the native twin has no UB. */
      unsigned long r = 0;
      if (b != 0 && b != -1) r += a / b + a % b;
      int ia = (int)a, ib = (int)b | 1;
      if (ib != -1) r += ia / ib + ia % ib;
      r += (signed char)a;
      r += (short)b;
      r += (long)(__builtin_bswap64((unsigned long)a) ^ __builtin_bswap32((unsigned int)b) ^
                  __builtin_bswap16((unsigned short)a));
      r += a >> 3;
      r += (long)((unsigned long)a >> 5);
      r += (long)((unsigned int)a * (unsigned int)b);
      if ((int)a < (int)b) r ^= 0x5555;
      if ((unsigned int)a > (unsigned int)b) r += 77;
      return (long)r;
    }

    unsigned long atom(unsigned long* p, unsigned long v) {
      __sync_fetch_and_add(p, v);
      unsigned long o = __sync_fetch_and_or(p, 0x100UL);
      unsigned long c = __sync_val_compare_and_swap(p, o | 0x100UL, 7UL);
      unsigned long x = __atomic_exchange_n(p, c + 1, __ATOMIC_SEQ_CST);
      return o * 3 + c * 5 + x;
    }

    long loads(const signed char* pc, const short* ps, const int* pi, unsigned long* out) {
      out[0] = (unsigned long)(pc[1] + ps[1] + pi[1]);
      out[1] = (unsigned long)(unsigned char)pc[0];
      return pc[0] + ps[0] + pi[0];
    })

#undef SCX_BOTH

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

struct BpfObject {
  std::vector<Insn> text;
  std::map<std::string, size_t> funcs;  // name -> insn index in .text
  bool has_text_relocs = false;
};

// Minimal ELF64 reader: .text and the function symbols pointing into it.
BpfObject read_object(const std::string& bytes) {
  BpfObject obj;
  auto ehdr = reinterpret_cast<const Elf64_Ehdr*>(bytes.data());
  auto shdrs = reinterpret_cast<const Elf64_Shdr*>(bytes.data() + ehdr->e_shoff);
  const char* shstr = bytes.data() + shdrs[ehdr->e_shstrndx].sh_offset;
  size_t text_idx = 0;
  for (size_t i = 0; i < ehdr->e_shnum; ++i) {
    std::string name = shstr + shdrs[i].sh_name;
    if (name == ".text") {
      text_idx = i;
      obj.text.resize(shdrs[i].sh_size / sizeof(Insn));
      std::memcpy(obj.text.data(), bytes.data() + shdrs[i].sh_offset, shdrs[i].sh_size);
    }
    if (name == ".rel.text") obj.has_text_relocs = true;
  }
  for (size_t i = 0; i < ehdr->e_shnum; ++i) {
    if (shdrs[i].sh_type != SHT_SYMTAB) continue;
    auto syms = reinterpret_cast<const Elf64_Sym*>(bytes.data() + shdrs[i].sh_offset);
    const char* strtab = bytes.data() + shdrs[shdrs[i].sh_link].sh_offset;
    for (size_t s = 0; s < shdrs[i].sh_size / sizeof(Elf64_Sym); ++s)
      if (ELF64_ST_TYPE(syms[s].st_info) == STT_FUNC && syms[s].st_shndx == text_idx)
        obj.funcs[strtab + syms[s].st_name] = syms[s].st_value / sizeof(Insn);
  }
  return obj;
}

class ClangBpf : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::system("command -v clang-19 >/dev/null 2>&1") != 0) return;
    // A private directory: ctest may run these tests in parallel processes.
    std::string tmpl = std::string(SCXSIM_BINARY_DIR) + "/tests/bpf/clang_test_XXXXXX";
    if (!mkdtemp(tmpl.data())) return;
    dir_ = tmpl;
    std::ofstream(dir_ + "/prog.c") << kBpfSource << "\n";
    std::string cmd = "clang-19 -O2 -target bpf -mcpu=v4 -c " + dir_ + "/prog.c -o " + dir_ +
                      "/prog.o 2>" + dir_ + "/clang.log";
    compiled_ = std::system(cmd.c_str()) == 0;
  }
  static void TearDownTestSuite() {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  void SetUp() override {
    if (dir_.empty()) GTEST_SKIP() << "clang-19 not installed";
    ASSERT_TRUE(compiled_) << slurp(dir_ + "/clang.log");
    obj_ = read_object(slurp(dir_ + "/prog.o"));
    ASSERT_FALSE(obj_.text.empty());
    ASSERT_FALSE(obj_.has_text_relocs);
    Result<Program> p = Program::create("prog.o", obj_.text);
    ASSERT_TRUE(p.ok()) << p.status().message();
    prog_ = std::make_unique<Program>(std::move(p).value());
  }
  RunResult call(const std::string& fn, std::initializer_list<uint64_t> args) {
    EXPECT_TRUE(obj_.funcs.count(fn)) << fn;
    std::vector<uint64_t> a(args);
    return vm_.run(*prog_, obj_.funcs[fn], a);
  }
  uint64_t call_ok(const std::string& fn, std::initializer_list<uint64_t> args) {
    RunResult r = call(fn, args);
    EXPECT_TRUE(r.ok) << (r.fault ? r.fault->message : "");
    return r.r0;
  }

  static inline std::string dir_;
  static inline bool compiled_ = false;
  BpfObject obj_;
  std::unique_ptr<Program> prog_;
  Vm vm_;
};

TEST_F(ClangBpf, SubprogramCalls) {
  for (uint64_t a : {0, 1, 7, 50}) EXPECT_EQ(call_ok("calls", {a, 0x55}), calls(a, 0x55)) << a;
}

TEST_F(ClangBpf, StackHash) {
  for (uint64_t n : {0, 5, 64, 1000})
    EXPECT_EQ(call_ok("hash_buf", {0xdeadbeefcafeULL, n}), hash_buf(0xdeadbeefcafeULL, n)) << n;
}

TEST_F(ClangBpf, SignedArithmetic) {
  const long vals[] = {0, 1, -1, 7, -7, 13, -13, 1000003, -99999999999L, 0x7fffffffffffL,
                       static_cast<long>(0x8000000000000001ULL)};
  for (long a : vals)
    for (long b : vals)
      EXPECT_EQ(static_cast<long>(call_ok("sarith", {static_cast<uint64_t>(a),
                                                     static_cast<uint64_t>(b)})),
                sarith(a, b))
          << a << " " << b;
}

TEST_F(ClangBpf, AtomicsOnHostMemory) {
  alignas(8) unsigned long cell = 40, native = 40;
  ASSERT_TRUE(vm_.memory().add(&cell, sizeof(cell), kPermReadWrite, "cell").ok());
  EXPECT_EQ(call_ok("atom", {reinterpret_cast<uint64_t>(&cell), 2}), atom(&native, 2));
  EXPECT_EQ(cell, native);
  // Read-only: the first atomic faults, naming the source-level instruction.
  vm_.memory().remove(&cell);
  ASSERT_TRUE(vm_.memory().add(&cell, sizeof(cell), kPermRead, "cell").ok());
  RunResult r = call("atom", {reinterpret_cast<uint64_t>(&cell), 2});
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.fault->message.find("lock *(u64 *)(r1 + 0x0) += r2"), std::string::npos)
      << r.fault->message;
}

TEST_F(ClangBpf, SignExtendingLoads) {
  signed char c[2] = {-3, -100};
  short s[2] = {-300, 12345};
  int i[2] = {-70000, 5};
  alignas(8) unsigned long out[2] = {}, nout[2] = {};
  ASSERT_TRUE(vm_.memory().add(c, sizeof(c), kPermRead, "c").ok());
  ASSERT_TRUE(vm_.memory().add(s, sizeof(s), kPermRead, "s").ok());
  ASSERT_TRUE(vm_.memory().add(i, sizeof(i), kPermRead, "i").ok());
  ASSERT_TRUE(vm_.memory().add(out, sizeof(out), kPermReadWrite, "out").ok());
  auto u = [](const void* p) { return reinterpret_cast<uint64_t>(p); };
  EXPECT_EQ(static_cast<long>(call_ok("loads", {u(c), u(s), u(i), u(out)})),
            loads(c, s, i, nout));
  EXPECT_EQ(out[0], nout[0]);
  EXPECT_EQ(out[1], nout[1]);
}

TEST_F(ClangBpf, DisassemblyMatchesLlvmObjdump) {
  if (std::system("command -v llvm-objdump-19 >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "llvm-objdump-19 not installed";
  std::string cmd = "llvm-objdump-19 -d --no-show-raw-insn --no-leading-addr " + dir_ +
                    "/prog.o > " + dir_ + "/prog.dis";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::istringstream dis(slurp(dir_ + "/prog.dis"));
  std::vector<std::string> want;
  for (std::string line; std::getline(dis, line);) {
    if (line.empty() || line[0] != '\t') continue;
    line = line.substr(1);
    if (size_t lt = line.rfind(" <"); lt != std::string::npos && line.back() == '>')
      line.resize(lt);  // symbolic jump target
    want.push_back(line);
  }
  std::vector<std::string> got;
  for (size_t pc = 0; pc < prog_->size(); ++pc) {
    got.push_back(prog_->disasm_at(pc));
    if (is_ld_imm64(prog_->insns()[pc])) ++pc;
  }
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], want[i]) << "line " << i;
}

}  // namespace
}  // namespace scx::bpf::test
