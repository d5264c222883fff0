// Programs' output never shows a host address: bpf_printk of a task pointer, a map value
// pointer and a stack address prints simulated addresses (AddressSpace::shown/printed), the
// same in two processes whose heaps are laid out differently (ASLR, and glibc serving every
// allocation by mmap in the second).
#include <sys/wait.h>

#include <cstdlib>
#include <regex>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "bpf/vm/memory.h"
#include "temp_file.h"

namespace scx {
namespace {

const std::string kCases = std::string(SCXSIM_BPF_HOST_SUBJECTS) + "/hostile_cases.bpf.o";

// The bpf_trace_printk lines of a short run of the pointer-printing object, run with `env`.
std::string printed_lines(const std::string& env, const std::string& name) {
  const std::string trace = testing::test_temp_path(name);
  const std::string cmd = env + " " + SCXSIM_BINARY_DIR + "/src/cli/scxsim run --topology 2 --workload pinned " +
                          "--duration 20ms --sched " + kCases + " --set print_pointers=1 --trace " + trace +
                          " >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd;
  std::string lines;
  std::istringstream in(testing::read_test_file(trace));
  for (std::string l; std::getline(in, l);)
    if (l.find("bpf_trace_printk:") != std::string::npos) lines += l.substr(l.find("task ")) + "\n";
  return lines;
}

TEST(SimulatedAddresses, PrintedPointersDoNotDependOnTheHostHeap) {
  const std::string plain = printed_lines("", "plain.trace");
  const std::string mmapped = printed_lines("MALLOC_MMAP_THRESHOLD_=0 MALLOC_PERTURB_=165", "mmap.trace");
  EXPECT_EQ(plain, mmapped);
  // Three enqueues print; each value is a simulated address: regions from 0xffff888000000000,
  // the VM stack from 0xffffc90000000000.
  const std::regex line("task ffff888[0-9a-f]{9} value 0xffff888[0-9a-f]{9} stack 0xffffc900[0-9a-f]{8}\n");
  std::smatch m;
  std::string rest = plain;
  int n = 0;
  while (std::regex_search(rest, m, line) && m.position() == 0) {
    rest = m.suffix();
    ++n;
  }
  EXPECT_EQ(n, 3) << plain;
  EXPECT_EQ(rest, "") << plain;
}

// shown(): a value in a region is its simulated address; one that cannot be a host user-space
// address is itself; an unmapped one that could be is not printed.
TEST(SimulatedAddresses, ShownValues) {
  bpf::AddressSpace mem;
  alignas(64) static uint8_t first[100], second[5000];
  ASSERT_TRUE(mem.add(first, sizeof first, bpf::kPermRead, "first").ok());
  ASSERT_TRUE(mem.add(second, sizeof second, bpf::kPermRead, "second").ok());
  const auto at = [](const uint8_t* p) { return reinterpret_cast<uint64_t>(p); };
  // first: one page and a guard page; second starts two pages up.
  EXPECT_EQ(mem.shown(at(first) + 8), "0xffff888000000008");
  EXPECT_EQ(mem.shown(at(second) + 4999), "0xffff888000003387");  // 0x2000 + 4999
  EXPECT_EQ(mem.printed(at(second)), 0xffff888000002000u);
  EXPECT_EQ(mem.shown(0x1234), "0x1234");
  EXPECT_EQ(mem.shown(0xdead0bad0dead0b0), "0xdead0bad0dead0b0");
  EXPECT_EQ(mem.shown(0x7f0000001000), "<unmapped host address>");
  EXPECT_EQ(mem.printed(0x7f0000001000), 0x7f0000001000u);  // a number, not a pointer
}

}  // namespace
}  // namespace scx
