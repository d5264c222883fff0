// CO-RE: every relocation kind checked against offsetof() in the C++ view of kernel_types.h;
// the same source compiled against a shuffled layout resolves to identical values; the
// algorithm's pieces (essential names, poisoning, strict mode).
#include <gtest/gtest.h>

#include "bpf/loader/core.h"
#include "loader_test_util.h"

namespace scx::bpf::test {
namespace {

std::vector<uint64_t> run_core(const std::string& file) {
  Vm vm;  // before the object: the object's maps unregister from vm.memory() on destruction
  HelperEnv h;
  h.bind(vm);
  auto obj = must_load(file);
  if (!obj) return {};
  obj->attach(vm);
  TestTask parent(vm, 1, 100);
  TestTask t(vm, 77, 250);
  t.t.se.vruntime = 5;
  t.t.real_parent = &parent.t;
  const BpfProgram* p = obj->program("core_values");
  EXPECT_NE(p, nullptr);
  RunResult r = vm.run(*p->program, {t.addr()});
  EXPECT_TRUE(r.ok) << (r.fault ? r.fault->message : "");
  EXPECT_EQ(t.t.scx.dsq_vtime, 250u * 3 + 5);
  std::vector<uint64_t> out(24);
  std::memcpy(out.data(), obj->global_data("out"), 24 * 8);
  vm.memory().remove(&t.t);
  vm.memory().remove(&parent.t);
  return out;
}

TEST(Core, ValuesMatchTheCxxLayout) {
  std::vector<uint64_t> o = run_core("core.bpf.o");
  ASSERT_EQ(o.size(), 24u);
  EXPECT_EQ(o[0], offsetof(task_struct, scx.weight));
  EXPECT_EQ(o[1], offsetof(task_struct, scx.dsq_vtime));
  EXPECT_EQ(o[2], sizeof(task_struct::comm));
  EXPECT_EQ(o[3], 1u);
  EXPECT_EQ(o[4], 0u);  // task_struct___old.does_not_exist
  EXPECT_EQ(o[5], 1u);  // pid is signed
  EXPECT_EQ(o[6], 0u);  // weight is u32
  EXPECT_EQ(o[7], static_cast<uint64_t>(SCX_DSQ_LOCAL));
  EXPECT_EQ(o[8], 1u);  // SCX_ENQ_WAKEUP___x → SCX_ENQ_WAKEUP
  EXPECT_EQ(o[9], 0u);  // SCX_ENQ_BOGUS
  EXPECT_EQ(o[10], 1u);
  EXPECT_EQ(o[11], 0u);
  EXPECT_EQ(o[12], sizeof(rq));
  EXPECT_EQ(o[13], offsetof(task_struct, pid));  // through the ___old flavour
  EXPECT_EQ(o[14], 77u);                          // BPF_CORE_READ_BITFIELD: lshift/rshift/signed
  EXPECT_EQ(o[15], kernel_btf().find("task_struct", 4));
  EXPECT_EQ(o[16], 1u);  // sched_entity matches
  EXPECT_EQ(o[17], 8u);
  EXPECT_EQ(o[18], offsetof(task_struct, scx.slice));
  EXPECT_EQ(o[19], static_cast<uint64_t>(SCX_ENQ_WAKEUP));
  EXPECT_EQ(o[20], offsetof(task_struct, cpus_mask.bits) + 3 * sizeof(unsigned long));
  EXPECT_EQ(o[21], 250u);
  EXPECT_EQ(o[22], 77u);
  EXPECT_EQ(o[23], 1u);  // BPF_CORE_READ(p, real_parent, pid)
}

TEST(Core, ShuffledLayoutResolvesToTheSameValues) {
  std::vector<uint64_t> a = run_core("core.bpf.o");
  std::vector<uint64_t> b = run_core("core_shuffled.bpf.o");
  ASSERT_EQ(a.size(), 24u);
  EXPECT_EQ(a, b);
}

TEST(Core, UnsatisfiableRelocationPoisonsOrFailsInStrictMode) {
  Vm vm;
  auto obj = must_load("core.bpf.o");
  ASSERT_TRUE(obj);
  bool listed = false;
  for (const auto& u : obj->unsupported()) listed |= u.find("does_not_exist") != std::string::npos;
  EXPECT_TRUE(listed);
  obj->attach(vm);
  TestTask t(vm, 1, 100);
  RunResult r = vm.run(*obj->program("core_poison")->program, {t.addr()});
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.fault->message.find("CO-RE relocation"), std::string::npos) << r.fault->message;
  EXPECT_NE(r.fault->message.find("does_not_exist"), std::string::npos) << r.fault->message;
  EXPECT_NE(r.fault->message.find("core.bpf.c:"), std::string::npos) << r.fault->message;
  vm.memory().remove(&t.t);

  LoadOptions strict;
  strict.strict_core = true;
  auto s = load_bpf_object(subject("core.bpf.o"), strict);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("section syscall"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("does_not_exist"), std::string::npos) << s.status().message();
}

TEST(Core, EssentialNames) {
  EXPECT_EQ(core_essential_name_len("task_struct"), 11u);
  EXPECT_EQ(core_essential_name_len("task_struct___v2"), 11u);
  EXPECT_EQ(core_essential_name_len("a___b___c"), 5u);  // only the last flavour goes
  EXPECT_EQ(core_essential_name_len("foo____x"), 8u);  // four underscores: not a flavour separator
  EXPECT_EQ(core_essential_name_len("__x"), 3u);
}

}  // namespace
}  // namespace scx::bpf::test
