// BPF-to-BPF calls, helpers, kfuncs and callbacks.
#include <gtest/gtest.h>

#include <cstring>

#include "vm_test_util.h"

namespace scx::bpf::test {
namespace {

TEST(BpfCall, LocalCallPreservesCalleeSaved) {
  // main: r6..r9 = 6..9; r1 = 5; call sq; r0 += r6 + r7 + r8 + r9; exit
  // sq:   r6..r9 = garbage; r0 = r1 * r1; *(fp-8) = r0; exit
  Builder b;
  for (int r = 6; r <= 9; ++r) b.add(mov64_imm(r, r));
  b.add(st(op::kDW, 10, -8, 1000)).add(mov64_imm(1, 5)).jump(call_local(0), "sq");
  for (int r = 6; r <= 9; ++r) b.add(alu64_reg(op::kAdd, 0, r));
  b.add(ldx(op::kDW, 2, 10, -8)).add(alu64_reg(op::kAdd, 0, 2)).add(exit_insn());
  b.label("sq");
  for (int r = 6; r <= 9; ++r) b.add(mov64_imm(r, -1));
  b.add(mov64_reg(0, 1)).add(alu64_reg(op::kMul, 0, 1)).add(st(op::kDW, 10, -8, 77));
  b.add(exit_insn());
  Program p = must_load(b.finish());
  Vm vm;
  RunResult r = vm.run(p);
  ASSERT_TRUE(r.ok) << r.fault->message;
  EXPECT_EQ(r.r0, 25u + 6 + 7 + 8 + 9 + 1000);  // callee's stack is its own frame
}

TEST(BpfCall, CalleeCanUseCallerStackPointer) {
  // main: *(fp-8) = 3; r1 = fp - 8; call f; r0 = *(fp-8); exit.  f: *(r1) += 4 via r1
  Builder b;
  b.add(st(op::kDW, 10, -8, 3)).add(mov64_reg(1, 10)).add(alu64_imm(op::kAdd, 1, -8));
  b.jump(call_local(0), "f").add(ldx(op::kDW, 0, 10, -8)).add(exit_insn());
  b.label("f").add(ldx(op::kDW, 2, 1, 0)).add(alu64_imm(op::kAdd, 2, 4));
  b.add(stx(op::kDW, 1, 2, 0)).add(mov64_imm(0, 0)).add(exit_insn());
  Vm vm;
  RunResult r = vm.run(must_load(b.finish()));
  ASSERT_TRUE(r.ok) << r.fault->message;
  EXPECT_EQ(r.r0, 7u);
}

TEST(BpfCall, ArgumentRegistersPoisonedAfterCall) {
  Builder b;
  b.add(mov64_imm(1, 1)).jump(call_local(0), "f").add(mov64_reg(0, 3)).add(exit_insn());
  b.label("f").add(mov64_imm(0, 0)).add(exit_insn());
  Vm vm;
  EXPECT_EQ(vm.run(must_load(b.finish())).r0, Vm::kPoison);
}

// A chain of `calls` nested calls: f_i calls f_{i+1}; the last returns 1; each adds 1.
Program chain(int calls) {
  Builder b;
  b.jump(call_local(0), "f1").add(exit_insn());
  for (int i = 1; i <= calls; ++i) {
    b.label(fmt::format("f{}", i));
    if (i < calls) b.jump(call_local(0), fmt::format("f{}", i + 1));
    else b.add(mov64_imm(0, 0));
    b.add(alu64_imm(op::kAdd, 0, 1)).add(st(op::kDW, 10, -512, i)).add(exit_insn());
  }
  return must_load(b.finish());
}

TEST(BpfCall, DepthLimit) {
  Vm vm;
  RunResult ok = vm.run(chain(kMaxCallFrames - 1));  // 8 frames in total
  ASSERT_TRUE(ok.ok) << ok.fault->message;
  EXPECT_EQ(ok.r0, 7u);
  RunResult bad = vm.run(chain(kMaxCallFrames));
  ASSERT_FALSE(bad.ok);
  EXPECT_EQ(bad.fault->reason, "call depth exceeds 8 frames");
  EXPECT_EQ(bad.fault->call_stack.size(), 7u);  // the 7 calls already made
  EXPECT_EQ(bad.fault->call_stack.back(), 0u);  // outermost call site
}

TEST(BpfCall, Recursion) {
  // fact(n) recursive, runs out of frames for n >= 8.
  Builder b;
  b.jump(call_local(0), "fact").add(exit_insn());
  b.label("fact").add(mov64_imm(0, 1)).jump(jmp_imm(op::kJle, 1, 1, 0), "ret");
  b.add(mov64_reg(6, 1)).add(alu64_imm(op::kSub, 1, 1)).jump(call_local(0), "fact");
  b.add(alu64_reg(op::kMul, 0, 6)).label("ret").add(exit_insn());
  Program p = must_load(b.finish());
  Vm vm;
  EXPECT_EQ(vm.run(p, {5}).r0, 120u);
  EXPECT_EQ(vm.run(p, {7}).r0, 5040u);
  EXPECT_FALSE(vm.run(p, {8}).ok);
}

TEST(BpfCall, MayGotoBudgetIsPerFrame) {
  // f loops with may_goto (budget 10) then returns its count; main calls f twice.
  Builder b;
  b.jump(call_local(0), "f").add(mov64_reg(6, 0)).jump(call_local(0), "f");
  b.add(alu64_reg(op::kAdd, 0, 6)).add(exit_insn());
  b.label("f").add(mov64_imm(0, 0)).label("loop").jump(may_goto(0), "out");
  b.add(alu64_imm(op::kAdd, 0, 1)).jump(ja(0), "loop").label("out").add(exit_insn());
  Vm vm(VmOptions{.insn_budget = 10'000, .may_goto_budget = 10});
  RunResult r = vm.run(must_load(b.finish()));
  ASSERT_TRUE(r.ok) << r.fault->message;
  EXPECT_EQ(r.r0, 20u);
}

TEST(BpfCall, Helpers) {
  Vm vm;
  std::vector<uint64_t> seen;
  size_t seen_pc = 0;
  vm.helpers().set(7, "bpf_add5", [&](CallContext& cx, const HostArgs& a) -> uint64_t {
    seen_pc = cx.pc();
    seen.assign(a.begin(), a.end());
    return a[0] + a[1] + a[2] + a[3] + a[4];
  });
  Program p = must_load({mov64_imm(1, 1), mov64_imm(2, 2), mov64_imm(3, 3), mov64_imm(4, 4),
                         mov64_imm(5, 5), call_helper(7), exit_insn()});
  RunResult r = vm.run(p);
  ASSERT_TRUE(r.ok) << r.fault->message;
  EXPECT_EQ(r.r0, 15u);
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(seen_pc, 5u);

  Program after = must_load({mov64_imm(1, 1), call_helper(7), mov64_reg(0, 1), exit_insn()});
  EXPECT_EQ(vm.run(after).r0, Vm::kPoison);  // R1 clobbered

  Program unknown = must_load({call_helper(99), exit_insn()});
  r = vm.run(unknown);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.fault->reason, "call to unknown helper 99");
  EXPECT_EQ(r.fault->message, "test: insn 0 (call 0x63): call to unknown helper 99");
}

TEST(BpfCall, HostFaultStopsProgram) {
  Vm vm;
  vm.helpers().set(1, "bad", [](CallContext& cx, const HostArgs&) -> uint64_t {
    cx.fault("invalid kfunc use: dsq 5 does not exist");
    return 0;
  });
  Program p = must_load({mov64_imm(0, 1), call_helper(1), mov64_imm(0, 2), exit_insn()});
  p.set_describe_pc([](size_t pc) { return fmt::format("sched.bpf.c:{}", 40 + pc); });
  RunResult r = vm.run(p);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.fault->pc, 1u);
  EXPECT_EQ(r.insns, 2u);
  EXPECT_EQ(r.fault->message,
            "test: insn 1 (call 0x1) at sched.bpf.c:41: invalid kfunc use: dsq 5 does not exist");
}

TEST(BpfCall, Kfuncs) {
  Vm vm;
  Program p = must_load({mov64_imm(1, 20), call_kfunc(2), exit_insn()});
  RunResult r = vm.run(p);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.fault->reason, "call to unbound kfunc #2");
  auto table = std::make_shared<HostTable>();
  table->set(2, "scx_bpf_test", [](CallContext&, const HostArgs& a) { return a[0] * 2 + 2; });
  p.set_kfuncs(table);
  r = vm.run(p);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.r0, 42u);
  Program q = must_load({call_kfunc(1), exit_insn()});
  q.set_kfuncs(table);
  EXPECT_EQ(vm.run(q).fault->reason, "call to unbound kfunc #1");
}

TEST(BpfCall, HelperChecksPointerArgs) {
  Vm vm;
  vm.helpers().set(3, "bpf_probe", [](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (!cx.check(a[0], a[1], kPermWrite, "bpf_probe arg1")) return 0;
    std::memset(reinterpret_cast<void*>(a[0]), 0xab, a[1]);
    return 1;
  });
  // Stack buffer of 16 bytes is fine; 600 bytes is not.
  Program ok = must_load({mov64_reg(1, 10), alu64_imm(op::kAdd, 1, -16), mov64_imm(2, 16),
                          call_helper(3), ldx(op::kB, 0, 10, -1), exit_insn()});
  RunResult r = vm.run(ok);
  ASSERT_TRUE(r.ok) << r.fault->message;
  EXPECT_EQ(r.r0, 0xabu);
  Program bad = must_load({mov64_reg(1, 10), alu64_imm(op::kAdd, 1, -16), mov64_imm(2, 600),
                           call_helper(3), exit_insn()});
  r = vm.run(bad);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.fault->reason.find("bpf_probe arg1: invalid write of 600 bytes"), std::string::npos)
      << r.fault->reason;
}

TEST(BpfCall, CallbackThroughHelper) {
  // bpf_loop-like helper 181(nr, callback, ctx, flags): calls cb(i, ctx) until it returns 1.
  Vm vm;
  vm.helpers().set(181, "bpf_loop", [](CallContext& cx, const HostArgs& a) -> uint64_t {
    uint64_t i = 0;
    for (; i < a[0]; ++i) {
      std::optional<uint64_t> ret = cx.call(a[1], {i, a[2], 0, 0, 0});
      if (!ret) return 0;
      if (*ret) {
        ++i;
        break;
      }
    }
    return i;
  });
  // main: *(fp-8) = 0; r1 = 10; r2 = &cb; r3 = fp-8; r4 = 0; call bpf_loop;
  //       r0 = r0 * 1000 + *(fp-8); exit
  // cb(i, ctx): *ctx += i; return i == 4
  Builder b;
  b.add(st(op::kDW, 10, -8, 0)).add(mov64_imm(1, 10));
  b.jump(ld_imm64(2, 0, op::kPseudoFunc)[0], "cb").add(ld_imm64(2, 0)[1]);
  b.add(mov64_reg(3, 10)).add(alu64_imm(op::kAdd, 3, -8)).add(mov64_imm(4, 0));
  b.add(call_helper(181)).add(alu64_imm(op::kMul, 0, 1000)).add(ldx(op::kDW, 1, 10, -8));
  b.add(alu64_reg(op::kAdd, 0, 1)).add(exit_insn());
  b.label("cb").add(ldx(op::kDW, 3, 2, 0)).add(alu64_reg(op::kAdd, 3, 1));
  b.add(stx(op::kDW, 2, 3, 0)).add(mov64_imm(0, 0)).jump(jmp_imm(op::kJne, 1, 4, 0), "cbret");
  b.add(mov64_imm(0, 1)).label("cbret").add(exit_insn());
  Program p = must_load(b.finish());
  RunResult r = vm.run(p);
  ASSERT_TRUE(r.ok) << r.fault->message;
  EXPECT_EQ(r.r0, 5u * 1000 + (0 + 1 + 2 + 3 + 4));

  // A fault inside the callback reports the callback's pc and the helper call site.
  Builder f;
  f.add(mov64_imm(1, 3)).jump(ld_imm64(2, 0, op::kPseudoFunc)[0], "cb").add(ld_imm64(2, 0)[1]);
  f.add(mov64_imm(3, 0)).add(call_helper(181)).add(exit_insn());
  f.label("cb").add(ldx(op::kDW, 0, 2, 0)).add(exit_insn());  // ctx is NULL
  Program pf = must_load(f.finish());
  r = vm.run(pf);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.fault->pc, 6u);
  EXPECT_EQ(r.fault->call_stack, std::vector<size_t>{4});
  EXPECT_NE(r.fault->reason.find("null pointer"), std::string::npos);
}

}  // namespace
}  // namespace scx::bpf::test
